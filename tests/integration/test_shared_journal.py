"""Two instances, one Redis, one journal: either lists both's traffic, counts stay exact.

Each ``MockServer`` is a whole runtime with its own loop and local journal; all they
share is the redis-server. A read flushes the reading instance's own buffer first, so
its latest requests are there at once; another instance's arrive with its next flush
(every 50 ms), or at once after that instance read its journal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from apidouble import MockServer
from apidouble.journal_redis import SharedJournal
from tests.redis_peer import RedisPeer

T = TypeVar("T")

STUBS = {
    "endpoints": [
        {"name": "static", "path": "/static", "response": {"ok": True}},
        {"name": "hello", "path": "/hello/{name}", "response": {"hi": "{{ request.params.name }}"}},
    ]
}


@contextmanager
def servers(
    tmp_path: Path, redis_peer: RedisPeer, **options: Any
) -> Iterator[tuple[MockServer, MockServer]]:
    config = tmp_path / "apidouble.json"
    config.write_text(json.dumps(STUBS))
    with ExitStack() as stack:
        one = stack.enter_context(MockServer(config, state=redis_peer.url, **options))
        two = stack.enter_context(MockServer(config, state=redis_peer.url, **options))
        yield one, two


@pytest.fixture
def pair(tmp_path: Path, redis_peer: RedisPeer) -> Iterator[tuple[MockServer, MockServer]]:
    with servers(tmp_path, redis_peer) as both:
        yield both


def journal_of(mock: MockServer) -> SharedJournal:
    journal = mock._runtime.journal
    assert isinstance(journal, SharedJournal)
    return journal


def eventually(read: Callable[[], T], holds: Callable[[T], bool], timeout: float = 5.0) -> T:
    """``read()`` until ``holds`` it: another process's flush cannot be awaited from here."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if holds(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def listed(mock: MockServer) -> list[str]:
    """``GET /__admin/requests`` (WireMock's shape): the URLs, newest first."""
    body = httpx.get(mock.url + "/__admin/requests").json()
    assert body["meta"]["total"] >= len(body["requests"])  # counted a moment later
    return [event["request"]["url"] for event in body["requests"]]


def test_either_instance_lists_both_instances_traffic(pair: tuple[MockServer, MockServer]) -> None:
    one, two = pair
    assert httpx.get(one.url + "/static").status_code == 200  # the express lane
    assert listed(one) == ["/static"]  # its own request, at once: the read flushed it
    assert httpx.get(two.url + "/hello/ada").json() == {"hi": "ada"}
    assert httpx.get(two.url + "/nowhere").status_code == 404
    assert listed(two) == ["/nowhere", "/hello/ada", "/static"]
    assert listed(one) == ["/nowhere", "/hello/ada", "/static"]  # two's read flushed them
    httpx.get(two.url + "/hello/bob")  # two does not read: its flusher sends it
    seen = eventually(lambda: listed(one), lambda urls: len(urls) == 4)
    assert seen == ["/hello/bob", "/nowhere", "/hello/ada", "/static"]
    ids = [entry["id"] for entry in one.requests.all()]
    assert ids == sorted(set(ids), reverse=True)  # one numbering across instances
    assert [e["path"] for e in one.requests.find(stub="hello")] == ["/hello/bob", "/hello/ada"]
    assert [e["path"] for e in two.requests.find(path="/static")] == ["/static"]
    unmatched = httpx.get(one.url + "/__admin/requests/unmatched").json()["requests"]
    assert [r["url"] for r in unmatched] == ["/nowhere"]
    one_event = httpx.get(one.url + "/__admin/requests").json()["requests"][-1]
    found = httpx.get(two.url + f"/__admin/requests/{one_event['id']}")
    assert found.status_code == 200 and found.json()["request"]["url"] == "/static"


def test_counts_are_exact_across_instances(pair: tuple[MockServer, MockServer]) -> None:
    one, two = pair
    with httpx.Client() as client:
        for mock, times in ((one, 3), (two, 4)):
            for _ in range(times):
                client.get(mock.url + "/static")
        client.get(one.url + "/hello/x")
    two.requests.all()  # two's own buffer goes out with its read
    count = httpx.post(one.url + "/__admin/requests/count", json={"url": "/static"})
    assert count.json()["count"] == 7
    assert one.verify(stub="static", times=7) == 7
    assert two.requests.count(stub="static") == 7
    assert two.requests.count() == 8


def test_counts_stay_exact_after_the_stream_is_trimmed(
    tmp_path: Path, redis_peer: RedisPeer
) -> None:
    with servers(tmp_path, redis_peer, max_request_journal_entries=10) as (one, two):
        with httpx.Client() as client:
            for _ in range(200):
                client.get(one.url + "/static")
                client.get(two.url + "/hello/x")
        two.requests.all()
        kept = len(one.requests)
        assert 10 <= kept < 400  # ``MAXLEN ~``: whole stream nodes go
        assert one.requests.count(stub="static") == 200
        assert one.verify(stub="hello", times=200) == 200
        assert two.requests.count() == 400
        assert journal_of(one).evicted() == 400 - kept
        tallies = journal_of(two).tallies()
        assert sorted((t.label, t.recorded) for t in tallies.values()) == [
            ("hello", 200),
            ("static", 200),
        ]


def test_a_clear_on_one_instance_clears_both(pair: tuple[MockServer, MockServer]) -> None:
    one, two = pair
    httpx.get(one.url + "/static")
    httpx.get(two.url + "/static")
    assert len(listed(two)) >= 1 and len(listed(one)) == 2
    assert httpx.delete(one.url + "/__admin/requests").status_code == 200
    assert listed(two) == []
    assert two.requests.count(stub="static") == 0
    httpx.get(two.url + "/hello/x")
    assert listed(two) == ["/hello/x"]
    httpx.get(one.url + "/static")
    assert listed(one) == ["/static", "/hello/x"]
    assert httpx.post(two.url + "/__admin/reset").status_code == 200
    assert listed(one) == [] and one.requests.count() == 0
    two.requests.clear()  # the Python API, from this thread
    assert one.requests.count() == 0


def test_redis_going_away_keeps_recording_and_reads_fall_back(
    tmp_path: Path, redis_peer: RedisPeer
) -> None:
    with servers(tmp_path, redis_peer, max_request_journal_entries=10) as (one, two):
        httpx.get(one.url + "/static")
        assert listed(one) == ["/static"]
        redis_peer.kill()
        with httpx.Client() as client:
            for _ in range(50):
                assert client.get(one.url + "/static").status_code == 200
                assert client.get(one.url + "/hello/x").status_code == 200
        local = listed(one)  # the local journal: 10 kept, no error
        assert len(local) == 10 and local[0] == "/hello/x"
        journal = journal_of(one)
        assert journal.fallback is not None and "unreachable" in journal.fallback
        status = journal.status()
        assert status["shared"] is False and status["buffered"] <= 20  # buffer and one batch
        assert one.requests.count(stub="static") == 51  # local counters meanwhile
        redis_peer.start()
        # two kept none of these locally: 101 there is one's counts, through Redis
        after = eventually(lambda: two.requests.count(), lambda n: n == 101, timeout=15)
        assert after == 101  # every count arrived, though entries were dropped
        assert journal.unsent_dropped > 0
        assert len(listed(two)) < 101
        assert two.requests.count(stub="hello") == 50
        assert one.requests.count(stub="hello") == 50 and journal.fallback is None
        assert two.verify(stub="static", times=51) == 51


def test_a_removal_on_one_instance_is_seen_on_both(pair: tuple[MockServer, MockServer]) -> None:
    one, two = pair
    httpx.get(one.url + "/static")
    httpx.get(one.url + "/hello/x")
    httpx.get(one.url + "/hello/y")
    one.requests.all()
    [static] = httpx.get(two.url + "/__admin/requests").json()["requests"][-1:]
    assert httpx.delete(two.url + f"/__admin/requests/{static['id']}").status_code == 200
    assert listed(one) == ["/hello/y", "/hello/x"]
    assert one.requests.count(stub="static") == 0  # a removal takes its count with it
    removed = httpx.post(two.url + "/__admin/requests/remove", json={"url": "/hello/x"})
    assert [e["request"]["url"] for e in removed.json()["serveEvents"]] == ["/hello/x"]
    assert listed(one) == ["/hello/y"] and one.requests.count(stub="hello") == 1


def test_without_a_journal_the_counts_are_still_shared(
    tmp_path: Path, redis_peer: RedisPeer
) -> None:
    with servers(tmp_path, redis_peer, request_journal=False) as (one, two):
        for mock in (one, two, two):
            httpx.get(mock.url + "/static")
        two.requests.all()
        assert one.requests.count(stub="static") == 3  # nothing kept, everything counted
        assert listed(one) == [] and len(one.requests) == 0
