"""CONNECT tunnels (``--proxy-mode``): ``200 Connection Established``, then TLS with a
certificate for the host the client asked for, then the same stubs and journal as any port.

A client whose ``HTTPS_PROXY`` points at the plain port sends ``CONNECT host:port``. The
HTTP/1.1 transport hands such a request over as an upgrade (it reads nothing after the
head until the answer is decided); ``Tunnels.connect`` answers it with an ``Upgrade``
whose handler writes the 200 and gives the connection to a ``TlsTunnel``
(``tunnel_tls``). The leaf is the local CA's for the SNI name, else for the CONNECT host
(clients send no SNI for an address), from the same ``ServerContexts`` the HTTPS port
uses. Once the handshake is done, ``TlsHttpProtocol`` serves the decrypted stream
(HTTP/2 when ALPN chose it) on the tunnels' own ``ServeState``, so their connections
have the transport's limits and timeouts and drain on shutdown. The journal notes them
as the HTTPS port's exchanges (``https``, ``sni=NAME``), plus ``tunnel=host:port``.
A handshake that fails (garbage, a client that distrusts the CA, a timeout) is counted
and logged, and the server serves on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import ssl
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from ..model import Request
from ..outcome import Forwarder, Handler, Outcome, Respond, Upgrade
from ..realtime.websocket import upgrade_offer
from ..responses import json_response
from ..tls.leaf import server_name
from ..tls.listen import HandshakeStats, TlsHttpProtocol
from ..tls.marks import Peer, TlsHandler, TlsPeers
from ..transport.server import ServerLimits, ServeState
from .tunnel_tls import TlsSide, TlsTunnel

if TYPE_CHECKING:
    from ..tls.contexts import ServerContexts

_log = logging.getLogger("apidouble.proxy")

ESTABLISHED = b"HTTP/1.1 200 Connection Established\r\n\r\n"
_AUTHORITY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:/@\[\]]+):([0-9]{1,5})")
"""RFC 9110 §9.3.6: CONNECT's target is ``host:port`` (an IPv6 address in brackets)."""


def connect_target(target: str) -> tuple[str, int] | None:
    """(host, port) of a CONNECT request's target, or None when it is not one."""
    found = _AUTHORITY.fullmatch(target)
    if found is None:
        return None
    host, port = found.group(1), int(found.group(2))
    if not 0 < port < 65536:
        return None
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
    return host, port


class TunnelHandler:
    """The dispatcher as tunnels serve it: the same answers; the journal's event learns
    which tunnel the exchange came through (``tunnel=host:port``)."""

    __slots__ = ("handle", "engine", "_served", "_targets")

    def __init__(self, inner: Handler, targets: dict[Peer, str]) -> None:
        self.handle = inner.handle
        self.engine: object = getattr(inner, "engine", inner)
        self._served = inner.served
        self._targets = targets

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        event = outcome.event
        if event is not None:
            client = event.request.client
            target = self._targets.get(client) if client is not None else None
            if target is not None:
                event.notes = (*event.notes, f"tunnel={target}")
        self._served(outcome, elapsed_s)


class Tunnels:
    """The CONNECT tunnels of one runtime: their certificates, handshake counts, and the
    ``ServeState`` their decrypted connections share (made on the first tunnel)."""

    def __init__(
        self,
        handler: Handler,
        contexts: ServerContexts,
        limits: ServerLimits,
        forwarder: Forwarder | None = None,
        http2: bool = True,
    ) -> None:
        self.contexts = contexts
        self.limits = limits
        self.forwarder = forwarder
        self.http2 = http2
        self.stats = HandshakeStats()
        self.peers = TlsPeers()
        self.targets: dict[Peer, str] = {}
        """``host:port`` of each open tunnel, by the client's address (``Request.client``)."""
        client_certs = contexts.handshake.client_auth
        self.handler = TlsHandler(TunnelHandler(handler, self.targets), self.peers, client_certs)
        self._state: ServeState | None = None

    def connect(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """The answer to ``CONNECT host:port``: the tunnel, or why there is none."""
        target = connect_target(request.path)
        if target is None:
            body = {"error": "CONNECT needs a host:port target", "target": request.path}
            return Respond(json_response(400, body))
        if upgrade_offer() is None:  # only an HTTP/1.1 CONNECT can hand its connection over
            body = {"error": "CONNECT needs HTTP/1.1", "version": request.http_version}
            return Respond(json_response(505, body))
        return Upgrade(Opening(self, *target), request)

    def state(self) -> ServeState:
        state = self._state
        if state is None:
            loop = asyncio.get_running_loop()
            state = self._state = ServeState(self.handler, self.limits, loop, self.forwarder)
            state.http2 = False  # no h2c inside TLS: ALPN decides
            state.start_sweeping()
        return state

    async def close(self) -> None:
        """Let tunneled requests in flight finish (within the grace), close the rest."""
        if self._state is not None:
            await self._state.drain(self.limits.shutdown_grace_s)

    def open(self, side: TlsSide) -> None:
        """A handshake is done: HTTP (or HTTP/2, by ALPN) serves what it decrypts."""
        self.stats.completed += 1
        protocol = TlsHttpProtocol(self.state(), self.contexts, self.peers)
        side.set_protocol(protocol)
        protocol.connection_made(side)

    def failed(self, target: str, client: Peer | None, exc: BaseException) -> None:
        stats = self.stats
        stats.failed += 1
        stats.last_failure = f"{type(exc).__name__}: {exc}"
        # what TLS refused is worth seeing; a client that left or stalled first is not
        level = logging.INFO if isinstance(exc, ssl.SSLError) else logging.DEBUG
        _log.log(
            level,
            "TLS handshake in the tunnel to %s from %s failed: %s (clients must trust the"
            " local CA: GET /__admin/ca.pem)",
            target,
            f"{client[0]}:{client[1]}" if client is not None else "a client",
            stats.last_failure,
        )

    def tls_for(self, host: str, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO) -> ssl.SSLObject:
        """The handshake's ``SSLObject``: the listening context (its SNI callback mints a
        leaf for the name sent, and remembers it), starting from the leaf for the CONNECT
        host, which a client that sends no SNI gets."""
        contexts = self.contexts
        tls = contexts.context.wrap_bio(incoming, outgoing, server_side=True)
        name = server_name(host.strip("[]"))
        if name is not None:
            try:
                chosen = contexts.for_name(name)
            except Exception:
                _log.exception("minting a certificate for %r failed", name)
                return tls
            if chosen is not contexts.context:
                tls.context = chosen
        return tls


class Opening:
    """The ``UpgradeHandler`` of one CONNECT: the 200, then the handshake."""

    __slots__ = ("tunnels", "host", "port")

    def __init__(self, tunnels: Tunnels, host: str, port: int) -> None:
        self.tunnels = tunnels
        self.host = host
        self.port = port

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def take_over(
        self, transport: asyncio.Transport, request: Request, leftover: bytes
    ) -> asyncio.Protocol:
        tunnels = self.tunnels
        target = self.target
        client = request.client
        if client is not None:
            tunnels.targets[client] = target
        transport.write(ESTABLISHED)
        tunnel = TlsTunnel(
            transport,
            lambda incoming, outgoing: tunnels.tls_for(self.host, incoming, outgoing),
            tunnels.open,
            lambda exc: tunnels.failed(target, client, exc),
            tunnels.limits.header_timeout_s,
        )
        if client is not None:
            tunnel.on_lost = lambda: _forget(tunnels.targets, client, target)
        tunnel.start(leftover)
        return tunnel


def _forget(targets: dict[Peer, str], client: Peer, target: str) -> None:
    if targets.get(client) == target:
        del targets[client]
