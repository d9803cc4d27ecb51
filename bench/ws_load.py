"""The WebSocket bench's load: raw-socket clients with prebuilt masked frames.

``bench/websocket_bench.py`` runs this file as its own process for the round trips
(``python bench/ws_load.py --port P --clients C --warmup W --duration D --server-pid PID``
prints one JSON line of figures), so the client costs less per message than the servers
do and shares no event loop with them; ``hold_idle`` opens and holds the idle
connections from the bench's own process.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
from peers import Server

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


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
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


def bye(writer: asyncio.StreamWriter) -> None:
    """Close as a client should: a close frame (not waited for), then the socket."""
    writer.write(CLOSE)
    writer.close()


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:80]


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
        _, first = await asyncio.wait_for(connect(server.port), 15)
        bye(first)
        result.before = await _settled_rss(server)
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            opening = [asyncio.wait_for(connect(server.port), 30) for _ in range(size)]
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
            bye(writer)
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
    parser = argparse.ArgumentParser(prog="ws_load.py")
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


if __name__ == "__main__":
    sys.exit(client(sys.argv[1:]))
