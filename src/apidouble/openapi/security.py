"""Security requirements checked the way Prism checks them: presence and shape of the
credentials, never their truth.

Alternatives are ORed, the schemes of one requirement ANDed. A failed check answers 401;
the ``WWW-Authenticate`` challenges are those of every scheme that failed for want of its
credentials (a present but malformed ``Basic``/``Digest`` header adds none, as in Prism).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Credentials", "SecurityVerdict", "compile_security", "GRANTED"]

BASIC_CHALLENGE = 'Basic realm="*"'
DIGEST_CHALLENGE = 'Digest realm="*", nonce="abc123"'
_BEARER = re.compile(r"^Bearer\s.+$", re.DOTALL)
_DIGEST_PARAM = re.compile(r"""(?:'|")([a-z0-9]*)(?:'|")""")


@dataclass(frozen=True, slots=True)
class SecurityVerdict:
    """Whether the request may pass, and the challenges to send when it may not."""

    granted: bool
    challenges: tuple[str, ...] = ()


GRANTED: SecurityVerdict = SecurityVerdict(True)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the checks read from a request: the ``Authorization`` header, the header
    map (lower-case names), query values by name and the raw ``Cookie`` lines."""

    authorization: str | None
    headers: Mapping[str, list[str]]
    query: Mapping[str, list[str]]
    cookie: str


_Check = Callable[[Credentials], tuple[bool, str | None]]
"""A scheme's check: (passed, challenge to send if not)."""


def _basic(creds: Credentials) -> tuple[bool, str | None]:
    header = creds.authorization
    if not header:
        return False, BASIC_CHALLENGE
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "basic":
        return False, BASIC_CHALLENGE
    token = rest.split(" ")[0]
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False, None
    return bool(token) and decoded.count(":") == 1, None


def _digest(creds: Credentials) -> tuple[bool, str | None]:
    header = creds.authorization
    if not header:
        return False, DIGEST_CHALLENGE
    scheme, *info = header.split(" ")
    if scheme.lower() != "digest":
        return False, DIGEST_CHALLENGE
    joined = "".join(info)
    fields = ("username=", "realm=", "nonce=", "uri=", "response=")
    ok = all(f in joined for f in fields) and all(_DIGEST_PARAM.search(p) for p in info)
    return ok, None


def _bearer(challenge: str) -> _Check:
    def check(creds: Credentials) -> tuple[bool, str | None]:
        header = creds.authorization
        return bool(header and _BEARER.match(header)), challenge

    return check


def _api_key(where: str, name: str) -> _Check:
    lowered = name.lower()
    cookie = re.compile(re.escape(name) + "=.+")

    def check(creds: Credentials) -> tuple[bool, str | None]:
        if where == "header":
            return bool((creds.headers.get(lowered) or [""])[0]), None
        if where == "query":
            return bool((creds.query.get(name) or [""])[0]), None
        return bool(cookie.search(creds.cookie)), None

    return check


def _none(creds: Credentials) -> tuple[bool, str | None]:
    """An empty requirement (``- {}``): Prism grants it only without ``Authorization``."""
    return creds.authorization is None, None


def _passes(creds: Credentials) -> tuple[bool, str | None]:
    return True, None


def _check_for(scheme: Mapping[str, Any] | None) -> _Check:
    """A scheme's check; schemes Prism does not support (and unknown names) pass."""
    if not scheme:
        return _passes
    kind = scheme.get("type")
    if kind == "http":
        name = str(scheme.get("scheme", "")).lower()
        if name == "basic":
            return _basic
        if name == "digest":
            return _digest
        if name == "bearer":
            return _bearer("Bearer")
        return _passes
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
        return _api_key(str(scheme["in"]), str(scheme.get("name", "")))
    if kind == "oauth2":
        return _bearer("OAuth2")
    if kind == "openIdConnect":
        return _bearer("OpenID")
    return _passes


def compile_security(
    requirements: tuple[dict[str, tuple[str, ...]], ...] | None,
    schemes: Mapping[str, Mapping[str, Any]],
) -> Callable[[Credentials], SecurityVerdict] | None:
    """The check for an operation's ``security``, decided once; None when there is
    nothing to check (no requirement, or ``security: []``)."""
    if not requirements:
        return None
    alternatives: list[list[_Check]] = [
        [_check_for(schemes.get(name)) for name in requirement] or [_none]
        for requirement in requirements
    ]

    def verdict(creds: Credentials) -> SecurityVerdict:
        challenges: list[str] = []
        for checks in alternatives:
            passed = True
            for check in checks:
                ok, challenge = check(creds)
                if not ok:
                    passed = False
                    if challenge:
                        challenges.append(challenge)
            if passed:
                return GRANTED
        return SecurityVerdict(False, tuple(challenges))

    return verdict
