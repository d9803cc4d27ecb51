"""Stub -> config -> Stub gives the same stub: the admin API and persistence rely on it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from apidouble.config.load import load_config, load_data
from apidouble.model import Stub

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

ENDPOINTS: list[dict[str, Any]] = [
    {"path": "/a", "response": {"x": 1}},
    {"name": "n", "method": ["GET", "POST"], "path": "/b/{id}", "status": 201,
     "headers": {"X-A": "{{ uuid }}"}, "response": "text", "priority": 2},
    {"method": "ANY", "path_regex": "/c/[0-9]+", "response_base64": "aGk="},
    {"path": "/d", "match": {"query": {"q": {"regex": "^a"}},
                             "headers": {"X-Key": {"equals": "k", "case_insensitive": True}},
                             "cookies": {"s": {"present": True}},
                             "body": [{"json": {"a": 1}}, {"jsonpath": "$.b", "equals": 2}]},
     "response": "d"},
    {"path": "/e", "responses": [{"response": "1", "latency_ms": 5}, {"status": 500}],
     "mode": "cycle", "latency": {"distribution": "uniform", "min_ms": 1, "max_ms": 2}},
    {"path": "/f", "failure_rate": 0.5, "failure": {"status": 503, "response": "down"},
     "fail_first": 2, "rate_limit": {"requests": 3, "per": "1s"}, "cache": {"max_age": 5},
     "cors": True, "dribble": {"chunks": 2, "over_ms": 10}},
    {"path": "/g", "failure": {"fault": "connection_reset"}, "failure_rate": 0.1},
    {"path": "/h", "validate": {"schema": {"type": "object"}}, "response": "ok"},
    {"path": "/i", "addons": ["signer"], "response": "ok",
     "callbacks": [{"url": "http://127.0.0.1:9/{{ request.path }}", "body": {"a": 1},
                    "delay_ms": 5, "retries": 1}]},
    {"path": "/sse", "sse": {"repeat": "forever", "every_ms": 5, "keepalive_ms": 100,
                             "drop_after": 3, "events": [{"id": "{{ index }}", "data": {"a": 1}},
                                                         {"comment": "c", "delay_ms": 2}]}},
    {"path": "/ws/{room}", "websocket": {"broadcast": True, "on_message": [{"echo": True}]}},
    {"path": "/up", "proxy": {"to": "http://127.0.0.1:9", "strip_prefix": "/up"}},
]  # fmt: skip


def _comparable(stub: Stub) -> Stub:
    return replace(stub, id="", source=replace(stub.source, line=None, pointer=""), order=0)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e["path"] if "path" in e else "re")
def test_round_trip(endpoint: dict[str, Any]) -> None:
    (stub,) = load_data({"endpoints": [endpoint]}).stubs
    (again,) = load_data({"endpoints": [stub.to_config()]}).stubs
    assert _comparable(again) == _comparable(stub)


def test_the_examples_round_trip() -> None:
    stubs = [s for s in load_config(EXAMPLES).stubs if s.responses[0].body_kind != "file"]
    assert len(stubs) > 3
    for stub in stubs:
        (again,) = load_data({"endpoints": [stub.to_config()]}).stubs
        assert _comparable(again).pattern == _comparable(stub).pattern
        assert again.responses == stub.responses
