"""The mock OAuth2/OIDC issuer's endpoints, over real sockets to a ``MockServer``.

Hostile requests to discovery, JWKS, ``token`` (every grant type, and bad ones),
``authorize``, ``userinfo``, ``introspect``, ``revoke`` and ``logout``: wrong methods and
content types, form bodies with repeated parameters, odd percent-encodings, NULs and
huge values, invalid JSON, bad Basic credentials, and forged JWTs (``alg: none``, an
unknown ``kid``, truncated, a changed signature, HS256 signed with the issuer's public
key) where the grants read tokens and where ``userinfo`` does. Property: a well-formed
HTTP/1.1 answer below 500 within ``EXCHANGE_TIMEOUT_S``; an OAuth endpoint's refusal is
RFC 6749 JSON (``{"error": ...}``, 400 or 401); a forged token never validates (no token
issued for it, no ``userinfo``, never ``active``); a refused token request keeps no new
grant; and a valid client credentials request still gets a token that ``userinfo``
admits (the canary).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import event, given
from hypothesis import strategies as st

from apidouble import MockServer

from .budget import budget
from .wire import Answer, exchange, split_responses

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

EXCHANGE_TIMEOUT_S = 5.0
"""Well past any token request's work: a hang, not a slow machine."""
HOST = "issuer.test"
ISSUER = f"http://{HOST}/oauth2/default"
CALLBACK = "http://127.0.0.1:3000/cb"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
S256_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
SVC_BASIC = "Basic " + base64.b64encode(b"svc:s3cret").decode()
CONFIG = f"""\
auth:
  issuers:
    default:
      audience: api
      scopes: [openid, profile, email, offline_access, "read:users"]
      users:
        - {{username: ada, password: pw, claims: {{email: ada@example.com, role: admin}}}}
        - {{username: bob, claims: {{role: viewer}}}}
      clients:
        - {{client_id: web, redirect_uris: ["{CALLBACK}"], public: true}}
        - client_id: svc
          client_secret: s3cret
          grants: [client_credentials, password, refresh_token,
                   "urn:ietf:params:oauth:grant-type:token-exchange",
                   "urn:ietf:params:oauth:grant-type:jwt-bearer"]
        - {{client_id: app, client_secret: app secret, redirect_uris: ["{CALLBACK}"]}}
endpoints:
  - path: /api/me
    auth: {{jwt: {{issuer: default}}}}
    response: {{sub: "{{{{ auth.claims.sub }}}}"}}
"""
OAUTH_ENDPOINTS = ("/token", "/introspect", "/revoke")
"""Where every refusal is RFC 6749 JSON with 400 or 401."""
PATHS = (
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/jwks",
    "/logout",
    *("/authorize", "/userinfo", "/introspect", "/revoke") * 2,
    *("/token",) * 5,
)
"""Weighted where the logic is: the token endpoint most."""
GRANTS = (
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
)
TOKEN_READ_BY = {
    "refresh_token": "refresh_token",
    "urn:ietf:params:oauth:grant-type:token-exchange": "subject_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer": "assertion",
    "authorization_code": "code",
}
"""The form parameter each grant takes a token from."""
TRANSPORT_REFUSALS = frozenset({413, 414, 431})
"""Sizes the server refuses before any endpoint reads the request (a 100 KB value in a
query or a header): right for any endpoint, so the OAuth shape is not asked of them."""
ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_target",  # RFC 8693
        "invalid_token",  # RFC 6750, from introspection's view of a bearer
    }
)
"""RFC 6749 §5.2 errors, and the extensions' own."""


@dataclass(frozen=True)
class Forgeries:
    """Tokens that must never validate, built from a genuine one and the public key."""

    genuine: dict[str, str]
    """``access`` (a client credentials token) and ``refresh`` (from the password grant)."""
    forged: dict[str, str]


@dataclass(frozen=True)
class Drawn:
    """One request: what it aims at, and whether it carries a forged token, and where."""

    method: str
    path: str
    data: bytes
    form: dict[str, list[str]]
    forged_in: frozenset[str]
    """Form parameters (and ``authorization``) holding a forged token."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("oidc-fuzz")
    (folder / "mock.yaml").write_text(CONFIG)
    with MockServer(folder / "mock.yaml", request_journal=False) as mock:
        yield mock


def request_bytes(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send(port: int, data: bytes) -> Answer:
    """One request, one well-formed answer, below 500, in time."""
    raw, took = exchange(port, data, EXCHANGE_TIMEOUT_S)
    if data.startswith(b"HEAD "):
        # The head alone; its Content-Length is the GET's. Refusals too (408, 413, 431, a
        # 400 for a bad header): only a 400 from before llhttp read the method (and so
        # knew it for a HEAD) is answered as any request, then closed.
        head, _, rest = raw.partition(b"\r\n\r\n")
        if not (rest and re.match(rb"HTTP/1\.1 400 .*?connection: close", raw, re.S)):
            assert rest == b"", raw[:500]
            raw = re.sub(rb"(?im)^content-length: *\d+", b"Content-Length: 0", head) + b"\r\n\r\n"
    answers = split_responses(raw)
    assert len(answers) == 1, (data[:300], raw[:500])
    assert took < EXCHANGE_TIMEOUT_S, took
    assert answers[0].status < 500, (data[:300], answers[0])
    return answers[0]


def post_form(port: int, path: str, form: dict[str, str], auth: str | None = None) -> Answer:
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    if auth is not None:
        headers.append(("Authorization", auth))
    return send(
        port, request_bytes("POST", "/oauth2/default" + path, headers, urlencode(form).encode())
    )


def body_json(answer: Answer) -> Any:
    return json.loads(answer.body)


def client_token(port: int) -> str:
    """The canary: a client credentials token, admitted by ``userinfo``."""
    answer = post_form(port, "/token", {"grant_type": "client_credentials"}, SVC_BASIC)
    assert answer.status == 200, answer
    token = str(body_json(answer)["access_token"])
    assert userinfo(port, token).status == 200
    return token


def userinfo(port: int, token: str) -> Answer:
    target = "/oauth2/default/userinfo"
    return send(port, request_bytes("GET", target, [("Authorization", f"Bearer {token}")]))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, claims, _ = token.split(".")
    pad = "=="
    return (
        json.loads(base64.urlsafe_b64decode(head + pad)),
        json.loads(base64.urlsafe_b64decode(claims + pad)),
    )


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64(mac)}"


def forge(genuine: str, jwks: dict[str, Any]) -> dict[str, str]:
    """Every kind of forgery of ``genuine``, by name."""
    header, claims = segments(genuine)
    head, body, signature = genuine.split(".")
    rsa = next(key for key in jwks["keys"] if key["kty"] == "RSA")
    public = jwt.PyJWK(rsa).key
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = {**header, "alg": "HS256", "kid": rsa["kid"]}
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    later = {**claims, "exp": int(time.time()) + 86_400, "sub": "mallory"}
    return {
        "alg-none": f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}.{body}.",
        "alg-none-upper": f"{b64(json.dumps({**header, 'alg': 'None'}).encode())}.{body}.",
        "alg-none-kept-signature": f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}"
        f".{body}.{signature}",
        "wrong-kid": f"{b64(json.dumps({**header, 'kid': 'nope'}).encode())}.{body}.{signature}",
        "truncated": genuine[: len(genuine) // 2],
        "no-signature": f"{head}.{body}.",
        "wrong-signature": f"{head}.{body}.{flipped}",
        "changed-claims": f"{head}.{b64(json.dumps(later).encode())}.{signature}",
        "hs256-public-pem": hs256(confused, claims, pem),
        "hs256-public-pem-no-kid": hs256({"alg": "HS256", "typ": header.get("typ")}, claims, pem),
        "hs256-jwk-json": hs256(confused, claims, json.dumps(rsa).encode()),
        "hs256-modulus": hs256(confused, claims, rsa["n"].encode()),
    }


def fresh_tokens(port: int) -> dict[str, str]:
    """A live access token (client credentials) and refresh token (password grant)."""
    form = {"grant_type": "password", "username": "ada", "password": "pw",
            "scope": "openid offline_access"}  # fmt: skip
    issued = post_form(port, "/token", form, SVC_BASIC)
    assert issued.status == 200, issued
    return {"access": client_token(port), "refresh": body_json(issued)["refresh_token"]}


@pytest.fixture(scope="module")
def forgeries(server: MockServer) -> Forgeries:
    genuine = fresh_tokens(server.port)
    jwks = body_json(send(server.port, request_bytes("GET", "/oauth2/default/jwks", [])))
    return Forgeries(genuine, forge(genuine["access"], jwks))


# --- the drawn requests ---------------------------------------------------------------

NAMES = (
    "grant_type", "client_id", "client_secret", "code", "redirect_uri", "code_verifier",
    "refresh_token", "username", "password", "scope", "token", "token_type_hint",
    "subject_token", "subject_token_type", "assertion", "audience", "resource",
    "response_type", "state", "nonce", "code_challenge", "code_challenge_method",
    "login_hint", "prompt", "access_token", "post_logout_redirect_uri", "id_token_hint",
    "requested_token_type", "actor_token",
)  # fmt: skip
PLAIN_VALUES = (
    "svc", "s3cret", "web", "app", "app secret", "ada", "pw", "bob", CALLBACK,
    CALLBACK + "/evil", "http://evil.test/cb", "javascript:alert(1)", "openid",
    "openid offline_access", "read:users", "api", "code", S256_CHALLENGE, VERIFIER,
    "S256", "plain", "none", "short", "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:jwt", "", " ", "\x00", "a\x00b", "é", "\U0001f600",
    "%ff", "%", "%zz", "+", "=", "&", "x" * 100_000, "{{ 7*7 }}", "' OR 1=1", "null",
)  # fmt: skip
CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded;;;",
    None,
)
BAD_BASIC = (
    "Basic",
    "Basic ",
    "Basic !!!!",
    "Basic " + base64.b64encode(b"svc").decode(),
    "Basic " + base64.b64encode(b"svc:wrong").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
    "Basic " + base64.b64encode(b"%zz:%ff").decode(),
    "Basic " + base64.b64encode(b"svc:s3cret").decode()[:-2],
    "Basic " + "A" * 20_000,
    "Bearer",
    "Bearer x.y.z",
    "basic " + base64.b64encode(b"svc:s3cret").decode(),
    "Digest username=svc",
)


ALLOWED = {
    "/.well-known/openid-configuration": ("GET",),
    "/.well-known/oauth-authorization-server": ("GET",),
    "/jwks": ("GET",),
    "/authorize": ("GET", "POST"),
    "/userinfo": ("GET", "POST"),
    "/logout": ("GET", "POST"),
    "/token": ("POST",),
    "/introspect": ("POST",),
    "/revoke": ("POST",),
}
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def templates(genuine: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """A plausible request of each kind, which the draw then bends: most parameters right,
    so the checks past the first one are reached."""
    return {
        "client_credentials": [("grant_type", "client_credentials"), ("scope", "read:users")],
        "password": [("grant_type", "password"), ("username", "ada"), ("password", "pw"),
                     ("scope", "openid offline_access")],
        "refresh_token": [("grant_type", "refresh_token"),
                          ("refresh_token", genuine["refresh"])],
        "token_exchange": [("grant_type", EXCHANGE), ("subject_token", genuine["access"]),
                           ("subject_token_type", ACCESS), ("audience", "api")],
        "jwt_bearer": [("grant_type", BEARER), ("assertion", genuine["access"])],
        "authorization_code": [("grant_type", "authorization_code"), ("code", "nope"),
                               ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER),
                               ("client_id", "web")],
        "introspect": [("token", genuine["access"]), ("token_type_hint", "access_token")],
        "revoke": [("token", genuine["refresh"]), ("token_type_hint", "refresh_token")],
        "authorize": [("response_type", "code"), ("client_id", "web"),
                      ("redirect_uri", CALLBACK), ("login_hint", "ada"),
                      ("code_challenge", S256_CHALLENGE), ("code_challenge_method", "S256"),
                      ("state", "s"), ("scope", "openid")],
        "userinfo": [("access_token", genuine["access"])],
        "logout": [("post_logout_redirect_uri", CALLBACK), ("client_id", "web"),
                   ("id_token_hint", genuine["access"]), ("state", "s")],
        "none": [],
    }  # fmt: skip


TEMPLATE_FOR = {
    "/token": ("client_credentials", "password", "refresh_token", "token_exchange",
               "jwt_bearer", "authorization_code", "none"),
    "/introspect": ("introspect", "none"),
    "/revoke": ("revoke", "none"),
    "/authorize": ("authorize",),
    "/userinfo": ("userinfo", "none"),
    "/logout": ("logout", "none"),
}  # fmt: skip


@st.composite
def hostile_value(
    draw: st.DrawFn, forged: dict[str, str], genuine: dict[str, str]
) -> tuple[str, bool]:
    """A value, and whether it is a forged token."""
    kind = draw(st.sampled_from(("plain", "plain", "forged", "forged", "genuine", "text")))
    if kind == "forged":
        return forged[draw(st.sampled_from(sorted(forged)))], True
    if kind == "genuine":
        return genuine[draw(st.sampled_from(sorted(genuine)))], False
    if kind == "text":
        return draw(st.text(max_size=40)), False
    return draw(st.sampled_from(PLAIN_VALUES)), False


@st.composite
def drawn_requests(draw: st.DrawFn, forged: dict[str, str], genuine: dict[str, str]) -> Drawn:
    path = draw(st.sampled_from(PATHS))
    others = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD")
    method = draw(
        st.sampled_from(ALLOWED[path]) if draw(st.integers(0, 4)) else st.sampled_from(others)
    )
    template = draw(st.sampled_from(TEMPLATE_FOR.get(path, ("none",))))
    pairs = list(templates(genuine)[template])
    forged_in: set[str] = set()
    for index in range(len(pairs)):  # bend some of the right values
        if draw(st.integers(0, 3)) == 0:
            name = pairs[index][0]
            if name == "grant_type" and draw(st.booleans()):
                value, fake = (
                    draw(st.sampled_from((*GRANTS, "implicit", "GRANT", "password\x00"))),
                    False,
                )
            else:
                value, fake = draw(hostile_value(forged, genuine))
            pairs[index] = (name, value)
            if fake:
                forged_in.add(name)
    if pairs and draw(st.integers(0, 9)) == 0:  # drop one
        del pairs[draw(st.integers(0, len(pairs) - 1))]
    for _ in range(max(0, draw(st.integers(-2, 2)))):  # add some, maybe one already there
        name = draw(st.sampled_from(NAMES) | st.text(max_size=10))
        value, fake = draw(hostile_value(forged, genuine))
        if any(n == name for n, _ in pairs):
            forged_in.discard(name)  # a repeat: which value counts is the server's call
        elif fake:
            forged_in.add(name)
        pairs.append((name, value))
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    forged_in = {name for name in forged_in if len(form.get(name, ())) == 1}
    encoding = draw(st.sampled_from(("form",) * 6 + ("json", "broken-json", "raw")))
    if encoding == "form":
        body = urlencode(pairs, quote_via=quote, errors="surrogatepass").encode()
    elif encoding == "json":
        body = json.dumps(dict(pairs)).encode()
    elif encoding == "broken-json":
        body = json.dumps(dict(pairs)).encode()[:-1] + b"\x00{"
    else:
        body = draw(st.binary(max_size=200))
    query = ""
    if method != "POST" or draw(st.integers(0, 5)) == 0:
        query = "?" + urlencode(pairs, quote_via=quote, errors="surrogatepass")
        body = body if method == "POST" else b""
    headers: list[tuple[str, str]] = []
    content_type = draw(st.sampled_from(CONTENT_TYPES[:1] * 10 + CONTENT_TYPES[1:]))
    if content_type is not None and body:
        headers.append(("Content-Type", content_type))
    auth = draw(st.sampled_from(("good", "good", "none", "bad", "bearer-forged", "bearer")))
    if auth == "good":
        headers.append(("Authorization", SVC_BASIC))
    elif auth == "bad":
        headers.append(("Authorization", draw(st.sampled_from(BAD_BASIC))))
    elif auth == "bearer-forged":
        headers.append(("Authorization", "Bearer " + forged[draw(st.sampled_from(sorted(forged)))]))
        forged_in.add("authorization")
    elif auth == "bearer":
        headers.append(("Authorization", "Bearer " + genuine["access"]))
    data = request_bytes(method, "/oauth2/default" + path + query, headers, body)
    form_read = encoding == "form" and not query
    return Drawn(method, path, data, form if form_read else {}, frozenset(forged_in))


def refresh_tokens_held(server: MockServer) -> int:
    return len(server._runtime.auth.provider("default").state.refresh)


TOKEN_FIELD = re.compile(rb'"(?:access|id|refresh)_token"\s*:')
"""A token answer's fields (RFC 6749 §5.1, OIDC Core §3.1.3.3), as JSON keys."""


def check_drawn(server: MockServer, request: Drawn) -> Answer:
    held = refresh_tokens_held(server)
    answer = send(server.port, request.data)
    if answer.status in TRANSPORT_REFUSALS:
        assert refresh_tokens_held(server) == held
        return answer
    post = request.method == "POST"
    if request.path in OAUTH_ENDPOINTS and post and answer.status != 200:
        assert answer.status in (400, 401), answer
        error = body_json(answer).get("error")
        assert error in ERRORS, answer
    if request.path in OAUTH_ENDPOINTS and not post and request.method not in ("OPTIONS", "HEAD"):
        assert answer.status == 405 and "error" in body_json(answer), answer
    if request.path == "/token" and answer.status != 200:
        # no token in a refusal (its description may name the access_token parameter)
        assert TOKEN_FIELD.search(answer.body) is None, answer
        assert refresh_tokens_held(server) == held, "a refused token request kept a grant"
    grant = (request.form.get("grant_type") or [""])[0]
    if request.path == "/token" and TOKEN_READ_BY.get(grant) in request.forged_in:
        assert answer.status != 200, ("a forged token was taken", request, answer)
    if request.path == "/userinfo" and "authorization" in request.forged_in:
        assert answer.status != 200, ("a forged bearer got userinfo", answer)
        if request.method in ("GET", "POST"):
            assert answer.status in (400, 401), answer
    if request.path == "/introspect" and "token" in request.forged_in and answer.status == 200:
        assert body_json(answer) == {"active": False}, answer
    return answer


def test_the_canary_answers(server: MockServer) -> None:
    client_token(server.port)


@budget(250)
@given(data=st.data())
def test_any_request_to_the_issuer(
    server: MockServer, forgeries: Forgeries, data: st.DataObject
) -> None:
    genuine = fresh_tokens(server.port)  # a drawn revocation may have spent the last ones
    request = data.draw(drawn_requests(forgeries.forged, genuine))
    answer = check_drawn(server, request)
    event(f"{request.method} {request.path} {answer.status}")
    if request.forged_in:
        event("carries a forged token")
    client_token(server.port)


# --- the attacks by name ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "alg-none", "alg-none-upper", "alg-none-kept-signature", "wrong-kid", "truncated",
        "no-signature", "wrong-signature", "changed-claims", "hs256-public-pem",
        "hs256-public-pem-no-kid", "hs256-jwk-json", "hs256-modulus",
    ],
)  # fmt: skip
def test_a_forged_token_never_validates(
    server: MockServer, forgeries: Forgeries, kind: str
) -> None:
    """Not at ``userinfo``, not at a protected stub, never active, never exchanged."""
    token = forgeries.forged[kind]
    assert userinfo(server.port, token).status == 401
    stub = send(
        server.port, request_bytes("GET", "/api/me", [("Authorization", f"Bearer {token}")])
    )
    assert stub.status == 401, stub
    introspected = post_form(server.port, "/introspect", {"token": token}, SVC_BASIC)
    assert introspected.status == 200 and body_json(introspected) == {"active": False}
    for grant, name in TOKEN_READ_BY.items():
        form = {"grant_type": grant, name: token}
        if name == "subject_token":
            form["subject_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        refused = post_form(server.port, "/token", form, SVC_BASIC)
        assert refused.status in (400, 401), (grant, refused)
        assert body_json(refused)["error"] in ERRORS, refused
    assert userinfo(server.port, forgeries.genuine["access"]).status == 200


def authorize(port: int, **params: str) -> Answer:
    query = urlencode({"response_type": "code", "client_id": "web", **params})
    return send(port, request_bytes("GET", f"/oauth2/default/authorize?{query}", []))


def code_for(port: int, challenge: str = S256_CHALLENGE, method: str = "S256") -> str:
    answer = authorize(
        port,
        redirect_uri=CALLBACK,
        login_hint="ada",
        code_challenge=challenge,
        code_challenge_method=method,
        scope="openid offline_access",
    )
    assert answer.status in (302, 303), answer
    location = urlsplit(answer.headers["location"])
    return parse_qs(location.query)["code"][0]


@pytest.mark.parametrize(
    "verifier",
    ["", "short", VERIFIER[:-1] + "A", VERIFIER + "x", "\x00" * 43, "é" * 43, "a" * 200],
)
def test_pkce_with_a_bad_verifier_issues_nothing(server: MockServer, verifier: str) -> None:
    held = refresh_tokens_held(server)
    code = code_for(server.port)
    form = {"grant_type": "authorization_code", "code": code, "client_id": "web"}
    refused = post_form(
        server.port, "/token", {**form, "redirect_uri": CALLBACK, "code_verifier": verifier}
    )
    assert refused.status == 400, refused
    assert body_json(refused)["error"] in ("invalid_grant", "invalid_request"), refused
    assert refresh_tokens_held(server) == held


def test_pkce_with_the_right_verifier_works(server: MockServer) -> None:
    """The canary of the code grant: the same steps with the right verifier get tokens."""
    code = code_for(server.port)
    form = {"grant_type": "authorization_code", "code": code, "client_id": "web"}
    issued = post_form(
        server.port, "/token", {**form, "redirect_uri": CALLBACK, "code_verifier": VERIFIER}
    )
    assert issued.status == 200, issued
    assert userinfo(server.port, body_json(issued)["access_token"]).status == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [CALLBACK + "/evil", "http://evil.test/cb", "javascript:alert(1)", CALLBACK + "#x",
     CALLBACK.upper(), "//evil.test", CALLBACK + "\x00", CALLBACK + "?a=1"],
)  # fmt: skip
def test_an_unregistered_redirect_uri_is_never_redirected_to(
    server: MockServer, redirect_uri: str
) -> None:
    answer = authorize(server.port, redirect_uri=redirect_uri, login_hint="ada",
                       code_challenge=S256_CHALLENGE, code_challenge_method="S256")  # fmt: skip
    assert answer.status == 400, answer
    assert "location" not in answer.headers, answer


def test_a_redeemed_code_is_refused_the_second_time(server: MockServer) -> None:
    code = code_for(server.port)
    form = {"grant_type": "authorization_code", "code": code, "client_id": "web",
            "redirect_uri": CALLBACK, "code_verifier": VERIFIER}  # fmt: skip
    assert post_form(server.port, "/token", form).status == 200
    again = post_form(server.port, "/token", form)
    assert again.status == 400 and body_json(again)["error"] == "invalid_grant", again


def test_a_head_refused_for_its_body_size_has_no_body(server: MockServer) -> None:
    """Found by the issuer target. RFC 9110 §9.3.2: no content in an answer to HEAD. The
    head is read and understood (it is the body that is too large), yet the 413 carried
    its JSON; a client that keeps reading takes it for the start of the next answer."""
    head = b"HEAD /oauth2/default/jwks HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999\r\n\r\n"
    raw, _ = exchange(server.port, head, EXCHANGE_TIMEOUT_S)
    assert raw.startswith(b"HTTP/1.1 413 ")
    assert raw.partition(b"\r\n\r\n")[2] == b"", raw


def test_a_registered_loopback_uri_with_a_fragment_is_refused(server: MockServer) -> None:
    """Found by the named cases above: ``http://127.0.0.1:3000/cb#x`` passed as the
    registered ``http://127.0.0.1:3000/cb`` (the loopback match of RFC 8252 §7.3 left
    the fragment out), and the code was sent into the fragment,
    ``Location: http://127.0.0.1:3000/cb#x?code=...``. RFC 6749 §3.1.2: no fragment."""
    answer = authorize(server.port, redirect_uri=CALLBACK + "#x", login_hint="ada",
                       code_challenge=S256_CHALLENGE, code_challenge_method="S256")  # fmt: skip
    assert answer.status == 400, answer
    assert "location" not in answer.headers, answer
    other_port = authorize(server.port, redirect_uri="http://127.0.0.1:4000/cb", login_hint="ada",
                           code_challenge=S256_CHALLENGE, code_challenge_method="S256")  # fmt: skip
    assert other_port.status == 302, other_port  # any loopback port still matches
