"""The benchmark's moving parts: servers started, interleaved rounds, the scenarios.

``Bench`` starts servers (``peers``), runs each scenario in rounds, A B C A B C..., so
drift hits every server alike, and keeps every run in a ``Row``. ``run.py`` (the peer
table) and ``check.py`` (the targets) both build on it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import load
import peers
import stubsets
from peers import Server


class Numbered(Protocol):
    number: int


CaseT = TypeVar("CaseT", bound=Numbered)


def wrk_chosen(parser: argparse.ArgumentParser, choice: str) -> bool:
    """Whether wrk makes the load for ``--load choice`` (``auto``: when it is installed);
    a usage error when wrk is asked for and missing."""
    if choice == "wrk" and not load.have_wrk():
        parser.error("wrk is not installed (make bench installs it)")
    return choice == "wrk" or (choice == "auto" and load.have_wrk())


def chosen_rows(parser: argparse.ArgumentParser, rows: str, cases: Sequence[CaseT]) -> list[CaseT]:
    """The cases ``--rows 1,4`` names (a usage error for a number that is none of them)."""
    wanted = {int(n) for n in rows.split(",") if n}
    picked = [case for case in cases if case.number in wanted]
    if not picked or len(picked) != len(wanted):
        parser.error(f"--rows: pick from {', '.join(str(c.number) for c in cases)}")
    return picked


def loader_text(duration_s: float, use_wrk: bool) -> str:
    """The load command as a table's method line gives it."""
    if use_wrk:
        return f"wrk -t1 -c50 -d{max(1, round(duration_s))}s --latency --timeout 5s URL"
    return "the harness's asyncio generator, 50 connections"


@dataclass
class Row:
    scenario: str
    server: Server
    runs: list[load.Result] = field(default_factory=list)
    rss: int | None = None
    note: str = ""
    failed: str | None = None
    bursts: list[tuple[float, int]] = field(default_factory=list)
    """Latency scenario: (seconds until the last slow answer, failures) per round."""

    def median(self, attribute: str) -> float:
        return float(statistics.median(getattr(run, attribute) for run in self.runs))


@dataclass
class Settings:
    duration_s: float
    warmup_s: float
    rounds: int
    burst: int
    memory_requests: int
    memory_max_s: float
    use_wrk: bool


class Bench:
    def __init__(self, settings: Settings, folder: Path, cache: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.cache = cache
        self.rows: list[Row] = []
        self.started: list[Server] = []
        self.post = load.post_script(folder, stubsets.JSONPATH_BODY)

    # --- servers ---------------------------------------------------------------------

    def start(self, names: list[str], stubs: str) -> list[Server]:
        return self.start_sets([(name, stubs) for name in names])

    def start_sets(self, wanted: list[tuple[str, str]]) -> list[Server]:
        """Start every (server name, stub set) at once, then wait for each to serve."""
        made = [peers.make_server(name, stubs, self.folder, self.cache) for name, stubs in wanted]
        for server in made:
            server.start(self.folder)
            self.started.append(server)
        for server, (_, stubs) in zip(made, wanted, strict=True):
            server.wait_ready()
            state = "ready" if server.reason is None else f"n/a: {server.reason}"
            print(f"  {server.name} ({stubs}) on :{server.port}: {state}", flush=True)
        return made

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()

    # --- load ------------------------------------------------------------------------

    def hit(
        self,
        server: Server,
        path: str,
        seconds: float,
        post: bool = False,
        headers: Mapping[str, str] | None = None,
        connections: int = 50,
    ) -> load.Result:
        if self.settings.use_wrk:
            script = self.post if post else None
            return load.wrk(server.url + path, seconds, connections, script, headers)
        body = stubsets.JSONPATH_BODY if post else None
        return load.pyload(server.port, path, seconds, connections, body, headers)

    def rounds(
        self, rows: list[Row], measure: Callable[[Row], load.Result], settle: bool = False
    ) -> None:
        """Warm every row up, then ``rounds`` times measure each in turn. ``settle``:
        after each warm-up, wait for the server to go idle (``Server.settle``)."""
        live = [row for row in rows if row.failed is None]
        for row in live:  # warm-up: JIT peers, caches, connection setup
            warmup = self.settings.warmup_s
            if warmup > 0 and row.server.name.startswith("wiremock"):
                warmup = max(warmup, 10.0)  # the JVM is still compiling after a few seconds
            if warmup > 0:
                try:
                    self.hit_row(row, warmup)
                except Exception as exc:
                    row.failed = f"warm-up failed: {exc}"
                if settle:
                    row.server.settle()
        for _ in range(self.settings.rounds):
            for row in live:
                if row.failed is not None:
                    continue
                try:
                    row.runs.append(measure(row))
                except Exception as exc:
                    row.failed = str(exc)[:80]
        for row in live:
            row.rss = row.server.rss_bytes()

    def hit_row(self, row: Row, seconds: float) -> load.Result:
        path = stubsets.PATHS.get(row.scenario, "/static")
        headers = stubsets.HEADERS.get(row.scenario)
        return self.hit(row.server, path, seconds, row.scenario == "jsonpath", headers)

    def new_rows(self, scenario: str, servers: list[Server]) -> list[Row]:
        made = []
        for server in servers:
            row = Row(scenario, server)
            if server.reason is not None:
                row.failed = server.reason
            elif scenario not in server.scenarios:
                row.failed = "scenario not expressible or not translated"
            made.append(row)
        self.rows.extend(made)
        return made

    # --- scenarios ---------------------------------------------------------------------

    def simple(self, scenario: str, servers: list[Server]) -> None:
        print(f"- {scenario}", flush=True)
        rows = self.new_rows(scenario, servers)
        self.rounds(rows, lambda row: self.hit_row(row, self.settings.duration_s))

    def large(self, base: list[Server], large: list[Server]) -> None:
        """Interleaves the 10-stub and 1,000-stub servers of each peer: A A' B B'..."""
        print("- large", flush=True)
        pairs = [(b, g) for b, g in zip(base, large, strict=True) if "large" in b.scenarios]
        rows = self.new_rows("large", [g for _, g in pairs])
        small_rows = [Row("large-base", b) for b, _ in pairs]
        mixed = [row for pair in zip(small_rows, rows, strict=True) for row in pair]
        for row in mixed:
            if row.server.reason is not None:
                row.failed = row.server.reason
        seconds = self.settings.duration_s
        self.rounds(mixed, lambda row: self.hit(row.server, "/static", seconds))
        for small, big in zip(small_rows, rows, strict=True):
            if small.runs and big.runs:
                ratio = big.median("rps") / small.median("rps")
                big.note = f"{ratio:.2f}x its 10-stub rate ({small.median('rps'):,.0f}/s)"

    def latency(self, servers: list[Server]) -> None:
        """wrk on /static while ``burst`` requests wait on /slow; compared with /static
        alone, measured just before in the same round."""
        print("- latency", flush=True)
        rows = self.new_rows("latency", servers)
        alone: dict[int, list[float]] = {id(row): [] for row in rows}
        seconds = max(3.0, self.settings.duration_s) if self.settings.use_wrk else 1.0

        def measure(row: Row) -> load.Result:
            alone[id(row)].append(self.hit(row.server, "/static", seconds).rps)
            outcome: list[tuple[float, int]] = []
            thread = threading.Thread(
                target=lambda: outcome.append(
                    asyncio.run(load.burst(row.server.port, "/slow", self.settings.burst))
                )
            )
            thread.start()
            time.sleep(0.3)  # the connections open first; the requests then wait 1 s
            result = self.hit(row.server, "/static", 1.0 if not self.settings.use_wrk else 2.0)
            thread.join()
            wall, failed = outcome[0] if outcome else (float("nan"), self.settings.burst)
            row.bursts.append((wall, failed))
            return result

        self.rounds(rows, measure)
        for row in rows:
            parts = row.bursts
            if row.runs and alone[id(row)]:
                ratio = row.median("rps") / statistics.median(alone[id(row)])
                walls = statistics.median(p[0] for p in parts)
                failed = max(p[1] for p in parts)
                row.note = (
                    f"{ratio:.2f}x its rate alone; {self.settings.burst} slow requests "
                    f"done in {walls:.2f} s ({failed} failed or cut at 30 s)"
                )

    def memory(self, server: Server, rate: float) -> None:
        """Fresh apidouble, journal on: up to ``memory_requests`` requests, time-bounded."""
        print("- memory", flush=True)
        row = self.new_rows("memory", [server])[0]
        if row.failed is not None:
            return
        target = self.settings.memory_requests
        # twice the time the quiet rate needs: a fresh process starts slower
        seconds = min(self.settings.memory_max_s, max(1.0, target / max(rate, 1.0) * 2.0))
        before = server.rss_bytes() or 0
        result = self.hit(server, "/static", seconds)
        row.runs.append(result)
        row.rss = server.rss_bytes()
        row.note = (
            f"{result.requests:,} requests in {seconds:.0f} s; RSS {before / 2**20:.0f} MB before"
        )
