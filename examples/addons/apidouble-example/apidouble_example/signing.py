"""HMAC-SHA256 signatures and ``PAYLOAD.SIGNATURE`` tokens, shared by every extension here."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, message: str | bytes) -> str:
    """The hex HMAC-SHA256 of ``message`` with ``secret``."""
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def signed(secret: str, payload: str) -> str:
    """A token: the payload, a dot, and the payload's signature."""
    return f"{payload}.{sign(secret, payload)}"


def verify(secret: str, token: str) -> bool:
    """Whether ``token`` is a payload signed with ``secret``."""
    payload, dot, signature = token.rpartition(".")
    return bool(dot) and hmac.compare_digest(signature, sign(secret, payload))
