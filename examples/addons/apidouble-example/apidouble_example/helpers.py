"""Template helpers: ``{{ signed_token('user-1', 's3cret') }}`` makes a token the
``hmac_sha256`` operator accepts; ``{{ request.body | hmac_hex('s3cret') }}`` signs a value."""

from __future__ import annotations

from typing import Any

from apidouble.plugins import template_filter
from apidouble_example.signing import sign, signed


def signed_token(payload: Any, secret: str) -> str:
    """``PAYLOAD.SIGNATURE`` for ``payload`` (as text)."""
    return signed(str(secret), str(payload))


@template_filter
def hmac_hex(value: Any, secret: str) -> str:
    """The hex HMAC-SHA256 of ``value`` (text, or bytes as they are)."""
    return sign(str(secret), value if isinstance(value, bytes) else str(value))
