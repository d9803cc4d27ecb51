"""The token endpoint through `OAuthProvider.handle`: every grant, and each RFC 6749 §5.2 error.

Issued tokens are checked with PyJWT against the provider's own JWKS response, an oracle
independent of the joserfc code that signed them.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt
import pytest

from apidouble.auth.keys import KeyRing
from apidouble.auth.provider import OAuthProvider
from apidouble.auth.tokens import TokenMinter

from .conftest import (
    CALLBACK,
    CONFIG,
    ISSUER,
    S256_CHALLENGE,
    VERIFIER,
    Answer,
    Clock,
    authorize_code,
    call,
    make_provider,
    token,
)


def decode(provider: OAuthProvider, raw: str, audience: str | None = None) -> dict[str, Any]:
    """Verify with PyJWT using the served JWKS."""
    keys = jwt.PyJWKSet.from_dict(call(provider, "GET", "/jwks").json)
    kid = jwt.get_unverified_header(raw)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        raw,
        key,
        algorithms=["RS256", "ES256"],
        audience=audience,
        issuer=ISSUER,
        options={"verify_aud": audience is not None},
    )
    return claims


def refused(answer: Answer, error: str, status: int = 400) -> None:
    assert (answer.status, answer.json["error"]) == (status, error), answer.body
    assert answer.json["error_description"]
    assert answer.headers["cache-control"] == "no-store"


def code_for_web(provider: OAuthProvider, **extra: str) -> Answer:
    code = authorize_code(provider)
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": "web",
        "code_verifier": VERIFIER,
        **extra,
    }
    return token(provider, **fields)


# -- authorization_code --------------------------------------------------------------------


def test_code_with_s256_issues_access_id_and_refresh_tokens(provider: OAuthProvider) -> None:
    answer = code_for_web(provider)
    assert answer.status == 200, answer.body
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid profile offline_access"
    assert body["refresh_token"]
    assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"
    access = decode(provider, body["access_token"], audience="api")
    assert access["sub"] == "ada"
    assert access["client_id"] == "web"
    assert access["scope"] == "openid profile offline_access"
    assert access["role"] == "admin"  # configured claim, templated from the user
    assert {"iat", "exp", "jti"} <= set(access)
    id_token = decode(provider, body["id_token"], audience="web")
    assert id_token["nonce"] == "n-1"
    assert id_token["email"] == "ada@example.com"
    assert id_token["azp"] == "web"
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    expected = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert id_token["at_hash"] == expected


def test_code_with_plain_pkce(provider: OAuthProvider) -> None:
    code = authorize_code(provider, challenge=VERIFIER, method="plain")
    answer = token(
        provider,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        client_id="web",
        code_verifier=VERIFIER,
    )
    assert answer.status == 200, answer.body


def test_plain_is_the_default_challenge_method(provider: OAuthProvider) -> None:
    code = authorize_code(provider, challenge=VERIFIER, method=None)
    ok = token(provider, grant_type="authorization_code", code=code, client_id="web",
               redirect_uri=CALLBACK, code_verifier=VERIFIER)  # fmt: skip
    assert ok.status == 200, ok.body


@pytest.mark.parametrize(
    ("challenge", "method"), [(S256_CHALLENGE, "S256"), ("x" * 43, "plain")], ids=["S256", "plain"]
)
def test_wrong_code_verifier_is_invalid_grant(
    provider: OAuthProvider, challenge: str, method: str
) -> None:
    code = authorize_code(provider, challenge=challenge, method=method)
    answer = token(
        provider,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        client_id="web",
        code_verifier="y" * 43,
    )
    refused(answer, "invalid_grant")


def test_s256_challenge_does_not_accept_the_challenge_as_plain_verifier(
    provider: OAuthProvider,
) -> None:
    code = authorize_code(provider)
    answer = token(provider, grant_type="authorization_code", code=code, client_id="web",
                   redirect_uri=CALLBACK, code_verifier=S256_CHALLENGE)  # fmt: skip
    refused(answer, "invalid_grant")


def test_missing_code_verifier_is_invalid_grant(provider: OAuthProvider) -> None:
    code = authorize_code(provider)
    answer = token(
        provider, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id="web"
    )
    refused(answer, "invalid_grant")


def test_malformed_code_verifier_is_invalid_request(provider: OAuthProvider) -> None:
    code = authorize_code(provider)
    answer = token(provider, grant_type="authorization_code", code=code, client_id="web",
                   redirect_uri=CALLBACK, code_verifier="short")  # fmt: skip
    refused(answer, "invalid_request")


def test_public_client_without_pkce_is_refused(provider: OAuthProvider) -> None:
    code = authorize_code(provider, challenge=None, method=None)
    answer = token(
        provider, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id="web"
    )
    refused(answer, "invalid_grant")
    assert "PKCE" in answer.json["error_description"]


def test_confidential_client_may_skip_pkce(provider: OAuthProvider) -> None:
    code = authorize_code(provider, client_id="app", challenge=None, method=None)
    answer = call(
        provider,
        "POST",
        "/token",
        form={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        basic=("app", "app%20secret"),  # Basic credentials are form-url-encoded (RFC 6749 2.3.1)
    )
    assert answer.status == 200, answer.body


def test_code_works_once(provider: OAuthProvider) -> None:
    code = authorize_code(provider)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
              "client_id": "web", "code_verifier": VERIFIER}  # fmt: skip
    assert token(provider, **fields).status == 200
    refused(token(provider, **fields), "invalid_grant")


def test_code_expires_after_60_seconds(provider: OAuthProvider, clock: Clock) -> None:
    code = authorize_code(provider)
    clock.advance(60)
    answer = token(provider, grant_type="authorization_code", code=code, client_id="web",
                   redirect_uri=CALLBACK, code_verifier=VERIFIER)  # fmt: skip
    refused(answer, "invalid_grant")
    assert "expired" in answer.json["error_description"]


def test_code_just_before_expiry_works(provider: OAuthProvider, clock: Clock) -> None:
    code = authorize_code(provider)
    clock.advance(59)
    answer = token(provider, grant_type="authorization_code", code=code, client_id="web",
                   redirect_uri=CALLBACK, code_verifier=VERIFIER)  # fmt: skip
    assert answer.status == 200


@pytest.mark.parametrize("redirect", ["http://127.0.0.1:3000/other", None])
def test_redirect_uri_must_repeat_the_authorize_one(
    provider: OAuthProvider, redirect: str | None
) -> None:
    code = authorize_code(provider)
    fields = {"grant_type": "authorization_code", "code": code, "client_id": "web",
              "code_verifier": VERIFIER}  # fmt: skip
    if redirect is not None:
        fields["redirect_uri"] = redirect
    refused(token(provider, **fields), "invalid_grant")


def test_code_of_another_client_is_invalid_grant(provider: OAuthProvider) -> None:
    code = authorize_code(provider, client_id="app")
    answer = call(provider, "POST", "/token", basic=("app", "wrong"),
                  form={"grant_type": "authorization_code", "code": code})  # fmt: skip
    refused(answer, "invalid_client", 401)
    code = authorize_code(provider, client_id="app")
    answer = token(provider, grant_type="authorization_code", code=code, client_id="web",
                   redirect_uri=CALLBACK, code_verifier=VERIFIER)  # fmt: skip
    refused(answer, "invalid_grant")


def test_missing_code_is_invalid_request(provider: OAuthProvider) -> None:
    refused(token(provider, grant_type="authorization_code", client_id="web"), "invalid_request")


# -- client authentication -------------------------------------------------------------------


def cc(provider: OAuthProvider, **kwargs: Any) -> Answer:
    form = {"grant_type": "client_credentials", **kwargs.pop("form", {})}
    return call(provider, "POST", "/token", form=form, **kwargs)


def test_client_credentials_with_basic(provider: OAuthProvider) -> None:
    answer = cc(provider, basic=("svc", "s3cret"))
    assert answer.status == 200, answer.body
    body = answer.json
    assert "refresh_token" not in body  # RFC 6749 4.4.3
    assert "id_token" not in body
    claims = decode(provider, body["access_token"], audience="api")
    assert (claims["sub"], claims["client_id"], claims["scope"]) == ("svc", "svc", "read:users")
    assert claims["role"] == "service"


def test_client_credentials_with_client_secret_post(provider: OAuthProvider) -> None:
    answer = cc(
        provider, form={"client_id": "svc", "client_secret": "s3cret", "scope": "read:users"}
    )
    assert answer.status == 200, answer.body


def test_audience_parameter_sets_aud(provider: OAuthProvider) -> None:
    answer = cc(provider, basic=("svc", "s3cret"), form={"audience": "billing"})
    assert decode(provider, answer.json["access_token"], audience="billing")["aud"] == "billing"


def test_wrong_secret_with_basic_is_401_with_basic_challenge(provider: OAuthProvider) -> None:
    answer = cc(provider, basic=("svc", "nope"))
    refused(answer, "invalid_client", 401)
    assert answer.headers["www-authenticate"].startswith("Basic ")


def test_wrong_secret_in_form_is_401_without_challenge(provider: OAuthProvider) -> None:
    answer = cc(provider, form={"client_id": "svc", "client_secret": "nope"})
    refused(answer, "invalid_client", 401)
    assert "www-authenticate" not in answer.headers


@pytest.mark.parametrize(
    "form",
    [{"client_id": "nobody", "client_secret": "x"}, {"client_id": "svc"}, {}],
    ids=["unknown", "confidential-without-secret", "anonymous"],
)
def test_unauthenticated_clients_are_invalid_client(
    provider: OAuthProvider, form: dict[str, str]
) -> None:
    refused(cc(provider, form=form), "invalid_client", 401)


def test_public_client_sending_a_secret_is_invalid_client(provider: OAuthProvider) -> None:
    refused(cc(provider, basic=("web", "guess")), "invalid_client", 401)


def test_two_authentication_methods_are_invalid_request(provider: OAuthProvider) -> None:
    answer = cc(provider, basic=("svc", "s3cret"), form={"client_secret": "s3cret"})
    refused(answer, "invalid_request")


def test_malformed_basic_header_is_invalid_client(provider: OAuthProvider) -> None:
    answer = cc(provider, headers=[("authorization", "Basic !!!")])
    refused(answer, "invalid_client", 401)
    assert answer.headers["www-authenticate"].startswith("Basic ")


# -- request shape, grant permissions, scope ---------------------------------------------------


def test_public_client_cannot_use_client_credentials(provider: OAuthProvider) -> None:
    refused(cc(provider, form={"client_id": "web"}), "unauthorized_client")


def test_grant_outside_the_clients_list_is_unauthorized_client(provider: OAuthProvider) -> None:
    answer = call(provider, "POST", "/token", basic=("svc", "s3cret"),
                  form={"grant_type": "password", "username": "ada", "password": "pw"})  # fmt: skip
    refused(answer, "unauthorized_client")


def test_unknown_grant_type(provider: OAuthProvider) -> None:
    refused(token(provider, grant_type="implicit", client_id="web"), "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(provider: OAuthProvider) -> None:
    refused(token(provider, client_id="web"), "invalid_request")


def test_repeated_parameter_is_invalid_request(provider: OAuthProvider) -> None:
    form = [("grant_type", "client_credentials"), ("scope", "a"), ("scope", "b")]
    refused(call(provider, "POST", "/token", form=form, basic=("svc", "s3cret")), "invalid_request")


def test_json_body_is_invalid_request(provider: OAuthProvider) -> None:
    answer = call(
        provider,
        "POST",
        "/token",
        headers=[("content-type", "application/json")],
        basic=("svc", "s3cret"),
    )
    refused(answer, "invalid_request")


def test_scope_outside_the_clients_scopes_is_invalid_scope(provider: OAuthProvider) -> None:
    answer = cc(provider, basic=("svc", "s3cret"), form={"scope": "read:users openid"})
    refused(answer, "invalid_scope")
    assert "openid" in answer.json["error_description"]


def test_token_endpoint_refuses_get(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/token")
    assert answer.status == 405
    assert answer.headers["allow"] == "POST"


# -- password ------------------------------------------------------------------------------


def test_password_grant(provider: OAuthProvider) -> None:
    answer = token(provider, grant_type="password", client_id="web", username="ada",
                   password="pw", scope="openid email")  # fmt: skip
    assert answer.status == 200, answer.body
    assert decode(provider, answer.json["id_token"], audience="web")["email"] == "ada@example.com"
    assert answer.json["refresh_token"]


@pytest.mark.parametrize(
    ("username", "password"), [("ada", "wrong"), ("eve", "pw"), ("bob", "anything")]
)
def test_password_grant_refuses_bad_credentials(
    provider: OAuthProvider, username: str, password: str
) -> None:
    answer = token(provider, grant_type="password", client_id="web", username=username,
                   password=password)  # fmt: skip
    refused(answer, "invalid_grant")


def test_password_grant_needs_both_fields(provider: OAuthProvider) -> None:
    answer = token(provider, grant_type="password", client_id="web", username="ada")
    refused(answer, "invalid_request")


def test_accept_any_password_takes_any_user(shared_ring: KeyRing, clock: Clock) -> None:
    loose = make_provider(shared_ring, clock, {**CONFIG, "accept_any_password": True})
    answer = token(loose, grant_type="password", client_id="web", username="eve", password="x")
    assert answer.status == 200, answer.body
    assert decode(loose, answer.json["access_token"])["sub"] == "eve"


# -- refresh_token ---------------------------------------------------------------------------


def test_refresh_rotates_and_the_old_token_is_spent(provider: OAuthProvider) -> None:
    first = code_for_web(provider).json["refresh_token"]
    answer = token(provider, grant_type="refresh_token", client_id="web", refresh_token=first)
    assert answer.status == 200, answer.body
    second = answer.json["refresh_token"]
    assert second != first
    assert decode(provider, answer.json["access_token"])["sub"] == "ada"
    refused(
        token(provider, grant_type="refresh_token", client_id="web", refresh_token=first),
        "invalid_grant",
    )
    again = token(provider, grant_type="refresh_token", client_id="web", refresh_token=second)
    assert again.status == 200


def test_refresh_may_narrow_scope_and_keeps_the_original_for_later(
    provider: OAuthProvider,
) -> None:
    first = code_for_web(provider).json["refresh_token"]
    narrow = token(provider, grant_type="refresh_token", client_id="web", refresh_token=first,
                   scope="profile")  # fmt: skip
    assert narrow.status == 200, narrow.body
    assert narrow.json["scope"] == "profile"
    assert "id_token" not in narrow.json
    wide = token(provider, grant_type="refresh_token", client_id="web",
                 refresh_token=narrow.json["refresh_token"])  # fmt: skip
    assert wide.json["scope"] == "openid profile offline_access"


def test_refresh_may_not_widen_scope(provider: OAuthProvider) -> None:
    first = code_for_web(provider).json["refresh_token"]
    answer = token(provider, grant_type="refresh_token", client_id="web", refresh_token=first,
                   scope="openid email")  # fmt: skip
    refused(answer, "invalid_scope")
    ok = token(provider, grant_type="refresh_token", client_id="web", refresh_token=first)
    assert ok.status == 200  # a refused narrowing does not spend the token


def test_refresh_token_of_another_client(provider: OAuthProvider) -> None:
    first = code_for_web(provider).json["refresh_token"]
    answer = call(provider, "POST", "/token", basic=("app", "app secret"),
                  form={"grant_type": "refresh_token", "refresh_token": first})  # fmt: skip
    refused(answer, "invalid_grant")


def test_refresh_token_expires(provider: OAuthProvider, clock: Clock) -> None:
    first = code_for_web(provider).json["refresh_token"]
    clock.advance(86400)
    answer = token(provider, grant_type="refresh_token", client_id="web", refresh_token=first)
    refused(answer, "invalid_grant")


# -- token exchange (RFC 8693) and jwt-bearer (RFC 7523) ------------------------------------


EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_token_exchange(provider: OAuthProvider) -> None:
    subject = code_for_web(provider).json["access_token"]
    actor = cc(provider, basic=("svc", "s3cret")).json["access_token"]
    answer = cc(
        provider,
        basic=("svc", "s3cret"),
        form={
            "grant_type": EXCHANGE,
            "subject_token": subject,
            "subject_token_type": ACCESS,
            "actor_token": actor,
            "actor_token_type": ACCESS,
            "audience": "downstream",
            "scope": "read:users",
        },
    )
    assert answer.status == 200, answer.body
    assert answer.json["issued_token_type"] == ACCESS
    claims = decode(provider, answer.json["access_token"], audience="downstream")
    assert claims["sub"] == "ada"
    assert claims["act"] == {"sub": "svc"}
    assert claims["client_id"] == "svc"


@pytest.mark.parametrize(
    "form",
    [
        {"subject_token_type": ACCESS},
        {"subject_token": "not.a.jwt", "subject_token_type": ACCESS},
        {"subject_token": "x", "subject_token_type": "urn:example:saml"},
    ],
    ids=["no-subject-token", "bad-subject-token", "unknown-type"],
)
def test_token_exchange_refusals_are_invalid_request(
    provider: OAuthProvider, form: dict[str, str]
) -> None:
    answer = cc(provider, basic=("svc", "s3cret"), form={"grant_type": EXCHANGE, **form})
    refused(answer, "invalid_request")


def test_token_exchange_refuses_a_foreign_issuers_token(
    provider: OAuthProvider, shared_ring: KeyRing
) -> None:
    foreign = TokenMinter(shared_ring, "https://elsewhere.test").mint({"sub": "ada"})
    answer = cc(provider, basic=("svc", "s3cret"),
                form={"grant_type": EXCHANGE, "subject_token": foreign,
                      "subject_token_type": ACCESS})  # fmt: skip
    refused(answer, "invalid_request")
    assert "issuer" in answer.json["error_description"]


def test_jwt_bearer_with_an_assertion_from_this_issuer(
    provider: OAuthProvider, shared_ring: KeyRing
) -> None:
    assertion = TokenMinter(shared_ring, ISSUER).mint(
        {"sub": "ada", "aud": f"{ISSUER}/token"}, expires_in=300
    )
    answer = cc(provider, basic=("svc", "s3cret"),
                form={"grant_type": JWT_BEARER, "assertion": assertion})  # fmt: skip
    assert answer.status == 200, answer.body
    assert decode(provider, answer.json["access_token"])["sub"] == "ada"


def test_jwt_bearer_with_the_clients_own_keys(shared_ring: KeyRing, clock: Clock) -> None:
    own = KeyRing(algs=("ES256",))
    clients = [{**c, "jwks": own.jwks()} if c["client_id"] == "svc" else c
               for c in CONFIG["clients"]]  # fmt: skip
    provider = make_provider(shared_ring, clock, {**CONFIG, "clients": clients})
    assertion = TokenMinter(own, "svc").mint({"sub": "robot", "aud": ISSUER}, alg="ES256")
    answer = cc(provider, basic=("svc", "s3cret"),
                form={"grant_type": JWT_BEARER, "assertion": assertion})  # fmt: skip
    assert answer.status == 200, answer.body
    assert decode(provider, answer.json["access_token"])["sub"] == "robot"
    stranger = TokenMinter(KeyRing(algs=("ES256",)), "svc").mint(
        {"sub": "robot", "aud": ISSUER}, alg="ES256"
    )
    answer = cc(provider, basic=("svc", "s3cret"),
                form={"grant_type": JWT_BEARER, "assertion": stranger})  # fmt: skip
    refused(answer, "invalid_grant")


@pytest.mark.parametrize("aud", ["https://someone-else.test", None])
def test_jwt_bearer_needs_this_issuer_as_audience(
    provider: OAuthProvider, shared_ring: KeyRing, aud: str | None
) -> None:
    claims: dict[str, Any] = {"sub": "ada"}
    if aud is not None:
        claims["aud"] = aud
    assertion = TokenMinter(shared_ring, ISSUER).mint(claims)
    answer = cc(provider, basic=("svc", "s3cret"),
                form={"grant_type": JWT_BEARER, "assertion": assertion})  # fmt: skip
    refused(answer, "invalid_grant")


def test_jwt_bearer_refuses_expired_and_missing_assertions(
    provider: OAuthProvider, shared_ring: KeyRing
) -> None:
    expired = TokenMinter(shared_ring, ISSUER).expired({"sub": "ada", "aud": ISSUER})
    answer = cc(provider, basic=("svc", "s3cret"),
                form={"grant_type": JWT_BEARER, "assertion": expired})  # fmt: skip
    refused(answer, "invalid_grant")
    refused(cc(provider, basic=("svc", "s3cret"), form={"grant_type": JWT_BEARER}),
            "invalid_request")  # fmt: skip


# -- no clients list: headless use -------------------------------------------------------------


def test_without_clients_any_client_id_is_a_public_client(
    shared_ring: KeyRing, clock: Clock
) -> None:
    open_config = {k: v for k, v in CONFIG.items() if k != "clients"}
    provider = make_provider(shared_ring, clock, open_config)
    code = authorize_code(provider, client_id="anything")
    answer = token(provider, grant_type="authorization_code", code=code, client_id="anything",
                   redirect_uri=CALLBACK, code_verifier=VERIFIER)  # fmt: skip
    assert answer.status == 200, answer.body
    assert decode(provider, answer.json["access_token"])["client_id"] == "anything"
    with_secret = cc(provider, basic=("robot", "whatever"))
    assert with_secret.status == 200, with_secret.body
