"""Test doubles the auth tests share: a clock they set by hand, and a key source that
counts its lookups (to see a verifier's cache at work)."""

from __future__ import annotations

from apidouble.auth.keys import KeyRing, PublishedKey


class Clock:
    """A clock that stands still until a test moves ``now``."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingKeys:
    """A KeySource in front of a ring that counts lookups, to see when the cache is used."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self.lookups = 0

    @property
    def revision(self) -> int:
        return self.ring.revision

    def verification_key(self, kid: str | None) -> PublishedKey | None:
        self.lookups += 1
        return self.ring.verification_key(kid)


BROKEN_TOKENS = [
    ("expired", "token expired"),
    ("not_yet_valid", "token not yet valid"),
    ("wrongly_signed", "bad signature"),
    ("unsigned", "alg none refused"),
    ("hs_confused", "algorithm HS256 not allowed"),
]
"""Each broken kind of token (``TokenMinter``'s helpers, ``/__admin/auth/tokens``'s kinds)
and the reason a verifier gives for refusing it."""
