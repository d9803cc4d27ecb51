"""h2c: HTTP/2 on a cleartext connection, by prior knowledge or by ``Upgrade: h2c``.

With prior knowledge (RFC 9113 §3.3) the client's first bytes are the preface, and the
HTTP/1.1 protocol that sees them gives the connection to ``take_over`` before parsing
anything. With ``Upgrade: h2c`` (RFC 7540 §3.2) an HTTP/1.1 request asks to switch:
``H2cUpgrade`` is the ``UpgradeHandler`` that answers ``101`` and serves that request
as stream 1. Either way ``http2.H2Protocol`` serves the connection from then on.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from ..model import Request
from .http2 import H2Protocol

if TYPE_CHECKING:
    from .server import ServeState

PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""What an h2c client with prior knowledge sends first (RFC 9113 §3.4)."""
SWITCHING: Final = (
    b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n"
)
_UPGRADE_FIELDS: Final = frozenset(("connection", "upgrade", "http2-settings"))


class H2cUpgrade:
    """``Upgrade: h2c`` (RFC 7540 §3.2) as an ``UpgradeHandler``: ``101``, then HTTP/2,
    the request that asked served as stream 1.

    Whatever decides upgrades returns ``Upgrade(H2cUpgrade(state), request)`` for a
    bodyless HTTP/1.1 request with ``Upgrade: h2c`` and one ``HTTP2-Settings`` header
    (a body would have to be read as HTTP/1.1 first: such a request is better served
    as HTTP/1.1, which the RFC allows)."""

    __slots__ = ("state",)

    def __init__(self, state: ServeState) -> None:
        self.state = state

    def take_over(
        self, transport: asyncio.Transport, request: Request, leftover: bytes
    ) -> asyncio.Protocol:
        settings = (request.header_values("http2-settings") or [""])[0]
        transport.write(SWITCHING)
        protocol = H2Protocol(self.state)
        kept = tuple((n, v) for n, v in request.headers if n.lower() not in _UPGRADE_FIELDS)
        stream_one = request.replace(headers=kept, http_version="2")  # as HTTP/2 carries it
        protocol.upgraded(transport, settings.encode("latin-1"), stream_one)
        if leftover:  # the client's preface, sent without waiting for the 101
            protocol.data_received(leftover)
        return protocol


def take_over(transport: asyncio.Transport, first: bytes, state: ServeState) -> H2Protocol:
    """Serve HTTP/2 on a cleartext connection whose first bytes (``first``) are the h2c
    preface, instead of HTTP/1.1: the protocol that now gets the transport's bytes."""
    protocol = H2Protocol(state)
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    if first:
        protocol.data_received(first)
    return protocol
