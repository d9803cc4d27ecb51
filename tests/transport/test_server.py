"""Listening, graceful shutdown, concurrency and the event loop policy."""

from __future__ import annotations

import asyncio
import gc
import socket
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from apidouble.transport.server import (
    ServerLimits,
    install_event_loop_policy,
    start_server,
)

from . import TestHandler, connect, read_json, read_response, read_rest, serving

uvloop = pytest.importorskip("uvloop")


def run_on_uvloop(scenario: Callable[[], Awaitable[None]]) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())  # type: ignore[arg-type]


async def test_binds_an_ephemeral_port_and_serves() -> None:
    server = await start_server(TestHandler())
    try:
        assert server.host == "127.0.0.1" and server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(server.url + "/hi")).json()["path"] == "/hi"
    finally:
        await server.close()
        await server.close()  # idempotent


async def test_limits_defaults() -> None:
    limits = ServerLimits()
    assert limits.max_body_bytes == 10 * 1024 * 1024 and limits.max_header_bytes == 65536
    assert (limits.header_timeout_s, limits.idle_timeout_s, limits.shutdown_grace_s) == (
        10.0,
        60.0,
        10.0,
    )


async def test_close_drops_idle_connections_and_finishes_in_flight_ones() -> None:
    handler = TestHandler()
    server = await start_server(handler)
    idle_reader, idle_writer = await connect(server)
    idle_writer.write(b"GET /first HTTP/1.1\r\n\r\n")
    await read_response(idle_reader)
    busy_reader, busy_writer = await connect(server)
    busy_writer.write(b"GET /delay?ms=300 HTTP/1.1\r\n\r\n")
    await handler.wait_requests(2)

    started = time.monotonic()
    closing = asyncio.ensure_future(server.close())
    assert await read_rest(idle_reader, timeout=0.25) == b""  # at once, not after the delay
    status, headers, _ = await read_response(busy_reader)
    assert status == 200 and headers["connection"] == "close"
    assert await read_rest(busy_reader) == b""
    await asyncio.wait_for(closing, 5)
    assert 0.2 < time.monotonic() - started < 2.0
    with pytest.raises(OSError):
        await asyncio.wait_for(asyncio.open_connection(server.host, server.port), 2)
    idle_writer.close()
    busy_writer.close()


async def test_close_aborts_what_outlives_the_grace() -> None:
    handler = TestHandler()
    server = await start_server(handler, limits=ServerLimits(shutdown_grace_s=0.2))
    reader, writer = await connect(server)
    writer.write(b"GET /gate HTTP/1.1\r\n\r\nGET /delay?ms=10000 HTTP/1.1\r\n\r\n")
    other_reader, other_writer = await connect(server)
    other_writer.write(b"GET /delay?ms=10000 HTTP/1.1\r\n\r\n")
    await handler.wait_requests(2)
    started = time.monotonic()
    await asyncio.wait_for(server.close(), 5)
    assert time.monotonic() - started < 1.5
    assert await read_rest(reader) == b""
    assert await read_rest(other_reader) == b""
    await handler.wait_served(1)  # the delayed one learns its client is gone
    writer.close()
    other_writer.close()


async def test_a_connection_accepted_as_close_begins_is_closed_too() -> None:
    """asyncio's selector loop makes an accepted connection's transport one turn after
    ``accept()``: a listener closed in that turn left the transport half made and open
    (found by a shutdown test that probed the port while the server stopped)."""
    server = await start_server(TestHandler())
    if not isinstance(asyncio.get_running_loop(), asyncio.SelectorEventLoop):
        await server.close()
        pytest.skip("the race is the selector loop's")
    clients = [socket.create_connection((server.host, server.port)) for _ in range(4)]
    await asyncio.sleep(0)  # the loop sees the listening socket readable...
    await asyncio.sleep(0)  # ...accepts, and queues the transports' making after this
    unraisable: list[str] = []
    previous, sys.unraisablehook = sys.unraisablehook, lambda u: unraisable.append(repr(u))
    try:
        await server.close()
        for _ in range(5):  # the closing transports' connection_lost calls
            await asyncio.sleep(0)
        gc.collect()
        closed_by_server = []
        for client in clients:  # each one was closed by the server, not by the collector
            client.settimeout(2)
            closed_by_server.append(client.recv(1) == b"")
    finally:
        sys.unraisablehook = previous
        for client in clients:
            client.close()
    assert unraisable == []
    assert closed_by_server == [True] * len(clients)


async def _many_delayed(count: int, delay_s: float) -> tuple[float, float]:
    """Total time, and the slowest request's time from its send to its full response."""
    handler = TestHandler()
    server = await start_server(handler)
    request = f"GET /delay?ms={int(delay_s * 1000)} HTTP/1.1\r\n\r\n".encode()
    writers: list[asyncio.StreamWriter] = []
    latencies: list[float] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writers.append(writer)
        sent = time.monotonic()
        writer.write(request)
        await read_json(reader)
        latencies.append(time.monotonic() - sent)

    # The test process holds the whole suite's objects (over a million by now); one full
    # collection of those costs most of a second, which no server process pays. Freezing
    # them keeps the measurement about the server's own work.
    gc.collect()
    gc.freeze()
    try:
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), 10)
        elapsed = time.monotonic() - started
        await handler.wait_served(count)
    finally:
        gc.unfreeze()
        await server.close()
        for writer in writers:
            writer.close()
    return elapsed, max(latencies)


def _overlapped(baseline: float, total: float, slowest: float) -> bool:
    """1,000 delays of 1 s overlap: the slowest waits its second plus about what the
    same 1,000 requests cost undelayed in this run (``baseline``: how loaded the machine
    is), never the 1,000 s of delays served one after another."""
    return 1.0 <= slowest < 1.5 + baseline and total < 2.0 + baseline


async def test_a_thousand_delayed_requests_wait_concurrently() -> None:
    baseline, _ = await _many_delayed(1000, 0.0)
    total, slowest = await _many_delayed(1000, 1.0)
    assert _overlapped(baseline, total, slowest), (baseline, total, slowest)


def test_a_thousand_delayed_requests_on_uvloop() -> None:
    result: list[tuple[float, float]] = []

    async def scenario() -> None:
        result.append(await _many_delayed(1000, 0.0))
        result.append(await _many_delayed(1000, 1.0))

    run_on_uvloop(scenario)
    (baseline, _), (total, slowest) = result
    assert _overlapped(baseline, total, slowest), (baseline, total, slowest)


async def test_a_static_neighbour_is_served_during_delays() -> None:
    async with serving(shutdown_grace_s=0.1) as (server, _):
        slow = []
        for _ in range(50):
            reader, writer = await connect(server)
            writer.write(b"GET /delay?ms=2000 HTTP/1.1\r\n\r\n")
            slow.append(reader)
        reader, writer = await connect(server)
        started = time.monotonic()
        for _ in range(20):
            writer.write(b"GET /static HTTP/1.1\r\n\r\n")
            await read_json(reader)
        assert time.monotonic() - started < 1.0


def test_core_behaviour_on_uvloop() -> None:
    async def scenario() -> None:
        async with serving(max_body_bytes=100) as (server, handler):
            reader, writer = await connect(server)
            writer.write(
                b"GET /delay?ms=50 HTTP/1.1\r\n\r\nGET /async HTTP/1.1\r\n\r\n"
                b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                b"HEAD /h HTTP/1.1\r\n\r\n"
            )
            assert (await read_json(reader))["path"] == "/delay"
            assert (await read_json(reader))["path"] == "/async"
            assert (await read_json(reader))["body"] == "hi"
            assert (await read_response(reader, bodyless=True))[0] == 200
            writer.write(b"PUT /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == (
                b"HTTP/1.1 100 Continue\r\n\r\n"
            )
            writer.write(b"okPOST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n")
            assert (await read_json(reader))["body"] == "ok"
            assert (await read_response(reader))[0] == 413
            assert await read_rest(reader) == b""
            reader, writer = await connect(server)
            writer.write(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
            assert (await read_response(reader))[0] == 400
            assert await read_rest(reader) == b""
            assert len(handler.requests) == 5

    run_on_uvloop(scenario)


async def test_reuse_port_lets_two_servers_share_a_port() -> None:
    if not hasattr(socket, "SO_REUSEPORT"):
        pytest.skip("SO_REUSEPORT not available")
    first = await start_server(TestHandler(), reuse_port=True)
    second = await start_server(TestHandler(), port=first.port, reuse_port=True)
    try:
        assert second.port == first.port
    finally:
        await first.close()
        await second.close()


def test_install_event_loop_policy() -> None:
    previous = asyncio.get_event_loop_policy()
    try:
        assert install_event_loop_policy() == "uvloop"
        assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)
    finally:
        asyncio.set_event_loop_policy(previous)
