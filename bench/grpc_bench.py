"""Unary gRPC calls per second: apidouble's stub against a plain grpc.aio servicer giving
the same answer, measured in the same run (target: apidouble >= 0.7x the plain servicer).

.venv/bin/python bench/grpc_bench.py [--seconds 3] [--rounds 3] [--concurrency 32]

Each server runs in a process of its own on 127.0.0.1 (this script again, with
``--serve``); the client (one grpc.aio channel, ``concurrency`` calls in flight) runs
here, so both servers face the same client. Rounds alternate the sides (plain,
apidouble, plain...) after a short warm-up; the ratio is of the medians. The apidouble
side is a real config: the stub matches the request message (``match.json``) and every
call is journaled.

On a shared machine calls per second follow whatever else runs; the server's CPU time
per call (read from ``/proc``, Linux only) follows only the server's own work, so the
ratio of those is printed too: the steadier of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROTO = """\
syntax = "proto3";
package bench;
message GetItemRequest { int64 id = 1; }
message Item { int64 id = 1; string name = 2; double price = 3; repeated string tags = 4; }
service Catalog { rpc GetItem(GetItemRequest) returns (Item); }
"""
ANSWER = {"id": 42, "name": "Dune", "price": 9.5, "tags": ["book", "scifi"]}
METHOD = "/bench.Catalog/GetItem"
REQUEST = b"\x08\x2a"  # GetItemRequest{id: 42}


def _write(folder: Path) -> Path:
    """The proto, its generated code (for the plain servicer) and the apidouble config."""
    from grpc_tools import protoc

    (folder / "bench.proto").write_text(PROTO)
    args = ["protoc", f"-I{folder}", f"--python_out={folder}", f"--grpc_python_out={folder}"]
    assert protoc.main([*args, str(folder / "bench.proto")]) == 0
    stub = {"method": "bench.Catalog/GetItem", "match": {"json": {"id": 42}}, "response": ANSWER}
    config = folder / "apidouble.json"
    config.write_text(json.dumps({"grpc": {"port": 0, "protos": ["bench.proto"], "stubs": [stub]}}))
    return config


async def _serve(kind: str, folder: Path) -> None:
    """One server on a free port; its port on stdout; serves until stdin closes."""
    import grpc

    if kind == "apidouble":
        from apidouble.grpc import load_grpc_config, start_grpc
        from apidouble.journal import Journal

        server = await start_grpc(load_grpc_config(folder / "apidouble.json"), Journal(), port=0)
        port, stop = server.port, server.stop
    else:
        sys.path.insert(0, str(folder))
        pb2 = importlib.import_module("bench_pb2")
        pb2_grpc = importlib.import_module("bench_pb2_grpc")

        class Catalog(pb2_grpc.CatalogServicer):  # type: ignore[misc, name-defined]
            async def GetItem(self, request: Any, context: Any) -> Any:
                return pb2.Item(**ANSWER)

        plain = grpc.aio.server()
        pb2_grpc.add_CatalogServicer_to_server(Catalog(), plain)
        port = plain.add_insecure_port("127.0.0.1:0")
        await plain.start()
        stop = plain.stop
    print(port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await stop(0)


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds process ``pid`` has used (user + system), where ``/proc`` tells."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(
    port: int, seconds: float, concurrency: int, pid: int
) -> tuple[float, float | None]:
    """Calls per second over ``seconds``, after a quarter of a second of warm-up, and the
    server's CPU microseconds per call meanwhile (None where it cannot be read)."""
    import grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(METHOD)
        expected = await call(REQUEST)
        assert expected, "no answer"
        counted = 0
        counting = False

        async def worker(until: float) -> None:
            nonlocal counted
            while time.monotonic() < until:
                await call(REQUEST)
                if counting:
                    counted += 1

        warm = time.monotonic() + 0.25
        await asyncio.gather(*(worker(warm) for _ in range(concurrency)))
        counting = True
        cpu_before = _cpu_seconds(pid)
        started = time.monotonic()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
        cpu_after = _cpu_seconds(pid)
        per_call = None
        if cpu_before is not None and cpu_after is not None and counted:
            per_call = (cpu_after - cpu_before) / counted * 1e6
        return counted / elapsed, per_call


def _round(kind: str, folder: Path, seconds: float, concurrency: int) -> tuple[float, float | None]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--dir", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        return asyncio.run(_measure(port, seconds, concurrency, server.pid))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per side and round")
    parser.add_argument("--rounds", type=int, default=3, help="medians over this many")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight")
    parser.add_argument("--serve", choices=("apidouble", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(_serve(args.serve, args.dir))
        return 0
    with tempfile.TemporaryDirectory(prefix="grpc-bench-") as tmp:
        folder = Path(tmp)
        _write(folder)
        results: dict[str, list[float]] = {"plain": [], "apidouble": []}
        costs: dict[str, list[float]] = {"plain": [], "apidouble": []}
        for _ in range(args.rounds):
            for kind in results:
                rate, cost = _round(kind, folder, args.seconds, args.concurrency)
                results[kind].append(rate)
                if cost is not None:
                    costs[kind].append(cost)
    plain, ours = (statistics.median(results[k]) for k in ("plain", "apidouble"))
    print(f"plain grpc.aio servicer  {plain:10.0f} calls/s")
    print(f"apidouble grpc stub      {ours:10.0f} calls/s")
    print(f"ratio                    {ours / plain:10.2f}x (target >= 0.70x)")
    if costs["plain"] and costs["apidouble"]:
        plain_cost, our_cost = (statistics.median(costs[k]) for k in ("plain", "apidouble"))
        print(f"server CPU per call      {plain_cost:7.0f} us plain, {our_cost:.0f} us apidouble")
        print(f"CPU ratio (plain/ours)   {plain_cost / our_cost:10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
