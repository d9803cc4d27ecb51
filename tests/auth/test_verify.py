"""Verifier: every refusal reason, RFC 6750 challenges, key sources, and the per-token cache."""

from __future__ import annotations

import base64
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey

from apidouble.auth import (
    MISSING_TOKEN,
    JwtPolicy,
    KeyRing,
    Refusal,
    StaticJwks,
    TokenMinter,
    Verified,
    Verifier,
    bearer_token,
)
from tests.auth.doubles import Clock, CountingKeys

ISSUER = "https://issuer.test"


def b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def refused(result: Verified | Refusal) -> Refusal:
    assert isinstance(result, Refusal), result
    return result


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def minter(ring: KeyRing, clock: Clock) -> TokenMinter:
    return TokenMinter(ring, ISSUER, clock=clock)


def verifier(ring: KeyRing, clock: Clock, **policy: Any) -> Verifier:
    return Verifier(ring, JwtPolicy(**{"issuer": ISSUER, **policy}), clock=clock)


GOOD = {"sub": "alice", "aud": "api", "scope": "read:users write:users", "role": ["admin", "dev"]}
STRICT = {"audience": "api", "scopes": ("read:users",), "claims": {"role": "admin"}}


def test_a_good_token_is_verified(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    token = minter.mint(GOOD, expires_in=600)
    result = verifier(ring, clock, **STRICT).check(token)
    assert isinstance(result, Verified)
    assert result.claims["sub"] == "alice"
    assert result.scopes == {"read:users", "write:users"}
    assert result.kid == ring.current("RS256").kid
    assert result.alg == "RS256"
    assert result.expires_at == int(clock.now) + 600
    with pytest.raises(TypeError):
        result.claims["sub"] = "mallory"  # type: ignore[index]


def test_es256_tokens_verify(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    result = verifier(ring, clock, **STRICT).check(minter.mint(GOOD, alg="ES256"))
    assert isinstance(result, Verified) and result.alg == "ES256"


def test_scp_list_counts_as_scopes(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    token = minter.mint({"scp": ["read:users"], "scope": "extra"})
    result = verifier(ring, clock, scopes=("read:users", "extra")).check(token)
    assert isinstance(result, Verified) and result.scopes == {"read:users", "extra"}


def forged(ring: KeyRing, header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(header)}.{b64(claims)}.c2ln"


@pytest.mark.parametrize(
    ("make", "status", "error", "description"),
    [
        (lambda m, r: m.expired(GOOD), 401, "invalid_token", "token expired"),
        (lambda m, r: m.not_yet_valid(GOOD), 401, "invalid_token", "token not yet valid"),
        (lambda m, r: m.wrongly_signed(GOOD), 401, "invalid_token", "bad signature"),
        (
            lambda m, r: TokenMinter(r, "https://evil.test").mint(GOOD),
            401,
            "invalid_token",
            "wrong issuer: expected https://issuer.test, got https://evil.test",
        ),
        (lambda m, r: m.mint({**GOOD, "aud": "other"}), 401, "invalid_token", "wrong audience"),
        (lambda m, r: m.mint({"sub": "no aud"}), 401, "invalid_token", "wrong audience"),
        (
            lambda m, r: m.mint(GOOD, headers={"kid": "nobody"}),
            401,
            "invalid_token",
            "unknown key id",
        ),
        (lambda m, r: m.unsigned(GOOD), 401, "invalid_token", "alg none refused"),
        (
            lambda m, r: forged(r, {"alg": "NONE", "kid": r.current("RS256").kid}, GOOD),
            401,
            "invalid_token",
            "alg none refused",
        ),
        (lambda m, r: m.hs_confused(GOOD), 401, "invalid_token", "algorithm HS256 not allowed"),
        (lambda m, r: "not-a-jwt", 401, "invalid_token", "malformed token"),
        (
            lambda m, r: m.mint({**GOOD, "scope": "write:users"}),
            403,
            "insufficient_scope",
            "missing scope read:users",
        ),
        (
            lambda m, r: m.mint({**GOOD, "role": "dev"}),
            403,
            "insufficient_scope",
            "claim role: expected admin",
        ),
        (
            lambda m, r: m.mint({**GOOD, "role": ["dev"]}),
            403,
            "insufficient_scope",
            "claim role: expected admin",
        ),
    ],
)
def test_every_refusal_reason(
    ring: KeyRing,
    clock: Clock,
    minter: TokenMinter,
    make: Any,
    status: int,
    error: str,
    description: str,
) -> None:
    result = refused(verifier(ring, clock, **STRICT).check(make(minter, ring)))
    assert (result.status, result.error, result.description) == (status, error, description)


@pytest.mark.parametrize(
    "token",
    [
        "a.b",
        "a.b.c.d.e",
        "!!!.e30.",
        f"{b64([1])}.{b64({})}.",
        f"{b64({'alg': 'RS256'})}.{b64('claims')}.sig",
        f"{b64({'alg': 7})}.{b64({})}.sig",
        "",
    ],
)
def test_malformed_tokens(ring: KeyRing, clock: Clock, token: str) -> None:
    assert refused(verifier(ring, clock).check(token)).description == "malformed token"


@pytest.mark.parametrize("exp", ["tomorrow", True, math.nan, math.inf])
def test_non_numeric_exp_is_malformed(
    ring: KeyRing, clock: Clock, minter: TokenMinter, exp: Any
) -> None:
    token = minter.mint({"exp": exp})
    assert refused(verifier(ring, clock).check(token)).description == "malformed token"


def test_alg_is_refused_before_any_key_lookup(ring: KeyRing, clock: Clock) -> None:
    keys = CountingKeys(ring)
    check = Verifier(keys, JwtPolicy(), clock=clock).check
    minter = TokenMinter(ring, ISSUER, clock=clock)
    for token in (minter.unsigned({}), minter.hs_confused({})):
        refused(check(token))
    assert keys.lookups == 0


def test_alg_not_matching_the_key_is_refused(
    ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    rsa_kid = ring.current("RS256").kid
    rs384 = jwt.encode(
        {"alg": "RS384", "kid": rsa_kid}, {}, ring.current("RS256").key, algorithms=["RS384"]
    )
    other_ec = ECKey.generate_key("P-256")
    es256 = jwt.encode({"alg": "ES256", "kid": rsa_kid}, {}, other_ec)
    check = verifier(ring, clock, issuer=None).check
    assert refused(check(rs384)).description == "algorithm RS384 does not match key"
    assert refused(check(es256)).description == "algorithm ES256 does not match key"


def test_leeway_applies_to_exp_and_nbf(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    check = verifier(ring, clock, leeway_s=30).check
    assert isinstance(check(minter.expired({}, ago_s=29)), Verified)
    assert refused(check(minter.expired({}, ago_s=30))).description == "token expired"
    assert isinstance(check(minter.not_yet_valid({}, in_s=30)), Verified)
    assert refused(check(minter.not_yet_valid({}, in_s=31))).description == "token not yet valid"


def test_time_checks_come_before_issuer(ring: KeyRing, clock: Clock) -> None:
    stranger = TokenMinter(ring, "https://evil.test", clock=clock)
    check = verifier(ring, clock).check
    assert refused(check(stranger.expired({}))).description == "token expired"


def test_audience_list_either_side(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    check = verifier(ring, clock, audience=["api", "admin"]).check
    assert isinstance(check(minter.mint({"aud": ["other", "admin"]})), Verified)
    assert isinstance(check(minter.mint({"aud": "api"})), Verified)
    assert refused(check(minter.mint({"aud": ["other"]}))).description == "wrong audience"


def test_policy_never_allows_none_or_hmac() -> None:
    for algorithms in ({"none"}, {"RS256", "HS256"}, {"hs512"}, {"RS257"}, set()):
        with pytest.raises(ValueError):
            JwtPolicy(algorithms=frozenset(algorithms))
    assert JwtPolicy(algorithms=frozenset({"PS256"})).algorithms == {"PS256"}


def test_www_authenticate_values() -> None:
    assert MISSING_TOKEN.status == 401
    assert MISSING_TOKEN.www_authenticate() == 'Bearer realm="apidouble"'
    expired = Refusal(401, "invalid_token", "token expired")
    assert expired.www_authenticate() == (
        'Bearer realm="apidouble", error="invalid_token", error_description="token expired"'
    )
    scope = Refusal(403, "insufficient_scope", "missing scope read:users", "read:users")
    assert scope.www_authenticate(realm="stubs") == (
        'Bearer realm="stubs", error="insufficient_scope", '
        'error_description="missing scope read:users", scope="read:users"'
    )


def test_www_authenticate_cannot_be_broken_by_token_content(ring: KeyRing, clock: Clock) -> None:
    evil = TokenMinter(ring, 'x", error="none\r\nSet-Cookie: a=b', clock=clock)
    header = refused(verifier(ring, clock).check(evil.mint({}))).www_authenticate()
    assert "\r" not in header and "\n" not in header
    assert header.count('"') == 6


def test_insufficient_scope_challenge_lists_required_scopes(
    ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    check = verifier(ring, clock, scopes=("read:users", "write:users")).check
    result = refused(check(minter.mint({"scope": "read:users"})))
    assert result.description == "missing scope write:users"
    assert 'scope="read:users write:users"' in result.www_authenticate()


def test_bearer_token() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer   abc") == "abc"
    assert bearer_token("BEARER abc") == "abc"
    for header in (None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearerabc", "Bearer a b"):
        assert bearer_token(header) is None


def test_check_authorization(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    check = verifier(ring, clock).check_authorization
    assert isinstance(check(f"Bearer {minter.mint({})}"), Verified)
    assert check(None) == MISSING_TOKEN
    assert check("Basic dXNlcjpwdw==") == MISSING_TOKEN
    bad = refused(check("Bearer "))
    assert (bad.status, bad.error) == (400, "invalid_request")
    assert refused(check("Bearer x")).description == "malformed token"


def test_cache_skips_the_key_lookup_but_still_expires_tokens(ring: KeyRing, clock: Clock) -> None:
    keys = CountingKeys(ring)
    check = Verifier(keys, JwtPolicy(issuer=ISSUER), clock=clock).check
    token = TokenMinter(ring, ISSUER, clock=clock).mint({}, expires_in=100)
    first = check(token)
    assert isinstance(first, Verified)
    assert check(token) is first
    assert keys.lookups == 1

    clock.now += 129  # inside the 30 s leeway
    assert check(token) is first
    clock.now += 1
    assert refused(check(token)).description == "token expired"
    assert keys.lookups == 1


def test_cache_still_enforces_nbf(ring: KeyRing, clock: Clock) -> None:
    check = verifier(ring, clock).check
    token = TokenMinter(ring, ISSUER, clock=clock).not_yet_valid({}, in_s=100)
    assert refused(check(token)).description == "token not yet valid"
    clock.now += 70
    assert isinstance(check(token), Verified)


def test_cached_static_refusal_is_kept_but_time_comes_first(ring: KeyRing, clock: Clock) -> None:
    keys = CountingKeys(ring)
    check = Verifier(keys, JwtPolicy(audience="api"), clock=clock).check
    token = TokenMinter(ring, ISSUER, clock=clock).mint({"aud": "web"}, expires_in=10)
    assert refused(check(token)).description == "wrong audience"
    assert refused(check(token)).description == "wrong audience"
    clock.now += 40
    assert refused(check(token)).description == "token expired"
    assert keys.lookups == 1


def test_cache_is_a_bounded_lru(ring: KeyRing, clock: Clock) -> None:
    keys = CountingKeys(ring)
    check = Verifier(keys, JwtPolicy(), clock=clock, cache_size=2).check
    minter = TokenMinter(ring, ISSUER, clock=clock)
    a, b, c = (minter.mint({"n": n}) for n in range(3))
    check(a)
    check(b)
    check(a)  # a is now the most recently used
    check(c)  # evicts b
    assert keys.lookups == 3
    check(a)
    check(c)
    assert keys.lookups == 3
    check(b)
    assert keys.lookups == 4


def test_the_token_last_found_is_still_timed_once_the_lru_dropped_it(
    ring: KeyRing, clock: Clock
) -> None:
    """The same token object, checked again and again (the express lane's way), keeps
    expiring on time even after other tokens pushed it out of the cache."""
    check = Verifier(ring, JwtPolicy(), clock=clock, cache_size=1).check
    minter = TokenMinter(ring, ISSUER, clock=clock)
    a = minter.mint({"n": 1}, expires_in=100)
    first = check(a)
    assert check(a) is first  # a cache hit: remembered
    b = minter.mint({"n": 2}, expires_in=1000)
    assert isinstance(check(b), Verified)  # pushes a out of the cache
    assert check(a) is first
    clock.now += 131
    assert refused(check(a)).description == "token expired"
    assert isinstance(check(b), Verified)


def test_rotation_invalidates_cached_results(clock: Clock) -> None:
    ring = KeyRing(algs=("ES256",), grace_s=0.0, clock=clock)
    check = verifier(ring, clock).check
    token = TokenMinter(ring, ISSUER, clock=clock).mint({}, alg="ES256")
    assert isinstance(check(token), Verified)
    ring.rotate()
    assert refused(check(token)).description == "unknown key id"


def test_static_jwks_verifies_an_external_issuers_tokens(
    tmp_path: Path, ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(ring.jwks()))
    keys = StaticJwks.from_file(path)
    check = Verifier(keys, JwtPolicy(issuer=ISSUER), clock=clock).check
    assert isinstance(check(minter.mint({})), Verified)
    assert isinstance(check(minter.mint({}, alg="ES256")), Verified)
    assert refused(check(minter.wrongly_signed({}))).description == "bad signature"


def test_static_jwks_keeps_public_keys_only(ring: KeyRing) -> None:
    private = {"keys": [ring.current("ES256").private_jwk()]}
    found = StaticJwks.from_json(private).verification_key(ring.current("ES256").kid)
    assert found is not None and not found.key.is_private


def test_static_jwks_skips_unknown_and_encryption_keys() -> None:
    sig = RSAKey.generate_key(2048).as_dict(private=False)
    enc = {**ECKey.generate_key("P-256").as_dict(private=False), "use": "enc", "kid": "e"}
    oct_key = {"kty": "oct", "k": "c2VjcmV0", "kid": "o"}
    keys = StaticJwks.from_json({"keys": [{"kty": "PQC", "kid": "q"}, enc, oct_key, sig]})
    assert keys.verification_key("e") is None
    assert keys.verification_key("o") is None
    assert keys.verification_key(None) is not None  # the single usable key, no kid needed


def test_static_jwks_eddsa(clock: Clock) -> None:
    okp = OKPKey.generate_key("Ed25519")
    jwks = {"keys": [{**okp.as_dict(private=False), "kid": "ed", "alg": "EdDSA"}]}
    with warnings.catch_warnings():  # joserfc marks "EdDSA" as superseded (RFC 9864)
        warnings.simplefilter("ignore", SecurityWarning)
        token = jwt.encode(
            {"alg": "EdDSA", "kid": "ed"}, {"iss": ISSUER}, okp, algorithms=["EdDSA"]
        )
    check = Verifier(StaticJwks.from_json(jwks), JwtPolicy(issuer=ISSUER), clock=clock).check
    assert isinstance(check(token), Verified)


@pytest.mark.parametrize(
    "content", ["{", '{"keys": "no"}', '{"keys": []}', '{"keys": [{"kty": "RSA", "n": "x"}]}']
)
def test_static_jwks_file_errors_name_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad-jwks.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="bad-jwks.json"):
        StaticJwks.from_file(path)
    with pytest.raises(ValueError, match="missing.json"):
        StaticJwks.from_file(tmp_path / "missing.json")
