"""Shared pieces for driving `OAuthProvider.handle` with real requests and reading its answers."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
import pytest

from apidouble.auth.keys import KeyRing
from apidouble.auth.provider import OAuthProvider
from apidouble.auth.settings import parse_issuer
from apidouble.model import Request
from apidouble.outcome import Response

HOST = "mock.test:8080"
ISSUER = f"http://{HOST}/oauth2/default"
CALLBACK = "http://127.0.0.1:3000/cb"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
S256_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B

CONFIG: dict[str, Any] = {
    "audience": "api",
    "scopes": ["openid", "profile", "email", "offline_access", "read:users"],
    "claims": {"role": "{{ user.role if user else 'service' }}"},
    "clients": [
        {"client_id": "web", "redirect_uris": [CALLBACK], "public": True},
        {
            "client_id": "svc",
            "client_secret": "s3cret",
            "grants": ["client_credentials", "token_exchange", "jwt_bearer"],
            "scopes": ["read:users"],
        },
        {
            "client_id": "app",
            "client_secret": "app secret",
            "redirect_uris": [CALLBACK, "http://127.0.0.1:3000/other"],
            "post_logout_redirect_uris": ["http://127.0.0.1:3000/bye"],
        },
    ],
    "users": [
        {
            "username": "ada",
            "password": "pw",
            "claims": {"email": "ada@example.com", "name": "Ada", "role": "admin"},
        },
        {"username": "bob", "claims": {"role": "viewer"}},
    ],
}


class Clock:
    """A settable clock starting at real time, so PyJWT's own exp check agrees with it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def jinja_claims(claims: Mapping[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """What the server's templating does to claim values, done with jinja2 directly."""
    return {
        name: jinja2.Template(value).render(**context) if isinstance(value, str) else value
        for name, value in claims.items()
    }


@pytest.fixture(scope="session")
def shared_ring() -> KeyRing:
    ring = KeyRing()
    ring.current("RS256")
    ring.current("ES256")
    return ring


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_provider(
    ring: KeyRing, clock: Clock, config: Mapping[str, Any] | None = None, **kwargs: Any
) -> OAuthProvider:
    settings = parse_issuer(CONFIG if config is None else config)
    return OAuthProvider(
        "default", settings, ring, clock=clock, render_claims=jinja_claims, **kwargs
    )


@pytest.fixture
def provider(shared_ring: KeyRing, clock: Clock) -> OAuthProvider:
    return make_provider(shared_ring, clock)


class Answer:
    """A `Response` read back: status, headers by lower-case name, body."""

    def __init__(self, response: Response) -> None:
        lines = response.head.decode("latin-1").split("\r\n")
        self.status = response.status
        self.headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
        self.body = response.body

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def location(self) -> dict[str, str]:
        """The redirect's query parameters (single values)."""
        query = urlsplit(self.headers["location"]).query
        return {name: values[0] for name, values in parse_qs(query).items()}


def call(
    provider: OAuthProvider,
    method: str,
    subpath: str,
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    headers: Iterable[tuple[str, str]] = (),
    basic: tuple[str, str] | None = None,
    bearer: str | None = None,
) -> Answer:
    """One request through `handle`, as the server would route it."""
    all_headers = [("host", HOST), *headers]
    body = b""
    if form is not None:
        all_headers.append(("content-type", "application/x-www-form-urlencoded"))
        items = form.items() if isinstance(form, Mapping) else form
        body = urlencode(list(items)).encode()
    if basic is not None:
        raw = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        all_headers.append(("authorization", f"Basic {raw}"))
    if bearer is not None:
        all_headers.append(("authorization", f"Bearer {bearer}"))
    request = Request(
        method,
        f"/oauth2/default{subpath}",
        urlencode(dict(query or {})),
        headers=tuple(all_headers),
        body=body,
    )
    return Answer(provider.handle(request, subpath))


def token(provider: OAuthProvider, **form: str) -> Answer:
    return call(provider, "POST", "/token", form=form)


def authorize_code(
    provider: OAuthProvider,
    client_id: str = "web",
    challenge: str | None = S256_CHALLENGE,
    method: str | None = "S256",
    scope: str = "openid profile offline_access",
    username: str = "ada",
    **extra: str,
) -> str:
    """Sign ``username`` in through the login form and return the code from the redirect."""
    fields = {
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": scope,
        "state": "st-1",
        "nonce": "n-1",
        "username": username,
        **extra,
    }
    if challenge is not None:
        fields["code_challenge"] = challenge
    if method is not None:
        fields["code_challenge_method"] = method
    answer = call(provider, "POST", "/authorize", form=fields)
    assert answer.status == 302, answer.body
    found = answer.location
    assert found["state"] == "st-1"
    return found["code"]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
