"""Exact per-stub counters that survive eviction, and the per-stub index behind find."""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any

import pytest

from apidouble import journal as journal_module
from apidouble.journal import Journal, JournalLimits, Tally

from .test_journal import event, stub

A = stub("id-a", "alpha", "/a")
B = stub("id-b", "beta", "/b")


def evicting_journal() -> Journal:
    """300 exchanges for alpha, 200 for beta, 100 unmatched, interleaved, most evicted."""
    journal = Journal(JournalLimits(budget_bytes=30_000))
    for n in range(600):
        chosen = (A, A, B, A, B, None)[n % 6]
        journal.record(event(f"/p{n}", stub=chosen, status=200 if n % 2 else 201))
    return journal


def test_stub_counts_stay_exact_after_eviction() -> None:
    journal = evicting_journal()
    kept_a = len(journal.find(stub="alpha"))
    assert 0 < kept_a < 300 and len(journal) < 600
    assert journal.count(stub="alpha") == journal.count(stub="id-a") == 300
    assert journal.count(stub="beta") == 200
    assert journal.count(unmatched=True) == 100
    assert journal.count() == 600
    assert journal.evicted(stub="alpha") == 300 - kept_a
    assert journal.evicted(unmatched=True) == 100 - len(journal.find(unmatched=True))
    assert journal.evicted() == journal.dropped == 600 - len(journal)


def test_other_conditions_count_the_kept_entries_only() -> None:
    journal = evicting_journal()
    kept_a = journal.find(stub="alpha")
    assert journal.count(stub="alpha", status=200) == sum(e["status"] == 200 for e in kept_a)
    assert journal.count(stub="alpha", since=0.0) == len(kept_a)
    assert journal.count(stub="alpha", limit=3) == 3
    assert journal.count(unmatched=False) == len(journal) - len(journal.find(unmatched=True))
    assert journal.count(stub="alpha", unmatched=True) == 0


def test_tallies_add_up() -> None:
    journal = evicting_journal()
    tallies = journal.tallies()
    assert set(tallies) == {"id-a", "id-b", None}
    gone = journal.evicted(stub="alpha")
    assert gone > 0 and tallies["id-a"] == Tally("alpha", 300, 300 - gone, gone)
    assert tallies[None].label is None
    assert sum(t.kept for t in tallies.values()) == len(journal)
    assert sum(t.recorded for t in tallies.values()) == 600


def test_a_stub_evicted_entirely_keeps_its_count_and_comes_back() -> None:
    journal = Journal(JournalLimits(budget_bytes=8_000))
    for _ in range(3):
        journal.record(event(stub=A))
    for n in range(200):
        journal.record(event(f"/{n}", stub=B))
    assert journal.find(stub="alpha") == []
    assert journal.count(stub="alpha") == journal.evicted(stub="alpha") == 3
    journal.record(event(stub=A))
    assert journal.count(stub="alpha") == 4 and len(journal.find(stub="alpha")) == 1
    assert journal.tallies()["id-a"] == Tally("alpha", 4, 1, 3)


def test_a_label_shared_by_several_ids_and_a_renamed_id() -> None:
    journal = Journal()
    first, second = stub("id-1", "dup"), stub("id-2", "dup")
    journal.record(event("/1", stub=first))
    journal.record(event("/2", stub=second))
    journal.record(event("/3", stub=first))
    assert journal.count(stub="dup") == 3
    assert [e["path"] for e in journal.find(stub="dup")] == ["/3", "/2", "/1"]
    assert [e["path"] for e in journal.find(stub="dup", limit=2)] == ["/3", "/2"]
    journal.record(event("/4", stub=stub("id-1", "renamed")))  # reloaded under a new name
    # A label stands for the ids recorded under it, each with its whole history:
    assert journal.count(stub="renamed") == journal.count(stub="id-1") == 3
    assert journal.count(stub="dup") == 4
    labels = [e["stub"] for e in journal.find(stub="renamed")]
    assert labels == ["renamed", "dup", "dup"], "entries keep the label they were served under"


def test_an_unnamed_stub_is_found_by_its_label() -> None:
    journal = Journal()
    unnamed = stub("id-u", None, "/u")
    journal.record(event("/u", stub=unnamed))
    assert journal.count(stub=unnamed.label) == 1 and journal.count(stub="id-u") == 1
    assert journal.count(stub="nobody") == 0 and journal.find(stub="nobody") == []


def test_clear_resets_counters_but_not_entry_ids() -> None:
    journal = evicting_journal()
    journal.clear()
    assert journal.count() == journal.count(stub="alpha") == journal.dropped == 0
    assert journal.tallies() == {} and journal.size_bytes == 0
    journal.record(event(stub=A))
    assert journal.count(stub="alpha") == 1 and journal.newest()[0]["id"] == 601


@pytest.fixture
def loads_counter(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many blobs the journal parses (marshal.loads, as the journal module calls it)."""
    calls = [0]

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(marshal, name)

        def loads(self, blob: bytes) -> Any:
            calls[0] += 1
            return marshal.loads(blob)

    monkeypatch.setattr(journal_module, "marshal", Counting())
    return lambda: calls[0]


def test_find_by_stub_reads_only_that_stubs_entries(loads_counter: Callable[[], int]) -> None:
    journal = Journal()
    for n in range(1_000):
        journal.record(event(f"/{n}", stub=A if n % 100 == 0 else B))
    before = loads_counter()
    found = journal.find(stub="alpha")
    assert len(found) == 10 and loads_counter() - before == 10
    before = loads_counter()
    assert len(journal.find(stub="alpha", limit=2)) == 2 and loads_counter() - before == 2
    before = loads_counter()
    assert journal.count(stub="alpha") == 10 and loads_counter() == before


def test_newest_with_a_limit_reads_only_what_it_returns(loads_counter: Callable[[], int]) -> None:
    journal = Journal()
    for n in range(500):
        journal.record(event(f"/{n}"))
    before = loads_counter()
    assert [e["path"] for e in journal.find(limit=2)] == ["/499", "/498"]
    assert loads_counter() - before == 2


def test_removed_entries_go_with_their_counts_and_bytes() -> None:
    journal = Journal()
    kept_only = Journal()
    for n in range(30):
        chosen = (A, B, None)[n % 3]
        journal.record(event(f"/p{n}", stub=chosen))
        if n % 5:
            kept_only.record(event(f"/p{n}", stub=chosen))
    doomed = [entry["id"] for entry in journal.newest() if int(entry["path"][2:]) % 5 == 0]
    assert journal.remove(doomed) == 6
    assert journal.remove(doomed) == 0  # gone already
    assert len(journal) == 24
    assert [e["path"] for e in journal.newest()] == [e["path"] for e in kept_only.newest()]
    assert journal.count(stub="alpha") == kept_only.count(stub="alpha") == 8
    assert journal.count(unmatched=True) == kept_only.count(unmatched=True) == 8
    assert journal.size_bytes == kept_only.size_bytes
    journal.record(event("/after", stub=A))
    assert journal.count(stub="alpha") == 9 and journal.newest(1)[0]["path"] == "/after"


def test_removal_keeps_eviction_counts() -> None:
    journal = evicting_journal()
    evicted = journal.evicted(stub="alpha")
    kept = journal.find(stub="alpha")
    journal.remove([kept[0]["id"]])
    assert journal.count(stub="alpha") == 299
    assert journal.evicted(stub="alpha") == evicted


def test_removal_keeps_every_label_a_stub_was_recorded_under() -> None:
    journal = Journal()
    for label in ("a", "a", "b", "b"):
        journal.record(event("/p", stub=stub("s1", label, "/p")))
    journal.remove([journal.newest(1)[0]["id"]])
    assert journal.count(stub="a") == journal.count(stub="s1") == 3
