"""The journal: bounded by bytes it really holds, capped bodies, newest first, queries,
the response summary, and no GC-tracked object per entry."""

from __future__ import annotations

import gc
import tracemalloc
import types
from collections.abc import Callable

import pytest

from apidouble.journal import Journal, JournalLimits
from apidouble.model import Request, RequestPattern, ServeEvent, Stub
from apidouble.outcome import NO_RESPONSE, Response


def event(
    path: str = "/a",
    body: bytes = b"",
    status: int = 200,
    stub: Stub | None = None,
    response: Response | None = None,
    raw: bool = False,
    received: float = 1.0,
) -> ServeEvent:
    """A ServeEvent as the engine leaves it; ``raw`` gives headers in the transport's form."""
    if raw:
        request = Request(
            "GET", path, "x=1", (), body, ("127.0.0.1", 5000), raw_headers=[(b"Host", b"h ")]
        )
    else:
        request = Request("GET", path, "x=1", (("Host", "h"),), body, ("127.0.0.1", 5000))
    served = ServeEvent(request, received, stub, status=status)
    served.response = response
    return served


def stub(ident: str, name: str | None = None, path: str = "/s") -> Stub:
    return Stub(ident, RequestPattern(path=path), responses=(), name=name)


def test_newest_first_with_limit_and_fields() -> None:
    journal = Journal()
    for n in range(5):
        journal.record(event(f"/p{n}"))
    newest = journal.newest(2)
    assert [e["path"] for e in newest] == ["/p4", "/p3"]
    assert newest[0]["query"] == "x=1" and newest[0]["headers"] == [["Host", "h"]]
    assert newest[0]["client"] == "127.0.0.1" and newest[0]["id"] == 5


def test_raw_headers_are_decoded_when_read() -> None:
    journal = Journal()
    journal.record(event(raw=True))
    assert journal.newest()[0]["headers"] == [["Host", "h"]]


def _held_bytes(limits: JournalLimits, fill: Callable[[Journal], None]) -> tuple[Journal, int]:
    """What ``fill`` adds to an empty journal, measured by tracemalloc, not by the journal."""
    gc.collect()
    tracemalloc.start()
    try:
        journal = Journal(limits)
        before = tracemalloc.get_traced_memory()[0]
        fill(journal)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return journal, held


def test_budget_evicts_oldest_and_counts_real_memory() -> None:
    def fill(journal: Journal) -> None:
        for n in range(2_000):
            journal.record(event(f"/p{n}", b"y" * 500))

    journal, held = _held_bytes(JournalLimits(budget_bytes=100_000, body_cap_bytes=1_000), fill)
    assert 0 < len(journal) < 2_000 and journal.dropped == 2_000 - len(journal)
    assert journal.newest(1)[0]["path"] == "/p1999"
    assert journal.size_bytes <= 100_000
    assert held <= 100_000, f"the journal holds {held} bytes on a 100,000-byte budget"


@pytest.mark.parametrize("stubs", [1, 50])
def test_real_memory_stays_in_budget_with_responses_and_many_stubs(stubs: int) -> None:
    """Small entries over many stubs: the per-stub index must be counted too."""
    stub_set = [stub(f"id-{n}", f"s{n}") for n in range(stubs)]
    sent = Response.build(200, [("content-type", "application/json")], b'{"ok": true}')

    def fill(journal: Journal) -> None:
        for n in range(6_000):
            chosen = stub_set[n % stubs] if n % 7 else None
            journal.record(event(f"/p{n}", stub=chosen, response=sent))

    journal, held = _held_bytes(JournalLimits(budget_bytes=200_000), fill)
    assert journal.dropped > 0
    assert held <= 200_000, f"the journal holds {held} bytes on a 200,000-byte budget"
    assert held >= 0.8 * journal.size_bytes, "the journal counts far more than it holds"


def _tracked_reachable(root: object) -> int:
    """GC-tracked objects reachable from ``root``, not counting code, classes, modules
    (after a collection: it untracks tuples that hold only atoms)."""
    gc.collect()
    skip = (type, types.ModuleType, types.FunctionType, types.CodeType)
    seen: set[int] = set()
    stack = [root]
    tracked = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        tracked += gc.is_tracked(obj)
        stack.extend(gc.get_referents(obj))
    return tracked


def test_gc_tracked_objects_do_not_grow_with_entries() -> None:
    journal = Journal()
    stubs = [stub("id-a", "a"), stub("id-b", "b"), None]
    sent = Response.build(200, [("x-a", "1")], b"{}")
    for n in range(300):
        journal.record(event(f"/p{n}", stub=stubs[n % 3], response=sent))
    few = _tracked_reachable(journal)
    for n in range(5_000):
        journal.record(event(f"/q{n}", b"body", stub=stubs[n % 3], response=sent))
    assert len(journal) == 5_300
    assert _tracked_reachable(journal) == few


def test_body_cap_and_binary_bodies() -> None:
    journal = Journal(JournalLimits(body_cap_bytes=4))
    journal.record(event(body=b"abcdefgh"))
    journal.record(event(body=b"\xff\xfe\x00"))
    binary, text = journal.newest()
    assert (text["body"], text["body_truncated"], text["body_size"]) == ("abcd", True, 8)
    assert binary["body_encoding"] == "base64" and binary["body"] == "//4A"


def test_find_and_count() -> None:
    journal = Journal()
    matched = event("/m", stub=Stub("id-1", RequestPattern(), responses=(), name="named"))
    journal.record(matched)
    journal.record(event("/m", status=404))
    assert journal.count(path="/m") == 2
    assert journal.count(stub="named") == journal.count(stub="id-1") == 1
    assert journal.count(method="get", status=404) == 1
    journal.clear()
    assert len(journal) == 0 and journal.size_bytes == 0


def test_response_summary_keeps_status_headers_and_body() -> None:
    journal = Journal()
    sent = Response.build(201, [("content-type", "application/json"), ("x-a", " b ")], b'{"a":1}')
    journal.record(event(response=sent))
    entry = journal.newest()[0]
    assert entry["response"] == {
        "status": 201,
        "headers": [["content-type", "application/json"], ["x-a", "b"], ["content-length", "7"]],
        "body": '{"a":1}',
        "body_size": 7,
    }
    assert "body" not in entry, "the request side is unchanged: no body, no body field"


def test_response_body_is_capped_and_binary_is_base64() -> None:
    journal = Journal(JournalLimits(body_cap_bytes=4))
    journal.record(event(response=Response.build(200, [], b"abcdefgh")))
    journal.record(event(response=Response.build(200, [], b"\xff\xfe\x00")))
    binary, text = (entry["response"] for entry in journal.newest())
    assert (text["body"], text["body_truncated"], text["body_size"]) == ("abcd", True, 8)
    assert (binary["body"], binary["body_encoding"], binary["body_size"]) == ("//4A", "base64", 3)


def test_response_summary_carries_the_delay_and_the_decision() -> None:
    journal = Journal()
    served = event(response=Response.build(503, [], b""), status=503)
    served.delay_s = 0.25
    served.decision = {"failure": {"status": 503}}
    journal.record(served)
    entry = journal.newest()[0]
    assert entry["response"]["delay_ms"] == entry["delay_ms"] == 250.0
    assert entry["response"]["decision"] == entry["decision"] == {"failure": {"status": 503}}
    assert entry["response"]["status"] == 503 and entry["response"]["body"] == ""


@pytest.mark.parametrize("sent", [None, NO_RESPONSE])
def test_nothing_sent_reads_back_as_no_response(sent: Response | None) -> None:
    journal = Journal()
    journal.record(event(status=0, response=sent))
    assert journal.newest()[0]["response"] is None


@pytest.mark.parametrize("cap", [0, 3])
def test_an_entry_cap_keeps_the_newest_and_the_counts_stay_exact(cap: int) -> None:
    journal = Journal(JournalLimits(max_entries=cap))
    kept = stub("s1")
    for index in range(5):
        journal.record(event(f"/p{index}", stub=kept))
    assert [e["path"] for e in journal.newest()] == [f"/p{i}" for i in (4, 3, 2)][:cap]
    assert journal.evicted("s1") == 5 - cap


def test_an_entry_is_found_by_its_number_while_it_is_kept() -> None:
    journal = Journal(JournalLimits(max_entries=4))
    for index in range(7):
        journal.record(event(f"/p{index}"))
    kept = [e["id"] for e in journal.newest()]
    assert kept == [7, 6, 5, 4]
    for seq in kept:
        found = journal.entry(seq)
        assert found is not None and found["path"] == f"/p{seq - 1}"
    assert journal.entry(3) is None and journal.entry(8) is None and journal.entry(0) is None
