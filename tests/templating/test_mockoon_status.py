"""Mockoon's ``status`` helper served over HTTP: the body's ``{{status N}}`` decides the
status code sent (the last one reached wins; a parameter that is no number is ignored,
as in Mockoon 9), with the headers kept and a 204 sent without a body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.testing import MockServer

from .test_mockoon_state import environment

ENDPOINTS: list[dict[str, Any]] = [
    {"path": "/set", "response": "{{status 404}}missing", "headers": {"X-A": "1"}},
    {
        "path": "/when",
        "status": 201,
        "response": "{{#if (queryParam 'fail')}}{{status 503}}down{{else}}up{{/if}}",
    },
    {"path": "/nan", "status": 201, "response": "{{status 'abc'}}{{status}}kept"},
    {"path": "/prefix", "response": "{{status '418 teapot'}}tea"},
    {"path": "/last", "response": "{{status 201}}{{status (add 400 9.5)}}last"},
    {"path": "/same", "status": 202, "response": "{{status 202}}same"},
    {
        "path": "/empty",
        "response": '{{status 204}}{"gone": true}',
        "headers": {"Content-Type": "application/json", "X-B": "{{method}}"},
    },
    {"path": "/bad", "response": "{{status 1000}}x"},
    {"path": "/header", "response": "h", "headers": {"X-S": "{{status 409}}s"}},
]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    endpoints = [{**e, "templating": "mockoon"} for e in ENDPOINTS]
    with MockServer(endpoints=endpoints) as running:
        yield running


def get(server: MockServer, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", timeout=10)


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/set", 404, "missing"),
        ("/when", 201, "up"),
        ("/when?fail=1", 503, "down"),
        ("/nan", 201, "kept"),
        ("/prefix", 418, "tea"),
        ("/last", 409, "last"),  # the last one, parseInt(409.5)
        ("/same", 202, "same"),
        ("/header", 409, "h"),
    ],
)
def test_the_body_sets_the_status(server: MockServer, path: str, status: int, body: str) -> None:
    answer = get(server, path)
    assert (answer.status_code, answer.text) == (status, body)


def test_the_headers_stay(server: MockServer) -> None:
    answer = get(server, "/set")
    assert answer.headers["x-a"] == "1"
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.reason_phrase == "Not Found"


def test_a_204_is_sent_without_a_body(server: MockServer) -> None:
    answer = get(server, "/empty")
    assert (answer.status_code, answer.content) == (204, b"")
    assert "content-type" not in answer.headers and answer.headers["x-b"] == "GET"


def test_a_code_out_of_range_is_a_template_error(server: MockServer) -> None:
    answer = get(server, "/bad")
    assert answer.status_code == 500
    assert "status must be between 100 and 599" in answer.json()["detail"]


def test_a_mockoon_environment_limits_with_global_variables(tmp_path: Path) -> None:
    limited = (
        "{{setGlobalVar 'calls' (add (getGlobalVar 'calls' '' 0) 1)}}"
        "{{#if (gt (getGlobalVar 'calls') 2)}}{{status 429}}slow down{{else}}ok{{/if}}"
    )
    path = tmp_path / "env.json"
    path.write_text(json.dumps(environment({"limited": limited})), encoding="utf-8")
    with MockServer(path) as mock:
        answers = [get(mock, "/limited") for _ in range(3)]
    assert [(a.status_code, a.text) for a in answers] == [
        (200, "ok"),
        (200, "ok"),
        (429, "slow down"),
    ]
