"""The HTTPS listener: accept, a TLS handshake per connection in its own task, then HTTP/1.1
or, when ALPN chose ``h2``, HTTP/2.

Each accepted socket goes to ``loop.connect_accepted_socket`` with the server context,
in a task: the handshake (non-blocking, on memory BIOs) never holds the loop, and the
HTTP protocol's ``connection_made`` comes once it is done, before any decrypted byte
(the loop's own TLS path, the same in asyncio and uvloop). A handshake that fails (a
plain HTTP request, garbage, a client that distrusts the certificate, a timeout) raises
there: it is counted in ``HandshakeStats`` and logged at debug level, and the server
serves on. Our own accept loop is what makes that failure visible: ``create_server``
with ``ssl=`` drops it silently. The protocol is chosen once the handshake is done:
``TlsHttpProtocol`` hands a connection whose ALPN is ``h2`` to ``H2Protocol`` before it
reads a byte, so HTTP/1.1 connections pay nothing for HTTP/2.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from functools import partial

from ..outcome import Forwarder, Handler
from ..transport.http1 import HttpProtocol
from ..transport.http2 import H2Protocol
from ..transport.server import DEFAULT_LIMITS, HttpServer, ServerLimits, ServeState
from .clientcert import ClientCert
from .contexts import ServerContexts
from .marks import Peer, TlsHandler, TlsInfo, TlsPeers

_log = logging.getLogger("apidouble.tls")

BACKLOG = 4096
_ACCEPT_RETRY_S = 0.1
"""Pause after an accept error (out of file descriptors) before accepting again."""


@dataclass(slots=True)
class HandshakeStats:
    """Handshakes of one listener: completed, failed, and why the last one failed."""

    completed: int = 0
    failed: int = 0
    last_failure: str | None = None


def _client_cert(tls: ssl.SSLObject) -> ClientCert | None:
    """The certificate the client presented (verified by the handshake), if any."""
    der = tls.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        return ClientCert.from_der(der)
    except Exception:  # verified by OpenSSL, yet unreadable here: served without it
        _log.exception("reading a client certificate failed")
        return None


def _release(peers: TlsPeers, peer: Peer, info: TlsInfo) -> None:
    """An HTTP/2 connection ended: drop its entry (``info`` was held until now, as the
    table holds entries weakly)."""
    peers.drop(peer)


class TlsHttpProtocol(HttpProtocol):
    """HTTP/1.1 on a TLS transport: registers the connection's ``TlsInfo`` (its SNI name,
    its version, its client certificate) under its peer address for the journal, and
    drops it at the end; with ALPN ``h2``, ``H2Protocol`` serves the connection instead."""

    __slots__ = ("_contexts", "_peers", "_peer", "_tls")

    def __init__(self, state: ServeState, contexts: ServerContexts, peers: TlsPeers) -> None:
        HttpProtocol.__init__(self, state)
        self._contexts = contexts
        self._peers = peers
        self._peer: Peer | None = None
        self._tls: TlsInfo | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tls = transport.get_extra_info("ssl_object")
        if isinstance(tls, ssl.SSLObject):
            client = _client_cert(tls) if self._contexts.handshake.client_auth else None
            self._tls = TlsInfo(self._contexts.asked_for(tls), tls.version(), client)
            peer = transport.get_extra_info("peername")
            if isinstance(peer, tuple) and len(peer) >= 2:  # as HttpProtocol keys the client
                self._peer = (str(peer[0]), int(peer[1]))
                self._peers.add(self._peer, self._tls)
            if tls.selected_alpn_protocol() == "h2":
                if self._state.full():  # no HTTP/1.1 503 on an h2 connection: the close
                    self._state.refused["connections"] += 1
                    transport.close()
                    return
                self._serve_http2(transport)
                return
        HttpProtocol.connection_made(self, transport)

    def _serve_http2(self, transport: asyncio.BaseTransport) -> None:
        """Give the connection to HTTP/2; it keeps the peer entry until it ends."""
        self._drop_whole()
        del self._parser  # the parser holds our bound methods: break the cycle
        protocol = H2Protocol(self._state)
        if self._peer is not None and self._tls is not None:
            protocol.on_lost = partial(_release, self._peers, self._peer, self._tls)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        HttpProtocol.connection_lost(self, exc)
        if self._peer is not None:
            self._peers.drop(self._peer)


class TlsListener:
    """The listening sockets of one HTTPS server, their accept loops and handshakes."""

    __slots__ = ("state", "contexts", "stats", "peers", "sockets", "_loops", "_closed")

    def __init__(self, state: ServeState, contexts: ServerContexts, peers: TlsPeers) -> None:
        self.state = state
        self.contexts = contexts
        self.stats = HandshakeStats()
        self.peers = peers
        self.sockets: list[socket.socket] = []
        self._loops: list[asyncio.Task[None]] = []
        self._closed = asyncio.Event()

    def listen(self, sockets: list[socket.socket]) -> None:
        self.sockets = sockets
        self._loops = [self.state.spawn(self._accept(sock)) for sock in sockets]

    async def _accept(self, sock: socket.socket) -> None:
        loop = self.state.loop
        while True:
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:  # EMFILE, ENFILE, ENOBUFS: the next accept may work
                _log.warning("accepting a TLS connection failed: %s", exc)
                await asyncio.sleep(_ACCEPT_RETRY_S)
                continue
            self.state.spawn(self._handshake(conn))

    async def _handshake(self, conn: socket.socket) -> None:
        state = self.state
        try:
            await state.loop.connect_accepted_socket(
                lambda: TlsHttpProtocol(state, self.contexts, self.peers),
                conn,
                ssl=self.contexts.context,
                ssl_handshake_timeout=state.limits.header_timeout_s,
            )
        except Exception as exc:  # ssl.SSLError, a reset, the handshake timeout
            self._failed(conn, exc)
            return
        self.stats.completed += 1

    def _failed(self, conn: socket.socket, exc: Exception) -> None:
        try:
            peer: object = conn.getpeername()
        except OSError:  # gone already
            peer = "a client"
        conn.close()  # the transport closed it already, unless it never got one
        if self.state.closing:
            return  # shutdown cut it short: not the client's failure
        stats = self.stats
        stats.failed += 1
        stats.last_failure = f"{type(exc).__name__}: {exc}"
        _log.debug("TLS handshake from %s failed: %s", peer, stats.last_failure)

    def close(self) -> None:
        """Stop accepting (handshakes under way go on, as connections do, until drain)."""
        for task in self._loops:
            task.cancel()
        for sock in self.sockets:
            sock.close()
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()


class HttpsServer(HttpServer):
    """A listening HTTPS server: ``HttpServer`` with its handshake counts and contexts."""

    def __init__(self, listener: TlsListener, host: str, port: int) -> None:
        super().__init__(listener, listener.state, host, port, scheme="https")
        self.listener = listener

    @property
    def handshakes(self) -> HandshakeStats:
        return self.listener.stats


def _bind(host: str, port: int, reuse_port: bool) -> list[socket.socket]:
    """Listening sockets for every address of ``host`` (as ``create_server`` binds),
    all on one port (the first one bound, for port 0)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


async def start_https_server(
    handler: Handler,
    contexts: ServerContexts,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: ServerLimits = DEFAULT_LIMITS,
    reuse_port: bool = False,
    forwarder: Forwarder | None = None,
) -> HttpsServer:
    """Listen on ``host:port`` for TLS and serve ``handler`` over it, as ``start_server``
    does over plain TCP (the same handler may be served by both at once)."""
    loop = asyncio.get_running_loop()
    peers = TlsPeers()
    client_certs = contexts.handshake.client_auth
    state = ServeState(TlsHandler(handler, peers, client_certs), limits, loop, forwarder)
    listener = TlsListener(state, contexts, peers)
    sockets = _bind(host, port, reuse_port)
    listener.listen(sockets)
    state.start_sweeping()
    return HttpsServer(listener, host, int(sockets[0].getsockname()[1]))
