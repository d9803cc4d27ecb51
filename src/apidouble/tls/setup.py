"""Load time for HTTPS: the options' certificate files, or the local CA, made ready.

Done once when the runtime is built, before any port is bound, so a bad file or an
unwritable CA folder is reported at start-up and a CA created here exists before
``--workers`` fork.
"""

from __future__ import annotations

from pathlib import Path

from .ca import TlsError, load_or_create
from .contexts import ServerContexts


def server_contexts(
    cert: str | None, key: str | None, ca_dir: str | None, host: str
) -> ServerContexts:
    """The HTTPS contexts: ``cert`` and ``key`` (both or neither), else leaves from the
    local CA in ``ca_dir`` (its default folder when None), valid for ``host`` too."""
    if (cert is None) != (key is None):
        raise TlsError("give --tls-cert and --tls-key together (or neither, for the local CA)")
    if cert is not None and key is not None:
        return ServerContexts.from_files(Path(cert), Path(key))
    ca = load_or_create(Path(ca_dir) if ca_dir is not None else None)
    return ServerContexts.from_ca(ca, [host])
