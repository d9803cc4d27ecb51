"""Spec-driven mocking: apidouble against Prism, both serving Prism's own petstore spec.

Starts ``apidouble run SPEC`` and ``prism mock SPEC`` on ``bench/data/petstore.oas3.yaml``
(and, when both CLIs list a dynamic flag, a second pair with ``--openapi-dynamic`` / ``-d``),
checks that each request gets the status (and, for examples, the body) it should from
each server, then measures in interleaved rounds after a warm-up with the harness's load
(``wrk -t1 -c50 --latency``, its asyncio generator when wrk is missing): an answer from a
static example, an example picked with ``Prefer: code=``, a list operation with a required
query parameter, a request that fails query validation, and the dynamic answer.

    .venv/bin/python bench/openapi_prism.py [--duration S] [--rounds N] [--warmup S]
    .venv/bin/python bench/openapi_prism.py --rows 1,4 --duration 1 --rounds 1 --no-write

Prints one markdown table and writes it between its own markers in ``docs/benchmarks.md``.
Every process runs in its own session and is stopped by its process group (``peers``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docfile
import load
import peers
from harness import Bench, Row, Settings, chosen_rows, loader_text, wrk_chosen
from peers import Server

CACHE = Path(os.environ.get("APIDOUBLE_BENCH_CACHE", Path.home() / ".cache/apidouble-bench"))
SPEC = Path(__file__).resolve().parent / "data" / "petstore.oas3.yaml"
BEGIN = "<!-- openapi prism: begin -->"
END = "<!-- openapi prism: end -->"
TITLE = "Spec-driven mocking against Prism (`bench/openapi_prism.py`)"
SKIP = "skipped: "  # a reason that is a note, not a failure (a CLI without dynamic mode)
KEY = {"api_key": "bench"}  # /pets/{petId} asks for an apiKey header: both check it


@dataclass(frozen=True)
class Case:
    """One row: a request both servers answer from the spec, and the status it must get."""

    number: int
    title: str
    path: str
    headers: dict[str, str]
    status: int
    dynamic: bool = False

    @property
    def same_body(self) -> bool:
        """Examples are fixed, so both servers must send the same JSON; generated ones vary."""
        return not self.dynamic


CASES = (
    Case(1, "static example: `GET /pets/1`", "/pets/1", KEY, 200),
    Case(
        2,
        "`Prefer: code=404` picks another response's example: `GET /no_auth/pets/1`",
        "/no_auth/pets/1",
        {"Prefer": "code=404"},
        404,
    ),
    Case(
        3,
        "list operation, required query: `GET /no_auth/pets?name=bench`",
        "/no_auth/pets?name=bench",
        {},
        200,
    ),
    Case(
        4,
        "fails query validation (enum): `GET /no_auth/pets/findByStatus?status=bogus`",
        "/no_auth/pets/findByStatus?status=bogus",
        {},
        400,
    ),
    Case(5, "dynamic (from the schema): `GET /pets/1`", "/pets/1", KEY, 200, dynamic=True),
)
"""The petstore has no integer query parameter, so row 4's bad value breaks an enum."""


# --- servers -------------------------------------------------------------------------


def help_lists(command: list[str], flag: str) -> bool:
    """Whether ``command --help`` mentions ``flag`` (dynamic mode is detected, not assumed)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return flag in done.stdout + done.stderr


def make(kind: str, dynamic: bool, folder: Path, cache: Path) -> Server:
    """apidouble or Prism as ``peers.make_server`` builds it, serving ``SPEC`` instead."""
    if kind == "apidouble":
        server = peers.make_server("apidouble", "spec", folder, cache)
        config = str(folder / "apidouble-spec.yaml")
        flag, help_command = "--openapi-dynamic", [*server.command[:4], "--help"]
    else:
        server = peers.make_server("prism", "spec", folder, cache)
        config = str(folder / "prism.json")
        flag, help_command = "--dynamic", [*server.command[:3], "--help"]
    server.name = kind + ("-dynamic" if dynamic else "")
    if server.reason is not None:
        return server
    server.command[server.command.index(config)] = str(SPEC)
    if dynamic:
        if not help_lists(help_command, flag):
            shown = "apidouble run" if kind == "apidouble" else "prism mock"
            server.reason = f"{SKIP}`{shown} --help` lists no {flag}"
            return server
        server.command.append(flag)
        server.label += f", {flag}"
    return server


def fetch(server: Server, case: Case) -> tuple[int, bytes]:
    """One request: (status, body), an error status included."""
    request = urllib.request.Request(server.url + case.path, headers=case.headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def wait_ready(server: Server) -> None:
    """Like ``Server.wait_ready`` on a path the spec has (there is no ``/static`` here)."""
    if server.reason is not None or server.process is None:
        return
    probe = CASES[2]
    deadline = time.monotonic() + server.startup_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            server.reason = f"exited {server.process.returncode} at start; see {server.log}"
            return
        with contextlib.suppress(OSError):
            if fetch(server, probe)[0] == probe.status:
                return
        time.sleep(0.2)
    server.reason = f"not ready after {server.startup_s:.0f} s; see {server.log}"
    server.stop()


def start(bench: Bench, dynamic: list[bool]) -> dict[tuple[str, bool], Server]:
    made = {
        (kind, d): make(kind, d, bench.folder, bench.cache)
        for d in dynamic
        for kind in ("apidouble", "prism")
    }
    for server in made.values():
        server.startup_s = 60.0
        server.start(bench.folder)
        bench.started.append(server)
    for server in made.values():
        wait_ready(server)
        print(f"  {server.name} on :{server.port}: {server.reason or 'ready'}", flush=True)
    return made


# --- the run -------------------------------------------------------------------------


@dataclass
class Pair:
    case: Case
    ours: Row
    prism: Row
    same: str = "—"
    """Whether both answered alike: the status, and for examples the JSON body."""


def check(pairs: list[Pair]) -> None:
    """Each live row's server must answer the case's status before it is measured; a row
    that answers something else is not the comparison the table names, so it fails."""
    for pair in pairs:
        bodies = []
        for row in (pair.ours, pair.prism):
            if row.failed is not None:
                continue
            try:
                status, body = fetch(row.server, pair.case)
            except OSError as exc:
                row.failed = f"probe failed: {exc}"[:80]
                continue
            if status != pair.case.status:
                row.failed = f"answered {status}, not {pair.case.status}"
                continue
            bodies.append(body)
        if len(bodies) == 2:
            alike = not pair.case.same_body or _json(bodies[0]) == _json(bodies[1])
            pair.same = "yes" if alike else "no (bodies differ)"


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return body


def unexpected(case: Case, result: load.Result) -> int:
    """Errors beyond the answers the case expects: both generators count every non-2xx
    answer as an error, so a 4xx case's own answers are taken off (socket errors stay)."""
    return result.errors if case.status < 400 else max(0, result.errors - result.requests)


def measure(bench: Bench, pairs: list[Pair], warmup_s: float) -> None:
    case_of = {id(row): pair.case for pair in pairs for row in (pair.ours, pair.prism)}
    rows = [row for pair in pairs for row in (pair.ours, pair.prism) if row.failed is None]
    for row in rows:
        if warmup_s > 0:
            case = case_of[id(row)]
            try:
                bench.hit(row.server, case.path, warmup_s, headers=case.headers)
            except Exception as exc:
                row.failed = f"warm-up failed: {exc}"[:80]

    def one(row: Row) -> load.Result:
        case = case_of[id(row)]
        return bench.hit(row.server, case.path, bench.settings.duration_s, headers=case.headers)

    bench.rounds([row for row in rows if row.failed is None], one)


def _cell(case: Case, row: Row) -> tuple[str, str]:
    if row.failed is not None or not row.runs:
        return f"n/a ({row.failed or 'no run'})", ""
    errors = sum(unexpected(case, run) for run in row.runs)
    flag = f" ({errors} errors)" if errors else ""
    return f"{row.median('rps'):,.0f}{flag}", f"{row.median('p99_ms'):.2f} ms"


def table(pairs: list[Pair], settings: Settings, loader: str, labels: str) -> str:
    lines = [
        f"## {TITLE}",
        "",
        "Generated by `bench/openapi_prism.py`; do not edit by hand.",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {docfile.machine()}",
        f"- Servers: {labels}; both on `bench/data/petstore.oas3.yaml` (Prism's example).",
        f"- Load: `{loader}`, {settings.duration_s:g} s per run after a "
        f"{settings.warmup_s:g} s warm-up, {settings.rounds} interleaved round(s); medians.",
        "- The load generator and both servers share the cores: read the ratio.",
        "",
        "| # | request | status | apidouble req/s | p99 | Prism req/s | p99 "
        "| × Prism | same answer |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for pair in pairs:
        ours, ours_p99 = _cell(pair.case, pair.ours)
        theirs, theirs_p99 = _cell(pair.case, pair.prism)
        ratio = "—"
        if pair.ours.runs and pair.prism.runs and not (pair.ours.failed or pair.prism.failed):
            ratio = f"{pair.ours.median('rps') / pair.prism.median('rps'):.2f}"
        lines.append(
            f"| {pair.case.number} | {pair.case.title} | {pair.case.status} | {ours} "
            f"| {ours_p99} | {theirs} | {theirs_p99} | {ratio} | {pair.same} |"
        )
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """This script's part of ``path``, between its markers (``docfile.write_between``)."""
    docfile.write_between(path, BEGIN, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per row")
    parser.add_argument("--rows", default="1,2,3,4,5", help="which rows, e.g. 1,4")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the npm peers are")
    parser.add_argument("--run-dir", type=Path, help="where run files go (default: the cache)")
    parser.add_argument("--out", type=Path, default=peers.REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    use_wrk = wrk_chosen(parser, args.load)
    cases = chosen_rows(parser, args.rows, CASES)
    if args.duration <= 0 or args.rounds < 1 or args.warmup < 0:
        parser.error("--duration > 0, --rounds >= 1, --warmup >= 0")
    settings = Settings(args.duration, args.warmup, args.rounds, 0, 0, 0.0, use_wrk)
    parent = args.run_dir or args.cache
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-openapi-prism-", dir=parent))
    loader = loader_text(args.duration, use_wrk)
    print(f"openapi vs Prism: files and logs in {folder}; load by {loader}", flush=True)
    bench = Bench(replace(settings, warmup_s=0.0), folder, args.cache)
    pairs: list[Pair] = []
    try:
        servers = start(bench, sorted({case.dynamic for case in cases}))
        for case in cases:
            ours, prism = servers[("apidouble", case.dynamic)], servers[("prism", case.dynamic)]
            pair = Pair(case, Row(f"row {case.number}", ours), Row(f"row {case.number}", prism))
            pair.ours.failed, pair.prism.failed = ours.reason, prism.reason
            pairs.append(pair)
        check(pairs)
        measure(bench, pairs, settings.warmup_s)
        labels = "; ".join(dict.fromkeys(s.label for s in servers.values() if not s.reason))
    finally:
        bench.stop_all()
    text = table(pairs, settings, loader, labels or "none started")
    print()
    print(text)
    broken = [
        (pair.case.number, row.server.name, row.failed or "no run")
        for pair in pairs
        for row in (pair.ours, pair.prism)
        if (row.failed is not None or not row.runs) and not (row.failed or "").startswith(SKIP)
    ]
    for number, name, reason in broken:
        print(f"row {number} ({name}) did not run: {reason}", file=sys.stderr)
    if not args.no_write:
        write_section(args.out, text)
        print(f"\nwritten to {args.out}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
