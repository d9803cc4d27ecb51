"""Who an express-lane exchange was admitted as, read back from its journaled headers.

The express lane serves a protected static stub only when its guard passed, and journals
the request's head as received, marked ``{"auth": "admitted"}`` (no per-request work).
When somebody reads the entry, the admission is rebuilt from that head: a bearer token's
claims (verified when it was served, so its payload is what was admitted) or a Basic
username. An API key's claims are not rebuilt: they live in the config, not the request.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from apidouble.auth.verify import claim_scopes
from apidouble.matching.claims import token_payload

__all__ = ["ADMITTED", "recorded_admission"]

ADMITTED = "admitted"
"""The ``auth`` value of an express-lane entry's decision."""


def recorded_admission(headers: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The ``Admission.as_dict`` shape for a request admitted with these headers."""
    value = next((v for n, v in headers if n.lower() == "authorization"), "")
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        claims = token_payload(credentials)
        sub = claims.get("sub")
        return {
            "scheme": "jwt",
            "subject": sub if isinstance(sub, str) else None,
            "claims": claims,
            "scopes": sorted(claim_scopes(claims)),
        }
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = None
        return {"scheme": "basic", "subject": user, "claims": {}, "scopes": []}
    return {"scheme": "api_key", "subject": None, "claims": {}, "scopes": []}
