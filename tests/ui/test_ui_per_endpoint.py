"""The stream's per-endpoint breakdown: each stub's answers per stats period by status
class and errors, exact (from the counters) and bounded (the rest folded into ``other``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.metrics import Counters
from apidouble.ui.per_endpoint import MAX_ENDPOINTS, breakdown, totals
from tests.ui.test_ui_server import EVENTS, TIMEOUT, Events

ENDPOINTS = [
    {"id": "hello", "name": "hello", "path": "/hello", "response": {"message": "hi"}},
    {"id": "boom", "name": "boom", "path": "/boom", "status": 503, "response": "down"},
    {"id": "broken", "name": "broken", "path": "/broken", "fault": "connection_reset"},
]


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS) as server:
        yield server


def _summed(stats: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each endpoint's status classes and errors over several stats events."""
    found: dict[str, dict[str, int]] = {}
    for event in stats:
        for row in event["endpoints"]:
            into = found.setdefault(row["stub"], {})
            for kind, count in [*row["status"].items(), ("errors", row["errors"])]:
                into[kind] = into.get(kind, 0) + count
    return found


def test_stats_say_what_each_endpoint_answered_and_its_errors(mock: MockServer) -> None:
    httpx.get(mock.url + "/hello")  # before the stream: not in its periods
    with httpx.stream(
        "GET", mock.url + "/__admin/ui/live", headers=EVENTS, timeout=TIMEOUT
    ) as live:
        stream = Events(live)
        opening = stream.first("stats")
        assert opening["endpoints"] == [] and opening["other"] is None
        for _ in range(3):
            httpx.get(mock.url + "/hello")
        for _ in range(2):
            assert httpx.get(mock.url + "/boom").status_code == 503
        with pytest.raises(httpx.TransportError):
            httpx.get(mock.url + "/broken")
        assert httpx.get(mock.url + "/nowhere").status_code == 404
        stats: list[dict[str, Any]] = []
        for name, data in stream:
            if name == "stats":
                stats.append(data)
                if sum(event["requests"] for event in stats) >= 7:
                    break
    assert _summed(stats) == {
        "hello": {"2xx": 3, "errors": 0},
        "boom": {"5xx": 2, "errors": 2},
        "broken": {"fault": 1, "errors": 1},
        "": {"4xx": 1, "errors": 0},  # unmatched
    }
    assert all(event["other"] is None for event in stats)
    busiest = next(event for event in stats if event["endpoints"])["endpoints"][0]
    assert busiest["stub"] in ("hello", "boom")  # busiest first


def test_past_the_cap_the_quieter_endpoints_are_folded_into_other() -> None:
    counters = Counters()
    before = totals(counters)
    for number in range(MAX_ENDPOINTS + 10):
        counters.cell((f"stub-{number:02d}", "GET", 200)).hits += 100 - number
    counters.cell(("stub-59", "GET", 500)).hits += 1
    counters.cell(("stub-58", "GET", 0)).hits += 1
    shown, other = breakdown(totals(counters), before)
    assert len(shown) == MAX_ENDPOINTS
    assert [row["stub"] for row in shown[:2]] == ["stub-00", "stub-01"]
    assert shown[0] == {"stub": "stub-00", "status": {"2xx": 100}, "errors": 0}
    assert other == {
        "endpoints": 10,
        "status": {"2xx": sum(100 - n for n in range(50, 60)), "5xx": 1, "fault": 1},
        "errors": 2,
    }
    again, nothing = breakdown(totals(counters), totals(counters))
    assert again == [] and nothing is None  # only what moved since the last event
