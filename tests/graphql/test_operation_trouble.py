"""An ``operations:`` stub's own latency, failure rate and rate limit, over HTTP and over
``graphql-transport-ws``, against a served config (real sockets, httpx, websockets)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from apidouble import ConfigError
from apidouble.testing import MockServer

SDL = """
type Query { slow: String, broken: String, flaky: String, limited: String, calm: String }
type Subscription { ticks: Int! }
"""

CONFIG = """
seed: 7
graphql:
  - path: /graphql
    schema: schema.graphql
    operations:
      - id: slow
        operation_name: Slow
        latency_ms: 300
        data: {slow: late}
      - id: broken
        operation_name: Broken
        failure_rate: 1
        failure:
          status: 503
          errors: [{message: upstream down, extensions: {code: UNAVAILABLE}}]
      - id: flaky
        operation_name: Flaky
        failure_rate: 0.5
        data: {flaky: fine}
      - id: limited
        operation_name: Limited
        rate_limit: {requests: 2, per: 60s}
        data: {limited: ok}
      - id: ticking
        operation_name: Ticks
        latency: {ms: 250}
        events: [{data: {ticks: 1}}, {data: {ticks: 2}}]
      - id: down-stream
        operation_name: DownTicks
        failure_rate: 1
        events: [{data: {ticks: 1}}]
"""


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("graphql-trouble")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text(CONFIG)
    with MockServer(folder / "api.yaml") as server:
        yield server


def _post(mock: MockServer, body: Any) -> httpx.Response:
    return httpx.post(mock.url + "/graphql", json=body, timeout=5)


def _facts(mock: MockServer, operation: str) -> list[dict[str, Any]]:
    found = []
    for entry in mock.requests.find(path="/graphql"):
        for fact in (entry.get("decision") or {}).get("graphql") or ():
            if fact["operation"] == operation:
                found.append(fact)
    return found


def test_an_operation_latency_delays_its_answer_alone(mock: MockServer) -> None:
    started = time.monotonic()
    slow = _post(mock, {"query": "query Slow { slow }"})
    slow_s = time.monotonic() - started
    started = time.monotonic()
    calm = _post(mock, {"query": "query Calm { calm }"})
    calm_s = time.monotonic() - started
    assert slow.json() == {"data": {"slow": "late"}}
    assert calm.status_code == 200
    assert slow_s >= 0.3 > calm_s
    assert _facts(mock, "Slow")[0]["latency_s"] == 0.3


def test_a_failing_operation_answers_its_failure(mock: MockServer) -> None:
    answer = _post(mock, {"query": "query Broken { broken }"})
    assert answer.status_code == 503
    assert answer.json() == {
        "errors": [{"message": "upstream down", "extensions": {"code": "UNAVAILABLE"}}],
        "data": None,
    }
    assert _facts(mock, "Broken")[0]["failure"] is True


def test_a_failure_rate_fails_about_that_share(mock: MockServer) -> None:
    bodies = [_post(mock, {"query": "query Flaky { flaky }"}).json() for _ in range(40)]
    failed = [b for b in bodies if b.get("errors")]
    assert 8 <= len(failed) <= 32
    assert all(b == {"data": {"flaky": "fine"}} for b in bodies if b not in failed)
    assert failed[0]["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


def test_a_rate_limit_refuses_past_its_allowance(mock: MockServer) -> None:
    first = [_post(mock, {"query": "query Limited { limited }"}) for _ in range(2)]
    assert [a.json() for a in first] == [{"data": {"limited": "ok"}}] * 2
    refused = _post(mock, {"query": "query Limited { limited }"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "data" not in refused.json()
    # in a batch, the refused operation gets its error and the others answer
    batch = _post(mock, [{"query": "query Limited { limited }"}, {"query": "query Calm { calm }"}])
    assert batch.status_code == 200
    limited, calm = batch.json()
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "calm" in calm["data"]
    assert _facts(mock, "Limited")[0]["rate_limited"] is True


async def _socket_messages(mock: MockServer, query: str) -> tuple[list[dict[str, Any]], float]:
    url = mock.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        started = time.monotonic()
        await socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        got: list[dict[str, Any]] = []
        first_s = 0.0
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), 3))
            if not got:
                first_s = time.monotonic() - started
            got.append(message)
            if message["type"] in ("complete", "error"):
                return got, first_s


def test_latency_delays_a_subscription_first_event(mock: MockServer) -> None:
    got, first_s = asyncio.run(_socket_messages(mock, "subscription Ticks { ticks }"))
    assert [m.get("payload") for m in got] == [{"data": {"ticks": 1}}, {"data": {"ticks": 2}}, None]
    assert first_s >= 0.25


def test_a_failing_subscription_sends_its_errors_then_completes(mock: MockServer) -> None:
    got, _ = asyncio.run(_socket_messages(mock, "subscription DownTicks { ticks }"))
    assert [m["type"] for m in got] == ["next", "complete"]
    assert got[0]["payload"]["data"] is None
    assert got[0]["payload"]["errors"][0]["message"] == "simulated failure"


def test_a_rate_limited_operation_over_the_socket_gets_an_error(mock: MockServer) -> None:
    for _ in range(3):  # the HTTP test may or may not have used the allowance already
        got, _ = asyncio.run(_socket_messages(mock, "query Limited { limited }"))
    assert got[-1]["type"] == "error"
    assert got[-1]["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_bad_failure_rate_names_the_operation(tmp_path: Path) -> None:
    (tmp_path / "schema.graphql").write_text(SDL)
    (tmp_path / "api.yaml").write_text(
        "graphql:\n  - schema: schema.graphql\n    operations:\n"
        "      - {id: odd, operation_name: Calm, rate_limit: {requests: 1, per: nope}}\n"
    )
    with pytest.raises(ConfigError, match="per"):
        MockServer(tmp_path / "api.yaml").start()
