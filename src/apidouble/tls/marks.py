"""What the journal learns of a request that came over TLS: the scheme, the SNI name and,
with ``--tls-client-ca``, the client certificate's subject.

The HTTPS listener serves its own ``TlsHandler`` around the dispatcher, so nothing of
this runs for plain HTTP. Each TLS connection registers its ``TlsInfo`` under its peer
address (what ``Request.client`` holds); ``served`` adds the notes to the exchange's
``ServeEvent`` before the journal records it. ``TlsHandler`` has no express lane on
purpose: those answers are journaled without an event, so they could not be marked.
Only a listener that asks for client certificates puts a step before ``handle``: the
certificate's headers (``clientcert``).
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..model import Request
from ..outcome import Handler, Outcome
from .clientcert import ClientCert, with_client_cert

Peer = tuple[str, int]


@dataclass(frozen=True, slots=True, weakref_slot=True)
class TlsInfo:
    """One TLS connection, as its handshake left it."""

    server_name: str | None
    """The name the client sent in SNI (None when it sent none, as for an address)."""
    version: str | None
    """The protocol version agreed (``TLSv1.3``)."""
    client: ClientCert | None = None
    """The certificate the client presented and the handshake verified (mTLS)."""

    @property
    def notes(self) -> tuple[str, ...]:
        """The journal's notes: ``https``, ``sni=NAME`` when a name was sent, and
        ``client-cert=SUBJECT`` when a client certificate was."""
        notes: tuple[str, ...] = ("https",)
        if self.server_name is not None:
            notes = (*notes, f"sni={self.server_name}")
        if self.client is not None:
            notes = (*notes, self.client.note)
        return notes


class TlsPeers:
    """Live TLS connections by peer address; an entry goes with its connection."""

    __slots__ = ("_by_peer",)

    def __init__(self) -> None:
        self._by_peer: weakref.WeakValueDictionary[Peer, TlsInfo] = weakref.WeakValueDictionary()

    def add(self, peer: Peer, info: TlsInfo) -> None:
        self._by_peer[peer] = info

    def drop(self, peer: Peer) -> None:
        self._by_peer.pop(peer, None)

    def get(self, peer: Peer | None) -> TlsInfo | None:
        return None if peer is None else self._by_peer.get(peer)

    def __len__(self) -> int:
        return len(self._by_peer)


class TlsHandler:
    """The dispatcher as the HTTPS listener serves it: the same ``handle``, and a
    ``served`` that marks the exchange as TLS first."""

    __slots__ = ("handle", "engine", "_served", "_peers", "_inner")

    def __init__(self, inner: Handler, peers: TlsPeers, client_certs: bool = False) -> None:
        self._inner = inner.handle
        self.handle: Callable[[Request], Outcome | Awaitable[Outcome]] = (
            self._with_cert if client_certs else inner.handle
        )
        self.engine: Any = getattr(inner, "engine", inner)
        """What the transport asks for head-time decisions (``forward_head``)."""
        self._served = inner.served
        self._peers = peers

    def _with_cert(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """``handle``, the request carrying its connection's client certificate."""
        info = self._peers.get(request.client)
        return self._inner(with_client_cert(request, info.client if info is not None else None))

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        event = outcome.event
        if event is not None:
            info = self._peers.get(event.request.client)
            if info is not None:
                event.notes = (*event.notes, *info.notes)
        self._served(outcome, elapsed_s)
