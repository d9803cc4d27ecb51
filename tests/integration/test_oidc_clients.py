"""Real OAuth2/OIDC client libraries against the mock issuer, over sockets on 127.0.0.1.

authlib's httpx clients drive every grant a client library offers (client credentials with
both secret methods, password, refresh, authorization code with PKCE, with and without the
login page); PyJWT's ``PyJWKClient`` verifies each token against the published JWKS, as a
resource server would, and a protected endpoint admits the token and refuses it tampered.
Unit tests of the provider live in tests/auth; these catch what only a real client trips on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import jwt
import pytest

from apidouble import MockServer

with warnings.catch_warnings():
    # authlib flags plain httpx as superseded by httpx2 (its clients work the same on it) and
    # installs a global "always" filter for its own warnings on import: both stay in here.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.common.security import generate_token
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client, OAuthError
    from authlib.oauth2.rfc7636 import create_s256_code_challenge
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata, get_well_known_url
    from authlib.oidc.discovery import OpenIDProviderMetadata

CALLBACK = "http://app.test/cb"
"""The web client's registered redirect_uri; never contacted (redirects are not followed)."""
TIMEOUT = 5.0
ALGORITHMS = ["RS256", "ES256"]
ADA = {"sub": "ada", "role": "admin", "email": "ada@example.com"}

CONFIG = """\
auth:
  issuers:
    default:
      auto_login: AUTO_LOGIN
      users:
        - {username: ada, password: pw, claims: {role: admin, email: ada@example.com}}
      clients:
        - {client_id: web, redirect_uris: ["CALLBACK"]}
        - {client_id: svc, client_secret: s3cret}
endpoints:
  - path: /api/me
    auth: {jwt: {issuer: default}}
    response: {sub: "{{ auth.claims.sub }}"}
"""


@dataclass
class Issuer:
    """A running mock issuer as a client sees it: its discovery document and a JWKS client."""

    mock: MockServer
    metadata: dict[str, Any]
    jwks: jwt.PyJWKClient = field(init=False)

    def __post_init__(self) -> None:
        self.jwks = jwt.PyJWKClient(self.metadata["jwks_uri"], timeout=int(TIMEOUT))

    @property
    def url(self) -> str:
        return str(self.metadata["issuer"])

    def endpoint(self, name: str) -> str:
        return str(self.metadata[f"{name}_endpoint"])

    def verify(self, token: str, audience: str) -> dict[str, Any]:
        """The token's claims, checked as a resource server checks them: key by kid from
        the JWKS, signature, exp, aud and iss (PyJWT raises on any failure)."""
        key = self.jwks.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=ALGORITHMS, audience=audience, issuer=self.url
        )
        return claims

    def call_api(self, token: str) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"}
        return httpx.get(f"{self.mock.url}/api/me", headers=headers, timeout=TIMEOUT)

    def check_access_token(self, token: str, audience: str, sub: str) -> dict[str, Any]:
        """Verify ``token``, see the protected endpoint admit it as ``sub``, and refuse it
        with its payload changed; returns the verified claims."""
        claims = self.verify(token, audience)
        assert claims["sub"] == sub
        assert jwt.get_unverified_header(token)["typ"] == "at+jwt"  # RFC 9068 §2.1
        admitted = self.call_api(token)
        assert admitted.status_code == 200, admitted.text
        assert admitted.json() == {"sub": sub}
        refused = self.call_api(tampered(token))
        assert refused.status_code == 401
        assert "invalid_token" in refused.headers["www-authenticate"]
        assert refused.headers["www-authenticate"].startswith("Bearer ")
        return claims


def tampered(token: str) -> str:
    """``token`` claiming another subject, with its original signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def start_issuer(tmp_path: Path) -> Iterator[Callable[..., Issuer]]:
    """Start a server for ``CONFIG`` (with or without auto_login); stopped after the test."""
    started: list[MockServer] = []

    def start(auto_login: bool = True) -> Issuer:
        text = CONFIG.replace("AUTO_LOGIN", str(auto_login).lower())
        path = tmp_path / "apidouble.yaml"
        path.write_text(text.replace("CALLBACK", CALLBACK))
        mock = MockServer(path).start()
        started.append(mock)
        discovery = f"{mock.url}/oauth2/default/.well-known/openid-configuration"
        answer = httpx.get(discovery, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        return Issuer(mock, answer.json())

    yield start
    for mock in started:
        mock.stop()


@pytest.fixture
def issuer(start_issuer: Callable[..., Issuer]) -> Issuer:
    return start_issuer()


def web_client() -> OAuth2Client:
    """The public client ``web``: no secret, so authlib authenticates it as ``none``."""
    return OAuth2Client(
        client_id="web",
        redirect_uri=CALLBACK,
        scope="openid profile email offline_access",
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_documents_follow_rfc8414_and_oidc_discovery(issuer: Issuer) -> None:
    meta = issuer.metadata
    # OIDC Discovery §4.3: the issuer is exactly the URL the document was fetched under
    assert meta["issuer"] == f"{issuer.mock.url}/oauth2/default"
    OpenIDProviderMetadata(meta).validate()  # required fields, types, loopback-or-https URLs
    AuthorizationServerMetadata(meta).validate()
    for name in ("authorization", "token", "userinfo", "introspection", "revocation"):
        assert issuer.endpoint(name).startswith(issuer.url + "/")
    assert "code" in meta["response_types_supported"]
    assert "S256" in meta["code_challenge_methods_supported"]
    for grant in ("authorization_code", "client_credentials", "password", "refresh_token"):
        assert grant in meta["grant_types_supported"]
    for method in ("client_secret_basic", "client_secret_post", "none"):
        assert method in meta["token_endpoint_auth_methods_supported"]
    assert {"role", "email"} <= set(meta["claims_supported"])

    oauth = httpx.get(f"{issuer.url}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert oauth.json() == meta

    jwks = httpx.get(meta["jwks_uri"], timeout=TIMEOUT)
    assert jwks.status_code == 200
    keys = jwks.json()["keys"]
    assert keys and {key["alg"] for key in keys} <= set(ALGORITHMS)
    for key in keys:
        assert key["kid"] and key.get("use", "sig") == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public halves only


def test_rfc8414_metadata_is_at_the_well_known_uri_inserted_before_the_path(
    issuer: Issuer,
) -> None:
    answer = httpx.get(get_well_known_url(issuer.url, external=True), timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.json()["issuer"] == issuer.url


# -- client credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_with_each_secret_method(issuer: Issuer, method: str) -> None:
    sent: list[httpx.Request] = []
    answered: list[httpx.Response] = []
    hooks: dict[str, list[Any]] = {"request": [sent.append], "response": [answered.append]}
    with OAuth2Client(
        client_id="svc",
        client_secret="s3cret",
        token_endpoint_auth_method=method,
        timeout=TIMEOUT,
        event_hooks=hooks,
    ) as client:
        token = client.fetch_token(issuer.endpoint("token"), grant_type="client_credentials")
    body = parse_qs(sent[-1].content.decode())
    if method == "client_secret_basic":
        expected = "Basic " + base64.b64encode(b"svc:s3cret").decode()
        assert sent[-1].headers["authorization"] == expected
        assert "client_secret" not in body
    else:
        assert "authorization" not in sent[-1].headers
        assert body["client_id"] == ["svc"] and body["client_secret"] == ["s3cret"]
    assert answered[-1].headers["cache-control"] == "no-store"  # RFC 6749 §5.1
    assert answered[-1].headers["content-type"].startswith("application/json")
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert "refresh_token" not in token and "id_token" not in token
    claims = issuer.check_access_token(token["access_token"], audience="svc", sub="svc")
    assert claims["client_id"] == "svc"

    with (
        OAuth2Client(
            client_id="svc",
            client_secret="wrong",
            token_endpoint_auth_method=method,
            timeout=TIMEOUT,
        ) as client,
        pytest.raises(OAuthError) as refused,
    ):
        client.fetch_token(issuer.endpoint("token"), grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


async def test_async_client_credentials_and_introspection(issuer: Issuer) -> None:
    async with AsyncOAuth2Client(
        client_id="svc", client_secret="s3cret", timeout=TIMEOUT
    ) as client:
        token = await client.fetch_token(issuer.endpoint("token"), grant_type="client_credentials")
        info = await client.introspect_token(
            issuer.endpoint("introspection"), token=token["access_token"]
        )
    assert info.json()["active"] is True
    assert info.json()["client_id"] == "svc"
    issuer.check_access_token(token["access_token"], audience="svc", sub="svc")


# -- password and refresh ----------------------------------------------------------------------


def test_password_grant_then_refresh_rotates_the_refresh_token(issuer: Issuer) -> None:
    token_url = issuer.endpoint("token")
    with web_client() as client:
        first = client.fetch_token(token_url, username="ada", password="pw")
        assert first["scope"] == "openid profile email offline_access"
        claims = issuer.check_access_token(first["access_token"], audience="web", sub="ada")
        assert claims["role"] == "admin" and claims["email"] == "ada@example.com"
        id_claims = issuer.verify(first["id_token"], audience="web")
        assert id_claims["sub"] == "ada" and id_claims["azp"] == "web"
        assert id_claims["at_hash"] == at_hash(first["access_token"])
        assert "nonce" not in id_claims

        second = client.refresh_token(token_url)  # authlib sends the refresh token it holds
        assert second["access_token"] != first["access_token"]
        assert second["refresh_token"] != first["refresh_token"]
        issuer.check_access_token(second["access_token"], audience="web", sub="ada")
        assert client.get(issuer.endpoint("userinfo")).json() == ADA  # with the new token

        with pytest.raises(OAuthError) as spent:
            client.refresh_token(token_url, refresh_token=first["refresh_token"])
        assert spent.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as wrong:
            client.fetch_token(token_url, username="ada", password="not it")
        assert wrong.value.error == "invalid_grant"


# -- authorization code with PKCE --------------------------------------------------------------


def authorize(issuer: Issuer, client: OAuth2Client, verifier: str, method: str) -> tuple[str, str]:
    """Build the authorize URL with authlib, GET it (auto_login signs in) and return the
    authorization URL and the redirect's Location."""
    nonce = generate_token(24)
    if method == "S256":  # authlib derives the challenge from the verifier
        url, state = client.create_authorization_url(
            issuer.endpoint("authorization"), code_verifier=verifier, nonce=nonce
        )
    else:  # it only knows S256: the plain challenge is the verifier itself (RFC 7636 §4.2)
        url, state = client.create_authorization_url(
            issuer.endpoint("authorization"),
            nonce=nonce,
            code_challenge=verifier,
            code_challenge_method=method,
        )
    sent = query_of(url)
    expected = create_s256_code_challenge(verifier) if method == "S256" else verifier
    assert sent["code_challenge"] == expected and sent["code_challenge_method"] == method
    answer = httpx.get(url, follow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    back = query_of(location)
    assert back["state"] == state
    assert back["iss"] == issuer.url  # RFC 9207
    return url, location


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_authorization_code_with_pkce(issuer: Issuer, method: str) -> None:
    verifier = generate_token(64)
    with web_client() as client:
        url, location = authorize(issuer, client, verifier, method)
        code = query_of(location)["code"]
        token = client.fetch_token(issuer.endpoint("token"), code=code, code_verifier=verifier)
        assert token["token_type"] == "Bearer" and token["refresh_token"]
        claims = issuer.check_access_token(token["access_token"], audience="web", sub="ada")
        assert claims["scope"] == "openid profile email offline_access"
        id_claims = issuer.verify(token["id_token"], audience="web")
        assert id_claims["nonce"] == query_of(url)["nonce"]
        assert id_claims["at_hash"] == at_hash(token["access_token"])
        assert client.get(issuer.endpoint("userinfo")).json() == ADA

        with pytest.raises(OAuthError) as reused:
            client.fetch_token(issuer.endpoint("token"), code=code, code_verifier=verifier)
        assert reused.value.error == "invalid_grant"


def test_authorization_code_refuses_the_wrong_verifier(issuer: Issuer) -> None:
    verifier = generate_token(64)
    with web_client() as client:
        _, location = authorize(issuer, client, verifier, "S256")
        with pytest.raises(OAuthError) as refused:
            client.fetch_token(
                issuer.endpoint("token"),
                code=query_of(location)["code"],
                code_verifier=generate_token(64),
            )
    assert refused.value.error == "invalid_grant"


class FormReader(HTMLParser):
    """The forms of a page: action, method, fields (hidden inputs) and named submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({**found, "fields": {}, "buttons": [], "inputs": []})
        elif tag == "input" and self.forms:
            form = self.forms[-1]
            if found.get("type") == "hidden":
                form["fields"][found["name"]] = found.get("value", "")
            else:
                form["inputs"].append(found.get("name"))
        elif tag == "button" and self.forms and "name" in found:
            self.forms[-1]["buttons"].append((found["name"], found.get("value", "")))


@pytest.mark.parametrize(
    ("how", "sub", "userinfo"),
    [("user button", "ada", ADA), ("typed subject", "grace", {"sub": "grace"})],
)
def test_authorization_code_through_the_login_page(
    start_issuer: Callable[..., Issuer], how: str, sub: str, userinfo: dict[str, str]
) -> None:
    issuer = start_issuer(auto_login=False)
    verifier = generate_token(64)
    with web_client() as client:
        url, state = client.create_authorization_url(
            issuer.endpoint("authorization"), code_verifier=verifier, nonce="n-0S6_WzA2Mj"
        )
        page = httpx.get(url, timeout=TIMEOUT)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        reader = FormReader()
        reader.feed(page.text)
        if how == "user button":
            form = next(f for f in reader.forms if ("username", "ada") in f["buttons"])
            chosen = {"username": "ada"}
        else:
            form = next(f for f in reader.forms if "subject" in f["inputs"])
            chosen = {"subject": sub}
        assert form["method"].lower() == "post"
        assert form["fields"]["state"] == state and form["fields"]["client_id"] == "web"
        answer = httpx.post(
            urljoin(url, form["action"]), data={**form["fields"], **chosen}, timeout=TIMEOUT
        )
        assert answer.status_code == 302, answer.text
        back = query_of(answer.headers["location"])
        assert back["state"] == state

        token = client.fetch_token(
            issuer.endpoint("token"), code=back["code"], code_verifier=verifier
        )
        issuer.check_access_token(token["access_token"], audience="web", sub=sub)
        id_claims = issuer.verify(token["id_token"], audience="web")
        assert id_claims["sub"] == sub and id_claims["nonce"] == "n-0S6_WzA2Mj"
        assert client.get(issuer.endpoint("userinfo")).json() == userinfo


# -- introspection and revocation --------------------------------------------------------------


def test_introspection_of_live_and_revoked_tokens(issuer: Issuer) -> None:
    with web_client() as web:
        token = web.fetch_token(issuer.endpoint("token"), username="ada", password="pw")
        access, refresh = token["access_token"], token["refresh_token"]
        with OAuth2Client(client_id="svc", client_secret="s3cret", timeout=TIMEOUT) as svc:

            def introspect(value: str) -> dict[str, Any]:
                answer = svc.introspect_token(issuer.endpoint("introspection"), token=value)
                assert answer.status_code == 200
                found: dict[str, Any] = answer.json()
                return found

            live = introspect(access)
            assert live["active"] is True
            assert live["sub"] == "ada" and live["client_id"] == "web" and live["iss"] == issuer.url
            assert live["scope"] == "openid profile email offline_access"
            assert introspect(refresh)["active"] is True
            assert introspect(tampered(access)) == {"active": False}

            # RFC 7009: the public client revokes its own tokens (no secret to send)
            assert web.revoke_token(issuer.endpoint("revocation"), token=access).status_code == 200
            assert introspect(access) == {"active": False}
            userinfo = httpx.get(
                issuer.endpoint("userinfo"),
                headers={"authorization": f"Bearer {access}"},
                timeout=TIMEOUT,
            )
            assert userinfo.status_code == 401
            assert "invalid_token" in userinfo.headers["www-authenticate"]

            assert web.revoke_token(issuer.endpoint("revocation"), token=refresh).status_code == 200
            assert introspect(refresh) == {"active": False}
            with pytest.raises(OAuthError) as revoked:
                web.refresh_token(issuer.endpoint("token"), refresh_token=refresh)
            assert revoked.value.error == "invalid_grant"


def test_protected_endpoint_refuses_an_id_token(issuer: Issuer) -> None:
    with web_client() as client:
        token = client.fetch_token(issuer.endpoint("token"), username="ada", password="pw")
    assert jwt.get_unverified_header(token["id_token"])["typ"] != "at+jwt"
    answer = issuer.call_api(token["id_token"])
    assert answer.status_code == 401
    assert "invalid_token" in answer.headers["www-authenticate"]
