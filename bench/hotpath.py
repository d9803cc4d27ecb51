"""Per-request cost of apidouble's own code, with no sockets: bytes in, bytes out.

Feeds a keep-alive GET to one ``HttpProtocol`` over a fake transport, through the real
engine and journal, and prints microseconds per request. ``--profile`` writes a
pyinstrument report of the same loop (when pyinstrument is importable).

    .venv/bin/python bench/hotpath.py [--requests N] [--scenario static|conditions|addon|...]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stubsets
from stubsets import JSONPATH_BODY, apidouble_config, write_addon, write_jwt_key

from apidouble.options import Options
from apidouble.runtime import Runtime
from apidouble.transport.http1 import HttpProtocol
from apidouble.transport.server import DEFAULT_LIMITS, ServeState

HEADERS = b"Host: 127.0.0.1:8000\r\nUser-Agent: wrk\r\nAccept: application/json\r\n"


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += len(data)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def is_closing(self) -> bool:
        return False


def request_bytes(scenario: str) -> bytes:
    if scenario == "templated":
        return b"GET /users/42 HTTP/1.1\r\n" + HEADERS + b"\r\n"
    if scenario == "conditions":  # the header + query stub
        return b"GET /search?kind=gold HTTP/1.1\r\n" + HEADERS + b"X-Client: bench\r\n\r\n"
    if scenario == "addon":  # a static stub with one trivial ``response`` hook
        return b"GET /touched HTTP/1.1\r\n" + HEADERS + b"\r\n"
    if scenario in ("jwt", "jwt_open"):  # the protected stub, and the open one alike
        token = stubsets.HEADERS["jwt"]["Authorization"].encode()
        target = b"/protected" if scenario == "jwt" else b"/static"
        line = b"GET " + target + b" HTTP/1.1\r\n"
        return line + HEADERS + b"Authorization: " + token + b"\r\n\r\n"
    if scenario == "jsonpath":
        body = JSONPATH_BODY
        head = b"POST /orders HTTP/1.1\r\n" + HEADERS
        head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        return head + body
    return b"GET /static HTTP/1.1\r\n" + HEADERS + b"\r\n"


TURN = 50
"""Requests per turn of the loop, as from ``wrk -c50``: answers leave at its end."""


async def serve(protocol: HttpProtocol, data: bytes, count: int) -> None:
    """``count`` requests, ``TURN`` to a turn of the event loop."""
    for done in range(count):
        protocol.data_received(data)
        if done % TURN == TURN - 1:
            await asyncio.sleep(0)
    await asyncio.sleep(0)


async def run(scenario: str, count: int, profile: bool) -> float:
    folder = Path("/tmp") / f"apidouble-hotpath-{scenario}"
    folder.mkdir(exist_ok=True)
    config = folder / "apidouble.yaml"
    write_addon(folder)
    write_jwt_key(folder)
    config.write_text(apidouble_config(1000 if scenario == "large" else 10))
    runtime = Runtime([config], Options(port=0, watch=False))
    state = ServeState(runtime.dispatcher, DEFAULT_LIMITS, asyncio.get_running_loop())
    protocol = HttpProtocol(state)
    transport = FakeTransport()
    protocol.connection_made(transport)
    data = request_bytes(scenario)
    await serve(protocol, data, 2000)
    gc.collect()
    gc.freeze()
    profiler: Any = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    started = time.perf_counter()
    await serve(protocol, data, count)
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    assert transport.sent > 0
    return elapsed / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--scenario", default="static")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    micros = asyncio.run(run(args.scenario, args.requests, args.profile))
    print(f"{args.scenario}: {micros:.2f} us per request ({1e6 / micros:,.0f} req/s of CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
