"""parse_requirement: every accepted shape, its way back to config, every mistake by key path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apidouble.auth.requirement import (
    DEFAULT_LEEWAY_S,
    AnyOf,
    ApiKeyRequirement,
    BasicRequirement,
    JwtRequirement,
    Requirement,
    jwks_kind,
    parse_requirement,
)
from apidouble.auth.verify import DEFAULT_ALGORITHMS


def parsed(value: Any) -> Requirement:
    found = parse_requirement(value)
    assert found is not None
    return found


def test_a_local_jwt_requirement() -> None:
    found = parsed(
        {
            "jwt": {
                "issuer": "default",
                "audience": "api",
                "scopes": ["read:users"],
                "claims": {"role": "admin"},
                "leeway_s": 5,
            }
        }
    )
    assert found == JwtRequirement(
        issuer="default",
        audience=("api",),
        scopes=("read:users",),
        claims={"role": "admin"},
        leeway_s=5.0,
    )
    assert isinstance(found, JwtRequirement)
    assert set(found.algorithms) == DEFAULT_ALGORITHMS
    with pytest.raises(TypeError):
        found.claims["role"] = "nobody"  # type: ignore[index]


def test_jwt_defaults_and_word_lists() -> None:
    found = parsed({"jwt": {"issuer": "default", "scopes": "read write", "audience": "a b"}})
    assert isinstance(found, JwtRequirement)
    assert found.scopes == ("read", "write")
    assert found.audience == ("a b",), "an audience string is one audience, not words"
    assert found.leeway_s == DEFAULT_LEEWAY_S
    assert found.jwks is None and dict(found.claims) == {}


def test_an_external_jwt_requirement() -> None:
    found = parsed(
        {"jwt": {"jwks": "keys/jwks.json", "issuer": "https://idp.example.com/", "audience": "api"}}
    )
    assert found == JwtRequirement(
        issuer="https://idp.example.com/", jwks="keys/jwks.json", audience=("api",)
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/.well-known/jwks.json",
        "https://127.9.8.7/jwks",
        "http://localhost/jwks",
        "http://LOCALHOST:81/jwks",
        "http://[::1]:9000/jwks",
    ],
)
def test_a_jwks_url_on_loopback(url: str) -> None:
    assert parsed({"jwt": {"jwks": url}}) == JwtRequirement(jwks=url)
    assert jwks_kind(url, "x") == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example.com/jwks",
        "https://10.0.0.1/jwks",
        "ftp://127.0.0.1/jwks",
        "file:///etc/jwks.json",
        "http://127.0.0.1@evil.test/jwks",
        "http://localhost.evil.test/jwks",
        "http:///jwks",
        "http://[::1/jwks",
    ],
)
def test_a_jwks_url_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_requirement({"jwt": {"jwks": url}})
    assert str(caught.value).startswith(f"auth.jwt.jwks: {url!r} must be an http(s) URL")


def test_basic_and_api_key_requirements() -> None:
    assert parsed({"basic": {"users": {"ada": "secret"}, "realm": "shop"}}) == BasicRequirement(
        {"ada": "secret"}, "shop"
    )
    assert parsed({"basic": {"users": {"ada": ""}}}) == BasicRequirement({"ada": ""}, "apidouble")
    listed = parsed({"api_key": {"header": "X-Api-Key", "values": ["k1", "k2"]}})
    assert listed == ApiKeyRequirement({"k1": {}, "k2": {}}, header="X-Api-Key")
    assert isinstance(listed, ApiKeyRequirement) and listed.place == ("header", "X-Api-Key")
    mapped = parsed(
        {"api_key": {"query": "api_key", "values": {"k1": {"sub": "svc-a", "tier": 2}, "k2": None}}}
    )
    assert mapped == ApiKeyRequirement(
        {"k1": {"sub": "svc-a", "tier": 2}, "k2": {}}, query="api_key"
    )
    cookie = parsed({"api_key": {"cookie": "session", "values": ["c"]}})
    assert isinstance(cookie, ApiKeyRequirement) and cookie.place == ("cookie", "session")


def test_any_of_and_false() -> None:
    found = parsed(
        {
            "any_of": [
                {"jwt": {"issuer": "default"}},
                {"any_of": [{"api_key": {"header": "X-Key", "values": ["k"]}}]},
            ]
        }
    )
    assert found == AnyOf(
        (
            JwtRequirement(issuer="default"),
            AnyOf((ApiKeyRequirement({"k": {}}, header="X-Key"),)),
        )
    )
    assert parse_requirement(False) is None


@pytest.mark.parametrize(
    "config",
    [
        {"jwt": {"issuer": "default"}},
        {
            "jwt": {
                "issuer": "https://idp.example.com/",
                "jwks": "keys/jwks.json",
                "audience": ["api", "other"],
                "scopes": ["read:users", "write:users"],
                "claims": {"role": "admin", "groups": ["a"]},
                "leeway_s": 0.0,
                "algorithms": ["RS256"],
            }
        },
        {"jwt": {"jwks": "http://127.0.0.1:9000/jwks", "audience": "api"}},
        {"basic": {"users": {"ada": "secret", "bob": "pw"}}},
        {"basic": {"users": {"ada": "secret"}, "realm": "shop"}},
        {"api_key": {"header": "X-Api-Key", "values": ["k1", "k2"]}},
        {"api_key": {"cookie": "sid", "values": {"k1": {"sub": "svc-a"}, "k2": {}}}},
        {
            "any_of": [
                {"jwt": {"issuer": "default", "scopes": ["read"]}},
                {"api_key": {"query": "api_key", "values": ["k"]}},
            ]
        },
    ],
)
def test_to_config_gives_the_config_back(config: dict[str, Any]) -> None:
    found = parsed(config)
    assert found.to_config() == config
    assert parse_requirement(found.to_config()) == found
    json.dumps(found.to_config())  # stubs serialise back to config: plain JSON values only


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "auth: expected a mapping with one of jwt, basic, api_key, any_of, or false"),
        (True, "auth: expected a mapping"),
        ({}, "auth: give exactly one of jwt, basic, api_key, any_of (got nothing)"),
        (
            {"jwt": {"issuer": "a"}, "basic": {"users": {"a": "b"}}},
            "auth: give exactly one of jwt, basic, api_key, any_of (got basic, jwt)",
        ),
        ({"oauth": {}}, "auth.oauth: unknown key; known are any_of, api_key, basic, jwt"),
        ({"jwt": None}, "auth.jwt: expected a mapping, got nothing"),
        ({"jwt": {}}, "auth.jwt: give issuer (a local issuer's name) and/or jwks"),
        ({"jwt": {"issuer": "d", "audiences": "api"}}, "auth.jwt.audiences: unknown key"),
        ({"jwt": {"issuer": ""}}, "auth.jwt.issuer: expected a non-empty string"),
        ({"jwt": {"issuer": 3}}, "auth.jwt.issuer: expected a non-empty string, got int"),
        ({"jwt": {"issuer": "d", "leeway_s": -1}}, "auth.jwt.leeway_s: must be >= 0"),
        ({"jwt": {"issuer": "d", "leeway_s": float("inf")}}, "auth.jwt.leeway_s: must be >= 0"),
        ({"jwt": {"issuer": "d", "leeway_s": float("nan")}}, "auth.jwt.leeway_s: expected"),
        ({"jwt": {"issuer": "d", "leeway_s": "30"}}, "auth.jwt.leeway_s: expected a number"),
        ({"jwt": {"issuer": "d", "leeway_s": True}}, "auth.jwt.leeway_s: expected a number"),
        ({"jwt": {"issuer": "d", "scopes": ["a", 1]}}, "auth.jwt.scopes[1]: expected"),
        ({"jwt": {"issuer": "d", "scopes": {"a": 1}}}, "auth.jwt.scopes: expected a string or"),
        ({"jwt": {"issuer": "d", "audience": ""}}, "auth.jwt.audience: expected a non-empty"),
        ({"jwt": {"issuer": "d", "claims": ["role"]}}, "auth.jwt.claims: expected a mapping"),
        ({"jwt": {"issuer": "d", "algorithms": []}}, "auth.jwt.algorithms: give at least one"),
        (
            {"jwt": {"issuer": "d", "algorithms": ["HS256"]}},
            "auth.jwt.algorithms: algorithm HS256 cannot be allowed",
        ),
        (
            {"jwt": {"issuer": "d", "algorithms": ["none"]}},
            "auth.jwt.algorithms: algorithm none cannot be allowed",
        ),
        (
            {"jwt": {"issuer": "d", "algorithms": ["XY512"]}},
            "auth.jwt.algorithms: unknown JWS algorithm 'XY512'",
        ),
        ({"basic": {"realm": "x"}}, "auth.basic.users: expected a mapping of usernames"),
        ({"basic": {"users": {}}}, "auth.basic.users: expected a mapping of usernames"),
        ({"basic": {"users": {"a:b": "pw"}}}, "auth.basic.users: username 'a:b' must be"),
        ({"basic": {"users": {"ada": 1}}}, "auth.basic.users.ada: expected a password"),
        ({"basic": {"users": {"a": "b"}, "realm": 'x"y'}}, "auth.basic.realm: use printable"),
        ({"basic": {"users": {"a": "b"}, "pw": 1}}, "auth.basic.pw: unknown key"),
        ({"api_key": {"values": ["k"]}}, "auth.api_key: give exactly one of header, query or"),
        (
            {"api_key": {"header": "X-K", "query": "k", "values": ["k"]}},
            "auth.api_key: give exactly one of header, query or cookie",
        ),
        ({"api_key": {"header": "X Key", "values": ["k"]}}, "auth.api_key.header: 'X Key' is"),
        ({"api_key": {"cookie": 'a"b', "values": ["k"]}}, "auth.api_key.cookie: use printable"),
        ({"api_key": {"header": "X-K"}}, "auth.api_key.values: expected a list of keys or"),
        ({"api_key": {"header": "X-K", "values": "k"}}, "auth.api_key.values: expected a list"),
        ({"api_key": {"header": "X-K", "values": []}}, "auth.api_key.values: give at least one"),
        ({"api_key": {"header": "X-K", "values": ["k", ""]}}, "auth.api_key.values[1]: expected"),
        (
            {"api_key": {"header": "X-K", "values": {"k": ["sub"]}}},
            "auth.api_key.values.k: expected a mapping of claims",
        ),
        (
            {"api_key": {"header": "X-K", "values": {"k": {"sub": 1}}}},
            "auth.api_key.values.k.sub: expected a string",
        ),
        ({"any_of": []}, "auth.any_of: expected a non-empty list"),
        ({"any_of": {"jwt": {}}}, "auth.any_of: expected a non-empty list"),
        ({"any_of": [False]}, "auth.any_of[0]: false cannot be an option"),
        ({"any_of": [{"any_of": []}]}, "auth.any_of[0].any_of: expected a non-empty list"),
        (
            {"any_of": [{"jwt": {"issuer": "d"}}, {"jwt": {"issuer": "d", "leeway_s": -2}}]},
            "auth.any_of[1].jwt.leeway_s: must be >= 0",
        ),
    ],
)
def test_mistakes_name_their_key_path(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_requirement(value)
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_key_path_starts_where_the_caller_says() -> None:
    with pytest.raises(ValueError, match=r"^endpoints\[2\]\.auth\.jwt\.leeway_s: must be >= 0"):
        parse_requirement({"jwt": {"issuer": "d", "leeway_s": -1}}, "endpoints[2].auth")


def test_jwks_kind_tells_files_from_urls() -> None:
    assert jwks_kind("keys/jwks.json", "x") == "file"
    assert jwks_kind("/abs/jwks.json", "x") == "file"
    with pytest.raises(ValueError, match=r"^x\.jwks: "):
        jwks_kind("http://example.com/jwks", "x.jwks")
