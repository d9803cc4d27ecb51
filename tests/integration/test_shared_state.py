"""Two instances, one Redis: they behave as one mock, and survive Redis going away.

Each ``MockServer`` here is a whole runtime with its own event loop, journal and
compiled config; the only thing they share is the redis-server both are pointed at.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from tests.redis_peer import RedisPeer, two_instances

STUBS = {
    "endpoints": [
        {"path": "/static", "response": {"ok": True}},
        {"path": "/hello/{name}", "response": {"hello": "{{ request.params.name }}"}},
        {
            "name": "pay",
            "method": "POST",
            "path": "/pay",
            "scenario": {"name": "checkout", "when": "Started", "then": "paid"},
            "response": {"paid": True},
        },
        {
            "path": "/order",
            "scenario": {"name": "checkout", "when": "paid"},
            "response": {"order": "paid"},
        },
        {
            "path": "/order",
            "scenario": {"name": "checkout", "when": "Started"},
            "response": {"order": "open"},
        },
        {"path": "/limited", "rate_limit": {"requests": 3, "per": "1h"}, "response": "ok"},
        {
            "path": "/turns",
            "mode": "cycle",
            "responses": [{"response": {"turn": n}} for n in (1, 2, 3)],
        },
        {
            "path": "/flaky",
            "fail_every": 2,
            "response": "ok",
        },
    ]
}


@pytest.fixture
def pair(tmp_path: Path, redis_peer: RedisPeer) -> Iterator[tuple[MockServer, MockServer]]:
    config = tmp_path / "apidouble.json"
    config.write_text(json.dumps(STUBS))
    with two_instances(config, redis_peer) as pair:
        yield pair


def test_two_instances_share_scenarios_limits_and_sequences(
    pair: tuple[MockServer, MockServer],
) -> None:
    one, two = pair
    assert httpx.get(two.url + "/order").json() == {"order": "open"}
    assert httpx.post(one.url + "/pay").json() == {"paid": True}
    assert httpx.get(two.url + "/order").json() == {"order": "paid"}
    assert httpx.post(two.url + "/pay").status_code == 404  # the transition was taken
    limited = [httpx.get(s.url + "/limited").status_code for s in (one, two, one, two)]
    assert limited == [200, 200, 200, 429]
    turns = [httpx.get(s.url + "/turns").json()["turn"] for s in (one, two, two, one)]
    assert turns == [1, 2, 3, 1]
    flaky = [httpx.get(s.url + "/flaky").status_code for s in (one, two, one, two)]
    assert flaky == [200, 500, 200, 500]


def test_admin_changes_on_one_instance_reach_the_other(
    pair: tuple[MockServer, MockServer],
) -> None:
    one, two = pair
    moved = httpx.put(one.url + "/__admin/scenarios/checkout/state", json={"state": "paid"})
    assert moved.status_code == 200
    assert httpx.get(two.url + "/order").json() == {"order": "paid"}
    listed = httpx.get(two.url + "/__admin/scenarios").json()["scenarios"]
    assert [(s["name"], s["state"]) for s in listed] == [("checkout", "paid")]
    httpx.post(two.url + "/__admin/scenarios/reset")
    assert httpx.get(one.url + "/order").json() == {"order": "open"}
    httpx.post(one.url + "/pay")
    one.reset()  # the Python API, from this thread: resets the shared state too
    assert httpx.get(two.url + "/order").json() == {"order": "open"}


def test_redis_going_away_loses_nothing_and_stateless_stubs_answer_throughout(
    pair: tuple[MockServer, MockServer], redis_peer: RedisPeer
) -> None:
    one, two = pair
    assert httpx.post(one.url + "/pay").status_code == 200
    assert [httpx.get(one.url + "/limited").status_code for _ in range(2)] == [200, 200]
    redis_peer.kill()
    assert httpx.get(one.url + "/static").json() == {"ok": True}
    assert httpx.get(two.url + "/hello/ada").json() == {"hello": "ada"}
    refused = httpx.get(two.url + "/order")
    assert refused.status_code == 503
    assert refused.json()["error"] == "state store unavailable"
    assert "unreachable" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    health = httpx.get(two.url + "/__admin/health").json()
    assert health["status"] == "degraded" and health["state"]["status"] == "down"
    assert httpx.get(one.url + "/static").status_code == 200
    redis_peer.start()  # killed with SIGKILL: what survives is what Redis acknowledged
    health = wait_healthy(two)
    assert health["state"]["status"] == "up"
    assert httpx.get(two.url + "/order").json() == {"order": "paid"}
    wait_healthy(one)
    assert [httpx.get(one.url + "/limited").status_code for _ in range(2)] == [200, 429]


def wait_healthy(mock: MockServer) -> dict[str, object]:
    """Health probes reconnect within the backoff (at most 5 s); ask until it is up."""
    with httpx.Client(timeout=5) as client:
        for _ in range(200):
            health: dict[str, object] = client.get(mock.url + "/__admin/health").json()
            if health["status"] == "healthy":
                return health
            time.sleep(0.05)
    raise AssertionError(f"still {health}")


def test_an_addon_waits_on_shared_state_through_the_pipeline(
    tmp_path: Path, redis_peer: RedisPeer
) -> None:
    (tmp_path / "hooks.py").write_text(
        "def response(flow):\n"
        "    flow.response.set_header('X-Count', str(flow.state.count('hits')))\n"
    )
    (tmp_path / "apidouble.yaml").write_text(
        "addons: [hooks.py]\nendpoints:\n  - path: /hi\n    response: {hi: there}\n"
    )
    with (
        MockServer(tmp_path, state=redis_peer.url) as one,
        MockServer(tmp_path, state=redis_peer.url) as two,
    ):
        counts = [httpx.get(s.url + "/hi").headers["x-count"] for s in (one, two, one)]
    assert counts == ["1", "2", "3"]
