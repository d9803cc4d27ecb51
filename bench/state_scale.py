"""Scale-out with shared state: one process against ``--workers 2 --state redis://…``.

Starts its own redis-server (loopback, a temp ``--dir``, no persistence) and three
apidouble servers on one config (a static stub, a ``mode: cycle`` stub of 3 responses,
a rate-limited stub), then measures, in interleaved rounds after a warm-up, with the
harness's load (``wrk -t1 -c50 --latency``): the static stub on one process and on two
workers sharing Redis, the cycle stub on memory state, on Redis, on two workers, and
the rate limit on two workers. Each row also says how many state operations one request
made in Redis (the Lua scripts Redis ran, from ``INFO commandstats`` around each run: the
client pipelines them, so socket round trips are fewer), so a row
that talks to Redis more than it should shows it, and the CPU time apidouble and Redis
spent per request, which the shared cores do not blur as they blur the rates.

    .venv/bin/python bench/state_scale.py [--duration S] [--rounds N] [--no-redis]
    .venv/bin/python bench/state_scale.py --rows 1,4 --duration 1 --rounds 1 --warmup 0

Every process runs in its own session and is stopped by its process group (``peers``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docfile
import load
import peers
import stubsets
from harness import Bench, Row, Settings, chosen_rows, loader_text, wrk_chosen
from peers import Server

REDIS_SERVER = shutil.which("redis-server")
STATIC = "/static"
CYCLE = "/cycle"
LIMITED = "/limited"


def config() -> str:
    """The one config every server loads (JSON, which YAML reads)."""
    endpoints = [
        {"name": "static", "path": STATIC, "response": stubsets.STATIC_BODY},
        {
            "name": "cycle",
            "path": CYCLE,
            "mode": "cycle",
            "responses": [{"response": {"step": n, **stubsets.STATIC_BODY}} for n in range(3)],
        },
        {
            "name": "limited",
            "path": LIMITED,
            "rate_limit": {"requests": 1_000_000_000, "per": "1h"},
            "response": stubsets.STATIC_BODY,
        },
    ]
    return json.dumps({"endpoints": endpoints}, indent=1)


@dataclass(frozen=True)
class Case:
    """One row of the table: which server (``one``, ``one-redis``, ``w2-redis``), which path."""

    number: int
    title: str
    server: str
    path: str

    @property
    def redis(self) -> bool:
        return self.server.endswith("redis")


CASES = (
    Case(1, "one process, memory state, static stub", "one", STATIC),
    Case(2, "`--workers 2 --state redis://…`, static stub", "w2-redis", STATIC),
    Case(3, "one process, memory state, `mode: cycle` stub", "one", CYCLE),
    Case(4, "one process, `--state redis://…`, `mode: cycle` stub", "one-redis", CYCLE),
    Case(5, "`--workers 2 --state redis://…`, `mode: cycle` stub", "w2-redis", CYCLE),
    Case(6, "`--workers 2 --state redis://…`, `rate_limit` stub", "w2-redis", LIMITED),
)


# --- redis ---------------------------------------------------------------------------


def redis_command(port: int, *words: str) -> bytes:
    """One command in RESP over a fresh connection; the raw reply (enough for PING, INFO)."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(request.encode())
        reply = sock.recv(65536)
        if reply.startswith(b"$"):  # a bulk string: read until its announced length
            size = int(reply[1 : reply.index(b"\r\n")])
            while len(reply) < reply.index(b"\r\n") + 2 + size + 2:
                reply += sock.recv(65536)
        return reply


def redis_scripts(port: int) -> int:
    """Lua scripts Redis has run so far (``EVALSHA`` and ``EVAL`` calls): one per state
    operation a request makes, however the client batches them on the wire."""
    total = 0
    for line in redis_command(port, "INFO", "commandstats").decode().splitlines():
        if line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")):
            total += int(line.split("calls=", 1)[1].split(",", 1)[0])
    return total


def start_redis(bench: Bench, port: int) -> Server:
    """redis-server on ``port`` with a temp ``--dir`` and no persistence, as a ``Server``
    (own session, stopped with the rest by ``bench.stop_all``)."""
    label = "redis-server"
    if REDIS_SERVER is None:
        return Server("redis", label, frozenset(), reason="redis-server not installed")
    folder = tempfile.mkdtemp(prefix="redis-", dir=bench.folder)
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder]
    command += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
    command += ["--daemonize", "no", "--logfile", ""]
    server = Server("redis", label, frozenset(), command, port)
    server.start(bench.folder)
    bench.started.append(server)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            server.reason = f"redis-server exited at start; see {server.log}"
            return server
        try:
            if redis_command(port, "PING").startswith(b"+PONG"):
                version = redis_command(port, "INFO", "server").decode()
                found = [v for v in version.split() if v.startswith("redis_version:")]
                server.label = label + (" " + found[0].split(":", 1)[1] if found else "")
                return server
        except OSError:
            pass
        time.sleep(0.05)
    server.reason = "redis-server not answering PING after 10 s"
    server.stop()
    return server


# --- servers -------------------------------------------------------------------------


class Ports:
    """Ports from the kernel, or from ``--ports LO-HI`` (a shared machine's own range)."""

    def __init__(self, spec: str | None) -> None:
        self.ranged = bool(spec)
        low, high = spec.split("-", 1) if spec else ("0", "-1")
        self.next, self.last = int(low), int(high)

    def take(self) -> int:
        if not self.ranged:
            return peers.free_port()
        while self.next <= self.last:
            port, self.next = self.next, self.next + 1
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError("no free port left in --ports")


def apidouble(bench: Bench, key: str, redis: str | None, port: int) -> Server:
    """An apidouble server as the harness makes it (``peers.make_server``), on ``port``,
    with ``--state`` when ``redis`` is given (a namespace per server: no shared keys)."""
    name = "apidouble-w2" if key.startswith("w2") else "apidouble"
    server = peers.make_server(name, "state", bench.folder, bench.cache)
    server.command[server.command.index("--port") + 1] = str(port)
    server.port = port
    server.name = key
    if redis is not None:
        server.command += ["--state", f"{redis}?namespace={key}"]
        server.label += ", --state redis"
    return server


def start_servers(
    bench: Bench, keys: list[str], redis: Server | None, ports: Ports
) -> dict[str, Server]:
    url = None if redis is None or redis.reason else f"redis://127.0.0.1:{redis.port}/0"
    made: dict[str, Server] = {}
    for key in keys:
        if key.endswith("redis") and url is None:
            reason = "--no-redis" if redis is None else redis.reason
            made[key] = Server(key, key, frozenset(), reason=reason)
            continue
        made[key] = apidouble(bench, key, url if key.endswith("redis") else None, ports.take())
        made[key].start(bench.folder)
        bench.started.append(made[key])
    for key, server in made.items():
        server.wait_ready()
        state = "ready" if server.reason is None else f"n/a: {server.reason}"
        print(f"  {key} on :{server.port}: {state}", flush=True)
    return made


def cycles(server: Server) -> bool:
    """Whether the cycle stub answers its 3 bodies in turn: the state is really kept."""
    bodies = set()
    for _ in range(3):
        with urllib.request.urlopen(server.url + CYCLE, timeout=5) as answer:
            bodies.add(answer.read())
    return len(bodies) == 3


# --- the run -------------------------------------------------------------------------


@dataclass
class Measured:
    case: Case
    row: Row
    trips: list[int] = field(default_factory=list)
    """Redis scripts run during each run (state operations)."""
    cpu_s: list[tuple[float, float]] = field(default_factory=list)
    """CPU seconds used by the apidouble process tree and by Redis during each run."""

    def per_request(self) -> tuple[str, str]:
        """(Redis state operations, CPU µs "apidouble + Redis") per request, over every run."""
        requests = sum(run.requests for run in self.row.runs)
        if not requests:
            return "—", "—"
        trips = f"{sum(self.trips) / requests:.2f}" if self.trips else "—"
        ours = sum(c[0] for c in self.cpu_s) / requests * 1e6
        theirs = sum(c[1] for c in self.cpu_s) / requests * 1e6
        return trips, f"{ours:.0f} + {theirs:.0f}"


def _cpu_s(server: Server | None) -> float:
    if server is None or server.process is None or server.reason is not None:
        return 0.0
    return peers.tree_cpu_s(server.process.pid)


def measure(bench: Bench, measured: list[Measured], warmup_s: float, redis: Server | None) -> None:
    """Warm each row up on its own path, then the harness's interleaved rounds (its own
    warm-up reads the path from the scenario name, so ``bench`` is given none)."""
    by_row = {id(m.row): m for m in measured}
    live = [m for m in measured if m.row.failed is None]
    for m in live:
        if m.case.path == CYCLE and not cycles(m.row.server):
            m.row.failed = "the cycle stub does not cycle"
        elif warmup_s > 0:
            try:
                bench.hit(m.row.server, m.case.path, warmup_s)
            except Exception as exc:
                m.row.failed = f"warm-up failed: {exc}"[:80]

    def one(row: Row) -> load.Result:
        case = by_row[id(row)]
        scripts = redis_scripts(redis.port) if redis else 0
        cpu = (_cpu_s(row.server), _cpu_s(redis))
        result = bench.hit(row.server, case.case.path, bench.settings.duration_s)
        case.cpu_s.append((_cpu_s(row.server) - cpu[0], _cpu_s(redis) - cpu[1]))
        if redis:
            case.trips.append(redis_scripts(redis.port) - scripts)
        return result

    bench.rounds([m.row for m in live if m.row.failed is None], one)


def table(measured: list[Measured], settings: Settings, wrk_command: str) -> str:
    first = next((m for m in measured if m.case.number == 1 and m.row.runs), None)
    base = first.row.median("rps") if first else None
    lines = [
        "## Scale-out with shared state (bench/state_scale.py)",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {docfile.machine()}; CPU count {os.cpu_count()}",
        f"- Load: `{wrk_command}`, {settings.duration_s:g} s per run after a "
        f"{settings.warmup_s:g} s warm-up, {settings.rounds} interleaved round(s); medians.",
        "- wrk, redis-server and the apidouble processes share the same cores, so 2 workers "
        "cannot double throughput here: read the ratios, not the absolute numbers.",
        "",
        "| # | server, stub | requests/s | p99 | × row 1 | Redis scripts / request "
        "| CPU µs / request: apidouble + Redis |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in measured:
        if m.row.failed is not None or not m.row.runs:
            lines.append(f"| {m.case.number} | {m.case.title} | n/a ({m.row.failed}) | | | | |")
            continue
        rps = m.row.median("rps")
        ratio = f"{rps / base:.2f}" if base else "—"
        trips, cpu = m.per_request()
        errors = sum(run.errors for run in m.row.runs)
        flag = f" ({errors} errors)" if errors else ""
        p99 = m.row.median("p99_ms")
        lines.append(
            f"| {m.case.number} | {m.case.title} | {rps:,.0f}{flag} | {p99:.2f} ms "
            f"| {ratio} | {trips} | {cpu} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per row")
    parser.add_argument("--rows", default="1,2,3,4,5,6", help="which rows, e.g. 1,4")
    parser.add_argument("--no-redis", action="store_true", help="memory rows only")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--ports", help="take ports from LO-HI instead of the kernel's")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    use_wrk = wrk_chosen(parser, args.load)
    cases = chosen_rows(parser, args.rows, CASES)
    settings = Settings(args.duration, args.warmup, args.rounds, 0, 0, 0.0, use_wrk)
    args.cache.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="state-scale-", dir=args.cache))
    (folder / "apidouble-state.yaml").write_text(config())
    loader = loader_text(args.duration, use_wrk)
    print(f"apidouble state scale-out: files and logs in {folder}; load by {loader}", flush=True)
    bench = Bench(replace(settings, warmup_s=0.0), folder, args.cache)
    ports = Ports(args.ports)
    measured: list[Measured] = []
    redis: Server | None = None
    try:
        if not args.no_redis and any(case.redis for case in cases):
            redis = start_redis(bench, ports.take())
            print(f"  {redis.label} on :{redis.port}: {redis.reason or 'ready'}", flush=True)
        keys = list(dict.fromkeys(case.server for case in cases))
        servers = start_servers(bench, keys, redis, ports)
        for case in cases:
            row = Row(f"row {case.number}", servers[case.server])
            row.failed = row.server.reason
            measured.append(Measured(case, row))
        live_redis = redis if redis is not None and redis.reason is None else None
        measure(bench, measured, settings.warmup_s, live_redis)
    finally:
        bench.stop_all()
    print()
    print(table(measured, settings, loader))
    broken = [m for m in measured if (m.row.failed or not m.row.runs) and not _skipped(m, args)]
    for m in broken:
        print(f"row {m.case.number} did not run: {m.row.failed}", file=sys.stderr)
    return 1 if broken else 0


def _skipped(m: Measured, args: argparse.Namespace) -> bool:
    return bool(args.no_redis and m.case.redis)


if __name__ == "__main__":
    sys.exit(main())
