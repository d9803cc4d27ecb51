"""The journal: bounded by bytes, capped bodies, newest first, queries."""

from __future__ import annotations

import gc

from apidouble.journal import Journal, JournalLimits
from apidouble.model import Request, RequestPattern, ServeEvent, Stub


def event(path: str = "/a", body: bytes = b"", status: int = 200) -> ServeEvent:
    request = Request("GET", path, "x=1", (("Host", "h"),), body, ("127.0.0.1", 5000))
    return ServeEvent(request, 1.0, status=status)


def test_newest_first_with_limit_and_fields() -> None:
    journal = Journal()
    for n in range(5):
        journal.record(event(f"/p{n}"))
    newest = journal.newest(2)
    assert [e["path"] for e in newest] == ["/p4", "/p3"]
    assert newest[0]["query"] == "x=1" and newest[0]["headers"] == [["Host", "h"]]
    assert newest[0]["client"] == "127.0.0.1" and newest[0]["id"] == 5


def test_budget_evicts_oldest_and_counts_real_memory() -> None:
    journal = Journal(JournalLimits(budget_bytes=10_000, body_cap_bytes=1_000))
    for n in range(200):
        journal.record(event(f"/p{n}", b"y" * 500))
    assert journal.size_bytes <= 10_000
    assert 0 < len(journal) < 200 and journal.dropped == 200 - len(journal)
    assert journal.newest(1)[0]["path"] == "/p199"


def test_body_cap_and_binary_bodies() -> None:
    journal = Journal(JournalLimits(body_cap_bytes=4))
    journal.record(event(body=b"abcdefgh"))
    journal.record(event(body=b"\xff\xfe\x00"))
    binary, text = journal.newest()
    assert (text["body"], text["body_truncated"], text["body_size"]) == ("abcd", True, 8)
    assert binary["body_encoding"] == "base64" and binary["body"] == "//4A"


def test_find_and_count() -> None:
    journal = Journal()
    stub = Stub("id-1", RequestPattern(), responses=(), name="named")
    matched = event("/m")
    matched.stub = stub
    journal.record(matched)
    journal.record(event("/m", status=404))
    assert journal.count(path="/m") == 2
    assert journal.count(stub="named") == journal.count(stub="id-1") == 1
    assert journal.count(method="get", status=404) == 1
    journal.clear()
    assert len(journal) == 0 and journal.size_bytes == 0


def test_entries_are_not_tracked_by_the_gc() -> None:
    journal = Journal()
    journal.record(event())
    assert not any(gc.is_tracked(blob) for blob in journal._entries)
