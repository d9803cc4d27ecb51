"""TokenMinter: claims and headers it adds, and the deliberately broken variants.

PyJWT and hand-rolled base64/HMAC act as independent oracles, so these tests do not only agree
with joserfc, which also does the signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from apidouble.auth import KeyRing, TokenMinter

ISSUER = "https://issuer.test"
NOW = 1_700_000_000.0


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    def decode(part: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return data

    header, payload, signature = token.split(".")
    return decode(header), decode(payload), signature


def pyjwk(ring: KeyRing, kid: str) -> jwt.PyJWK:
    published = json.loads(json.dumps(ring.jwks()))  # exactly what a client would fetch
    (entry,) = [key for key in published["keys"] if key["kid"] == kid]
    return jwt.PyJWK(entry)


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture
def minter(ring: KeyRing) -> TokenMinter:
    return TokenMinter(ring, ISSUER, clock=lambda: NOW)


def test_mint_adds_registered_claims_and_header(minter: TokenMinter, ring: KeyRing) -> None:
    header, claims, _ = segments(minter.mint({"sub": "alice"}, expires_in=600))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": ring.current("RS256").kid}
    assert claims["iss"] == ISSUER
    assert claims["sub"] == "alice"
    assert claims["iat"] == int(NOW)
    assert claims["exp"] == int(NOW) + 600
    assert "nbf" not in claims
    assert len(claims["jti"]) == 32 and int(claims["jti"], 16) >= 0


def test_mint_jti_is_unique(minter: TokenMinter) -> None:
    assert segments(minter.mint({}))[1]["jti"] != segments(minter.mint({}))[1]["jti"]


def test_mint_options(minter: TokenMinter) -> None:
    _, claims, _ = segments(
        minter.mint({"iss": "other", "jti": "fixed"}, expires_in=None, not_before=NOW + 5)
    )
    assert claims["iss"] == "other"
    assert claims["jti"] == "fixed"
    assert "exp" not in claims
    assert claims["nbf"] == int(NOW) + 5


def test_mint_headers_override_typ_and_add_parameters(minter: TokenMinter, ring: KeyRing) -> None:
    header, _, _ = segments(
        minter.mint({}, alg="ES256", headers={"typ": "at+jwt", "x-test": "yes"})
    )
    assert header == {
        "alg": "ES256",
        "typ": "at+jwt",
        "kid": ring.current("ES256").kid,
        "x-test": "yes",
    }
    with pytest.raises(ValueError):
        minter.mint({}, headers={"alg": "HS256"})


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_pyjwt_verifies_a_minted_token_from_the_published_jwks(
    minter: TokenMinter, ring: KeyRing, alg: str
) -> None:
    token = minter.mint({"sub": "alice", "aud": "api"}, alg=alg)  # type: ignore[arg-type]
    kid = jwt.get_unverified_header(token)["kid"]
    key = pyjwk(ring, kid)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=[alg],
        audience="api",
        issuer=ISSUER,
        options={"verify_exp": False},
    )
    assert claims["sub"] == "alice"


def test_wrongly_signed_carries_the_current_kid_but_fails_the_signature(
    minter: TokenMinter, ring: KeyRing
) -> None:
    token = minter.wrongly_signed({"sub": "alice"})
    header, claims, _ = segments(token)
    assert header["kid"] == ring.current("RS256").kid
    assert claims["iss"] == ISSUER
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, pyjwk(ring, header["kid"]).key, algorithms=["RS256"])


def test_unsigned_really_has_alg_none_and_no_signature(minter: TokenMinter) -> None:
    token = minter.unsigned({"sub": "alice"})
    header, claims, signature = segments(token)
    assert header["alg"] == "none"
    assert signature == ""
    assert token.endswith(".")
    assert claims["sub"] == "alice"
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "alice"


def test_hs_confused_is_an_hmac_keyed_with_the_published_public_key(
    minter: TokenMinter, ring: KeyRing
) -> None:
    token = minter.hs_confused({"sub": "mallory"})
    header, claims, signature = segments(token)
    assert header["alg"] == "HS256"
    assert header["kid"] == ring.current("RS256").kid
    # What a naive verifier would do: take the published key, render it as PEM, use it as secret.
    public_key = pyjwk(ring, header["kid"]).key
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = token.rsplit(".", 1)[0].encode()
    expected = hmac.new(pem, signing_input, hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected
    assert claims["sub"] == "mallory"


def test_expired_token_expired_ago_s_seconds_ago(minter: TokenMinter) -> None:
    _, claims, _ = segments(minter.expired({"sub": "a", "exp": NOW + 9999}, ago_s=120))
    assert claims["exp"] == int(NOW) - 120
    assert claims["iat"] < claims["exp"]


def test_not_yet_valid_starts_in_s_seconds_from_now(minter: TokenMinter) -> None:
    _, claims, _ = segments(minter.not_yet_valid({"sub": "a", "nbf": 0}, in_s=300))
    assert claims["nbf"] == int(NOW) + 300
    assert claims["exp"] > claims["nbf"]
    assert claims["iat"] == int(NOW)
