"""Journal queries at scale: exact per-stub counts and indexed finds over an evicting journal.

Fills a journal with 200,000 exchanges spread over 1,000 stubs (plus some unmatched) on a
small budget, so most are evicted, then times ``count(stub=...)`` (answered from the
counters; target under 1 ms), ``find(stub=...)`` (read through the stub's index) and, to
compare, a query that has to scan every kept entry.

    .venv/bin/python bench/journal_query.py [--entries N] [--stubs N] [--budget-mib N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from apidouble.journal import Journal, JournalLimits
from apidouble.model import Request, RequestPattern, ServeEvent, Stub, ValueSpec
from apidouble.outcome import Response

RAW_HEADERS = [(b"Host", b"127.0.0.1:8000"), (b"User-Agent", b"wrk"), (b"Accept", b"*/*")]
TARGET_COUNT_MS = 1.0


def exchanges(stubs: int) -> list[ServeEvent]:
    """One reusable event per stub, and one unmatched (the journal copies what it keeps)."""
    events = []
    for n in range(stubs + 1):
        stub = Stub(f"id-{n}", RequestPattern(path=f"/s/{n}"), (), name=f"s{n}") if n else None
        request = Request(
            "GET", f"/s/{n}", "page=1", (), b"", ("127.0.0.1", 40000), raw_headers=RAW_HEADERS
        )
        event = ServeEvent(request, time.time(), stub, 200 if stub else 404)
        body = b'{"id": %d, "ok": true}' % n
        event.response = Response.build(event.status, [("content-type", "application/json")], body)
        events.append(event)
    return events


def timed(calls: list[Callable[[], object]]) -> list[float]:
    """Milliseconds per call."""
    spent = []
    for call in calls:
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def line(name: str, spent: list[float]) -> str:
    spent = sorted(spent)
    p99 = spent[min(len(spent) - 1, int(len(spent) * 0.99))]
    return (
        f"{name:50} median {statistics.median(spent):8.4f} ms   p99 {p99:8.4f} ms"
        f"   max {spent[-1]:8.4f} ms   ({len(spent)} calls)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--stubs", type=int, default=1_000)
    parser.add_argument("--budget-mib", type=float, default=8.0)
    args = parser.parse_args()
    journal = Journal(JournalLimits(budget_bytes=int(args.budget_mib * 1024 * 1024)))
    events = exchanges(args.stubs)
    started = time.perf_counter()
    for n in range(args.entries):
        journal.record(events[n % len(events)])
    fill_s = time.perf_counter() - started
    print(
        f"filled {args.entries:,} exchanges over {args.stubs:,} stubs in {fill_s:.2f} s"
        f" ({fill_s / args.entries * 1e6:.2f} us each); kept {len(journal):,}"
        f" in {journal.size_bytes / 1024 / 1024:.2f} MiB, evicted {journal.dropped:,}"
    )
    names = [f"s{n}" for n in range(1, args.stubs + 1)]
    counts = timed([lambda name=name: journal.count(stub=name) for name in names])
    exact = all(
        journal.count(stub=name) == journal.tallies()[f"id-{n}"].recorded
        for n, name in enumerate(names[:20], 1)
    )
    sample = names[:: max(1, len(names) // 200)]
    print(line("count(stub=name), exact after eviction", counts))
    print(line("count(unmatched=True)", timed([lambda: journal.count(unmatched=True)] * 200)))
    print(
        line(
            "find(stub=name)", timed([lambda name=name: journal.find(stub=name) for name in sample])
        )
    )
    print(
        line(
            "find(stub=name, limit=1)",
            timed([lambda n=n: journal.find(stub=n, limit=1) for n in sample]),
        )
    )
    per_stub = len(journal.find(stub=names[0]))
    print(f"  ({per_stub} kept entries per stub, {journal.count(stub=names[0])} recorded)")
    scans = sample[:10]
    print(
        line(
            "count(stub=name, status=200): kept, scans stub",
            timed([lambda n=n: journal.count(stub=n, status=200) for n in scans]),
        )
    )
    header = RequestPattern(headers=(("user-agent", ValueSpec("equals", "wrk")),))
    print(
        line(
            "count(pattern=header): scans every kept entry",
            timed([lambda: journal.count(pattern=header)] * 3),
        )
    )
    print(line("newest(20)", timed([lambda: journal.newest(20)] * 200)))
    worst = max(counts)
    verdict = "meets" if statistics.median(counts) < TARGET_COUNT_MS and exact else "MISSES"
    print(
        f"count(stub=...) {verdict} the target: median under {TARGET_COUNT_MS} ms"
        f" (max {worst:.4f} ms), exact: {exact}"
    )
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    sys.exit(main())
