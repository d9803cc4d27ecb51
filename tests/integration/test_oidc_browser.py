"""The authorization code flow with PKCE in a real browser: Debian's Chromium, driven by Playwright.

The browser opens the authorize URL of an issuer without auto_login, signs in on the login
page as a person would (a user button, a typed subject and Enter, or Cancel) and follows the
redirect to the client's callback, a stub on the same server. The test reads the code from
the final URL, exchanges it with authlib and calls a protected endpoint with the token. The
login page must work under its own Content-Security-Policy: no console error, no violation.

Playwright never downloads a browser here: without a chromium binary the tests skip
(scripts/peers/chromium.sh installs Debian's).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from apidouble import MockServer
from tests.browser import WATCH_CSP, launched_chromium

playwright_api = pytest.importorskip("playwright.sync_api")

with warnings.catch_warnings():
    # authlib flags plain httpx as superseded by httpx2 (its clients work the same on it) and
    # installs a global "always" filter for its own warnings on import: both stay in here.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.common.security import generate_token
    from authlib.integrations.httpx_client import OAuth2Client

TIMEOUT = 5.0
BROWSER_TIMEOUT_MS = 10_000

CONFIG = """\
auth:
  issuers:
    default:
      users:
        - {username: ada, claims: {role: admin, email: ada@example.com}}
        - {username: bob, claims: {name: Bob}}
      clients:
        - {client_id: web, redirect_uris: ["CALLBACK"]}
endpoints:
  - path: /api/me
    auth: {jwt: {issuer: default}}
    response: {sub: "{{ auth.claims.sub }}"}
  - path: /cb
    content_type: text/html; charset=utf-8
    response: >-
      <!doctype html><title>callback</title><link rel="icon" href="data:,">
      <p id="code">{{ request.query.get('code', '') | e }}</p>
      <p id="error">{{ request.query.get('error', '') | e }}</p>
"""


@dataclass
class Issuer:
    mock: MockServer
    callback: str

    @property
    def url(self) -> str:
        return f"{self.mock.url}/oauth2/default"


@dataclass
class Watched:
    """What a page reported: console errors (CSP violations among them), uncaught errors,
    failed requests."""

    problems: list[str]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    """An issuer whose client redirects to ``/cb`` on the same server: the port is only known
    once it runs, so the config is written again with it and reloaded (the keys stay)."""
    path = tmp_path / "apidouble.yaml"
    path.write_text(CONFIG.replace("CALLBACK", "http://127.0.0.1:1/cb"))
    with MockServer(path) as mock:
        callback = f"{mock.url}/cb"
        path.write_text(CONFIG.replace("CALLBACK", callback))
        mock.reload()
        yield Issuer(mock, callback)


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Watched]]:
    context = browser.new_context()
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    opened = context.new_page()
    watched = Watched([])
    opened.on(
        "console",
        lambda message: (
            watched.problems.append(f"console error at {message.location['url']}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    opened.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
    opened.on(
        "requestfailed", lambda request: watched.problems.append(f"request failed: {request.url}")
    )
    opened.add_init_script(WATCH_CSP)
    yield opened, watched
    context.close()


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def web_client(issuer: Issuer) -> OAuth2Client:
    return OAuth2Client(
        client_id="web",
        redirect_uri=issuer.callback,
        scope="openid profile email",
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


def open_login_page(page: Any, client: OAuth2Client, issuer: Issuer) -> tuple[str, str, str]:
    """Go to the authorize URL and land on the login page: (verifier, state, nonce)."""
    verifier, nonce = generate_token(64), generate_token(24)
    url, state = client.create_authorization_url(
        f"{issuer.url}/authorize", code_verifier=verifier, nonce=nonce
    )
    answer = page.goto(url)
    assert answer is not None and answer.status == 200
    assert page.title() == f"Sign in - {issuer.url}"
    return verifier, state, nonce


def follow_to_callback(page: Any, issuer: Issuer, state: str) -> dict[str, str]:
    """Wait for the redirect to the callback stub; its query, with state checked."""
    page.wait_for_url(re.compile("^" + re.escape(issuer.callback + "?")))
    back = query_of(page.url)
    assert back["state"] == state
    assert back["iss"] == issuer.url
    return back


def exchange_and_call(
    client: OAuth2Client, issuer: Issuer, code: str, verifier: str, nonce: str
) -> dict[str, Any]:
    """The code for tokens (PKCE), the protected endpoint called with the access token; the
    ID token's claims, verified against the JWKS."""
    token = client.fetch_token(f"{issuer.url}/token", code=code, code_verifier=verifier)
    api = httpx.get(
        f"{issuer.mock.url}/api/me",
        headers={"authorization": f"Bearer {token['access_token']}"},
        timeout=TIMEOUT,
    )
    assert api.status_code == 200, api.text
    keys = jwt.PyJWKClient(f"{issuer.url}/jwks", timeout=int(TIMEOUT))
    signing = keys.get_signing_key_from_jwt(token["id_token"])
    claims: dict[str, Any] = jwt.decode(
        token["id_token"],
        signing.key,
        algorithms=["RS256", "ES256"],
        audience="web",
        issuer=issuer.url,
    )
    assert claims["nonce"] == nonce
    assert api.json() == {"sub": claims["sub"]}
    return claims


def test_choosing_a_configured_user(issuer: Issuer, page: tuple[Any, Watched]) -> None:
    browser_page, watched = page
    with web_client(issuer) as client:
        verifier, state, nonce = open_login_page(browser_page, client, issuer)
        browser_page.get_by_role("button", name=re.compile(r"^ada\b")).click()
        back = follow_to_callback(browser_page, issuer, state)
        assert browser_page.locator("#code").inner_text() == back["code"]
        claims = exchange_and_call(client, issuer, back["code"], verifier, nonce)
    assert claims["sub"] == "ada" and claims["email"] == "ada@example.com"
    assert watched.problems == []


def test_typing_a_subject_and_pressing_enter(issuer: Issuer, page: tuple[Any, Watched]) -> None:
    browser_page, watched = page
    with web_client(issuer) as client:
        verifier, state, nonce = open_login_page(browser_page, client, issuer)
        subject = browser_page.get_by_label(re.compile("Subject"))
        assert subject.evaluate("element => element === document.activeElement")  # autofocus
        subject.fill("grace")
        subject.press("Enter")  # submits the subject's own form, not the first user button
        back = follow_to_callback(browser_page, issuer, state)
        claims = exchange_and_call(client, issuer, back["code"], verifier, nonce)
    assert claims["sub"] == "grace"
    assert watched.problems == []


def test_cancel_redirects_access_denied(issuer: Issuer, page: tuple[Any, Watched]) -> None:
    browser_page, watched = page
    with web_client(issuer) as client:
        _, state, _ = open_login_page(browser_page, client, issuer)
        browser_page.get_by_role("button", name="Cancel").click()
        back = follow_to_callback(browser_page, issuer, state)
    assert back["error"] == "access_denied" and "code" not in back
    assert browser_page.locator("#error").inner_text() == "access_denied"
    assert watched.problems == []


def test_login_page_works_under_its_csp(issuer: Issuer, page: tuple[Any, Watched]) -> None:
    browser_page, watched = page
    with web_client(issuer) as client:
        open_login_page(browser_page, client, issuer)
    answer = httpx.get(browser_page.url, timeout=TIMEOUT)
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    # the inline stylesheet applied: the CSP allows what the page carries, and only that
    styles = browser_page.evaluate(
        """() => [getComputedStyle(document.body).backgroundColor,
                  getComputedStyle(document.querySelector("button")).backgroundColor]"""
    )
    assert styles == ["rgb(244, 245, 247)", "rgb(74, 110, 224)"]
    buttons = browser_page.get_by_role("button")
    names = [re.sub(r"\s+", " ", text).strip() for text in buttons.all_inner_texts()]
    assert names == ["ada ada@example.com", "bob Bob", "Sign in", "Cancel"]
    assert browser_page.evaluate("window.__violations") == []
    assert watched.problems == []
