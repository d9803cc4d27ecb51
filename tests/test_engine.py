"""The engine without a server: build a Request, call handle, read the Outcome."""

from __future__ import annotations

import json
from typing import Any

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.model import Request
from apidouble.outcome import Respond


def engine(*endpoints: dict[str, Any], seed: int | None = 1) -> Engine:
    loaded = load_data({"endpoints": list(endpoints)})
    return Engine(compile_config(loaded.stubs, seed=seed))


def call(target: Engine, method: str, path: str, body: bytes = b"") -> Respond:
    outcome = target.handle(Request(method, path, body=body))
    assert isinstance(outcome, Respond)
    target.served(outcome, 0.001)
    return outcome


def body(outcome: Respond) -> Any:
    return json.loads(outcome.response.body)


def test_static_response_is_the_same_bytes_every_time() -> None:
    target = engine({"path": "/s", "response": {"a": 1}})
    first, second = call(target, "GET", "/s"), call(target, "GET", "/s")
    assert first.response is second.response
    assert first.response.head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-type: application/json\r\n" in first.response.head
    assert b"content-length: 7\r\n" in first.response.head


def test_latency_is_returned_not_slept() -> None:
    outcome = call(engine({"path": "/s", "latency_ms": 250}), "GET", "/s")
    assert outcome.delay_s == 0.25
    assert outcome.event is not None and outcome.event.delay_s == 0.25


def test_modes_cycle_and_random() -> None:
    responses = [{"response": "a"}, {"response": "b"}]
    cycle = engine({"path": "/c", "mode": "cycle", "responses": responses})
    assert [call(cycle, "GET", "/c").response.body for _ in range(4)] == [b"a", b"b", b"a", b"b"]
    rand = engine({"path": "/r", "mode": "random", "responses": responses}, seed=3)
    seen = {call(rand, "GET", "/r").response.body for _ in range(30)}
    assert seen == {b"a", b"b"}


def test_custom_failure_response() -> None:
    target = engine(
        {
            "path": "/f",
            "failure_rate": 1,
            "failure": {"status": 503, "headers": {"Retry-After": "2"}, "response": {"e": 1}},
        }
    )
    outcome = call(target, "GET", "/f")
    assert outcome.response.status == 503 and body(outcome) == {"e": 1}
    assert b"Retry-After: 2\r\n" in outcome.response.head
    assert outcome.event is not None and outcome.event.failure_injected


def test_unmatched_gives_404_report_and_is_journaled() -> None:
    target = engine({"name": "x", "path": "/x"})
    outcome = call(target, "GET", "/y")
    assert outcome.response.status == 404
    assert body(outcome)["near_misses"][0]["stub"] == "x"
    assert target.journal.newest(1)[0]["status"] == 404


def test_validation_pointer_per_error() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "array"}}}
    target = engine({"method": "POST", "path": "/v", "validate": {"schema": schema}})
    outcome = call(target, "POST", "/v", b'{"a": "x", "b": 1}')
    assert outcome.response.status == 422
    assert [e["pointer"] for e in body(outcome)["errors"]] == ["/a", "/b"]


def test_control_routes_are_not_answered_without_control() -> None:
    # An engine alone (no runtime) treats /__logs as an ordinary path.
    assert (
        call(engine({"path": "/__logs", "response": "mine"}), "GET", "/__logs").response.body
        == b"mine"
    )


def test_per_response_latency_overrides_the_stub_latency() -> None:
    target = engine(
        {
            "path": "/l",
            "latency_ms": 10,
            "responses": [{"response": "a", "latency_ms": 50}, {"response": "b"}],
        }
    )
    assert [call(target, "GET", "/l").delay_s for _ in range(2)] == [0.05, 0.01]
