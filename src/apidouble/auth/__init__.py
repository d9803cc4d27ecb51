"""Authentication simulation: signing keys, JWT minting and bearer-token verification.

Pure library layer (no HTTP): a `KeyRing` owns the keys and the JWKS, a `TokenMinter` issues tokens
(and deliberately broken ones for negative tests), a `Verifier` applies a `JwtPolicy` and answers
with `Verified` or an RFC 6750 `Refusal`.
"""

from __future__ import annotations

from apidouble.auth.keys import ALGORITHMS, Alg, KeyRing, PublishedKey, SigningKey, key_id
from apidouble.auth.tokens import TokenMinter
from apidouble.auth.verify import (
    DEFAULT_ALGORITHMS,
    MISSING_TOKEN,
    JwtPolicy,
    KeySource,
    Refusal,
    StaticJwks,
    Verified,
    Verifier,
    bearer_token,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "MISSING_TOKEN",
    "Alg",
    "JwtPolicy",
    "KeyRing",
    "KeySource",
    "PublishedKey",
    "Refusal",
    "SigningKey",
    "StaticJwks",
    "TokenMinter",
    "Verified",
    "Verifier",
    "bearer_token",
    "key_id",
]
