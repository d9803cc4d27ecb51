"""`AuthPlane` without a server: providers across generations, runtime users and clients
(merged, applied at once, carried into later configs, saved and read back), and tokens
minted without a request."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from apidouble.auth.grants import jwt_part
from apidouble.auth.plane import TOKEN_KINDS, AuthPlane, IssuerSet, Overrides
from apidouble.auth.settings import IssuerSettings, parse_issuer
from apidouble.auth.verify import JwtPolicy, Refusal, Verified, Verifier
from tests.auth.conftest import Clock
from tests.auth.doubles import BROKEN_TOKENS

BASE = "http://mock.test:8080"
ISSUER = f"{BASE}/oauth2/default"
CONFIG: dict[str, Any] = {
    "audience": "api",
    "users": [
        {"username": "ada", "password": "pw", "claims": {"role": "admin"}},
        {"username": "bob", "claims": {"role": "viewer"}},
    ],
    "clients": [{"client_id": "svc", "client_secret": "s3cret"}],
}


def served(plane: AuthPlane, **issuers: dict[str, Any]) -> IssuerSet:
    """A generation of the config with ``issuers``, prepared and installed."""
    found = plane.prepare({name: parse_issuer(raw) for name, raw in issuers.items()})
    plane.install(found)
    return found


def usernames(settings: IssuerSettings) -> list[str]:
    return [user.username for user in settings.users]


@pytest.fixture
def plane(clock: Clock) -> AuthPlane:
    return AuthPlane(clock=clock)


# --- generations ---------------------------------------------------------------------------


def test_an_unchanged_issuer_keeps_its_provider_and_a_changed_one_keeps_ring_and_state(
    plane: AuthPlane,
) -> None:
    first = served(plane, default=CONFIG)
    same = served(plane, default=CONFIG)
    assert same.providers["default"] is first.providers["default"]
    changed = served(plane, default={**CONFIG, "audience": "other"})
    old, new = first.providers["default"], changed.providers["default"]
    assert new is not old and new.settings.audience == "other"
    assert new.ring is old.ring and new.state is old.state
    assert changed.configured["default"].audience == "other"


# --- merging -------------------------------------------------------------------------------


def test_runtime_users_replace_in_place_append_and_hide() -> None:
    configured = parse_issuer(CONFIG)
    _, overrides = Overrides().put("users", {"username": "bob", "password": "x"})
    _, overrides = overrides.put("users", {"username": "cy"})
    merged = overrides.apply(configured)
    assert usernames(merged) == ["ada", "bob", "cy"]
    bob = merged.user("bob")
    assert bob is not None and bob.password == "x" and bob.claims == {}
    hidden = overrides.drop("users", "ada", configured).drop("users", "cy", configured)
    assert usernames(hidden.apply(configured)) == ["bob"]
    assert hidden.users.hidden == {"ada"}  # cy was only a runtime user: it just goes
    _, back = hidden.put("users", {"username": "ada"})
    assert usernames(back.apply(configured)) == ["ada", "bob"]
    assert usernames(hidden.cleared("users").apply(configured)) == ["ada", "bob"]


def test_exactly_hides_every_config_user_not_given() -> None:
    configured = parse_issuer(CONFIG)
    overrides = Overrides().exactly("users", [{"username": "bob"}, {"username": "dee"}], configured)
    assert usernames(overrides.apply(configured)) == ["bob", "dee"]
    assert overrides.users.hidden == {"ada"}


def test_a_runtime_client_makes_an_open_issuers_client_list_explicit() -> None:
    open_issuer = parse_issuer({})
    assert open_issuer.client("anyone") is not None
    _, overrides = Overrides().put("clients", {"client_id": "svc", "client_secret": "s"})
    merged = overrides.apply(open_issuer)
    assert merged.client("anyone") is None
    found = merged.client("svc")
    assert found is not None and not found.public and found.client_secret == "s"
    assert overrides.cleared("clients").apply(open_issuer).clients is None
    assert Overrides().apply(open_issuer) is open_issuer


@pytest.mark.parametrize(
    ("kind", "document", "message"),
    [
        ("users", {"username": "x", "password": 3}, "password: expected a string, got int"),
        ("users", {"username": "x", "nope": 1}, "nope: unknown key"),
        ("users", ["x"], "body: expected a mapping, got list"),
        ("clients", {"client_secret": "s"}, "client_id: required"),
        ("clients", {"client_id": "c", "grants": ["magic"]}, "grants: unknown grant 'magic'"),
    ],
)
def test_a_refused_entry_names_its_key_path(kind: Any, document: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        Overrides().put(kind, document)


def test_a_refused_list_names_the_index() -> None:
    configured = parse_issuer(CONFIG)
    with pytest.raises(ValueError, match=r"^users\[1\]\.username: expected a string"):
        Overrides().exactly("users", [{"username": "a"}, {"username": 1}], configured)
    with pytest.raises(ValueError, match=r"^users: expected a list"):
        Overrides().exactly("users", {"username": "a"}, configured)


# --- applying and carrying over --------------------------------------------------------------


def test_a_change_rebuilds_the_served_provider_on_the_same_ring_and_state(
    plane: AuthPlane,
) -> None:
    issuers = served(plane, default=CONFIG)
    old = issuers.providers["default"]
    _, overrides = plane.overrides("default").put("users", {"username": "cy", "password": "p"})
    plane.set_overrides("default", overrides)
    new = issuers.providers["default"]  # the served set's own mapping changed
    assert new is not old and new is plane.provider("default")
    assert usernames(new.settings) == ["ada", "bob", "cy"]
    assert new.ring is old.ring and new.state is old.state
    assert plane.configured("default") == parse_issuer(CONFIG)


def test_runtime_users_are_merged_into_every_later_config(plane: AuthPlane) -> None:
    served(plane, default=CONFIG)
    _, overrides = plane.overrides("default").put("users", {"username": "cy"})
    plane.set_overrides("default", overrides)
    prepared = plane.prepare({"default": parse_issuer({**CONFIG, "audience": "x"})})
    assert usernames(prepared.providers["default"].settings) == ["ada", "bob", "cy"]
    again = served(plane, default=CONFIG)
    assert usernames(again.providers["default"].settings) == ["ada", "bob", "cy"]
    edited = served(plane, default={**CONFIG, "audience": "other"})
    settings = edited.providers["default"].settings
    assert usernames(settings) == ["ada", "bob", "cy"] and settings.audience == "other"


def test_a_set_prepared_before_a_change_is_brought_up_to_date_when_installed(
    plane: AuthPlane,
) -> None:
    served(plane, default=CONFIG)
    pending = plane.prepare({"default": parse_issuer({**CONFIG, "audience": "other"})})
    _, overrides = plane.overrides("default").put("users", {"username": "cy"})
    plane.set_overrides("default", overrides)
    assert usernames(pending.providers["default"].settings) == ["ada", "bob"]
    plane.install(pending)
    assert usernames(pending.providers["default"].settings) == ["ada", "bob", "cy"]


# --- saved and read back ----------------------------------------------------------------------


def test_overrides_are_saved_and_read_back_by_the_next_plane(tmp_path: Path, clock: Clock) -> None:
    plane = AuthPlane(clock=clock, overrides_dir=tmp_path)
    served(plane, default=CONFIG)
    configured = plane.configured("default")
    _, overrides = Overrides().put("users", {"username": "cy", "password": "p"})
    _, overrides = overrides.put("clients", {"client_id": "batch", "client_secret": "b"})
    plane.set_overrides("default", overrides.drop("users", "bob", configured))
    path = tmp_path / "default.json"
    saved = json.loads(path.read_text())
    assert saved["users"] == [{"username": "cy", "password": "p"}]
    assert saved["hidden"] == {"users": ["bob"], "clients": []}
    assert path.stat().st_mode & 0o077 == 0  # passwords and secrets: the owner's only
    later = AuthPlane(clock=clock, overrides_dir=tmp_path)
    settings = served(later, default=CONFIG).providers["default"].settings
    assert usernames(settings) == ["ada", "cy"]
    assert [client.client_id for client in settings.clients or ()] == ["svc", "batch"]
    later.set_overrides("default", Overrides())
    assert not path.exists()


def test_without_a_folder_nothing_is_written(tmp_path: Path, plane: AuthPlane) -> None:
    served(plane, default=CONFIG)
    _, overrides = Overrides().put("users", {"username": "cy"})
    plane.set_overrides("default", overrides)
    assert usernames(plane.provider("default").settings) == ["ada", "bob", "cy"]
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_file_or_entry_is_logged_and_skipped(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "default.json").write_text("{not json")
    good = {"username": "cy"}
    document = {"format": 1, "users": [{"username": 5}, good], "clients": [], "hidden": {}}
    (tmp_path / "other.json").write_text(json.dumps(document))
    plane = AuthPlane(clock=clock, overrides_dir=tmp_path)
    with caplog.at_level(logging.ERROR, logger="apidouble.auth"):
        issuers = served(plane, default=CONFIG, other={})
    assert usernames(issuers.providers["default"].settings) == ["ada", "bob"]
    assert usernames(issuers.providers["other"].settings) == ["cy"]
    messages = [record.getMessage() for record in caplog.records]
    assert any("default.json" in message and "ignored" in message for message in messages)
    assert any("users[0] skipped" in message for message in messages)


# --- tokens without a request ---------------------------------------------------------------


def verifier(plane: AuthPlane, clock: Clock, issuer: str = ISSUER) -> Verifier:
    return Verifier(plane.provider("default").ring, JwtPolicy(issuer=issuer), clock)


def test_a_valid_token_is_an_access_token_of_the_issuer(plane: AuthPlane, clock: Clock) -> None:
    served(plane, default={**CONFIG, "token_lifetime_s": 120})
    claims = plane.access_claims("default", "ada", ["read", "read", "write"], None, {"x": 1})
    assert claims == {"sub": "ada", "aud": "api", "scope": "read write", "x": 1}
    token = plane.mint("default", BASE + "/", claims)
    assert jwt_part(token, 0)["typ"] == "at+jwt" and jwt_part(token, 0)["alg"] == "RS256"
    payload = jwt_part(token, 1)
    assert payload["iss"] == ISSUER and payload["exp"] - payload["iat"] == 120
    result = verifier(plane, clock).check(token)
    assert isinstance(result, Verified) and result.claims["x"] == 1
    short = jwt_part(plane.mint("default", BASE, claims, expires_in=5, alg="ES256"), 1)
    assert short["exp"] - short["iat"] == 5


def test_the_algorithm_follows_the_issuer_and_a_fixed_base_url_wins(clock: Clock) -> None:
    plane = AuthPlane(clock=clock, base_url="https://idp.example.com")
    served(plane, default={"signing_alg": "ES256"})
    claims = plane.access_claims("default", "u", audience=["a", "b"])
    assert claims == {"sub": "u", "aud": ["a", "b"]}
    token = plane.mint("default", BASE, claims)
    assert jwt_part(token, 0)["alg"] == "ES256"
    assert jwt_part(token, 1)["iss"] == "https://idp.example.com/oauth2/default"
    assert plane.issuer_url("default", BASE) == "https://idp.example.com/oauth2/default"


@pytest.mark.parametrize(("kind", "reason"), BROKEN_TOKENS)
def test_each_broken_kind_is_refused_for_its_reason(
    plane: AuthPlane, clock: Clock, kind: Any, reason: str
) -> None:
    served(plane, default=CONFIG)
    token = plane.mint("default", BASE, {"sub": "ada"}, kind)
    result = verifier(plane, clock).check(token)
    assert isinstance(result, Refusal) and result.description == reason
    assert set(TOKEN_KINDS) == {"valid", "expired", "not_yet_valid", "wrongly_signed"} | {
        "unsigned",
        "hs_confused",
    }


def test_minting_needs_a_served_issuer_and_a_known_kind(plane: AuthPlane) -> None:
    with pytest.raises(KeyError):
        plane.mint("default", BASE, {})
    served(plane, default=CONFIG)
    with pytest.raises(KeyError):
        plane.mint("other", BASE, {})
    with pytest.raises(KeyError):
        plane.access_claims("other", "u")
    with pytest.raises(ValueError, match="kind 'forged'"):
        plane.mint("default", BASE, {}, "forged")  # type: ignore[arg-type]


# --- rotation -------------------------------------------------------------------------------


def test_rotation_with_a_grace_keeps_old_keys_published_that_long(
    plane: AuthPlane, clock: Clock, tmp_path: Path
) -> None:
    plane.keys_dir = tmp_path
    served(plane, default=CONFIG)
    ring = plane.provider("default").ring
    old = {key.kid for key in ring.published()}
    fresh = plane.rotate("default", grace_s=30)
    assert {key.alg for key in fresh} == {"RS256", "ES256"}
    retired = [key for key in ring.published() if key.retired_at is not None]
    assert {key.kid for key in retired} == old
    assert all(ring.published_until(key) == clock.now + 30 for key in retired)
    clock.advance(31)
    assert {key.kid for key in ring.published()} == {key.kid for key in fresh}
    saved = json.loads((tmp_path / "default.json").read_text())  # written when rotated
    current = {entry["jwk"]["kid"] for entry in saved["keys"] if entry["retired_at"] is None}
    assert current == {key.kid for key in fresh}
    with pytest.raises(KeyError):
        plane.rotate("other")
