"""The HTTPS listener's ``SSLContext``: TLS 1.2 at least, and a certificate per SNI name.

With the local CA, the context serves a leaf for ``DEFAULT_NAMES`` (and the bound host)
and switches, in ``sni_callback``, to a context whose leaf is minted for the name the
client asked for; those contexts are kept in a bounded LRU. With ``--tls-cert`` and
``--tls-key`` every client gets that certificate. The name each handshake asked for is
remembered per ``SSLObject`` (weakly) for the journal.

Every context of a listener makes the same ``Handshake`` demands: ALPN offers ``h2``
before ``http/1.1`` (unless ``--no-http2``), and with ``--tls-client-ca`` the client is
asked for a certificate signed by one of those CAs (``required``: no handshake without
one; ``optional``: one sent is verified, none is fine).
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
import tempfile
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .ca import LocalCA, TlsError
from .leaf import DEFAULT_NAMES, LeafMinter, server_name

_log = logging.getLogger("apidouble.tls")

CACHE_SIZE = 256
"""Minted contexts kept (least recently used go first); one is a few kilobytes."""
ALPN = ("h2", "http/1.1")
"""What the server offers, in its order of preference (RFC 7301)."""


@dataclass(frozen=True, slots=True)
class Handshake:
    """What every context of one listener asks of a handshake."""

    http2: bool = True
    """Offer ``h2`` in ALPN (else ``http/1.1`` alone)."""
    client_ca_pem: str | None = None
    """The CAs a client certificate must chain to (PEM); None asks for none."""
    client_required: bool = True
    """With ``client_ca_pem``: refuse a handshake without a certificate."""

    @property
    def client_auth(self) -> bool:
        return self.client_ca_pem is not None


DEFAULT_HANDSHAKE = Handshake()


def _base_context(handshake: Handshake) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(list(ALPN if handshake.http2 else ALPN[1:]))
    if handshake.client_ca_pem is not None:
        context.load_verify_locations(cadata=handshake.client_ca_pem)
        context.verify_mode = ssl.CERT_REQUIRED if handshake.client_required else ssl.CERT_OPTIONAL
    return context


def _load_pem(context: ssl.SSLContext, pem: bytes) -> None:
    """``load_cert_chain`` reads files only. On Linux the PEM goes through an anonymous
    in-memory file (``memfd_create``), so nothing touches a disk or wakes a watcher of the
    temporary folder; elsewhere through a private temporary file (0600), removed at once."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and os.path.isdir("/proc/self/fd"):
        fd = memfd("apidouble-leaf")
        try:
            os.write(fd, pem)
            context.load_cert_chain(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    fd, path = tempfile.mkstemp(prefix="apidouble-leaf-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        context.load_cert_chain(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


class ServerContexts:
    """The listening context, and what each handshake asked for."""

    __slots__ = (
        "context",
        "ca",
        "handshake",
        "_minter",
        "_defaults",
        "_minted",
        "_limit",
        "_asked",
    )

    def __init__(
        self,
        context: ssl.SSLContext,
        ca: LocalCA | None,
        minter: LeafMinter | None,
        limit: int,
        handshake: Handshake,
    ) -> None:
        self.context = context
        self.ca = ca
        """The CA that signs the leaves; None when serving given files."""
        self.handshake = handshake
        self._minter = minter
        self._defaults: frozenset[str] = frozenset()
        self._minted: OrderedDict[str, ssl.SSLContext] = OrderedDict()
        self._limit = limit
        self._asked: weakref.WeakKeyDictionary[ssl.SSLObject, str] = weakref.WeakKeyDictionary()

    @classmethod
    def from_ca(
        cls,
        ca: LocalCA,
        extra_names: Sequence[str] = (),
        limit: int = CACHE_SIZE,
        handshake: Handshake = DEFAULT_HANDSHAKE,
    ) -> ServerContexts:
        """Leaves signed by ``ca``: the default one for ``DEFAULT_NAMES`` + ``extra_names``."""
        minter = LeafMinter(ca)
        names = list(DEFAULT_NAMES)
        for extra in extra_names:
            name = server_name(extra)
            if name is not None and name not in names and name not in ("0.0.0.0", "::"):
                names.append(name)
        context = _base_context(handshake)
        _load_pem(context, minter.chain_pem(names))
        contexts = cls(context, ca, minter, limit, handshake)
        contexts._defaults = frozenset(names)
        context.sni_callback = contexts._on_server_name
        return contexts

    @classmethod
    def from_files(
        cls, cert: Path, key: Path, handshake: Handshake = DEFAULT_HANDSHAKE
    ) -> ServerContexts:
        """Every client gets the certificate (chain) in ``cert``, with ``key``."""
        context = _base_context(handshake)
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(f"cannot use --tls-cert {cert} with --tls-key {key}: {exc}") from exc
        contexts = cls(context, None, None, 0, handshake)
        context.sni_callback = contexts._on_server_name
        return contexts

    def asked_for(self, tls: ssl.SSLObject | None) -> str | None:
        """The server name the client of this handshake sent (SNI), if any."""
        return None if tls is None else self._asked.get(tls)

    def for_name(self, name: str) -> ssl.SSLContext:
        """The context whose leaf is valid for ``name`` (minted on first use)."""
        if self._minter is None or name in self._defaults:
            return self.context
        minted = self._minted.get(name)
        if minted is not None:
            self._minted.move_to_end(name)
            return minted
        minted = _base_context(self.handshake)
        _load_pem(minted, self._minter.chain_pem([name]))
        self._minted[name] = minted
        if len(self._minted) > self._limit:
            self._minted.popitem(last=False)
        return minted

    def _on_server_name(
        self, tls: ssl.SSLObject, sent: str | None, context: ssl.SSLContext
    ) -> int | None:
        """``sni_callback``: remember the name, and serve the leaf made for it. An error
        here would fail the handshake with an alert; the default leaf is served instead."""
        if sent is None:
            return None
        self._asked[tls] = sent
        name = server_name(sent)
        if name is None:
            return None
        try:
            chosen = self.for_name(name)
        except Exception:
            _log.exception("minting a certificate for %r failed", name)
            return None
        if chosen is not context:
            tls.context = chosen
        return None
