"""The peer benchmark: apidouble against nginx and the peers, one interleaved run.

Starts every selected server on loopback with the equivalent stub set (``stubsets``),
runs each scenario in rounds (``harness``), keeps the median of each, prints one table
with the ratios to nginx and to WireMock, checks the peer targets (bench/README.md), and
writes ``docs/benchmarks.md`` with the date and machine. ``--check`` runs the quick
target check instead (``check.py``) and exits non-zero when a target is missed.

    .venv/bin/python bench/run.py [--quick] [--peers a,b] [--scenarios x,y] [--no-write]
    .venv/bin/python bench/run.py --check [--quick] [--duration S] [--rounds N]

``make bench`` (scripts/bench.sh) installs wrk, nginx and the npm peers first. Without
wrk the harness falls back to its own asyncio load generator (far slower: numbers are
then a smoke test, not a measurement).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check
import docfile
import load
import peers
import stubsets
from harness import Bench, Row, Settings

DEFAULT_CACHE = Path(
    os.environ.get("APIDOUBLE_BENCH_CACHE", Path.home() / ".cache/apidouble-bench")
)
SCENARIOS = ("static", "templated", "large", "jsonpath", "latency", "memory")
TITLES = {
    "static": "static JSON stub (GET /static, ~60 B)",
    "templated": "templated JSON, ~2 KB (path param + date + uuid)",
    "large": "1,000 stubs, match near the end (GET /static)",
    "jsonpath": "POST 10 KB JSON matched by JSONPath",
    "latency": "static rate of a neighbour while 1,000 requests wait on a 1 s stub",
    "memory": "RSS after up to 1 million requests, journal on",
}


# --- report ----------------------------------------------------------------------------


def _mb(value: int | None) -> str:
    return "—" if value is None else f"{value / 2**20:,.0f} MB"


def report(bench: Bench, settings: Settings) -> tuple[str, list[str]]:
    static = {row.server.name: row for row in bench.rows if row.scenario == "static" and row.runs}
    nginx = static["nginx"].median("rps") if "nginx" in static else None
    per_scenario_wm: dict[str, float] = {}
    for row in bench.rows:
        if row.server.name == "wiremock-nojournal" and row.runs:
            per_scenario_wm[row.scenario] = row.median("rps")
    lines = [
        "| scenario | server | requests/s | p50 | p99 | RSS | × nginx "
        "| × WireMock --no-request-journal | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in bench.rows:
        if row.scenario == "large-base":
            continue
        if row.failed is not None or not row.runs:
            reason = row.failed or "no run"
            lines.append(f"| {row.scenario} | {row.server.label} | n/a ({reason}) | | | | | | |")
            continue
        rps = row.median("rps")
        to_nginx = f"{rps / nginx:.2f}" if nginx else "—"
        wm = per_scenario_wm.get(row.scenario)
        to_wm = f"{rps / wm:.2f}" if wm else "—"
        errors = sum(run.errors for run in row.runs)
        note = row.note + (f"; {errors} errors" if errors else "")
        lines.append(
            f"| {row.scenario} | {row.server.label} | {rps:,.0f} | {row.median('p50_ms'):.2f} ms "
            f"| {row.median('p99_ms'):.2f} ms | {_mb(row.rss)} | {to_nginx} | {to_wm} | {note} |"
        )
    return "\n".join(lines), targets(bench, nginx, static)


def targets(bench: Bench, nginx: float | None, static: dict[str, Row]) -> list[str]:
    verdicts: list[str] = []

    def check(name: str, ok: bool | None, detail: str) -> None:
        mark = "n/a" if ok is None else ("holds" if ok else "DOES NOT HOLD")
        verdicts.append(f"- {name}: **{mark}** ({detail})")

    ours = static.get("apidouble")
    if ours is None:
        return ["- apidouble static did not run: no target can be checked"]
    rate = ours.median("rps")
    if nginx:
        check("static ≥ 0.5 × nginx", rate >= 0.5 * nginx, f"{rate / nginx:.2f}×")
        p99 = static["nginx"].median("p99_ms")
        check(
            "p99 ≤ 1.5 × nginx p99",
            ours.median("p99_ms") <= 1.5 * p99,
            f"{ours.median('p99_ms'):.2f} ms vs {p99:.2f} ms",
        )
    wm = static.get("wiremock-nojournal")
    if wm is not None:
        ratio = rate / wm.median("rps")
        check("static ≥ 2 × WireMock --no-request-journal", ratio >= 2, f"{ratio:.2f}×")
    for row in bench.rows:
        if row.server.name != "apidouble" or not row.runs:
            continue
        if row.scenario == "templated" and nginx:
            ratio = row.median("rps") / nginx
            check("templated ≥ 0.25 × nginx", ratio >= 0.25, f"{ratio:.2f}×")
        if row.scenario == "large" and row.note:
            ratio = float(row.note.split("x", 1)[0])
            check("1,000 stubs ≥ 0.9 × 10 stubs", ratio >= 0.9, row.note)
        if row.scenario == "latency" and row.note:
            ratio = float(row.note.split("x", 1)[0])
            wall = float(row.note.split("done in ", 1)[1].split(" s", 1)[0])
            check("slow burst done ≤ 1.5 s", wall <= 1.5, f"{wall:.2f} s")
            check("neighbour keeps ≥ 0.8 × its rate", ratio >= 0.8, f"{ratio:.2f}×")
        if row.scenario == "memory" and row.rss is not None:
            made = row.runs[0].requests
            check(
                "RSS ≤ 150 MB after 1 M requests",
                row.rss <= 150 * 2**20
                if made >= 1_000_000
                else None
                if row.rss <= 150 * 2**20
                else False,
                f"{_mb(row.rss)} after {made:,} requests",
            )
    return verdicts


def write_doc(
    path: Path, table: str, verdicts: list[str], command: str, settings: Settings
) -> None:
    loader = "wrk -t1 -c50 --latency" if settings.use_wrk else "the harness's asyncio generator"
    text = f"""# Benchmarks

Generated by `make bench` (`{command}`); do not edit by hand.

- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}
- Machine: {docfile.machine()}
- Load: {loader}, {settings.duration_s:.0f} s per run after a {settings.warmup_s:.0f} s
  warm-up, {settings.rounds} interleaved round(s); medians shown. wrk shares the cores
  with the server: read the ratios (same run), not the absolute numbers.
- apidouble runs with its request journal ON (the default 64 MiB budget); with
  `--workers N` every worker keeps its own journal.

{table}

## Targets (bench/README.md)

{chr(10).join(verdicts)}

See `bench/README.md` for the method, the stub sets and the profiles behind the numbers.
"""
    docfile.write_peers(path, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, 2 rounds")
    parser.add_argument("--peers", default=",".join(peers.PEERS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--duration", type=float, help="seconds per run (default 6, quick 4)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3, quick 2)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds (default 5, quick 2)")
    parser.add_argument("--burst", type=int, default=1000, help="slow requests at once")
    parser.add_argument("--memory-requests", type=int, default=1_000_000)
    parser.add_argument("--memory-max-s", type=float, default=60.0)
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=peers.REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    group = parser.add_argument_group("--check", "the speed targets against nginx and bare")
    group.add_argument("--check", action="store_true", help="check the targets; exit 1 on a miss")
    group.add_argument("--figures", type=Path, help="evaluate a saved figures.json, no run")
    group.add_argument("--idle", type=int, default=10_000, help="idle connections held")
    group.add_argument("--load-stubs", type=int, default=10_000, help="stubs in the load test")
    group.add_argument("--load-timeout-s", type=float, default=30.0, help="give up after")
    args = parser.parse_args(argv)
    use_wrk = args.load == "wrk" or (args.load == "auto" and load.have_wrk())
    if args.load == "wrk" and not load.have_wrk():
        parser.error("wrk is not installed (make bench installs it)")
    command = "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.check or args.figures is not None:
        return check.main(args, use_wrk, command.strip())
    settings = Settings(
        duration_s=args.duration or (4.0 if args.quick else 6.0),
        warmup_s=args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0),
        rounds=args.rounds or (2 if args.quick else 3),
        burst=args.burst,
        memory_requests=args.memory_requests,
        memory_max_s=args.memory_max_s,
        use_wrk=use_wrk,
    )
    names = [n for n in args.peers.split(",") if n]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for name in scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=_ensure(args.cache)))
    stubsets.write_all(folder)
    print(f"apidouble bench: files and logs in {folder}; load by {'wrk' if use_wrk else 'asyncio'}")
    bench = Bench(settings, folder, args.cache)
    try:
        base = bench.start(names, "base")
        for scenario in ("static", "templated", "jsonpath"):
            if scenario in scenarios:
                bench.simple(
                    scenario,
                    base if scenario == "static" else [s for s in base if s.name != "apidouble-w2"],
                )
        if "latency" in scenarios:
            bench.latency([s for s in base if s.name != "apidouble-w2"])
        if "large" in scenarios:
            candidates = [s for s in base if "large" in s.scenarios]
            large = bench.start([s.name for s in candidates], "large")
            bench.large(candidates, large)
        if "memory" in scenarios and "apidouble" in names:
            rate = next(
                (
                    r.median("rps")
                    for r in bench.rows
                    if r.scenario == "static" and r.server.name == "apidouble" and r.runs
                ),
                20_000.0,
            )
            fresh = bench.start(["apidouble"], "base")[0]
            fresh.label = "apidouble, journal on (fresh process)"
            bench.memory(fresh, rate)
    finally:
        bench.stop_all()
    table, verdicts = report(bench, settings)
    print()
    print(table)
    print()
    print("\n".join(verdicts))
    if not args.no_write:
        write_doc(args.out, table, verdicts, command.strip(), settings)
        print(f"\nwritten to {args.out}")
    broken = [
        f"{row.scenario} on {row.server.label}: {row.failed or 'no run'}"
        for row in bench.rows
        if row.server.name.startswith("apidouble") and (row.failed is not None or not row.runs)
    ]
    for line in broken:  # a peer may be n/a; apidouble not running a scenario is a bug
        print(f"apidouble did not run {line}", file=sys.stderr)
    return 1 if broken else 0


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
