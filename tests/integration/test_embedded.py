"""Embedded servers (MockServer, the pytest fixtures) leave nothing behind in the host."""

from __future__ import annotations

import gc
import os
import weakref

import httpx

from apidouble import MockServer
from apidouble.engine import Engine


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cycle(engines: list[weakref.ref[Engine]]) -> None:
    with MockServer(endpoints=[{"path": "/ping", "response": {"ok": True}}]) as mock:
        assert httpx.get(mock.url + "/ping").json() == {"ok": True}
        engines.append(weakref.ref(mock._runtime.engine))


def test_fifty_servers_leave_flat_memory_and_no_engine_alive() -> None:
    engines: list[weakref.ref[Engine]] = []
    for _ in range(10):  # warm up: imports, caches, the allocator's arenas
        _cycle(engines)
    gc.collect()
    before = _rss_bytes()
    for _ in range(50):
        _cycle(engines)
    gc.collect()
    grown = _rss_bytes() - before
    alive = sum(ref() is not None for ref in engines)
    assert alive == 0, f"{alive} of {len(engines)} engines are still alive"
    assert grown < 20 * 1024 * 1024, f"RSS grew {grown / 1e6:.1f} MB over 50 servers"
    assert not gc.get_freeze_count(), "an embedded server froze the host's objects"


def test_the_cli_path_freezes_and_the_embedded_one_does_not() -> None:
    from apidouble.runtime import Runtime

    assert Runtime().freeze_gc is False
    assert Runtime(freeze_gc=True).freeze_gc is True
