"""The case generator covers every route of every corpus environment, deterministically,
and derives requests that the rules take."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compat.mockoon.cases import all_cases, concrete_path, environments, route_cases

needs_corpus = pytest.mark.skipif(not environments(), reason="Mockoon corpus not present")


def _rule(target: str, modifier: str, value: str, operator: str = "equals") -> dict[str, Any]:
    return {"target": target, "modifier": modifier, "value": value, "operator": operator}


def _env(*responses: dict[str, Any], **route: Any) -> dict[str, Any]:
    given = {"uuid": "abcd1234-x", "method": "post", "endpoint": "items/:id", **route}
    return {"routes": [{**given, "responses": list(responses)}], "data": []}


def test_concrete_paths_fill_mockoon_syntax() -> None:
    assert concrete_path("api", "path/with/pattern(s)?/*") == "/api/path/with/patterns/x"
    assert concrete_path("", "users/:id") == "/users/1"
    assert concrete_path("", "users/:id", {"id": "xyz"}) == "/users/xyz"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (_rule("params", "id", "xyz"), {"path": "/items/xyz"}),
        (_rule("header", "X-Key", "k1"), {"path": "/items/1", "headers": {"X-Key": "k1"}}),
        (_rule("cookie", "s", "v"), {"path": "/items/1", "headers": {"Cookie": "s=v"}}),
        (_rule("body", "a.b", "v"), {"path": "/items/1", "body": {"a": {"b": "v"}}}),
        (_rule("query", "q", "a b"), {"path": "/items/1?q=a+b"}),
    ],
)
def test_a_rule_with_a_literal_value_gets_a_request_it_takes(
    rule: dict[str, Any], expected: dict[str, Any]
) -> None:
    cases = all_cases(_env({"rules": []}, {"rules": [rule]}))
    (ruled,) = [c for c in cases if c.kind == "rule"]
    assert ruled.id == "abcd1234/rule1"
    assert {k: v for k, v in ruled.to_json().items() if k in expected} == expected


@pytest.mark.parametrize(
    "rule",
    [
        _rule("header", "X-Key", "{{data 'k'}}"),
        _rule("header", "X-Key", "^a.*$", "regex"),
        _rule("query", "a.b", "1"),
        {**_rule("header", "X-Key", "k1"), "invert": True},
    ],
)
def test_no_request_is_guessed_for_templates_patterns_or_inversions(rule: dict[str, Any]) -> None:
    assert not [c for c in all_cases(_env({"rules": [rule]})) if c.kind == "rule"]


def test_a_schema_rule_gets_a_valid_body_and_a_null_rule_a_miss() -> None:
    schema = {
        "type": "object",
        "required": ["e"],
        "properties": {"e": {"type": "string", "format": "email"}},
    }
    env = _env(
        {"rules": [_rule("body", "", "s1", "valid_json_schema")]},
        {"rules": [_rule("header", "Authorization", "", "null")]},
    )
    env["data"] = [{"id": "s1", "name": "schema", "value": json.dumps(schema)}]
    by_id = {c.id: c for c in all_cases(env)}
    assert by_id["abcd1234/rule0"].body == {"e": "someone@example.com"}
    assert by_id["abcd1234/miss1"].headers == {"Authorization": "x"}


def test_sequential_routes_get_one_request_per_response() -> None:
    env = _env({}, {}, {}, responseMode="SEQUENTIAL")
    assert [c.id for c in all_cases(env) if c.kind == "seq"] == ["abcd1234/seq1", "abcd1234/seq2"]


def test_unmatched_cases_come_last() -> None:
    kinds = [c.kind for c in all_cases(_env({}))]
    assert kinds == ["route", "unmatched", "unmatched", "preflight", "preflight"]


@needs_corpus
def test_every_route_gets_a_case() -> None:
    for path in environments():
        env = json.loads(path.read_text(encoding="utf-8"))
        cases = route_cases(env)
        http = [r for r in env["routes"] if r.get("type", "http") != "ws"]
        assert len(cases) == len(http) + 1, path.name
        assert cases == route_cases(env)
        generated = all_cases(env)
        assert [c.id for c in generated] == [c.id for c in all_cases(env)]
        assert len({c.id for c in generated}) == len(generated), path.name
