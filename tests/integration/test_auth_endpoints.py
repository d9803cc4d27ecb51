"""Protected endpoints served for real: the issuer mounted at /oauth2/{name}, stubs that
demand tokens, Basic or API keys, the express lane's guarded answers, the journal."""

from __future__ import annotations

import base64
import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.auth.tokens import TokenMinter
from apidouble.errors import ConfigError
from apidouble.testing import MockServer
from tests.auth.doubles import BROKEN_TOKENS

CONFIG = """
auth:
  issuers:
    default:
      audience: api
      users:
        - {username: ada, password: pw, claims: {role: admin, email: ada@example.com}}
        - {username: bob, password: pw, claims: {role: viewer}}
      clients:
        - {client_id: svc, client_secret: s3cret}
endpoints:
  - path: /open
    response: {open: true}
  - path: /static
    auth: {jwt: {issuer: default}}
    response: {secret: 42}
  - path: /admin
    auth: {jwt: {issuer: default, claims: {role: admin}}}
    response: {admin: true}
  - path: /scoped
    auth: {jwt: {issuer: default, scopes: [read:users]}}
    response: {users: []}
  - path: /other-audience
    auth: {jwt: {issuer: default, audience: billing}}
    response: {billing: true}
  - path: /me
    auth: {jwt: {issuer: default}}
    response:
      sub: "{{ auth.claims.sub }}"
      role: "{{ auth.claims.role }}"
      via: "{{ auth.scheme }}"
  - path: /basic
    auth: {basic: {users: {ada: secret}, realm: shop}}
    response: "hello {{ auth.subject }}"
  - path: /key
    auth: {api_key: {header: X-Api-Key, values: [k1]}}
    response: {key: ok}
  - path: /either
    auth: {any_of: [{basic: {users: {ada: secret}}}, {api_key: {header: X-Api-Key, values: [k1]}}]}
    response: {either: ok}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("auth")
    (folder / "api.yaml").write_text(CONFIG)
    with MockServer(folder / "api.yaml") as mock:
        yield mock


@pytest.fixture
def client(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as http:
        yield http


def _password_token(client: httpx.Client, username: str, scope: str = "") -> str:
    form = {"grant_type": "password", "username": username, "password": "pw", "client_id": "svc"}
    if scope:
        form["scope"] = scope
    answer = client.post("/oauth2/default/token", data=form, auth=("svc", "s3cret"))
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _minter(server: MockServer) -> TokenMinter:
    """Tokens signed with the served issuer's own keys, as its token endpoint signs them."""
    ring = server._runtime.auth.ring("default")
    return TokenMinter(ring, f"http://127.0.0.1:{server.port}/oauth2/default")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _challenge(answer: httpx.Response) -> str:
    return answer.headers.get("www-authenticate", "")


def test_a_token_from_the_mounted_issuer_opens_a_protected_stub(client: httpx.Client) -> None:
    token = _password_token(client, "ada")
    answer = client.get("/static", headers=_bearer(token))
    assert answer.status_code == 200
    assert answer.json() == {"secret": 42}


def test_no_credentials_get_401_with_a_bare_bearer_challenge(client: httpx.Client) -> None:
    answer = client.get("/static")
    assert answer.status_code == 401
    assert _challenge(answer) == 'Bearer realm="apidouble"'  # RFC 6750 §3.1: no error
    assert client.get("/open").status_code == 200


@pytest.mark.parametrize(
    ("kind", "reason"), [kind for kind in BROKEN_TOKENS if kind[0] != "hs_confused"]
)
def test_broken_tokens_get_401_saying_why(
    server: MockServer, client: httpx.Client, kind: str, reason: str
) -> None:
    minter = _minter(server)
    claims = {"sub": "ada", "aud": "api"}
    if kind == "expired":
        token = minter.expired(claims, ago_s=300)
    elif kind == "not_yet_valid":
        token = minter.not_yet_valid(claims, in_s=300)
    else:
        token = getattr(minter, kind)(claims)
    answer = client.get("/static", headers=_bearer(token))
    assert answer.status_code == 401
    assert 'error="invalid_token"' in _challenge(answer)
    assert reason in _challenge(answer)
    assert answer.json()["error"] == "invalid_token"


def test_a_tampered_token_is_refused(client: httpx.Client) -> None:
    header, payload, signature = _password_token(client, "bob").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    answer = client.get("/admin", headers=_bearer(f"{header}.{forged}.{signature}"))
    assert answer.status_code == 401
    assert "bad signature" in _challenge(answer)


def test_hs256_signed_with_the_public_key_is_refused(
    server: MockServer, client: httpx.Client
) -> None:
    token = _minter(server).hs_confused({"sub": "ada", "aud": "api"})
    answer = client.get("/static", headers=_bearer(token))
    assert answer.status_code == 401
    assert 'error="invalid_token"' in _challenge(answer)


def test_wrong_audience_is_401_and_missing_claim_or_scope_403(client: httpx.Client) -> None:
    bob = _password_token(client, "bob")
    wrong = client.get("/other-audience", headers=_bearer(bob))
    assert wrong.status_code == 401
    assert "wrong audience" in _challenge(wrong)
    forbidden = client.get("/admin", headers=_bearer(bob))
    assert forbidden.status_code == 403
    assert 'error="insufficient_scope"' in _challenge(forbidden)
    ada = _password_token(client, "ada")
    assert client.get("/admin", headers=_bearer(ada)).status_code == 200
    unscoped = client.get("/scoped", headers=_bearer(ada))
    assert unscoped.status_code == 403
    assert 'scope="read:users"' in _challenge(unscoped)


def test_a_scoped_token_passes_the_scope_check(server: MockServer, client: httpx.Client) -> None:
    minter = _minter(server)
    claims = {"sub": "ada", "aud": "api", "scope": "read:users"}
    token = minter.mint(claims, headers={"typ": "at+jwt"})
    assert client.get("/scoped", headers=_bearer(token)).status_code == 200
    untyped = client.get("/scoped", headers=_bearer(minter.mint(claims)))  # an ID token's typ
    assert untyped.status_code == 401
    assert "not an access token" in _challenge(untyped)


def test_templates_see_the_verified_claims(client: httpx.Client) -> None:
    answer = client.get("/me", headers=_bearer(_password_token(client, "ada")))
    assert answer.status_code == 200
    assert answer.json() == {"sub": "ada", "role": "admin", "via": "jwt"}


def test_basic_api_key_and_any_of(client: httpx.Client) -> None:
    assert client.get("/basic", auth=("ada", "secret")).text == "hello ada"
    refused = client.get("/basic", auth=("ada", "nope"))
    assert refused.status_code == 401
    assert _challenge(refused).startswith('Basic realm="shop"')
    assert client.get("/key", headers={"X-Api-Key": "k1"}).status_code == 200
    assert client.get("/key", headers={"X-Api-Key": "k2"}).status_code == 401
    assert client.get("/either", headers={"X-Api-Key": "k1"}).status_code == 200
    assert client.get("/either", auth=("ada", "secret")).status_code == 200
    neither = client.get("/either")
    assert neither.status_code == 401
    challenges = neither.headers.get_list("www-authenticate")
    assert len(challenges) == 2
    assert challenges[0].startswith("Basic") and challenges[1].startswith("ApiKey")


def test_the_express_lane_and_the_general_path_answer_alike(
    server: MockServer, client: httpx.Client
) -> None:
    """The protected static stub is an express-lane route with the guard as its gate; a
    request the gate refuses (or cannot read at a glance) goes to the engine, which
    answers the same way: 200 for a good token in any spelling, 401 for a bad one."""
    lane = server._runtime.engine.express
    route = lane.routes[b"GET"][b"/static"]
    assert route.head_gate is not None and route.gate is not None  # never served ungated
    guarded = lane.guards.get(b"GET", {}).get("/static")
    assert guarded is not None and guarded[0][1] is route
    token = _password_token(client, "ada")
    fast = client.get("/static", headers=_bearer(token))
    general = client.get("/static?via=engine", headers=_bearer(token))
    lowercase = _raw(server, f"authorization: Bearer {token}")
    assert fast.status_code == general.status_code == 200
    assert fast.content == general.content
    assert lowercase.startswith(b"HTTP/1.1 200") and lowercase.endswith(fast.content)
    # the first Authorization header counts, whichever path reads it
    first_bad = _raw(server, f"authorization: Bearer x.y.z\r\nAuthorization: Bearer {token}")
    first_good = _raw(server, f"Authorization: Bearer {token}\r\nAUTHORIZATION: Bearer x.y.z")
    assert first_bad.startswith(b"HTTP/1.1 401")
    assert first_good.startswith(b"HTTP/1.1 200")


def _raw(server: MockServer, header_lines: str) -> bytes:
    """The response to one GET /static with exactly these header lines, on a kept-alive
    connection (as the express lane requires), read up to its Content-Length."""
    head = f"GET /static HTTP/1.1\r\nHost: x\r\n{header_lines}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.encode())
        got = b""
        while b"\r\n\r\n" not in got:
            got += sock.recv(65536)
        top, _, body = got.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in top.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += sock.recv(65536)
    return top + b"\r\n\r\n" + body


def test_the_journal_records_who_was_admitted(server: MockServer, client: httpx.Client) -> None:
    token = _password_token(client, "ada")
    server.requests.clear()
    client.get("/static", headers=_bearer(token))  # the express lane
    client.get("/me", headers=_bearer(token))  # the engine (a template)
    client.get("/static")  # refused
    entries = {(e["path"], e["status"]): e for e in server.requests.all()}
    for path in ("/static", "/me"):
        auth = entries[(path, 200)]["decision"]["auth"]
        assert auth["scheme"] == "jwt"
        assert auth["subject"] == "ada"
        assert auth["claims"]["role"] == "admin"
        assert entries[(path, 200)]["response"]["decision"]["auth"] == auth
    assert "auth" not in (entries[("/static", 401)].get("decision") or {})


def test_the_issuer_owns_its_paths_only_while_served(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        textwrap.dedent(
            """
            endpoints:
              - path: /oauth2/default/jwks
                response: {mine: true}
            """
        )
    )
    with MockServer(tmp_path / "api.yaml") as mock:
        assert httpx.get(mock.url + "/oauth2/default/jwks").json() == {"mine": True}
    with MockServer(tmp_path / "api.yaml", auth=True) as mock:  # --auth: a default issuer
        keys = httpx.get(mock.url + "/oauth2/default/jwks").json()["keys"]
        assert {key["alg"] for key in keys} == {"RS256", "ES256"}


def test_a_server_wide_requirement_with_an_exception(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        textwrap.dedent(
            """
            auth:
              require: {api_key: {header: X-Api-Key, values: [k1]}}
            endpoints:
              - path: /health
                auth: false
                response: ok
              - path: /data
                response: {rows: []}
              - path: /admin
                auth: {basic: {users: {root: pw}}}
                response: admin
            """
        )
    )
    with MockServer(tmp_path / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        assert http.get("/health").status_code == 200
        assert http.get("/data").status_code == 401
        assert http.get("/data", headers={"X-Api-Key": "k1"}).status_code == 200
        assert http.get("/admin", headers={"X-Api-Key": "k1"}).status_code == 401
        assert http.get("/admin", auth=("root", "pw")).status_code == 200


def test_an_unknown_issuer_is_a_config_error_naming_file_line_and_stub(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        textwrap.dedent(
            """
            endpoints:
              - name: secret
                path: /s
                auth: {jwt: {issuer: corp}}
                response: {}
            """
        )
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(tmp_path / "api.yaml")
    problem = caught.value.problems[0]
    assert problem.file.endswith("api.yaml")
    assert problem.stub == "secret"
    assert problem.line == 3
    assert "corp" in problem.message


def test_a_bad_issuer_setting_names_its_key(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "auth:\n  issuers:\n    default:\n      token_lifetime_s: -5\nendpoints: []\n"
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(tmp_path / "api.yaml")
    problem = caught.value.problems[0]
    assert problem.pointer == "/auth/issuers/default/token_lifetime_s"
    assert problem.line == 4


def test_keys_persist_so_tokens_outlive_a_restart(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(CONFIG)
    with MockServer(tmp_path / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        token = _password_token(http, "ada")
    with MockServer(tmp_path / "api.yaml") as mock:
        answer = httpx.get(mock.url + "/static", headers=_bearer(token))
        assert answer.status_code == 200


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def test_a_users_claims_are_in_its_access_token(client: httpx.Client) -> None:
    claims = _claims_of(_password_token(client, "ada"))
    assert claims["role"] == "admin" and claims["sub"] == "ada" and claims["aud"] == "api"


def test_match_auth_claims_choose_between_stubs_and_the_chosen_one_verifies(
    tmp_path: Path,
) -> None:
    (tmp_path / "api.yaml").write_text(CONFIG.replace("endpoints:\n", PER_ROLE, 1))
    with MockServer(tmp_path / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        ada = _password_token(http, "ada")
        bob = _password_token(http, "bob")
        assert http.get("/report", headers=_bearer(ada)).json() == {"report": "full"}
        assert http.get("/report", headers=_bearer(bob)).json() == {"report": "summary"}
        header, payload, signature = bob.split(".")
        claims = _claims_of(bob) | {"role": "admin"}
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        answer = http.get("/report", headers=_bearer(f"{header}.{forged}.{signature}"))
        assert answer.status_code == 401  # the admin stub was chosen, and it verified
        assert "bad signature" in _challenge(answer)
        stubs = [c.stub for c in mock._runtime.engine.config.stubs.values()]
        admin = next(stub for stub in stubs if stub.pattern.claims)
        assert admin.to_config()["match"] == {"auth": {"claims": {"role": {"equals": "admin"}}}}


PER_ROLE = """endpoints:
  - path: /report
    match: {auth: {claims: {role: admin}}}
    auth: {jwt: {issuer: default}}
    response: {report: full}
  - path: /report
    auth: {jwt: {issuer: default}}
    response: {report: summary}
"""


def test_match_auth_without_a_jwt_requirement_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "endpoints:\n  - path: /r\n    match: {auth: {claims: {role: admin}}}\n    response: {}\n"
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(tmp_path / "api.yaml")
    problem = caught.value.problems[0]
    assert problem.pointer == "/endpoints/0/match/auth"
    assert "auth: {jwt" in problem.message


def test_a_revoked_token_is_refused_at_once_on_both_paths(client: httpx.Client) -> None:
    token = _password_token(client, "bob")
    assert client.get("/static", headers=_bearer(token)).status_code == 200  # now cached
    revoked = client.post("/oauth2/default/revoke", data={"token": token}, auth=("svc", "s3cret"))
    assert revoked.status_code == 200
    for path in ("/static", "/static?via=engine"):
        answer = client.get(path, headers=_bearer(token))
        assert answer.status_code == 401
        assert "token revoked" in _challenge(answer)


def test_a_claim_template_reading_what_it_cannot_see_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "auth:\n  issuers:\n    default:\n      claims: {jti: '{{ uuid }}'}\nendpoints: []\n"
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(tmp_path / "api.yaml")
    problem = caught.value.problems[0]
    assert problem.pointer == "/auth/issuers/default/claims"
    assert "uuid" in problem.message and "form" in problem.message
