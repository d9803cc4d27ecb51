"""The provider's endpoints other than the token grants: discovery, JWKS, authorize and its login
page, userinfo, introspection, revocation, logout, routing, and the settings that drive them.

The last section runs authlib's OAuth2 client against the provider through httpx's
MockTransport: provider-only conformance, with no socket and no engine in between.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from apidouble.auth.keys import KeyRing
from apidouble.auth.provider import OAuthProvider
from apidouble.auth.settings import parse_issuer, parse_issuers
from apidouble.auth.tokens import TokenMinter
from apidouble.model import Request

from .conftest import (
    CALLBACK,
    CONFIG,
    HOST,
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

AUTHORIZE = {
    "client_id": "web",
    "redirect_uri": CALLBACK,
    "response_type": "code",
    "scope": "openid",
    "state": "xyz",
    "code_challenge": S256_CHALLENGE,
    "code_challenge_method": "S256",
}


def web_tokens(provider: OAuthProvider, scope: str = "openid profile offline_access") -> Any:
    code = authorize_code(provider, scope=scope)
    answer = token(provider, grant_type="authorization_code", code=code, client_id="web",
                   redirect_uri=CALLBACK, code_verifier=VERIFIER)  # fmt: skip
    assert answer.status == 200, answer.body
    return answer.json


def svc_token(provider: OAuthProvider) -> str:
    answer = call(provider, "POST", "/token", form={"grant_type": "client_credentials"},
                  basic=("svc", "s3cret"))  # fmt: skip
    access: str = answer.json["access_token"]
    return access


# -- discovery and JWKS ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["openid-configuration", "oauth-authorization-server"])
def test_discovery_names_every_endpoint_at_the_requested_host(
    provider: OAuthProvider, path: str
) -> None:
    doc = call(provider, "GET", f"/.well-known/{path}").json
    assert doc["issuer"] == ISSUER
    for name, suffix in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("jwks_uri", "/jwks"),
        ("userinfo_endpoint", "/userinfo"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/logout"),
    ]:
        assert doc[name] == ISSUER + suffix
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in doc["grant_types_supported"]
    assert "refresh_token" in doc["grant_types_supported"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    assert doc["scopes_supported"] == CONFIG["scopes"]
    assert {"email", "role", "sub"} <= set(doc["claims_supported"])


def test_fixed_base_url_wins_over_host(shared_ring: KeyRing, clock: Clock) -> None:
    provider = make_provider(shared_ring, clock, base_url="https://login.example/")
    doc = call(provider, "GET", "/.well-known/openid-configuration").json
    assert doc["issuer"] == "https://login.example/oauth2/default"


def test_jwks_serves_the_ring_and_follows_rotation(clock: Clock) -> None:
    ring = KeyRing()
    provider = make_provider(ring, clock)
    first = call(provider, "GET", "/jwks")
    assert first.status == 200
    keys = jwt.PyJWKSet.from_dict(first.json)
    assert {k.algorithm_name for k in keys.keys} == {"RS256", "ES256"}
    old = ring.current("RS256").kid
    ring.rotate("RS256")
    kids = {k["kid"] for k in call(provider, "GET", "/jwks").json["keys"]}
    assert {old, ring.current("RS256").kid} <= kids


def test_unknown_path_is_404_json(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/nowhere")
    assert answer.status == 404
    assert answer.json["error"] == "not_found"


def test_cors_preflight(provider: OAuthProvider) -> None:
    answer = call(provider, "OPTIONS", "/token")
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]


# -- authorize -------------------------------------------------------------------------------


def test_authorize_shows_a_self_contained_login_page(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/authorize", query=AUTHORIZE)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert f'action="{ISSUER}/authorize"' in page
    assert 'name="username" value="ada"' in page
    assert 'name="username" value="bob"' in page
    assert 'name="subject"' in page
    assert f'name="code_challenge" value="{S256_CHALLENGE}"' in page
    for external in ("<script", "<link", "src=", "@import"):
        assert external not in page


def test_login_page_escapes_what_the_client_sent(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/authorize", query={**AUTHORIZE, "state": '"><b>x'})
    assert '"><b>x' not in answer.text
    assert "&quot;&gt;&lt;b&gt;x" in answer.text


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"client_id": "nobody"}, "Unknown client"),
        ({"client_id": None}, "client_id is required"),
        ({"redirect_uri": "http://evil.test/cb"}, "not registered"),
        ({"client_id": "app", "redirect_uri": None}, "redirect_uri is required"),
    ],
)
def test_bad_client_or_redirect_uri_is_a_page_not_a_redirect(
    provider: OAuthProvider, change: dict[str, str | None], why: str
) -> None:
    query = {k: v for k, v in {**AUTHORIZE, **change}.items() if v is not None}
    answer = call(provider, "GET", "/authorize", query=query)
    assert answer.status == 400
    assert "location" not in answer.headers
    assert why in answer.text


@pytest.mark.parametrize(
    ("uri", "status"),
    [("http://anywhere.test/cb", 302), ("javascript:alert(1)", 400), ("http://x.test/#f", 400)],
)
def test_without_registered_redirect_uris_any_plain_uri_is_allowed(
    shared_ring: KeyRing, clock: Clock, uri: str, status: int
) -> None:
    provider = make_provider(shared_ring, clock, {**CONFIG, "clients": None, "auto_login": True})
    answer = call(provider, "GET", "/authorize", query={**AUTHORIZE, "redirect_uri": uri})
    assert answer.status == status


def test_single_registered_redirect_uri_is_the_default(provider: OAuthProvider) -> None:
    query = {k: v for k, v in AUTHORIZE.items() if k != "redirect_uri"}
    assert call(provider, "GET", "/authorize", query=query).status == 200


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_other_authorize_errors_redirect_with_state(
    provider: OAuthProvider, change: dict[str, str | None], error: str
) -> None:
    query = {k: v for k, v in {**AUTHORIZE, **change}.items() if v is not None}
    answer = call(provider, "GET", "/authorize", query=query)
    assert answer.status == 302, answer.body
    assert answer.headers["location"].startswith(CALLBACK + "?")
    found = answer.location
    assert (found["error"], found["state"], found["iss"]) == (error, "xyz", ISSUER)


def test_login_hint_with_a_known_user_skips_the_page(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/authorize", query={**AUTHORIZE, "login_hint": "bob"})
    assert answer.status == 302
    assert answer.location["state"] == "xyz"
    code = answer.location["code"]
    body = token(provider, grant_type="authorization_code", code=code, client_id="web",
                 redirect_uri=CALLBACK, code_verifier=VERIFIER).json  # fmt: skip
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["sub"] == "bob"


def test_login_hint_with_an_unknown_user_still_shows_the_page(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/authorize", query={**AUTHORIZE, "login_hint": "eve"})
    assert answer.status == 200


def test_auto_login_redirects_at_once(shared_ring: KeyRing, clock: Clock) -> None:
    provider = make_provider(shared_ring, clock, {**CONFIG, "auto_login": True})
    answer = call(provider, "GET", "/authorize", query={**AUTHORIZE, "prompt": "none"})
    assert answer.status == 302
    assert set(answer.location) == {"code", "state", "iss"}


def test_posting_the_login_form_redirects_with_code_and_state(provider: OAuthProvider) -> None:
    answer = call(provider, "POST", "/authorize", form={**AUTHORIZE, "subject": "robot-7"})
    assert answer.status == 302
    found = answer.location
    assert found["state"] == "xyz"
    body = token(provider, grant_type="authorization_code", code=found["code"], client_id="web",
                 redirect_uri=CALLBACK, code_verifier=VERIFIER).json  # fmt: skip
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "robot-7"
    assert claims["role"] == "service"  # no configured user: the template's fallback


def test_login_form_rechecks_the_hidden_fields(provider: OAuthProvider) -> None:
    tampered = {**AUTHORIZE, "redirect_uri": "http://evil.test/cb", "username": "ada"}
    answer = call(provider, "POST", "/authorize", form=tampered)
    assert answer.status == 400
    assert "location" not in answer.headers


def test_cancel_is_access_denied(provider: OAuthProvider) -> None:
    answer = call(provider, "POST", "/authorize", form={**AUTHORIZE, "deny": "1"})
    assert answer.location["error"] == "access_denied"


def test_empty_login_form_shows_the_page_again(provider: OAuthProvider) -> None:
    answer = call(provider, "POST", "/authorize", form=AUTHORIZE)
    assert answer.status == 400
    assert "Pick a user" in answer.text


# -- userinfo ----------------------------------------------------------------------------------


def test_userinfo_returns_the_users_claims(provider: OAuthProvider) -> None:
    access = web_tokens(provider)["access_token"]
    for method in ("GET", "POST"):
        answer = call(provider, method, "/userinfo", bearer=access)
        assert answer.status == 200, answer.body
        assert answer.json == {
            "sub": "ada",
            "email": "ada@example.com",
            "name": "Ada",
            "role": "admin",
        }


def test_userinfo_accepts_the_token_in_a_post_body(provider: OAuthProvider) -> None:
    access = web_tokens(provider)["access_token"]
    answer = call(provider, "POST", "/userinfo", form={"access_token": access})
    assert answer.json["sub"] == "ada"


def test_userinfo_without_a_token_is_a_bare_bearer_challenge(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/userinfo")
    assert answer.status == 401
    assert answer.headers["www-authenticate"].startswith("Bearer ")
    assert "error=" not in answer.headers["www-authenticate"]  # RFC 6750 3.1


def test_userinfo_refuses_bad_tokens(
    provider: OAuthProvider, shared_ring: KeyRing, clock: Clock
) -> None:
    tokens = web_tokens(provider)
    minter = TokenMinter(shared_ring, ISSUER, clock)
    for bad in [
        "garbage",
        tokens["id_token"],  # signed by us, but not an access token
        minter.wrongly_signed({"sub": "ada"}),
        minter.expired({"sub": "ada"}),
        TokenMinter(shared_ring, "https://elsewhere.test").mint(
            {"sub": "ada"}, headers={"typ": "at+jwt"}
        ),
    ]:
        answer = call(provider, "GET", "/userinfo", bearer=bad)
        assert answer.status == 401, bad
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
        assert answer.json["error"] == "invalid_token"


# -- introspection and revocation --------------------------------------------------------------


def introspect(provider: OAuthProvider, value: str, **kwargs: Any) -> Answer:
    kwargs.setdefault("basic", ("svc", "s3cret"))
    return call(provider, "POST", "/introspect", form={"token": value}, **kwargs)


def revoke(provider: OAuthProvider, value: str, client: str = "web") -> Answer:
    return call(provider, "POST", "/revoke", form={"token": value, "client_id": client})


def test_introspection_of_live_tokens(provider: OAuthProvider) -> None:
    tokens = web_tokens(provider)
    access = introspect(provider, tokens["access_token"])
    assert access.status == 200
    assert access.headers["cache-control"] == "no-store"
    info = access.json
    assert (info["active"], info["sub"], info["client_id"]) == (True, "ada", "web")
    assert info["scope"] == "openid profile offline_access"
    refresh = introspect(provider, tokens["refresh_token"]).json
    assert (refresh["active"], refresh["sub"], refresh["token_type"]) == (
        True,
        "ada",
        "refresh_token",
    )


def test_introspection_of_junk_and_id_tokens_is_inactive(provider: OAuthProvider) -> None:
    tokens = web_tokens(provider)
    for value in ("junk", tokens["id_token"]):
        assert introspect(provider, value).json == {"active": False}


def test_introspection_needs_an_authenticated_client(provider: OAuthProvider) -> None:
    access = web_tokens(provider)["access_token"]
    public = call(provider, "POST", "/introspect", form={"token": access, "client_id": "web"})
    assert (public.status, public.json["error"]) == (401, "invalid_client")
    wrong = introspect(provider, access, basic=("svc", "wrong"))
    assert wrong.status == 401
    assert wrong.headers["www-authenticate"].startswith("Basic ")
    missing = call(provider, "POST", "/introspect", form={}, basic=("svc", "s3cret"))
    assert (missing.status, missing.json["error"]) == (400, "invalid_request")


def test_revoked_access_token_is_inactive_and_refused(provider: OAuthProvider) -> None:
    access = web_tokens(provider)["access_token"]
    answer = revoke(provider, access)
    assert (answer.status, answer.body) == (200, b"")
    assert introspect(provider, access).json == {"active": False}
    assert call(provider, "GET", "/userinfo", bearer=access).status == 401


def test_revoked_refresh_token_no_longer_refreshes(provider: OAuthProvider) -> None:
    refresh = web_tokens(provider)["refresh_token"]
    assert revoke(provider, refresh).status == 200
    assert introspect(provider, refresh).json == {"active": False}
    answer = token(provider, grant_type="refresh_token", client_id="web", refresh_token=refresh)
    assert answer.json["error"] == "invalid_grant"


def test_revocation_leaves_other_clients_tokens_alone(provider: OAuthProvider) -> None:
    tokens = web_tokens(provider)
    service = svc_token(provider)
    assert revoke(provider, service, client="web").status == 200
    assert introspect(provider, service).json["active"] is True
    other = call(provider, "POST", "/revoke", form={"token": tokens["refresh_token"]},
                 basic=("app", "app secret"))  # fmt: skip
    assert other.status == 200
    assert introspect(provider, tokens["refresh_token"]).json["active"] is True


def test_revocation_of_junk_is_200_but_a_bad_client_is_not(provider: OAuthProvider) -> None:
    assert revoke(provider, "junk").status == 200
    bad = call(provider, "POST", "/revoke", form={"token": "junk"}, basic=("svc", "nope"))
    assert (bad.status, bad.json["error"]) == (401, "invalid_client")


# -- logout ----------------------------------------------------------------------------------


def test_logout_to_a_registered_uri_keeps_state(provider: OAuthProvider) -> None:
    query = {"post_logout_redirect_uri": "http://127.0.0.1:3000/bye", "state": "s9",
             "client_id": "app"}  # fmt: skip
    answer = call(provider, "GET", "/logout", query=query)
    assert answer.status == 302
    assert answer.headers["location"] == "http://127.0.0.1:3000/bye?state=s9"


def test_logout_finds_the_client_from_the_id_token_hint(provider: OAuthProvider) -> None:
    id_token = web_tokens(provider)["id_token"]
    query = {"post_logout_redirect_uri": CALLBACK, "id_token_hint": id_token}
    assert call(provider, "GET", "/logout", query=query).status == 302
    not_web = {"post_logout_redirect_uri": "http://127.0.0.1:3000/bye", "id_token_hint": id_token}
    assert call(provider, "GET", "/logout", query=not_web).status == 400


def test_logout_to_an_unregistered_uri_is_a_page(provider: OAuthProvider) -> None:
    query = {"post_logout_redirect_uri": "http://evil.test/"}
    answer = call(provider, "GET", "/logout", query=query)
    assert answer.status == 400
    assert "location" not in answer.headers
    assert "not a registered" in answer.text


def test_logout_without_a_target_is_a_page(provider: OAuthProvider) -> None:
    answer = call(provider, "GET", "/logout")
    assert answer.status == 200
    assert "Signed out" in answer.text


# -- settings --------------------------------------------------------------------------------


def test_the_documented_yaml_parses(shared_ring: KeyRing) -> None:
    issuers = parse_issuers({"default": CONFIG, "other": None})
    default = issuers["default"]
    svc = default.client("svc")
    assert svc is not None and not svc.public
    assert svc.grants == (
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    )
    assert default.client("nobody") is None
    assert issuers["other"].clients is None
    assert issuers["other"].client("anyone") is not None
    assert default.code_lifetime_s == 60


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"clients": [{"client_secret": "x"}]}, "issuer.clients[0].client_id: required"),
        ({"clients": [{"client_id": "a", "public": False}]}, "clients[0].client_secret: required"),
        ({"clients": [{"client_id": "a", "grants": ["implicit"]}]}, "clients[0].grants"),
        ({"clients": [{"client_id": "a"}, {"client_id": "a"}]}, "client_id 'a' appears twice"),
        ({"users": [{"username": "u", "pasword": "x"}]}, "issuer.users[0].pasword: unknown key"),
        ({"token_lifetime_s": -5}, "issuer.token_lifetime_s"),
        ({"auto_login": "yes"}, "issuer.auto_login: expected true or false"),
        ({"signing_alg": "HS256"}, "issuer.signing_alg"),
        ({"claims": ["role"]}, "issuer.claims"),
        ({"clients": {"client_id": "a"}}, "issuer.clients: expected a list"),
    ],
)
def test_settings_errors_name_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_issuer(config)
    assert message in str(caught.value)


def test_issuer_names_must_be_one_path_segment() -> None:
    with pytest.raises(ValueError, match=r"auth\.issuers: issuer name 'a/b'"):
        parse_issuers({"a/b": {}})


def test_es256_signing(shared_ring: KeyRing, clock: Clock) -> None:
    provider = make_provider(shared_ring, clock, {**CONFIG, "signing_alg": "ES256"})
    access = svc_token(provider)
    assert jwt.get_unverified_header(access)["alg"] == "ES256"
    assert introspect(provider, access).json["active"] is True


# -- provider-only conformance: authlib's client over httpx.MockTransport --------------------------


@pytest.fixture
def authlib_client(provider: OAuthProvider) -> Iterator[Any]:
    """authlib's OAuth2Client whose transport is the provider's `handle` (no socket)."""
    pytest.importorskip("authlib")
    with warnings.catch_warnings():
        # authlib flags plain httpx as superseded by httpx2 (the client works the same with it),
        # after installing a global "always" filter for its warnings: both stay in this block.
        from authlib.deprecate import AuthlibDeprecationWarning

        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import OAuth2Client
        from authlib.integrations.httpx_client._compat import httpx2 as httpx

    def route(sent: Any) -> Any:
        request = Request(
            sent.method,
            sent.url.path,
            sent.url.query.decode(),
            headers=tuple(sent.headers.items()),
            body=sent.read(),
        )
        subpath = sent.url.path.removeprefix("/oauth2/default")
        response = provider.handle(request, subpath)
        lines = response.head.decode("latin-1").split("\r\n")[1:]
        headers = [tuple(line.split(": ", 1)) for line in lines if line]
        return httpx.Response(response.status, headers=headers, content=response.body)

    def make(**kwargs: Any) -> Any:
        return OAuth2Client(transport=httpx.MockTransport(route), **kwargs)

    yield make


def test_authlib_authorization_code_with_pkce_and_refresh(authlib_client: Any) -> None:
    client = authlib_client(
        client_id="web",
        redirect_uri=CALLBACK,
        scope="openid profile offline_access",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = "v" * 64
    url, state = client.create_authorization_url(
        f"{ISSUER}/authorize", code_verifier=verifier, login_hint="ada"
    )
    redirect = client.request("GET", url, withhold_token=True, follow_redirects=False)
    assert redirect.status_code == 302
    fetched = client.fetch_token(
        f"{ISSUER}/token",
        authorization_response=redirect.headers["location"],
        code_verifier=verifier,
        state=state,
    )
    assert fetched["token_type"] == "Bearer"
    assert fetched["id_token"]
    refreshed = client.refresh_token(f"{ISSUER}/token")
    assert refreshed["refresh_token"] != fetched["refresh_token"]
    info = client.get(f"{ISSUER}/userinfo").json()  # authlib sends the new access token
    assert info["sub"] == "ada"


def test_authlib_client_credentials_introspect_and_revoke(authlib_client: Any) -> None:
    client = authlib_client(client_id="svc", client_secret="s3cret", scope="read:users")
    fetched = client.fetch_token(f"{ISSUER}/token", grant_type="client_credentials")
    access = fetched["access_token"]
    assert client.introspect_token(f"{ISSUER}/introspect", token=access).json()["active"] is True
    assert client.revoke_token(f"{ISSUER}/revoke", token=access).status_code == 200
    assert client.introspect_token(f"{ISSUER}/introspect", token=access).json() == {"active": False}


def test_authlib_client_secret_post(authlib_client: Any) -> None:
    client = authlib_client(
        client_id="svc", client_secret="s3cret", token_endpoint_auth_method="client_secret_post"
    )
    fetched = client.fetch_token(f"{ISSUER}/token", grant_type="client_credentials")
    claims = jwt.decode(fetched["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == "svc"
    assert HOST in claims["iss"]
