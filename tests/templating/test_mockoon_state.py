"""Mockoon's server-state helpers: global variables served over HTTP from a Mockoon
environment (set in one request, read in the next, per server), and the data bucket
operations against the answers ``mockoon-cli`` 9.9.0 gave for the same templates."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.templating.handlebars.helpers_mockoon_buckets import (
    BUCKET_HELPERS,
    DATA,
    DATASET,
)
from apidouble.templating.handlebars.request import RequestModel, Root
from apidouble.testing import MockServer


def _route(name: str, body: str) -> dict[str, Any]:
    response = {
        "uuid": f"{name}-r",
        "body": body,
        "statusCode": 200,
        "headers": [{"key": "Content-Type", "value": "text/plain"}],
        "bodyType": "INLINE",
        "rules": [],
        "default": True,
    }
    return {
        "uuid": name,
        "type": "http",
        "method": "get",
        "endpoint": name,
        "responses": [response],
    }


def environment(routes: dict[str, str]) -> dict[str, Any]:
    made = [_route(name, body) for name, body in routes.items()]
    return {
        "uuid": "env",
        "lastMigration": 33,
        "name": "state",
        "endpointPrefix": "",
        "port": 3000,
        "routes": made,
        "rootChildren": [{"type": "route", "uuid": route["uuid"]} for route in made],
        "folders": [],
        "headers": [],
        "data": [],
    }


GLOBALS = {
    "g1": "{{setGlobalVar 'n' 5}}[{{getGlobalVar 'n'}}]",
    "g2": "[{{getGlobalVar 'n'}}][{{getGlobalVar 'none' '' 'dflt'}}][{{getGlobalVar 'none'}}]",
    "g3": "{{setGlobalVar 'o' (object a=(array 1 2))}}[{{getGlobalVar 'o' 'a.1'}}]"
    "[{{getGlobalVar 'o' 'x' 'd'}}]",
    "count": "{{setGlobalVar 'c' (add (getGlobalVar 'c' '' 0) 1)}}{{getGlobalVar 'c'}}",
}


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(environment(GLOBALS)), encoding="utf-8")
    return path


@pytest.fixture
def server(env_file: Path) -> Iterator[MockServer]:
    with MockServer(env_file) as running:
        yield running


def get(server: MockServer, path: str) -> str:
    answer = httpx.get(f"{server.url}/{path}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_global_variable_set_in_one_request_is_read_in_the_next(server: MockServer) -> None:
    assert get(server, "g2") == "[][dflt][]"  # mockoon-cli: nothing set yet
    assert get(server, "g1") == "[5]"
    assert get(server, "g2") == "[5][dflt][]"
    assert get(server, "g3") == "[2][d]"


def test_global_variables_count_requests(server: MockServer) -> None:
    assert [get(server, "count") for _ in range(3)] == ["1", "2", "3"]


def test_each_server_has_its_own_global_variables(server: MockServer, env_file: Path) -> None:
    assert get(server, "g1") == "[5]"
    with MockServer(env_file) as other:
        assert get(other, "g2") == "[][dflt][]"
    assert get(server, "g2") == "[5][dflt][]"


def test_global_variable_responses_are_not_left_out(env_file: Path) -> None:
    from apidouble.importers.mockoon import convert_environment

    conversion = convert_environment(json.loads(env_file.read_text()), env_file)
    assert [str(p) for p in conversion.problems] == []
    assert len(conversion.document["endpoints"]) == len(GLOBALS)


# ---- data buckets: the helpers against mockoon-cli's answers

BUCKETS = [
    {"id": "ab12", "name": "Users", "value": '[{"name":"Ada"},{"name":"Bob"}]'},
    {"id": "cd34", "name": "num", "value": "41"},
    {"id": "ef56", "name": "txt", "value": "hello there"},
    {"id": "gh78", "name": "flag", "value": "true"},
    {"id": "ij90", "name": "nul", "value": "null"},
    {"id": "b5", "name": "obj", "value": '{"a.b":"dotted","c":7}'},
]


def call(root: Root, helper: str, *params: Any) -> Any:
    return BUCKET_HELPERS[helper].fn(params, {}, root)


@pytest.fixture
def root() -> Root:
    made = Root(RequestModel(None, {}), random.Random(), None)
    made[DATA] = {DATASET: {"data": BUCKETS}}
    return made


def test_data_reads_buckets_by_id_or_name(root: Root) -> None:
    found = [
        call(root, "data", "users"),
        call(root, "data", "usr"),
        call(root, "data", "USERS", "0.name"),
        call(root, "data", "users", "1"),
        call(root, "data", "nope"),
        call(root, "data", "users", "missing"),
    ]
    assert found == ['[{"name":"Ada"},{"name":"Bob"}]', None, "Ada", '{"name":"Bob"}', None, ""]
    found = [
        call(root, "data", "num"),
        call(root, "data", "txt"),
        call(root, "data", "flag"),
        call(root, "data", "nul"),
        call(root, "data", "b5"),
        call(root, "data", "obj", "a\\.b"),
        call(root, "data", "obj", "$.c"),
    ]
    assert found == ["41", "hello there", "true", "null", '{"a.b":"dotted","c":7}', "dotted", "7"]
    assert call(root, "dataRaw", "users", "0.name") == "Ada"
    assert call(root, "dataRaw", "num") == 41


def test_set_data_operators(root: Root) -> None:
    call(root, "setData", "push", "users", "", {"name": "Eve"})
    call(root, "setData", "set", "obj", "x.y", 3)
    call(root, "setData", "inc", "num")
    call(root, "setData", "inc", "num", 10)  # the third parameter is the path
    call(root, "setData", "dec", "obj", "c", 2)
    call(root, "setData", "invert", "flag")
    assert call(root, "data", "users") == '[{"name":"Ada"},{"name":"Bob"},{"name":"Eve"}]'
    assert call(root, "data", "obj") == '{"a.b":"dotted","c":5,"x":{"y":3}}'
    assert [call(root, "data", "num"), call(root, "data", "flag")] == ["42", "false"]
    call(root, "setData", "merge", "obj", "", {"z": 1})
    call(root, "setData", "del", "users", "0")
    call(root, "setData", "unknownop", "txt", "", "new")
    assert call(root, "data", "obj") == '{"a.b":"dotted","c":5,"x":{"y":3},"z":1}'
    assert call(root, "data", "users") == '[{"name":"Bob"},{"name":"Eve"}]'
    assert call(root, "data", "txt") == "new"
    call(root, "setData", "del", "nul")
    assert [call(root, "data", "nul"), call(root, "dataRaw", "nul")] == ["undefined", None]
    call(root, "setData", "set", "num", "", "abc")
    call(root, "setData", "inc", "num")
    assert call(root, "data", "num") == "abc"
    call(root, "setData", "set", "b5", "k.0.j", 1)
    call(root, "setData", "inc", "obj", "x.y", "2")
    call(root, "setData", "inc", "obj", "x.y", "zz")
    call(root, "setData", "push", "obj", "arr", 1)
    call(root, "setData", "set", "obj", "arr", [])
    call(root, "setData", "push", "obj", "arr", "v")
    expected = {"a.b": "dotted", "c": 5, "x": {"y": 5}, "z": 1, "k": [{"j": 1}], "arr": ["v"]}
    assert json.loads(call(root, "data", "obj")) == expected


def test_buckets_of_several_environments_are_found(root: Root) -> None:
    other = Root(RequestModel(None, {}), random.Random(), None)
    extra = [{"id": "zz", "name": "extra", "value": "[1]"}]
    other[DATA] = {f"{DATASET}:one": {"data": BUCKETS}, f"{DATASET}:two": extra, "x": extra}
    assert [call(other, "data", "num"), call(other, "data", "extra")] == ["41", "[1]"]
    other = Root(RequestModel(None, {}), random.Random(), None)
    other[DATA] = {"x": {"data": BUCKETS}}  # not a Mockoon set
    assert call(other, "data", "num") is None


def test_bucket_state_belongs_to_one_server(root: Root) -> None:
    call(root, "setData", "inc", "num")
    other = Root(RequestModel(None, {}), random.Random(), None)
    other[DATA] = {DATASET: BUCKETS}  # a bare list of buckets works too
    assert [call(root, "data", "num"), call(other, "data", "num")] == ["42", "41"]
