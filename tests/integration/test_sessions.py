"""``state_key``: each client session has its own scenarios and CRUD data, so parallel
tests against one mock do not see each other's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.config.load import load_config
from apidouble.errors import ConfigError

CONFIG = """
state_key: {key}
resources:
  carts: {{data: [{{id: 1, items: 0}}]}}
endpoints:
  - method: POST
    path: /login
    scenario: {{name: auth, when: Started, then: in}}
    response: welcome
  - path: /me
    scenario: {{name: auth, when: in}}
    response: {{me: ada}}
  - path: /me
    status: 401
    scenario: {{name: auth, when: Started}}
    response: {{error: login first}}
"""


def serve(tmp_path: Path, key: str, **options: Any) -> MockServer:
    path = tmp_path / "apidouble.yaml"
    path.write_text(CONFIG.format(key=key))
    return MockServer(path, **options)


def state_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    peer = request.getfixturevalue("redis_peer")
    return {"state": peer.url}


@pytest.fixture(params=["memory", "redis"])
def options(request: pytest.FixtureRequest) -> dict[str, Any]:
    return state_options(request)


def test_each_session_has_its_own_scenarios(tmp_path: Path, options: dict[str, Any]) -> None:
    with serve(tmp_path, "header:X-Session", **options) as mock:
        a, b = {"X-Session": "a"}, {"X-Session": "b"}
        assert httpx.post(mock.url + "/login", headers=a).text == "welcome"
        assert httpx.get(mock.url + "/me", headers=a).json() == {"me": "ada"}
        assert httpx.get(mock.url + "/me", headers=b).status_code == 401
        assert httpx.get(mock.url + "/me").status_code == 401  # no session: the shared one
        scenarios = httpx.get(mock.url + "/__admin/scenarios").json()["scenarios"]
        assert scenarios[0]["state"] == "Started"  # the admin API shows the shared state
        httpx.post(mock.url + "/__admin/scenarios/reset")
        assert httpx.get(mock.url + "/me", headers=a).status_code == 401  # sessions reset too


def test_each_session_has_its_own_resources(tmp_path: Path) -> None:
    with serve(tmp_path, "cookie:sid") as mock:
        one = httpx.Client(base_url=mock.url, cookies={"sid": "one"})
        two = httpx.Client(base_url=mock.url, cookies={"sid": "two"})
        with one, two:
            one.patch("/carts/1", json={"items": 3})
            one.post("/carts", json={"items": 1})
            assert one.get("/carts").json() == [{"id": 1, "items": 3}, {"id": 2, "items": 1}]
            assert two.get("/carts").json() == [{"id": 1, "items": 0}]
            assert httpx.get(mock.url + "/carts/1").json() == {"id": 1, "items": 0}
            httpx.post(mock.url + "/__admin/resources/reset")
            assert one.get("/carts").json() == [{"id": 1, "items": 0}]


def test_a_query_parameter_can_name_the_session(tmp_path: Path) -> None:
    with serve(tmp_path, "query:run") as mock:
        httpx.post(mock.url + "/login", params={"run": "7"})
        assert httpx.get(mock.url + "/me", params={"run": "7"}).status_code == 200
        assert httpx.get(mock.url + "/me", params={"run": "8"}).status_code == 401


def test_a_bad_state_key_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "apidouble.yaml"
    path.write_text(CONFIG.format(key="body:session"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problem = caught.value.problems[0]
    assert problem.pointer == "/state_key" and problem.line == 2
    assert "header:NAME" in problem.message
