"""``make bench ARGS=--check``: apidouble against its speed targets, in one short run.

Only nginx and the bare server as references (no npm peers). One interleaved run of
short rounds (static on nginx, bare and apidouble; the header + query stub; templated;
404s at 1,000 stubs; a static stub beside a 404 flood; a neighbour beside 10,000 idle
keep-alive connections), then the memory scenario on a fresh process, then load time
and hot reload of 10,000 stubs. The medians become ``targets.Figures``, saved as
``figures.json`` in the run folder; ``targets.evaluate`` turns them into the table and
the exit code (non-zero when any target is missed or could not be measured).
``--figures FILE`` evaluates a saved run again without measuring.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import docfile
import idle
import load
import loadtime
import stubsets
import targets
from harness import Bench, Row, Settings
from peers import Server

FLOOD_CONNECTIONS = 10
"""The 404 flood's connections (a second wrk), beside the measured wrk's 50."""
LOAD_FILES = 100


@dataclasses.dataclass
class CheckSettings:
    bench: Settings
    idle_connections: int
    load_stubs: int
    load_timeout_s: float


def settings_from(args: argparse.Namespace, use_wrk: bool) -> CheckSettings:
    """The check's own defaults: 3 s runs (quick: 2 s), 1 s warm-up, 3 rounds."""
    bench = Settings(
        duration_s=args.duration or (2.0 if args.quick else 3.0),
        warmup_s=args.warmup if args.warmup is not None else 1.0,
        rounds=args.rounds or 3,
        burst=args.burst,
        memory_requests=args.memory_requests,
        memory_max_s=args.memory_max_s,
        use_wrk=use_wrk,
    )
    return CheckSettings(bench, args.idle, args.load_stubs, args.load_timeout_s)


class Rounds:
    """The measure of each row in a round; what a scenario measures besides its wrk run."""

    def __init__(self, bench: Bench, settings: CheckSettings) -> None:
        self.bench = bench
        self.settings = settings
        self.quiet: dict[str, list[float]] = {"flood": [], "idle": []}
        self.idle_held: list[int] = []
        self.idle_kb: list[float] = []

    def measure(self, row: Row) -> load.Result:
        seconds = self.bench.settings.duration_s
        try:
            if row.scenario == "flood":
                return self._flood(row.server, seconds)
            if row.scenario == "idle":
                return self._idle(row.server, seconds)
            return self.bench.hit_row(row, seconds)
        finally:
            row.server.settle()  # a 404 run leaves seconds of reports behind

    def _flood(self, server: Server, seconds: float) -> load.Result:
        self.quiet["flood"].append(self.bench.hit(server, "/static", seconds).rps)
        flood = threading.Thread(
            target=self.bench.hit,
            args=(server, stubsets.NOTFOUND_PATH, seconds + 1.0),
            kwargs={"connections": FLOOD_CONNECTIONS},
        )
        flood.start()
        time.sleep(0.5)  # the flood is under way before the measured run starts
        try:
            return self.bench.hit(server, "/static", seconds)
        finally:
            flood.join()

    def _idle(self, server: Server, seconds: float) -> load.Result:
        self.quiet["idle"].append(self.bench.hit(server, "/static", seconds).rps)
        before = server.rss_bytes() or 0
        holder = idle.IdleConnections(server.port)
        try:
            opened = holder.open(self.settings.idle_connections)
            after = server.rss_bytes() or 0
            self.idle_kb.append((after - before) / max(opened, 1) / 1024)
            result = self.bench.hit(server, "/static", seconds)
            self.idle_held.append(holder.held())
        finally:
            holder.close()
        return result


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _rate(rows: dict[str, Row], key: str) -> tuple[float | None, float | None]:
    row = rows.get(key)
    if row is None or not row.runs:
        return None, None
    return row.median("rps"), row.median("p99_ms")


def measure(settings: CheckSettings, cache: Path) -> tuple[targets.Figures, Path]:
    """Run every scenario; the figures and the run folder (files, logs, figures.json)."""
    idle.raise_nofile(settings.idle_connections + 4096)
    folder = Path(tempfile.mkdtemp(prefix="check-", dir=cache))
    stubsets.write_all(folder)
    print(f"apidouble bench --check: files and logs in {folder}", flush=True)
    bench = Bench(settings.bench, folder, cache)
    rounds = Rounds(bench, settings)
    figures = targets.Figures()
    try:
        nginx, bare, ours, mapped, notfound, held, fresh = bench.start_sets(
            [
                ("nginx", "base"),
                ("bare", "base"),
                ("apidouble", "base"),
                ("apidouble", "wiremock-base"),
                ("apidouble", "notfound"),
                ("apidouble", "base"),  # holds the idle connections
                ("apidouble", "base"),  # the memory scenario's fresh process
            ]
        )
        plan = [
            ("nginx", Row("static", nginx)),
            ("bare", Row("static", bare)),
            ("static", Row("static", ours)),
            ("wiremock", Row("static", mapped)),
            ("conditions", Row("conditions", ours)),
            ("addon", Row("addon", ours)),
            ("jwt", Row("jwt", ours)),
            ("jwt_open", Row("jwt_open", ours)),
            ("templated", Row("templated", ours)),
            ("notfound", Row("notfound", notfound)),
            ("flood", Row("flood", notfound)),
            ("idle", Row("idle", held)),
        ]
        for _, row in plan:
            row.failed = row.server.reason
        rows = dict(plan)
        print("- rounds: " + ", ".join(rows), flush=True)
        bench.rows.extend(rows.values())
        bench.rounds(list(rows.values()), rounds.measure, settle=True)
        for key, row in rows.items():
            if row.failed:
                print(f"  {key}: n/a ({row.failed})", flush=True)
        figures.nginx_rps, figures.nginx_p99_ms = _rate(rows, "nginx")
        figures.bare_rps, figures.bare_p99_ms = _rate(rows, "bare")
        figures.static_rps, figures.static_p99_ms = _rate(rows, "static")
        figures.wiremock_rps, figures.wiremock_p99_ms = _rate(rows, "wiremock")
        figures.conditions_rps, figures.conditions_p99_ms = _rate(rows, "conditions")
        figures.addon_rps, figures.addon_p99_ms = _rate(rows, "addon")
        figures.jwt_rps, figures.jwt_p99_ms = _rate(rows, "jwt")
        figures.jwt_open_rps, figures.jwt_open_p99_ms = _rate(rows, "jwt_open")
        figures.templated_rps, figures.templated_p99_ms = _rate(rows, "templated")
        figures.notfound_rps, figures.notfound_p99_ms = _rate(rows, "notfound")
        figures.flood_rps, figures.flood_p99_ms = _rate(rows, "flood")
        figures.flood_quiet_rps = _median(rounds.quiet["flood"])
        figures.idle_rps, figures.idle_p99_ms = _rate(rows, "idle")
        figures.idle_quiet_rps = _median(rounds.quiet["idle"])
        if rounds.idle_held:
            figures.idle_wanted = settings.idle_connections
            figures.idle_held = min(rounds.idle_held)
            figures.idle_kb = rounds.idle_kb[0]  # the first opening, on a fresh heap
        fresh.label = "apidouble, journal on (fresh process)"
        bench.memory(fresh, figures.static_rps or 20_000.0)
        memory = next(row for row in bench.rows if row.scenario == "memory")
        if memory.runs and memory.rss is not None:
            figures.memory_rss_mb = memory.rss / 2**20
            figures.memory_requests = memory.runs[0].requests
    finally:
        bench.stop_all()
    loadset = loadtime.LoadSet(folder / "loadtime", settings.load_stubs, LOAD_FILES)
    print(f"- load time: {loadset.stubs:,} stubs over {loadset.files} files", flush=True)
    times = loadtime.measure(loadset, folder, settings.bench.rounds, settings.load_timeout_s)
    for failure in times.failures:
        print(f"  load time: {failure}", flush=True)
    missed = [settings.load_timeout_s] * len(times.failures)  # a timeout counts as its limit
    figures.load_stubs = settings.load_stubs
    figures.load_s = _median(times.load_s + missed) if times.load_s or missed else None
    figures.reload_s = _median(times.reload_s + missed) if times.reload_s or missed else None
    return figures, folder


def section(figures: targets.Figures, command: str, settings: CheckSettings | None) -> str:
    """The Markdown of the check: date, machine, method, the table, what fails."""
    verdicts = list(targets.evaluate(figures).values())
    failing = [f"{v.scenario}: {v.target}" for v in verdicts if v.status != targets.PASS]
    if settings is None:
        method = "re-evaluated from a saved `figures.json`"
    else:
        b = settings.bench
        loader = "wrk -t1 -c50 --latency" if b.use_wrk else "the harness's asyncio generator"
        method = (
            f"{loader}, {b.duration_s:g} s per run after a {b.warmup_s:g} s warm-up, "
            f"{b.rounds} interleaved rounds, medians; apidouble one process, journal on; "
            f"404 flood by a second load generator with {FLOOD_CONNECTIONS} connections; "
            f"{settings.idle_connections:,} idle connections; load time of "
            f"{settings.load_stubs:,} stubs over {min(LOAD_FILES, settings.load_stubs)} files"
        )
    lines = [
        "## Target check",
        "",
        f"Generated by `make bench ARGS=--check` (`{command}`); do not edit by hand.",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {docfile.machine()}",
        f"- Method: {method}.",
        "",
        targets.table(figures, verdicts),
        "",
        f"Not met ({len(failing)} of {len(verdicts)}): " + ("; ".join(failing) or "none") + ".",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace, use_wrk: bool, command: str) -> int:
    """Measure (or read ``--figures``), print the table, write the doc; the exit code."""
    settings: CheckSettings | None = None
    if args.figures is not None:
        fields = json.loads(args.figures.read_text())
        figures = targets.Figures(**fields)
    else:
        settings = settings_from(args, use_wrk)
        args.cache.mkdir(parents=True, exist_ok=True)
        figures, folder = measure(settings, args.cache)
        saved = folder / "figures.json"
        saved.write_text(json.dumps(dataclasses.asdict(figures), indent=1))
        print(f"figures saved to {saved}")
    text = section(figures, command, settings)
    print()
    print(text)
    if not args.no_write:
        docfile.write_check(args.out, text)
        print(f"\nwritten to {args.out}")
    return targets.exit_code(targets.evaluate(figures).values())
