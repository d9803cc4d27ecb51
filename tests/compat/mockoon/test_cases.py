"""The case generator covers every route of every corpus environment, deterministically."""

from __future__ import annotations

import json

import pytest

from tests.compat.mockoon.cases import concrete_path, environments, route_cases

pytestmark = pytest.mark.skipif(not environments(), reason="Mockoon corpus not present")


def test_concrete_paths_fill_mockoon_syntax() -> None:
    assert concrete_path("api", "path/with/pattern(s)?/*") == "/api/path/with/patterns/x"
    assert concrete_path("", "users/:id") == "/users/1"


def test_every_route_gets_a_case() -> None:
    for path in environments():
        env = json.loads(path.read_text(encoding="utf-8"))
        cases = route_cases(env)
        http = [r for r in env["routes"] if r.get("type", "http") != "ws"]
        assert len(cases) == len(http) + 1, path.name
        assert cases == route_cases(env)
