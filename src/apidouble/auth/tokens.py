"""Token minting: what a simulated issuer puts into a JWT, and the deliberately broken variants.

`TokenMinter.mint` fills in the registered claims a real issuer would (iss, iat, exp, jti) so a
test only states what it cares about. The negative helpers each break exactly one thing, so a
test of the refusal path is one line and fails for the intended reason only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jwt
from joserfc.jws import JWSRegistry

from apidouble.auth.keys import Alg, KeyRing, SigningKey, generate_private_key

__all__ = ["TokenMinter"]

_TIME_CLAIMS = ("iat", "exp", "nbf")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_b64(obj: Mapping[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


class TokenMinter:
    """Signs JWTs with a ring's current keys, as one issuer."""

    def __init__(self, ring: KeyRing, issuer: str, clock: Callable[[], float] = time.time) -> None:
        self.ring = ring
        self.issuer = issuer
        self._clock = clock

    def mint(
        self,
        claims: Mapping[str, Any],
        *,
        expires_in: float | None = 3600,
        not_before: float | None = None,
        alg: Alg = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed compact JWT.

        Adds iss, iat, exp (unless `expires_in` is None), nbf (`not_before` is an absolute epoch
        time) and jti; a claim given explicitly wins over the one added. The header carries the
        signing kid and typ "JWT"; `headers` adds to or overrides it (e.g. typ "at+jwt").
        """
        now = self._clock()
        exp = None if expires_in is None else now + expires_in
        return self._sign(self._claims(claims, now, exp, not_before), alg, headers)

    def expired(self, claims: Mapping[str, Any], ago_s: float = 60, alg: Alg = "RS256") -> str:
        """Validly signed, but its exp passed `ago_s` seconds ago."""
        now = self._clock()
        exp = now - ago_s
        return self._sign(self._claims(_untimed(claims), exp - 3600, exp, None), alg, None)

    def not_yet_valid(
        self, claims: Mapping[str, Any], in_s: float = 3600, alg: Alg = "RS256"
    ) -> str:
        """Validly signed, but its nbf is `in_s` seconds away (exp an hour after that)."""
        now = self._clock()
        nbf = now + in_s
        return self._sign(self._claims(_untimed(claims), now, nbf + 3600, nbf), alg, None)

    def wrongly_signed(self, claims: Mapping[str, Any], alg: Alg = "RS256") -> str:
        """Signed by a throwaway key but naming the current kid, so only the signature is wrong."""
        real = self.ring.current(alg)
        impostor = SigningKey(real.kid, alg, generate_private_key(alg), self._clock())
        now = self._clock()
        return self._sign_with(impostor, self._claims(claims, now, now + 3600, None), None)

    def unsigned(self, claims: Mapping[str, Any]) -> str:
        """alg "none" with an empty signature (built by hand: joserfc rightly refuses none)."""
        now = self._clock()
        header = {"alg": "none", "typ": "JWT", "kid": self.ring.current(self.ring.algs[0]).kid}
        payload = self._claims(claims, now, now + 3600, None)
        return f"{_json_b64(header)}.{_json_b64(payload)}."

    def hs_confused(self, claims: Mapping[str, Any]) -> str:
        """HS256 keyed with the RSA public key's PEM: the classic key-confusion attack.

        A verifier that lets the token pick the algorithm would accept it, since the "secret" is
        public. Built with the standard library's HMAC because JOSE libraries refuse PEM secrets.
        """
        now = self._clock()
        rsa = self.ring.current("RS256")
        header = {"alg": "HS256", "typ": "JWT", "kid": rsa.kid}
        payload = self._claims(claims, now, now + 3600, None)
        signing_input = f"{_json_b64(header)}.{_json_b64(payload)}"
        secret = rsa.key.as_pem(private=False)
        mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    def _claims(
        self, claims: Mapping[str, Any], iat: float, exp: float | None, nbf: float | None
    ) -> dict[str, Any]:
        added: dict[str, Any] = {"iss": self.issuer, "iat": int(iat)}
        if exp is not None:
            added["exp"] = int(exp)
        if nbf is not None:
            added["nbf"] = int(nbf)
        added["jti"] = uuid.uuid4().hex
        return {**added, **claims}

    def _sign(self, claims: Mapping[str, Any], alg: Alg, headers: Mapping[str, Any] | None) -> str:
        return self._sign_with(self.ring.current(alg), claims, headers)

    @staticmethod
    def _sign_with(
        key: SigningKey, claims: Mapping[str, Any], headers: Mapping[str, Any] | None
    ) -> str:
        header: dict[str, Any] = {"typ": "JWT", "kid": key.kid}
        if headers:
            if "alg" in headers:
                raise ValueError("set the algorithm with alg=, not in headers")
            header.update(headers)
        header["alg"] = key.alg
        # Non-strict header checking: tests may add private header parameters on purpose.
        registry = JWSRegistry(algorithms=[key.alg], strict_check_header=False)
        return jwt.encode(header, dict(claims), key.key, registry=registry)


def _untimed(claims: Mapping[str, Any]) -> dict[str, Any]:
    """Claims without iat/exp/nbf, so a helper's time claims cannot be overridden by accident."""
    return {name: value for name, value in claims.items() if name not in _TIME_CLAIMS}
