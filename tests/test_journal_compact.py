"""Express-lane exchanges kept as compact entries read back exactly as blobs do: every
query, the entry by id, removal and eviction see the same thing in both forms."""

from __future__ import annotations

from typing import Any

import pytest

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.express import ExpressRoute, express_routes
from apidouble.journal import Journal, JournalLimits

HEAD = b"GET /static HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n"
CLIENT = ("127.0.0.1", 40000)


class BlobJournal(Journal):
    compact = False


def _route(body: str = "x" * 40, **endpoint: Any) -> ExpressRoute:
    loaded = load_data({"endpoints": [{"name": "static", "path": "/static", **endpoint,
                                       "response": body}]})  # fmt: skip
    routes = express_routes(compile_config(loaded.stubs, seed=1))
    return routes[b"GET"][b"/static"]


def _fill(journal: Journal, route: ExpressRoute, count: int) -> None:
    for n in range(count):
        query = "" if n % 2 else f"page={n}"
        journal.record_express(route, bytes(HEAD), CLIENT, 1000.0 + n, 0.001 * n, query)


@pytest.mark.parametrize("cap", [1 << 16, 8])
def test_compact_entries_read_back_as_blobs_do(cap: int) -> None:
    route = _route()
    compact, blobs = (
        Journal(JournalLimits(body_cap_bytes=cap)),
        BlobJournal(JournalLimits(body_cap_bytes=cap)),
    )
    _fill(compact, route, 20)
    _fill(blobs, route, 20)
    assert isinstance(compact._state.entries[0], tuple)
    assert isinstance(blobs._state.entries[0], bytes)
    assert compact.newest() == blobs.newest()
    assert compact.find(stub="static", limit=3) == blobs.find(stub="static", limit=3)
    assert compact.find(path="/static", method="GET") == blobs.find(path="/static", method="GET")
    assert compact.entry(7) == blobs.entry(7) and compact.entry(7) is not None
    assert compact.newest(1)[0]["response"]["body"] == ("x" * 40)[:cap]
    assert compact.tallies() == blobs.tallies()
    assert compact.remove({3, 4, 99}) == blobs.remove({3, 4, 99}) == 2
    assert compact.newest() == blobs.newest() and len(compact) == 18


def test_compact_entries_count_against_the_budget_and_evict_exactly() -> None:
    route = _route()
    journal = Journal(JournalLimits(budget_bytes=20_000))
    _fill(journal, route, 1_000)
    kept = len(journal)
    assert 0 < kept < 1_000
    assert journal.size_bytes <= 20_000
    assert journal.tallies()[route.stub.id].recorded == 1_000
    assert journal.tallies()[route.stub.id].evicted == 1_000 - kept
    assert [e["id"] for e in journal.newest(2)] == [1_000, 999]


def test_a_compact_entry_counts_at_least_what_it_keeps_alive() -> None:
    """The head bytes the entry holds are counted: a longer head costs more."""
    route = _route()
    short, long = Journal(), Journal()
    short.record_express(route, bytes(HEAD), CLIENT, 1.0, 0.0)
    long.record_express(route, bytes(HEAD) + b"X" * 1000, CLIENT, 1.0, 0.0)
    assert long.size_bytes - short.size_bytes >= 1000
