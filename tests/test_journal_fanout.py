"""Served-event listeners and bounded subscriptions; readers on other threads."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from apidouble.errors import ApidoubleError
from apidouble.journal import Journal, JournalLimits
from apidouble.journal_fanout import MAX_OUTLETS
from apidouble.model import ServeEvent

from .test_journal import event, stub


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Let the interpreter switch threads every few bytecodes, so the writer and the
    readers interleave at many more points."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_a_listener_sees_each_event_after_it_is_recorded() -> None:
    journal = Journal()
    seen: list[tuple[str, int]] = []

    def listener(served: ServeEvent) -> None:
        seen.append((served.request.path, len(journal)))

    unsubscribe = journal.listen(listener)
    journal.record(event("/one"))
    journal.record(event("/two"))
    unsubscribe()
    journal.record(event("/three"))
    assert seen == [("/one", 1), ("/two", 2)]
    unsubscribe()  # twice is harmless


def test_a_failing_listener_is_logged_and_breaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    journal = Journal()
    after: list[str] = []

    def broken(served: ServeEvent) -> None:
        raise RuntimeError("listener bug")

    journal.listen(broken)
    journal.listen(lambda served: after.append(served.request.path))
    with caplog.at_level(logging.ERROR, logger="apidouble.journal_fanout"):
        journal.record(event("/a"))
        journal.record(event("/b"))
    assert len(journal) == 2 and after == ["/a", "/b"]
    assert "listener bug" in caplog.text and "broken" in caplog.text
    assert len(caplog.records) == 1, "the first failure is logged, repeats are counted"


def test_listeners_and_subscriptions_are_bounded() -> None:
    journal = Journal()
    for _ in range(MAX_OUTLETS - 1):
        journal.listen(lambda served: None)
    subscription = journal.subscribe()
    with pytest.raises(ApidoubleError, match="at most"):
        journal.listen(lambda served: None)
    subscription.close()
    journal.listen(lambda served: None)


def test_a_subscription_keeps_the_newest_and_counts_what_it_dropped() -> None:
    journal = Journal()
    journal.record(event("/before"))
    with journal.subscribe(max_pending=3) as subscription:
        for n in range(5):
            journal.record(event(f"/{n}", stub=stub("id-x", "x")))
        assert subscription.pending == 3 and subscription.dropped == 2
        first = subscription.take(limit=1)
        assert [e["path"] for e in first] == ["/2"] and first[0]["stub"] == "x"
        assert [e["path"] for e in subscription.take()] == ["/3", "/4"]
        assert subscription.take() == [] and subscription.dropped == 2
    journal.record(event("/after"))
    assert subscription.pending == 0, "a closed subscription receives nothing"
    with pytest.raises(ApidoubleError):
        journal.subscribe(max_pending=0)


def test_wake_is_called_when_an_entry_arrives_in_an_empty_buffer() -> None:
    journal = Journal()
    wakes: list[int] = []
    subscription = journal.subscribe(wake=lambda: wakes.append(subscription.pending))
    journal.record(event("/1"))
    journal.record(event("/2"))
    assert wakes == [1]
    subscription.take()
    journal.record(event("/3"))
    assert wakes == [1, 1]


@pytest.mark.usefixtures("switch_often")
def test_a_consumer_thread_receives_every_entry_in_order() -> None:
    journal = Journal(JournalLimits(budget_bytes=20_000))
    arrived = threading.Event()
    subscription = journal.subscribe(max_pending=10_000, wake=arrived.set)
    writer = threading.Thread(target=lambda: [journal.record(event(f"/{n}")) for n in range(2_000)])
    received: list[str] = []
    writer.start()
    while len(received) < 2_000:
        arrived.clear()
        taken = subscription.take()
        if not taken:
            assert arrived.wait(10), "the writer stopped waking the consumer"
        received.extend(entry["path"] for entry in taken)
    writer.join()
    assert received == [f"/{n}" for n in range(2_000)] and subscription.dropped == 0
    assert len(journal) < 2_000, "the journal evicted while the subscription kept up"


@pytest.mark.usefixtures("switch_often")
def test_readers_on_another_thread_while_the_writer_evicts_and_clears() -> None:
    journal = Journal(JournalLimits(budget_bytes=20_000))
    stubs = [stub(f"id-{n}", f"s{n}") for n in range(5)]
    done, clearing = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(20_000):
                journal.record(event(f"/{n}", stub=stubs[n % 5] if n % 3 else None))
                if n == 10_000:
                    clearing.set()  # before: a reader may see the reset at once
                    journal.clear()
        except BaseException as exc:  # reported to the test thread
            failures.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    last, decreases = 0, 0
    while not done.is_set():
        total = journal.count(stub="s1")
        if total < last:
            decreases += 1
            assert clearing.is_set() and decreases == 1, "a count went backwards"
        last = total
        journal.find(stub="s2", status=200)
        journal.newest(5)
        journal.find(method="GET", limit=3)
        journal.tallies()
    writer.join()
    assert not failures
    assert journal.count() == 20_000 - 10_001
    assert sum(t.recorded for t in journal.tallies().values()) == journal.count()
