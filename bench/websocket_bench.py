"""WebSocket: idle-connection memory and echo round trips, apidouble against a plain
``websockets`` echo server.

Starts ``apidouble run CONFIG --no-watch`` (journal on) with one ``/echo`` route that
echoes every message, and a ``websockets.asyncio.server.serve`` echo handler, each in its
own process and session on a free 127.0.0.1 port, both on this Python and (when it is
installed) uvloop. Then, for each server:

- idle: N connections opened in batches, each with a handshake and one echo, then left
  idle; the server tree's RSS before and after gives MB in all and KB per connection, and
  after a hold every connection must still answer an echo;
- round trips: C connections, each sending a 16-byte text message and waiting for its
  echo, for D seconds after a warm-up, in interleaved rounds (medians): messages/s, p99,
  and the share of a core the server and the client used (which of them was the limit).

The load comes from a raw-socket client in its own process (``bench/ws_load.py``: prebuilt
masked frames, no per-message coroutine), so the client costs less per message than the
servers do; its CPU column shows when it is the bound anyway.

    .venv/bin/python bench/websocket_bench.py [--connections N] [--clients C] [--duration S]
    .venv/bin/python bench/websocket_bench.py --connections 50 --clients 4 --duration 0.5 \
        --rounds 1 --warmup 0 --no-write

Prints one markdown table and writes it between its own markers in ``docs/benchmarks.md``
(unless ``--no-write``). Every server is stopped by its process group (``peers``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docfile
import idle
import peers
import ws_load
from peers import Server
from ws_load import PATH, Idle, hold_idle  # noqa: F401 - the bench tests read them here

CACHE = Path(os.environ.get("APIDOUBLE_BENCH_CACHE", Path.home() / ".cache/apidouble-bench"))
BEGIN = "<!-- websocket bench: begin -->"
END = "<!-- websocket bench: end -->"
TITLE = "WebSocket: idle connections and echo round trips (`bench/websocket_bench.py`)"
CONFIG = "websockets:\n  - path: /echo\n    on_message: [{echo: true}]\n"
PEER = '''"""A plain ``websockets`` echo server: what bench/websocket_bench.py compares with."""
import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(connection):
    async for message in connection:
        await connection.send(message)


async def main(port):
    async with serve(echo, "127.0.0.1", port, backlog=4096):
        await asyncio.get_running_loop().create_future()


try:
    import uvloop
except ImportError:
    asyncio.run(main(int(sys.argv[1])))
else:
    uvloop.run(main(int(sys.argv[1])))
'''
"""The peer, written into the run folder (backlog as apidouble's, so neither drops SYNs)."""


@dataclass
class Settings:
    """What to run: the command line's numbers."""

    connections: int
    clients: int
    duration_s: float
    rounds: int
    warmup_s: float
    hold_s: float


# --- round trips: the rounds ---------------------------------------------------------


@dataclass
class Rates:
    runs: list[dict[str, float]] = field(default_factory=list)
    failed: str | None = None

    def median(self, key: str) -> float:
        return float(statistics.median(run[key] for run in self.runs))


def one_run(server: Server, clients: int, warmup_s: float, duration_s: float) -> dict[str, float]:
    """One client process against ``server``; raises RuntimeError with the reason."""
    assert server.process is not None
    command = [sys.executable, str(Path(ws_load.__file__).resolve()), "--port", str(server.port)]
    command += ["--clients", str(clients), "--warmup", str(warmup_s)]
    command += ["--duration", str(duration_s), "--server-pid", str(server.process.pid)]
    timeout = warmup_s + duration_s + 45
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"client not done in {timeout:.0f} s") from error
    try:
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as error:
        raise RuntimeError(f"client exited {done.returncode}: {done.stderr[-80:]}") from error
    if figures["problem"] is not None:
        raise RuntimeError(str(figures["problem"]))
    return {k: float(v) for k, v in figures.items() if isinstance(v, int | float)}


def rate_rounds(servers: list[Server], s: Settings) -> dict[str, Rates]:
    """Interleaved rounds (A B A B ...), each a fresh client after its own warm-up."""
    rates = {server.name: Rates(failed=server.reason) for server in servers}
    for number in range(1, s.rounds + 1):
        for server in servers:
            row = rates[server.name]
            if row.failed is not None:
                continue
            try:
                row.runs.append(one_run(server, s.clients, s.warmup_s, s.duration_s))
            except RuntimeError as error:
                row.failed = f"round {number}: {error}"[:100]
            print(f"  round {number} {server.name}: {row.failed or 'done'}", flush=True)
    return rates


# --- servers -------------------------------------------------------------------------


def ready(server: Server) -> None:
    """Wait until ``server`` completes a WebSocket handshake and an echo on ``/echo``."""
    if server.reason is not None or server.process is None:
        return
    deadline = time.monotonic() + server.startup_s

    async def probe() -> None:
        _, writer = await asyncio.wait_for(ws_load.connect(server.port), 5)
        ws_load.bye(writer)

    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            server.reason = f"exited {server.process.returncode} at start; see {server.log}"
            return
        try:
            asyncio.run(probe())
            return
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            time.sleep(0.2)
    server.reason = f"not ready after {server.startup_s:.0f} s; see {server.log}"
    server.stop()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def make_servers(folder: Path) -> list[Server]:
    (folder / "websocket-echo.yaml").write_text(CONFIG)
    (folder / "websockets_echo.py").write_text(PEER)
    python, ours, theirs = sys.executable, peers.free_port(), peers.free_port()
    command = [python, "-m", "apidouble", "run", str(folder / "websocket-echo.yaml")]
    command += ["--port", str(ours), "--no-watch", "--log-level", "warning"]
    apidouble = Server("apidouble", "apidouble, journal on", frozenset(), command, ours)
    peer_command = [python, str(folder / "websockets_echo.py"), str(theirs)]
    peer = Server("websockets", "websockets `serve()` echo", frozenset(), peer_command, theirs)
    if _version("websockets") is None:
        peer.reason = "websockets not installed"
    return [apidouble, peer]


# --- the table -----------------------------------------------------------------------


def _mb(value: int | None) -> str:
    return "—" if value is None else f"{value / 2**20:.2f}"


def _idle_cells(result: Idle) -> list[str]:
    held = f"{result.held:,} / {result.wanted:,}"
    if result.failed is not None:
        held = f"n/a ({result.failed})"
    growth, each = result.growth_mb, result.kb_each
    return [
        held,
        _mb(result.before),
        _mb(result.after),
        "—" if growth is None else f"{growth:.2f}",
        "—" if each is None else f"{each:.1f}",
    ]


def _bound(rates: Rates) -> str:
    """Which side set the rate: one that used (nearly) a whole core, else the one that
    spends more CPU per message (the cores are shared, so neither may reach 100%)."""
    client_cpu, server_cpu = rates.median("client_cpu"), rates.median("server_cpu")
    if max(client_cpu, server_cpu) >= 0.9:
        return "server" if server_cpu >= client_cpu else "client"
    return "server (CPU/msg)" if server_cpu >= client_cpu else "client (CPU/msg)"


def _cpu(rates: Rates, key: str) -> str:
    share, rate = rates.median(key), rates.median("rate")
    return f"{share:.0%} ({share / rate * 1e6:.0f} µs/msg)"


def _rate_cells(rates: Rates) -> list[str]:
    if rates.failed is not None or not rates.runs:
        return [f"n/a ({rates.failed or 'no run'})", "", "", "", ""]
    errors = sum(run.get("errors", 0.0) for run in rates.runs)
    flag = f" ({errors:.0f} wrong echoes)" if errors else ""
    return [
        f"{rates.median('rate'):,.0f}{flag}",
        f"{rates.median('p99_ms'):.2f} ms",
        _cpu(rates, "server_cpu"),
        _cpu(rates, "client_cpu"),
        _bound(rates),
    ]


def table(
    servers: list[Server], idles: dict[str, Idle], rates: dict[str, Rates], s: Settings
) -> str:
    uvloop = _version("uvloop")
    loop = f"uvloop {uvloop}" if uvloop else "asyncio (uvloop not installed)"
    lines = [
        f"## {TITLE}",
        "",
        "Generated by `bench/websocket_bench.py`; do not edit by hand.",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {docfile.machine()}",
        f"- Servers: apidouble {_version('apidouble')} (`apidouble run CONFIG --no-watch`, "
        "journal on; `websockets: [{path: /echo, on_message: [{echo: true}]}]`) and a plain "
        f"`websockets` {_version('websockets')} `serve()` handler echoing every message; "
        f"one process each, the same Python, both on {loop}.",
        "- Client: raw sockets with prebuilt masked frames, on the same loop, in its own "
        "process; it offers no permessage-deflate, so neither server compresses.",
        f"- Idle: {s.connections:,} connections opened {ws_load.BATCH} at a time, each a "
        "handshake and one echo, then idle; RSS of the server's process tree after one warm "
        "connection and after the opening (each once the server is quiet, + "
        f"{ws_load.SETTLE_S:g} s)"
        f"; held = answered another echo after a {s.hold_s:g} s hold.",
        f"- Round trips: {s.clients} connections, each sending a {len(ws_load.MESSAGE)}-byte text "
        f"message and awaiting its echo, {s.duration_s:g} s per run after a {s.warmup_s:g} s "
        f"warm-up, {s.rounds} interleaved round(s); medians. CPU = share of one core over "
        "the run and per message; the side near 100%, else the costlier per message, sets "
        "the rate (client and server share the cores with each other and the machine).",
        "",
        "| server | idle held | RSS before (MB) | RSS after (MB) | MB for all "
        "| KB / connection | msgs/s | p99 | server CPU | client CPU | bound by |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for server in servers:
        cells = [server.label, *_idle_cells(idles[server.name]), *_rate_cells(rates[server.name])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """This script's part of ``path``, between its markers (``docfile.write_between``)."""
    docfile.write_between(path, BEGIN, END, section)


# --- main ----------------------------------------------------------------------------


def _measure(servers: list[Server], s: Settings) -> tuple[dict[str, Idle], dict[str, Rates]]:
    idles = {}
    for server in servers:
        idles[server.name] = hold_idle(server, s.connections, s.hold_s)
        print(f"  idle {server.name}: {idles[server.name].failed or 'held'}", flush=True)
    return idles, rate_rounds(servers, s)


def _parse(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000, help="idle connections")
    parser.add_argument("--clients", type=int, default=50, help="round-trip connections")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per run")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds the idle ones wait")
    parser.add_argument("--run-dir", type=Path, help="where run files go (default: the cache)")
    parser.add_argument("--out", type=Path, default=peers.REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.connections < 1 or args.clients < 1 or args.rounds < 1:
        parser.error("--connections, --clients and --rounds must be >= 1")
    if args.duration <= 0 or args.warmup < 0 or args.hold < 0:
        parser.error("--duration > 0, --warmup >= 0, --hold >= 0")
    s = Settings(args.connections, args.clients, args.duration, args.rounds, args.warmup, args.hold)
    return args, s


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, settings = _parse(argv)
    limit = idle.raise_nofile(settings.connections + settings.clients + 1024)
    parent = args.run_dir or CACHE
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-websocket-", dir=parent))
    print(f"websocket bench: files and logs in {folder}; RLIMIT_NOFILE {limit}", flush=True)
    servers = make_servers(folder)
    try:
        for server in servers:
            server.start(folder)
        for server in servers:
            ready(server)
            print(f"  {server.name} on :{server.port}: {server.reason or 'ready'}", flush=True)
        idles, rates = _measure(servers, settings)
    finally:
        for server in servers:
            server.stop()
    text = table(servers, idles, rates, settings)
    print()
    print(text)
    broken = [f"idle {name}: {r.failed}" for name, r in idles.items() if r.failed]
    broken += [f"round trips {name}: {r.failed}" for name, r in rates.items() if r.failed]
    for line in broken:
        print(line, file=sys.stderr)
    if not args.no_write:
        write_section(args.out, text)
        print(f"\nwritten to {args.out}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
