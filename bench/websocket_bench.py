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

The load comes from a raw-socket client in its own process (``client`` below: prebuilt
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
import base64
import collections
import datetime
import hashlib
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
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docfile
import idle
import peers
from peers import Server

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

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MESSAGE = b"apidouble-bench!"
MASK = b"\x1f\x2e\x3d\x4c"
"""Clients must mask; servers accept any key, so one fixed key lets frames be prebuilt."""
BATCH = 100
SETTLE_S = 0.5
PATH = "/echo"


# --- the wire: handshake and frames ------------------------------------------------


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame (payloads under 126 bytes: all this bench sends)."""
    body = bytes(byte ^ MASK[i % 4] for i, byte in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + MASK + body


FRAME = masked_frame(0x1, MESSAGE)
CLOSE = masked_frame(0x8, (1000).to_bytes(2, "big"))
"""Sent before the socket closes, so a server sees a normal close and logs no error."""


def handshake(port: int) -> tuple[bytes, bytes]:
    """(the upgrade request, the Sec-WebSocket-Accept it must get); no extension is
    offered, so neither server compresses and both send plain frames."""
    key = base64.b64encode(os.urandom(16))
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    request = (
        (
            f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
        ).encode()
        + key
        + b"\r\n\r\n"
    )
    return request, accept


def head_problem(head: bytes, accept: bytes) -> str | None:
    """None when ``head`` is a 101 with the right accept value, else what is wrong."""
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or status[1] != b"101":
        return f"answered {lines[0][:60].decode(errors='replace')!r}"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-accept":
            return None if value.strip() == accept else "wrong Sec-WebSocket-Accept"
    return "no Sec-WebSocket-Accept"


def take_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """The complete server frames at the front of ``buffer``, removed from it."""
    frames = []
    while len(buffer) >= 2:
        length, at = buffer[1] & 0x7F, 2
        if length >= 126:
            at = 4 if length == 126 else 10
            if len(buffer) < at:
                break
            length = int.from_bytes(buffer[2:at], "big")
        if len(buffer) < at + length:
            break
        frames.append((buffer[0] & 0x0F, bytes(buffer[at : at + length])))
        del buffer[: at + length]
    return frames


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One message out, its echo back (a ping on the way is answered)."""
    writer.write(FRAME)
    buffer = bytearray()
    while True:
        buffer += await reader.read(4096)
        if reader.at_eof() and not buffer:
            raise ConnectionError("closed by the server")
        for opcode, payload in take_frames(buffer):
            if opcode == 0x9:
                writer.write(masked_frame(0xA, payload))
            elif opcode == 0x8:
                raise ConnectionError("close frame from the server")
            elif payload != MESSAGE:
                raise ConnectionError("the echo differs from the message")
            else:
                return


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """An open WebSocket connection that has done one echo."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        request, accept = handshake(port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        problem = head_problem(head[:-4], accept)
        if problem is not None:
            raise ConnectionError(problem)
        await _echo(reader, writer)
    except BaseException:
        writer.close()
        raise
    return reader, writer


def _bye(writer: asyncio.StreamWriter) -> None:
    """Close as a client should: a close frame (not waited for), then the socket."""
    writer.write(CLOSE)
    writer.close()


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:80]


@dataclass
class Settings:
    """What to run: the command line's numbers."""

    connections: int
    clients: int
    duration_s: float
    rounds: int
    warmup_s: float
    hold_s: float


# --- idle connections ----------------------------------------------------------------


@dataclass
class Idle:
    """One server's idle figures: RSS in bytes around the opening of the connections."""

    wanted: int
    opened: int = 0
    held: int = 0
    before: int | None = None
    after: int | None = None
    failed: str | None = None

    @property
    def growth_mb(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return (self.after - self.before) / 2**20

    @property
    def kb_each(self) -> float | None:
        if self.before is None or self.after is None or not self.opened:
            return None
        return (self.after - self.before) / 1024 / self.opened


async def _settled_rss(server: Server) -> int | None:
    """RSS once the server has gone quiet: nothing half-done is counted."""
    await asyncio.to_thread(server.settle)
    await asyncio.sleep(SETTLE_S)
    return server.rss_bytes()


async def _hold(server: Server, count: int, hold_s: float) -> Idle:
    result = Idle(count)
    pairs: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    errors: collections.Counter[str] = collections.Counter()
    try:
        # one connection first, so one-time costs (imports, caches) are not per connection
        _, first = await asyncio.wait_for(_connect(server.port), 15)
        _bye(first)
        result.before = await _settled_rss(server)
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            opening = [asyncio.wait_for(_connect(server.port), 30) for _ in range(size)]
            made = await asyncio.gather(*opening, return_exceptions=True)
            for item in made:
                if isinstance(item, BaseException):
                    errors[_why(item)] += 1
                else:
                    pairs.append(item)
        result.opened = len(pairs)
        result.after = await _settled_rss(server)
        await asyncio.sleep(hold_s)
        live = [asyncio.wait_for(_echo(r, w), 30) for r, w in pairs if not r.at_eof()]
        answers = await asyncio.gather(*live, return_exceptions=True)
        result.held = sum(1 for answer in answers if not isinstance(answer, BaseException))
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        result.failed = _why(e)
    finally:
        for _, writer in pairs:
            _bye(writer)
        await asyncio.sleep(0)
    if result.failed is None and errors:
        reason, times = errors.most_common(1)[0]
        result.failed = f"{result.opened}/{count} opened; {times}× {reason}"
    if result.failed is None and (result.before is None or result.after is None):
        result.failed = "the server exited"
    if result.failed is None and result.held < result.opened:
        result.failed = f"{result.held}/{result.opened} still open after {hold_s:g} s"
    return result


def hold_idle(server: Server, count: int, hold_s: float) -> Idle:
    """Open ``count`` idle connections to ``server``, measure, hold, check, close."""
    if server.reason is not None:
        return Idle(count, failed=server.reason)
    bound = 60 + count * 0.05 + hold_s
    try:
        result = asyncio.run(asyncio.wait_for(_hold(server, count, hold_s), bound))
    except TimeoutError:
        return Idle(count, failed=f"not done in {bound:.0f} s")
    server.settle()  # the closes are handled before anything else is measured
    return result


# --- round trips: the client process -------------------------------------------------


class _Run:
    """Shared state of one client process's connections, all on one loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, clients: int) -> None:
        self.loop = loop
        self.clients = clients
        self.ready = 0
        self.finished = 0
        self.started = loop.create_future()
        self.done = loop.create_future()
        self.window = (float("inf"), float("inf"))
        self.latencies: list[float] = []
        self.errors = 0
        self.problem: str | None = None

    def fail(self, problem: str) -> None:
        self.problem = self.problem or problem
        for future in (self.started, self.done):
            if not future.done():
                future.set_result(None)

    def opened(self) -> None:
        self.ready += 1
        if self.ready == self.clients and not self.started.done():
            self.started.set_result(None)

    def finish_one(self) -> None:
        self.finished += 1
        if self.finished == self.clients and not self.done.done():
            self.done.set_result(None)


class _Talker(asyncio.Protocol):
    """One connection: the handshake, then send, wait for the echo, send again, until the
    window ends. Callbacks only: the per-message cost is a parse and a write."""

    def __init__(self, run: _Run, port: int) -> None:
        self.run = run
        self.request, self.accept = handshake(port)
        self.buffer = bytearray()
        self.open = False
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.transport.write(self.request)

    def send(self) -> None:
        assert self.transport is not None
        self.sent_at = time.perf_counter()
        self.transport.write(FRAME)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.open:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            problem = head_problem(bytes(self.buffer[:end]), self.accept)
            del self.buffer[: end + 4]
            if problem is not None:
                self.run.fail(problem)
                return
            self.open = True
            self.run.opened()
        for opcode, payload in take_frames(self.buffer):
            if opcode == 0x9:
                assert self.transport is not None
                self.transport.write(masked_frame(0xA, payload))
            elif opcode == 0x8:
                self.run.fail("close frame from the server")
            else:
                self.answered(payload)

    def answered(self, payload: bytes) -> None:
        now = time.perf_counter()
        start, stop = self.run.window
        if payload != MESSAGE:
            self.run.errors += 1
        elif start <= now < stop:
            self.run.latencies.append(now - self.sent_at)
        if now < stop:
            self.send()
        else:
            self.run.finish_one()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.run.done.done():
            self.run.fail(f"connection lost: {exc or 'closed by the server'}"[:80])


def _mark(cpu: list[tuple[float, float]], server_pid: int) -> None:
    cpu.append((time.process_time(), peers.tree_cpu_s(server_pid)))


async def _drive(
    run: _Run,
    talkers: list[_Talker],
    warmup_s: float,
    duration_s: float,
    cpu: list[tuple[float, float]],
    pid: int,
) -> None:
    """Every connection in its send-and-wait loop; CPU marked at the window's two ends."""
    now = time.perf_counter()
    run.window = (now + warmup_s, now + warmup_s + duration_s)
    run.loop.call_later(warmup_s, _mark, cpu, pid)
    run.loop.call_later(warmup_s + duration_s, _mark, cpu, pid)
    for talker in talkers:
        talker.send()
    try:
        await asyncio.wait_for(run.done, warmup_s + duration_s + 15)
    except TimeoutError:
        waiting = run.clients - run.finished
        run.fail(f"{waiting}/{run.clients} connections still waiting for an echo")


async def _talk(
    port: int, clients: int, warmup_s: float, duration_s: float, pid: int
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    run = _Run(loop, clients)
    talkers: list[_Talker] = []
    cpu: list[tuple[float, float]] = []  # (client, server) CPU seconds at the window's ends
    try:
        for _ in range(clients):
            _, talker = await loop.create_connection(lambda: _Talker(run, port), "127.0.0.1", port)
            talkers.append(talker)
        try:
            await asyncio.wait_for(run.started, 15)
        except TimeoutError:
            run.fail(f"{run.ready}/{clients} handshakes done in 15 s")
        if run.problem is None:
            await _drive(run, talkers, warmup_s, duration_s, cpu, pid)
    except OSError as error:
        run.fail(_why(error))
    finally:
        for talker in talkers:
            if talker.transport is not None:
                talker.transport.write(CLOSE)
                talker.transport.close()
    figures: dict[str, object] = {"problem": run.problem, "errors": run.errors}
    if run.problem is None and len(cpu) == 2 and run.latencies:
        ordered = sorted(run.latencies)
        figures["rate"] = len(ordered) / duration_s
        figures["p99_ms"] = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
        figures["client_cpu"] = (cpu[1][0] - cpu[0][0]) / duration_s
        figures["server_cpu"] = (cpu[1][1] - cpu[0][1]) / duration_s
    elif run.problem is None:
        figures["problem"] = "no echo inside the window"
    return figures


def client(argv: list[str]) -> int:
    """The load generator's process: prints its figures as one JSON line."""
    parser = argparse.ArgumentParser(prog="websocket_bench.py client")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--warmup", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    args = parser.parse_args(argv)
    talk = _talk(args.port, args.clients, args.warmup, args.duration, args.server_pid)
    try:
        import uvloop
    except ImportError:
        figures = asyncio.run(talk)
    else:
        figures = uvloop.run(talk)
    print(json.dumps(figures))
    return 0


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
    command = [sys.executable, str(Path(__file__).resolve()), "client", "--port", str(server.port)]
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
        _, writer = await asyncio.wait_for(_connect(server.port), 5)
        _bye(writer)

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
        f"- Idle: {s.connections:,} connections opened {BATCH} at a time, each a handshake "
        "and one echo, then idle; RSS of the server's process tree after one warm "
        f"connection and after the opening (each once the server is quiet, + {SETTLE_S:g} s)"
        f"; held = answered another echo after a {s.hold_s:g} s hold.",
        f"- Round trips: {s.clients} connections, each sending a {len(MESSAGE)}-byte text "
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
    if argv[:1] == ["client"]:
        return client(argv[1:])
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
