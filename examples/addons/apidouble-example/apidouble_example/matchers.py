"""Two operators for ``match:``.

``hmac_sha256`` is a value operator (a header, query parameter, cookie, or a ``jsonpath``
selection): ``headers: {X-Token: {hmac_sha256: s3cret}}`` matches a ``PAYLOAD.SIGNATURE``
token signed with that secret. ``body_sha256`` is a body operator:
``body: {body_sha256: HEX}`` matches a body whose SHA-256 is that digest.

Both compile their expectation once, when the config loads; a request only runs ``hit``
(or ``test``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from apidouble.matching.body import BodyMatcher
from apidouble.matching.values import ValueOperator, ValueOptions
from apidouble.model import BodySpec, Request
from apidouble.plugins import body_operator
from apidouble_example.signing import verify


def hmac_sha256(expected: Any, options: ValueOptions) -> ValueOperator:
    """The value is a token signed with the secret ``expected``."""
    if not isinstance(expected, str) or not expected:
        raise ValueError(f"{options.what}: expected the secret (a non-empty string)")
    secret = expected
    return ValueOperator(lambda value: verify(secret, value), "a token signed with the secret")


hmac_sha256.shown_as = "signed (HMAC-SHA256)"  # type: ignore[attr-defined]


@body_operator
def body_sha256(spec: BodySpec) -> BodyMatcher:
    """The body's SHA-256, in hex, is ``spec.expected``."""
    digest = spec.expected
    if not isinstance(digest, str) or len(digest) != 64:
        raise ValueError("body body_sha256: expected a hex SHA-256 digest (64 characters)")
    wanted = digest.lower()

    def actual(request: Request) -> str:
        return hashlib.sha256(request.body).hexdigest()

    return BodyMatcher("body sha256", wanted, lambda request: actual(request) == wanted, actual)
