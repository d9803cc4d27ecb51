"""TLS for the HTTPS listener: a local CA made once, leaf certificates minted per SNI name,
and the acceptor that runs each handshake before the HTTP/1.1 protocol takes over.

The plain HTTP listener imports nothing from here: TLS is decided when a port is bound.
"""

from .ca import LocalCA, TlsError, default_ca_dir, load_or_create

__all__ = ["LocalCA", "TlsError", "default_ca_dir", "load_or_create"]
