"""Load time for HTTPS: the options' certificate files, or the local CA, made ready.

Done once when the runtime is built, before any port is bound, so a bad file or an
unwritable CA folder is reported at start-up and a CA created here exists before
``--workers`` fork. The client CA file (mTLS) is read here too, once, for every context.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Final

from .ca import TlsError, load_or_create
from .contexts import Handshake, ServerContexts

CLIENT_AUTH: Final = ("required", "optional")


def handshake(client_ca: str | None, client_auth: str, http2: bool) -> Handshake:
    """The handshake demands of ``--tls-client-ca``, ``--tls-client-auth`` and HTTP/2."""
    if client_auth not in CLIENT_AUTH:
        raise TlsError(f"--tls-client-auth is required or optional, not {client_auth!r}")
    if client_ca is None:
        return Handshake(http2=http2)
    try:
        pem = Path(client_ca).read_text(encoding="ascii")
        ssl.create_default_context(cadata=pem)  # refuses a file with no certificate
    except (OSError, UnicodeDecodeError, ssl.SSLError, ValueError) as exc:
        raise TlsError(f"cannot use --tls-client-ca {client_ca}: {exc}") from exc
    return Handshake(http2, pem, client_auth == "required")


def server_contexts(
    cert: str | None,
    key: str | None,
    ca_dir: str | None,
    host: str,
    demands: Handshake | None = None,
) -> ServerContexts:
    """The HTTPS contexts: ``cert`` and ``key`` (both or neither), else leaves from the
    local CA in ``ca_dir`` (its default folder when None), valid for ``host`` too."""
    if (cert is None) != (key is None):
        raise TlsError("give --tls-cert and --tls-key together (or neither, for the local CA)")
    demands = demands if demands is not None else Handshake()
    if cert is not None and key is not None:
        return ServerContexts.from_files(Path(cert), Path(key), demands)
    ca = load_or_create(Path(ca_dir) if ca_dir is not None else None)
    return ServerContexts.from_ca(ca, [host], handshake=demands)
