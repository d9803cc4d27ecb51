"""A bearer token's claims as sent, for ``match.auth.claims`` and the journal.

Unverified on purpose: matching chooses a stub by the claims a token says it has, and the
chosen stub's own ``auth`` then verifies it (a forged token gets that stub's 401, it does
not fall through to another stub).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

__all__ = ["bearer_claims", "claim_values", "token_payload"]


def bearer_claims(authorization: str | None) -> dict[str, Any]:
    """The claims of a ``Bearer`` JWT as sent, unverified ({} for anything else): what
    ``match.auth.claims`` reads to choose a stub, whose own ``auth`` then verifies them."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return {}
    return token_payload(credentials.strip())


def claim_values(claims: dict[str, Any], name: str) -> list[str] | None:
    """A claim as the value matchers read it: a string as itself, a list item by item,
    other JSON values as their JSON text; None when the claim is absent."""
    if name not in claims:
        return None
    value = claims[name]
    items = value if isinstance(value, list) else [value]
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


def token_payload(token: str) -> dict[str, Any]:
    """The payload of a compact JWT, unverified ({} when it is not one)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    segment = parts[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return data if isinstance(data, dict) else {}
