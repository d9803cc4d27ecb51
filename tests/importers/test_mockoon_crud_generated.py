"""A CRUD route on a data bucket that is a template: its rows are generated once, when
the environment loads (as Mockoon generates them when it starts), and served as a
native resource; over real sockets, and against mockoon-cli when it is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.importers.mockoon import convert_environment
from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_serving import environment, response, route, serving, write

GENERATED = (
    '[{{#repeat 3}}{"id": "{{@index}}", "name": "{{faker \'person.firstName\'}}",'
    ' "n": {{int 1 9}} }{{/repeat}}]'
)


def generated_env(value: str = GENERATED) -> dict[str, Any]:
    bucket = {"uuid": "b", "id": "u1", "name": "users", "documentation": "", "value": value}
    crud = route("users", response(bodyType="DATABUCKET", databucketID="u1"), type="crud")
    return environment(crud, data=[bucket])


def shapes(client: httpx.Client) -> list[tuple[int, Any]]:
    """Status and shape (keys, types) of a CRUD conversation."""
    found: list[tuple[int, Any]] = []
    asks = [("GET", "/users", None), ("GET", "/users/1", None), ("GET", "/users/9", None)]
    asks += [("POST", "/users", {"id": "7", "name": "Eve", "n": 1}), ("GET", "/users", None)]
    for method, url, body in asks:
        answer = client.request(method, url, json=body)
        found.append((answer.status_code, _shape(answer.json() if answer.content else None)))
    return found


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [len(value), _shape(value[0]) if value else None]
    return type(value).__name__


def test_the_rows_are_generated_once_and_served(tmp_path: Path) -> None:
    with serving(tmp_path, generated_env()) as client:
        rows = client.get("/users").json()
        assert [row["id"] for row in rows] == ["0", "1", "2"]
        assert all(isinstance(row["name"], str) and 1 <= row["n"] <= 9 for row in rows)
        assert client.get("/users/1").json() == rows[1]
        assert client.get("/users").json() == rows  # not generated again per request
    with serving(tmp_path, generated_env()) as client:
        assert client.get("/users").json() == rows  # the same rows on every load


def test_a_bucket_that_renders_no_json_is_a_problem(tmp_path: Path) -> None:
    env = generated_env("[{{#repeat 2}}{oops}{{/repeat}}]")
    conversion = convert_environment(env, write(tmp_path, env))
    (problem,) = [p.message for p in conversion.problems]
    assert "a CRUD route not served: its data bucket is not JSON" in problem
    assert "resources" not in conversion.document


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_answers_as_mockoon_cli(tmp_path: Path) -> None:
    with serving(tmp_path, generated_env()) as client:
        ours = shapes(client)
    with mockoon(write(tmp_path, generated_env(), "peer.json")) as url:
        with httpx.Client(base_url=url) as client:
            theirs = shapes(client)
    assert ours == theirs
