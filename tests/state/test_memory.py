"""The in-memory state store: counts, origins, windows, caches; reset, retain, bounds."""

from __future__ import annotations

import pytest

from apidouble.state.clock import SYSTEM_CLOCK, ManualClock
from apidouble.state.memory import MemorySpace, MemoryStore


def test_counts_are_per_key_and_start_at_one() -> None:
    space = MemorySpace()
    assert [space.count("a"), space.count("a"), space.count("b")] == [1, 2, 1]


def test_origin_is_the_first_time_seen() -> None:
    space = MemorySpace()
    assert space.origin("a", 5.0) == 5.0
    assert space.origin("a", 9.0) == 5.0


def test_admit_is_a_sliding_log_and_release_takes_back() -> None:
    space = MemorySpace()
    assert space.admit("k", 0.0, 2, 10.0) == (True, 1, 10.0)
    assert space.admit("k", 1.0, 2, 10.0) == (True, 2, 10.0)
    assert space.admit("k", 2.0, 2, 10.0)[0] is False
    space.release("k", 1.0)
    assert space.admit("k", 3.0, 2, 10.0)[0] is True
    assert space.admit("k", 10.5, 2, 10.0)[0] is True  # 0.0 left the window


def test_cache_expires() -> None:
    space = MemorySpace()
    space.cache(("a",), "A", until=10.0)
    assert space.cached(("a",), 9.9) == "A"
    assert space.cached(("a",), 10.0) is None and space.cache_size() == 0


def test_keys_are_bounded() -> None:
    space = MemorySpace(max_keys=3)
    for n in range(100):
        space.count(str(n))
    assert space.known_keys() == 3


def test_store_hands_out_the_same_space_by_name() -> None:
    store = MemoryStore()
    first = store.space("stub/flaky/1")
    first.count("")
    assert store.space("stub/flaky/1") is first
    assert store.space("stub/flaky/2") is not first


def test_reset_by_prefix_and_retain() -> None:
    store = MemoryStore()
    store.space("a/x").count("")
    store.space("b/x").count("")
    store.reset("a/")
    assert store.space("a/x").count("") == 1  # emptied
    assert store.space("b/x").count("") == 2  # untouched
    store.retain({"b/x"})
    assert store.names() == ["b/x"]


def test_clocks() -> None:
    clock = ManualClock(wall=100.0, monotonic=5.0)
    clock.advance(2.5)
    assert (clock.time(), clock.monotonic()) == (102.5, 7.5)
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert SYSTEM_CLOCK.monotonic() <= SYSTEM_CLOCK.monotonic()
