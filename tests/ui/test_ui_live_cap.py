"""The live stream under load: a poll sends the newest ``CAP`` entries at most and counts
the rest as skipped, so its work and what the browser gets stay bounded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.journal import Journal
from apidouble.model import Request
from apidouble.outcome import Respond
from apidouble.ui.live import CAP, LiveRoute, newer_than

ENDPOINTS = [{"id": "hello", "path": "/hello", "response": {"message": "hi"}}]
BURST = 1000


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS) as server:
        yield server


def _parse(chunk: bytes) -> list[tuple[str, Any]]:
    events = []
    for block in chunk.decode().split("\n\n"):
        name = data = None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if name is not None:
            events.append((name, data))
    return events


def _burst(mock: MockServer, count: int) -> None:
    with httpx.Client(base_url=mock.url) as client:
        for number in range(count):
            assert client.get(f"/hello?n={number}").status_code == 200


class _Counting:
    """A journal that counts the entries parsed for the stream (what a poll costs)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.parsed = 0

    def newest(self, limit: int | None = None) -> list[dict[str, Any]]:
        found = self.journal.newest(limit)
        self.parsed += len(found)
        return found

    def __len__(self) -> int:
        return len(self.journal)

    @property
    def size_bytes(self) -> int:
        return self.journal.size_bytes

    @property
    def evicted_total(self) -> int:
        return self.journal.evicted_total

    def tallies(self) -> dict[str | None, Any]:
        return dict(self.journal.tallies())


async def test_a_burst_between_two_polls_sends_the_newest_cap_and_counts_the_rest(
    mock: MockServer,
) -> None:
    runtime = mock._runtime
    journal = _Counting(runtime.journal)
    live = LiveRoute(journal, runtime.counters, poll_s=0.01, stats_s=0.0)
    answer = live(Request("GET", "/__admin/ui/live", headers=(("accept", "text/event-stream"),)))
    assert isinstance(answer, Respond) and answer.stream is not None
    stream = answer.stream.__aiter__()
    try:
        opening = _parse(await stream.__anext__())
        assert [name for name, _ in opening] == ["stats"]
        assert opening[0][1]["skipped"] == 0
        await asyncio.to_thread(_burst, mock, BURST)  # the stream does not poll meanwhile
        journal.parsed = 0
        events = _parse(await stream.__anext__())
        assert journal.parsed <= CAP + 1  # the probe, then only what is sent
        sent = [data for name, data in events if name == "request"]
        stats = [data for name, data in events if name == "stats"]
        assert len(sent) == CAP
        assert len(stats) == 1 and stats[0]["skipped"] == BURST - CAP
        queries = [entry["query"] for entry in sent]
        assert queries == [f"n={number}" for number in range(BURST - CAP, BURST)]
        await asyncio.to_thread(_burst, mock, 3)  # a small batch: all of it, none skipped
        events = _parse(await stream.__anext__())
        sent = [data for name, data in events if name == "request"]
        assert [entry["query"] for entry in sent] == ["n=0", "n=1", "n=2"]
        assert [data["skipped"] for name, data in events if name == "stats"] == [0]
    finally:
        await answer.stream.aclose()


def test_newer_than_reads_all_of_a_small_batch_and_nothing_when_idle(mock: MockServer) -> None:
    journal = mock._runtime.journal
    _burst(mock, 5)
    last = journal.newest(1)[0]["id"]
    assert newer_than(journal, last) == ([], 0)
    _burst(mock, 3)
    fresh, skipped = newer_than(journal, last)
    assert [entry["id"] for entry in fresh] == [last + 1, last + 2, last + 3]
    assert skipped == 0
    fresh, skipped = newer_than(journal, last - 5, cap=4)
    assert [entry["id"] for entry in fresh] == [last, last + 1, last + 2, last + 3]
    assert skipped == 4
