"""The auth admin API served for real: tokens minted on demand, key rotation, users and
clients added at run time, what survives a reload and a restart, and the admin token."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.errors import ApidoubleError
from apidouble.testing import MockServer
from tests.auth.doubles import BROKEN_TOKENS

CONFIG = """
auth:
  issuers:
    default:
      audience: api
      rotation_grace_s: 600
      users:
        - {username: ada, password: pw, claims: {role: admin, email: ada@example.com}}
        - {username: bob, password: pw, claims: {role: viewer}}
      clients:
        - {client_id: svc, client_secret: s3cret}
        - {client_id: web, redirect_uris: ["http://127.0.0.1:3000/cb"]}
    partner:
      signing_alg: ES256
endpoints:
  - path: /secure
    auth: {jwt: {issuer: default, audience: api}}
    response: {secure: true}
  - path: /admins
    auth: {jwt: {issuer: default, claims: {role: admin}}}
    response: {admin: true}
  - path: /partner
    auth: {jwt: {issuer: partner}}
    response: {partner: true}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "apidouble.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def server(config: Path) -> Iterator[MockServer]:
    with MockServer(config) as mock:
        yield mock


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def minted(http: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = http.post("/__admin/auth/tokens", json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def part(token: str, index: int) -> dict[str, Any]:
    segment = token.split(".")[index]
    found: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return found


def password_grant(http: httpx.Client, username: str, password: str) -> httpx.Response:
    form = {"grant_type": "password", "username": username, "password": password}
    return http.post("/oauth2/default/token", data=form, auth=("svc", "s3cret"))


# --- GET /__admin/auth -------------------------------------------------------------------


def test_the_overview_lists_issuers_keys_users_and_clients_without_secrets(
    http: httpx.Client,
) -> None:
    answer = http.get("/__admin/auth", headers={"Host": "idp.test:4321"})
    assert answer.status_code == 200
    issuers = {issuer["name"]: issuer for issuer in answer.json()["issuers"]}
    assert sorted(issuers) == ["default", "partner"]
    default = issuers["default"]
    assert default["issuer"] == "http://idp.test:4321/oauth2/default"
    assert default["discovery"] == (
        "http://idp.test:4321/oauth2/default/.well-known/openid-configuration"
    )
    assert default["jwks_uri"] == "http://idp.test:4321/oauth2/default/jwks"
    assert {key["alg"] for key in default["keys"]} == {"RS256", "ES256"}
    assert all(key["current"] and key["retired_until"] is None for key in default["keys"])
    assert [user["username"] for user in default["users"]] == ["ada", "bob"]
    assert default["users"][0]["claims"] == {"role": "admin", "email": "ada@example.com"}
    svc = default["clients"][0]
    assert svc["client_id"] == "svc" and svc["public"] is False
    assert default["clients"][1]["redirect_uris"] == ["http://127.0.0.1:3000/cb"]
    assert "client_credentials" in svc["grants"]
    assert issuers["partner"]["any_client"] is True and issuers["partner"]["clients"] == []
    assert "s3cret" not in answer.text and '"pw"' not in answer.text
    assert all("password" not in user for user in default["users"])
    assert all("client_secret" not in client for client in default["clients"])


# --- POST /__admin/auth/tokens -----------------------------------------------------------


def test_a_minted_token_opens_the_protected_endpoint_and_userinfo(
    server: MockServer, http: httpx.Client
) -> None:
    assert http.get("/secure").status_code == 401
    token = minted(http, sub="ada", scopes=["read", "write"])
    assert token["token_type"] == "Bearer"
    assert token["kind"] == "valid"
    assert token["issuer"] == f"{server.url}/oauth2/default"
    assert token["expires_in"] == 3600
    claims = part(token["access_token"], 1)
    assert claims["aud"] == "api" and claims["scope"] == "read write"
    assert part(token["access_token"], 0)["typ"] == "at+jwt"
    assert http.get("/secure", headers=bearer(token["access_token"])).json() == {"secure": True}
    info = http.get("/oauth2/default/userinfo", headers=bearer(token["access_token"]))
    assert info.status_code == 200
    assert info.json()["sub"] == "ada" and info.json()["role"] == "admin"


def test_claims_audience_lifetime_and_algorithm_are_the_callers(http: httpx.Client) -> None:
    token = minted(
        http, sub="eve", claims={"role": "admin"}, audience="other", expires_in=90, alg="ES256"
    )
    claims = part(token["access_token"], 1)
    assert claims["exp"] - claims["iat"] == 90 and token["expires_in"] == 90
    assert claims["aud"] == "other" and claims["role"] == "admin"
    assert part(token["access_token"], 0)["alg"] == "ES256"
    assert http.get("/admins", headers=bearer(token["access_token"])).status_code == 200
    wrong = http.get("/secure", headers=bearer(token["access_token"]))
    assert wrong.status_code == 401 and "wrong audience" in wrong.headers["www-authenticate"]


def test_another_issuer_signs_with_its_own_keys(http: httpx.Client) -> None:
    token = minted(http, issuer="partner")["access_token"]
    assert part(token, 0)["alg"] == "ES256"  # the issuer's signing_alg
    assert http.get("/partner", headers=bearer(token)).status_code == 200
    assert http.get("/secure", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(("kind", "reason"), BROKEN_TOKENS)
def test_broken_kinds_are_refused_saying_why(http: httpx.Client, kind: str, reason: str) -> None:
    token = minted(http, sub="ada", kind=kind)
    assert token["kind"] == kind
    answer = http.get("/secure", headers=bearer(token["access_token"]))
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{reason}"' in challenge


def test_an_expired_token_says_it_expired_before_now(http: httpx.Client) -> None:
    token = minted(http, kind="expired")
    assert token["expires_in"] < 0
    assert part(token["access_token"], 1)["exp"] < time.time()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "forged"}, "kind"),
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": "1h"}, "expires_in"),
        ({"alg": "HS256"}, "alg"),
        ({"scope": "a", "scopes": ["b"]}, "scope"),
        ({"scopes": "a b"}, "scopes"),
        ({"claims": ["role"]}, "claims"),
        ({"sub": 7}, "sub"),
        ({"audiense": "api"}, "audiense"),
        ({"issuer": 1}, "issuer"),
    ],
)
def test_a_bad_token_request_is_a_400_naming_the_field(
    http: httpx.Client, body: dict[str, Any], field: str
) -> None:
    answer = http.post("/__admin/auth/tokens", json=body)
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert answer.json()["error"].startswith(field)


def test_not_json_and_unknown_issuers(http: httpx.Client) -> None:
    answer = http.post("/__admin/auth/tokens", content=b"{nope")
    assert answer.status_code == 400 and answer.json()["field"] == "body"
    missing = http.post("/__admin/auth/tokens", json={"issuer": "nobody"})
    assert missing.status_code == 404
    assert "default, partner" in missing.json()["error"]


def test_without_a_default_issuer_the_issuer_must_be_named(tmp_path: Path) -> None:
    (tmp_path / "two.yaml").write_text("auth: {issuers: {a: {}, b: {}}}\n")
    (tmp_path / "one.yaml").write_text("auth: {issuers: {solo: {}}}\n")
    with MockServer(tmp_path / "two.yaml") as two, httpx.Client(base_url=two.url) as http:
        ambiguous = http.post("/__admin/auth/tokens", json={})
        assert ambiguous.status_code == 400 and ambiguous.json()["field"] == "issuer"
        assert minted(http, issuer="b")["issuer"].endswith("/oauth2/b")
    with MockServer(tmp_path / "one.yaml") as one, httpx.Client(base_url=one.url) as http:
        assert minted(http)["issuer"].endswith("/oauth2/solo")


# --- POST /__admin/auth/{issuer}/rotate --------------------------------------------------


def test_rotation_keeps_old_tokens_within_grace_and_signs_with_the_new_keys(
    http: httpx.Client,
) -> None:
    old = minted(http, sub="ada")
    rotated = http.post("/__admin/auth/default/rotate")
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["issuer"] == "default"
    assert len(body["current"]) == 2 and old["kid"] not in body["current"]
    retired = {key["kid"]: key["until"] for key in body["retired"]}
    assert old["kid"] in retired
    assert time.time() + 550 < retired[old["kid"]] < time.time() + 650  # rotation_grace_s
    assert http.get("/secure", headers=bearer(old["access_token"])).status_code == 200
    new = minted(http, sub="ada")
    assert new["kid"] in body["current"]
    assert http.get("/secure", headers=bearer(new["access_token"])).status_code == 200
    jwks = {key["kid"] for key in http.get("/oauth2/default/jwks").json()["keys"]}
    assert {old["kid"], new["kid"]} <= jwks


def test_rotation_with_no_grace_drops_the_old_keys_at_once(http: httpx.Client) -> None:
    old = minted(http, sub="ada")
    assert http.get("/secure", headers=bearer(old["access_token"])).status_code == 200
    answer = http.post("/__admin/auth/default/rotate", json={"grace_s": 0})
    assert answer.status_code == 200 and answer.json()["retired"] == []
    refused = http.get("/secure", headers=bearer(old["access_token"]))
    assert refused.status_code == 401
    assert "unknown key id" in refused.headers["www-authenticate"]


def test_rotating_an_unknown_issuer_or_with_a_bad_grace(http: httpx.Client) -> None:
    assert http.post("/__admin/auth/nobody/rotate").status_code == 404
    bad = http.post("/__admin/auth/default/rotate", json={"grace_s": -1})
    assert bad.status_code == 400 and bad.json()["field"] == "grace_s"


# --- runtime users and clients -----------------------------------------------------------


def test_a_user_added_at_run_time_can_sign_in_with_the_password_grant(
    http: httpx.Client,
) -> None:
    assert password_grant(http, "cy", "pw3").status_code == 400
    user = {"username": "cy", "password": "pw3", "claims": {"role": "admin"}}
    created = http.post("/__admin/auth/default/users", json=user)
    assert created.status_code == 201
    assert created.json() == {
        "username": "cy",
        "claims": {"role": "admin"},
        "has_password": True,
        "source": "runtime",
    }
    granted = password_grant(http, "cy", "pw3")
    assert granted.status_code == 200, granted.text
    token = granted.json()["access_token"]
    assert http.get("/admins", headers=bearer(token)).status_code == 200
    info = http.get("/oauth2/default/userinfo", headers=bearer(token)).json()
    assert info == {"role": "admin", "sub": "cy"}
    again = http.post("/__admin/auth/default/users", json=user)
    assert again.status_code == 409 and again.json()["field"] == "username"
    names = [u["username"] for u in http.get("/__admin/auth/default/users").json()["users"]]
    assert names == ["ada", "bob", "cy"]


def test_a_runtime_user_replaces_the_configs_and_a_delete_hides_it_until_reset(
    http: httpx.Client,
) -> None:
    replaced = http.put("/__admin/auth/default/users/ada", json={"password": "new"})
    assert replaced.status_code == 200 and replaced.json()["source"] == "runtime"
    assert password_grant(http, "ada", "pw").status_code == 400
    assert password_grant(http, "ada", "new").status_code == 200
    listed = http.get("/__admin/auth/default/users").json()["users"]
    assert [u["username"] for u in listed] == ["ada", "bob"]  # replaced in place
    assert http.delete("/__admin/auth/default/users/bob").json() == {
        "issuer": "default",
        "deleted": "bob",
    }
    assert http.get("/__admin/auth/default/users/bob").status_code == 404
    assert password_grant(http, "bob", "pw").status_code == 400
    assert http.delete("/__admin/auth/default/users/bob").status_code == 404
    assert http.post("/__admin/auth/default/reset").json() == {"issuer": "default", "reset": True}
    assert password_grant(http, "bob", "pw").status_code == 200
    assert password_grant(http, "ada", "pw").status_code == 200
    assert http.get("/__admin/auth/default/users/ada").json()["source"] == "config"


def test_put_on_the_collection_makes_the_users_exactly_those_and_delete_restores(
    http: httpx.Client,
) -> None:
    answer = http.put("/__admin/auth/default/users", json=[{"username": "dee", "password": "x"}])
    assert answer.status_code == 200
    assert [u["username"] for u in answer.json()["users"]] == ["dee"]
    assert password_grant(http, "ada", "pw").status_code == 400
    assert password_grant(http, "dee", "x").status_code == 200
    restored = http.delete("/__admin/auth/default/users")
    assert [u["username"] for u in restored.json()["users"]] == ["ada", "bob"]
    assert password_grant(http, "dee", "x").status_code == 400
    assert password_grant(http, "ada", "pw").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "users", {"username": "x", "password": 3}, "password"),
        ("POST", "users", {"username": "x", "role": "admin"}, "role"),
        ("POST", "users", {"password": "x"}, "username"),
        ("POST", "users", ["x"], "body"),
        ("PUT", "users/x", {"username": "y"}, "username"),
        ("PUT", "users", [{"username": "x"}, {"username": 4}], "users[1].username"),
        ("PUT", "users", [{"username": "x"}, {"username": "x"}], "users"),
        ("POST", "clients", {"client_id": "c", "grants": ["magic"]}, "grants"),
        ("POST", "clients", {"client_id": "c", "public": True, "client_secret": "s"}, "public"),
        ("PUT", "clients/c", {"redirect_uris": ["not a uri"]}, "redirect_uris"),
    ],
)
def test_a_bad_user_or_client_is_a_400_with_its_key_path(
    http: httpx.Client, method: str, path: str, body: Any, field: str
) -> None:
    answer = http.request(method, f"/__admin/auth/default/{path}", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field
    listed = http.get("/__admin/auth/default/users").json()["users"]
    assert [u["username"] for u in listed] == ["ada", "bob"]  # nothing changed


def test_a_runtime_client_is_checked_like_a_configured_one(http: httpx.Client) -> None:
    client = {"client_id": "batch", "client_secret": "b-secret", "grants": ["client_credentials"]}
    created = http.post("/__admin/auth/default/clients", json=client)
    assert created.status_code == 201
    assert created.json()["grants"] == ["client_credentials"]
    assert "b-secret" not in created.text
    form = {"grant_type": "client_credentials"}
    good = http.post("/oauth2/default/token", data=form, auth=("batch", "b-secret"))
    assert good.status_code == 200, good.text
    assert http.get("/secure", headers=bearer(good.json()["access_token"])).status_code == 200
    bad = http.post("/oauth2/default/token", data=form, auth=("batch", "wrong"))
    assert bad.status_code == 401
    listed = http.get("/__admin/auth/default/clients").json()["clients"]
    assert [c["client_id"] for c in listed] == ["svc", "web", "batch"]
    assert http.get("/__admin/auth/default/clients/batch").json()["source"] == "runtime"
    assert http.delete("/__admin/auth/default/clients/svc").status_code == 200
    assert password_grant(http, "ada", "pw").status_code == 401  # svc is gone
    assert http.delete("/__admin/auth/default/clients").status_code == 200
    assert password_grant(http, "ada", "pw").status_code == 200


def test_an_unknown_issuer_has_no_users(http: httpx.Client) -> None:
    for method, path in (("GET", "users"), ("POST", "users"), ("DELETE", "clients/x")):
        answer = http.request(method, f"/__admin/auth/nobody/{path}", json={"username": "x"})
        assert answer.status_code == 404, (method, path)
    assert http.post("/__admin/auth/nobody/reset").status_code == 404


def test_runtime_users_survive_a_reload_of_the_config(
    server: MockServer, http: httpx.Client, config: Path
) -> None:
    http.post("/__admin/auth/default/users", json={"username": "cy", "password": "pw3"})
    config.write_text(CONFIG.replace("audience: api\n", "audience: api\n      auto_login: true\n"))
    server.reload()
    assert password_grant(http, "cy", "pw3").status_code == 200
    assert password_grant(http, "ada", "pw").status_code == 200


def test_users_keys_and_tokens_survive_a_restart(config: Path) -> None:
    with MockServer(config) as first, httpx.Client(base_url=first.url) as http:
        http.post("/__admin/auth/default/users", json={"username": "cy", "password": "pw3"})
        http.delete("/__admin/auth/default/users/bob")
        http.post("/__admin/auth/default/rotate")
        token = minted(http, sub="cy")
        keys = http.get("/__admin/auth").json()["issuers"][0]["keys"]
    saved = json.loads((config.parent / ".apidouble" / "auth" / "default.json").read_text())
    assert saved["users"] == [{"username": "cy", "password": "pw3"}]
    assert saved["hidden"]["users"] == ["bob"]
    with MockServer(config) as second, httpx.Client(base_url=second.url) as http:
        users = http.get("/__admin/auth/default/users").json()["users"]
        assert [u["username"] for u in users] == ["ada", "cy"]
        assert http.get("/__admin/auth").json()["issuers"][0]["keys"] == keys
        assert password_grant(http, "cy", "pw3").status_code == 200
        # the port changed, but /secure checks the issuer by name, not by host
        assert http.get("/secure", headers=bearer(token["access_token"])).status_code == 200
        http.post("/__admin/auth/default/reset")
    assert not (config.parent / ".apidouble" / "auth" / "default.json").exists()


def test_a_change_that_cannot_be_saved_is_not_served(config: Path) -> None:
    (config.parent / ".apidouble" / "auth" / "default.json").mkdir(parents=True)
    with MockServer(config) as mock, httpx.Client(base_url=mock.url) as http:
        answer = http.post("/__admin/auth/default/users", json={"username": "cy", "password": "x"})
        assert answer.status_code == 500
        assert "could not be saved" in answer.json()["error"]
        assert password_grant(http, "cy", "x").status_code == 400
        assert http.get("/__admin/auth/default/users/cy").status_code == 404


def test_without_a_persist_folder_changes_live_in_memory() -> None:
    endpoints = [{"path": "/secure", "auth": {"jwt": {"issuer": "default"}}, "response": "ok"}]
    with MockServer(endpoints=endpoints, auth=True) as mock:
        assert mock._runtime.auth.overrides_dir is None
        with httpx.Client(base_url=mock.url) as http:
            answer = http.post(
                "/__admin/auth/default/users", json={"username": "u", "password": "p"}
            )
            assert answer.status_code == 201
            form = {"grant_type": "password", "username": "u", "password": "p", "client_id": "x"}
            granted = http.post("/oauth2/default/token", data=form)
            assert granted.status_code == 200, granted.text
            assert http.get("/secure", headers=bearer(granted.json()["access_token"])).text == "ok"


# --- the admin token, and MockServer.token -----------------------------------------------


def test_the_admin_token_guards_every_auth_route(config: Path) -> None:
    with MockServer(config, admin_token="t0ken") as mock, httpx.Client(base_url=mock.url) as http:
        for method, path in (
            ("GET", "/__admin/auth"),
            ("POST", "/__admin/auth/tokens"),
            ("POST", "/__admin/auth/default/rotate"),
            ("GET", "/__admin/auth/default/users"),
            ("DELETE", "/__admin/auth/default/users/ada"),
        ):
            refused = http.request(method, path)
            assert refused.status_code == 401, path
        assert http.get("/__admin/auth/default/users/ada").status_code == 401
        allowed = http.post("/__admin/auth/tokens", json={}, headers=bearer("t0ken"))
        assert allowed.status_code == 200
        users = http.get("/__admin/auth/default/users", headers={"X-Admin-Token": "t0ken"})
        assert [u["username"] for u in users.json()["users"]] == ["ada", "bob"]


def test_mock_server_token_is_accepted_by_protected_endpoints(
    server: MockServer, http: httpx.Client
) -> None:
    token = server.token(sub="ada", scopes="read write", claims={"role": "admin"})
    claims = part(token, 1)
    assert claims["iss"] == f"{server.url}/oauth2/default"
    assert claims["scope"] == "read write" and claims["aud"] == "api"
    assert http.get("/admins", headers=bearer(token)).status_code == 200
    assert http.get("/oauth2/default/userinfo", headers=bearer(token)).status_code == 200
    short = part(server.token(expires_in=5), 1)
    assert short["exp"] - short["iat"] == 5
    assert http.get("/partner", headers=bearer(server.token(issuer="partner"))).status_code == 200
    expired = http.get("/secure", headers=bearer(server.token(kind="expired")))
    assert "token expired" in expired.headers["www-authenticate"]
    with pytest.raises(ApidoubleError, match="no issuer 'nobody'"):
        server.token(issuer="nobody")


def test_mock_server_token_needs_a_running_server(config: Path) -> None:
    with pytest.raises(ApidoubleError, match="not running"):
        MockServer(config).token()
