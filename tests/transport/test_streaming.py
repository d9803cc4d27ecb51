"""Streamed bodies over real sockets: chunked on 1.1, close-delimited on 1.0, flow control."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from apidouble.model import Request
from apidouble.outcome import Outcome, Respond, Response

from . import READ_TIMEOUT, TestHandler, connect, read_json, read_rest, serving

HEAD = Response.build_streamed(200, (("content-type", "text/plain"),))


def reset_on_close(writer: asyncio.StreamWriter) -> None:
    """Make the client's close an RST: gone, not half-closed."""
    linger_off = struct.pack("ii", 1, 0)
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_off)


class Chunks:
    """An async iterator over fixed chunks that records how far it was pulled and closed."""

    def __init__(self, *chunks: bytes, fail: bool = False) -> None:
        self.chunks = list(chunks)
        self.pulled = 0
        self.fail = fail
        self.closed = asyncio.Event()

    def __aiter__(self) -> Chunks:
        return self

    async def __anext__(self) -> bytes:
        if self.pulled == len(self.chunks):
            if self.fail:
                raise RuntimeError("the producer broke")
            raise StopAsyncIteration
        self.pulled += 1
        return self.chunks[self.pulled - 1]

    async def aclose(self) -> None:
        self.closed.set()


class StreamingHandler(TestHandler):
    """/stream/<name> answers with the stream ``streams[name]``; else TestHandler."""

    __test__ = False

    def __init__(self, **streams: AsyncIterator[bytes]) -> None:
        super().__init__()
        self.streams = streams

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if not request.path.startswith("/stream/"):
            return super().handle(request)
        self.requests.append(request)
        self._notify()
        name = request.path.removeprefix("/stream/")
        status = int(request.query_string or "200")
        head = Response.build_streamed(status, ()) if status != 200 else HEAD
        return Respond(head, stream=self.streams[name])


async def test_streamed_body_over_httpx() -> None:
    chunks = Chunks(b"hello", b"", b" ", b"world" * 1000)
    async with (
        serving(StreamingHandler(s=chunks)) as (server, _),
        httpx.AsyncClient() as client,
        client.stream("GET", server.url + "/stream/s") as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        assert await response.aread() == b"hello " + b"world" * 1000
    assert chunks.closed.is_set()


async def test_chunked_framing_then_the_connection_serves_the_next_request() -> None:
    chunks = Chunks(b"ab", b"", b"c" * 20)
    async with serving(StreamingHandler(s=chunks)) as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
        expected = HEAD.head + b"transfer-encoding: chunked\r\n\r\n2\r\nab\r\n14\r\n"
        expected += b"c" * 20 + b"\r\n0\r\n\r\n"
        assert await asyncio.wait_for(reader.readexactly(len(expected)), READ_TIMEOUT) == expected
        assert (await read_json(reader))["path"] == "/after"
        await handler.wait_served(2)
        assert [s for s, _ in handler.served_log] == [200, 200]
        writer.close()


async def test_http10_stream_is_close_delimited() -> None:
    chunks = Chunks(b"one ", b"two")
    async with serving(StreamingHandler(s=chunks)) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        rest = await read_rest(reader)
        assert rest == HEAD.head + b"connection: close\r\n\r\none two"
        assert chunks.closed.is_set()


@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
async def test_head_gets_the_stream_head_only_and_the_next_request_is_framed(
    version: bytes,
) -> None:
    chunks = Chunks(b"never sent")
    async with serving(StreamingHandler(s=chunks)) as (server, _):
        reader, writer = await connect(server)
        keep = b"Connection: keep-alive\r\n" if version == b"1.0" else b""
        writer.write(b"HEAD /stream/s HTTP/%b\r\n%b\r\n" % (version, keep))
        writer.write(b"GET /after HTTP/%b\r\n%b\r\n" % (version, keep))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        if version == b"1.1":
            assert head == HEAD.head + b"transfer-encoding: chunked\r\n\r\n"
        else:
            assert head == HEAD.head + b"connection: keep-alive\r\n\r\n"
        assert (await read_json(reader))["path"] == "/after"
        await asyncio.wait_for(chunks.closed.wait(), READ_TIMEOUT)
        assert chunks.pulled == 0
        writer.close()


async def test_bodyless_status_sends_no_chunked_framing() -> None:
    chunks = Chunks(b"never sent")
    async with serving(StreamingHandler(s=chunks)) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s?204 HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        assert head.startswith(b"HTTP/1.1 204 ") and b"transfer-encoding" not in head
        assert (await read_json(reader))["path"] == "/after"
        assert chunks.pulled == 0
        writer.close()


async def test_a_failing_stream_cuts_the_connection_without_ending_the_body() -> None:
    chunks = Chunks(b"partial", fail=True)
    async with serving(StreamingHandler(s=chunks)) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
        rest = await read_rest(reader)
        assert rest.endswith(b"7\r\npartial\r\n")  # no last-chunk: the client sees the cut
        assert chunks.closed.is_set()


async def test_slow_reader_holds_the_producer() -> None:
    """The next chunk is pulled only once the transport drained, not while it is full."""
    big = b"x" * (32 * 1024 * 1024)
    received = 0
    received_when_pulled: list[int] = []

    async def produce() -> AsyncIterator[bytes]:
        for _ in range(3):
            received_when_pulled.append(received)
            yield big

    async with serving(StreamingHandler(s=produce())) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.1\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        while received < 3 * len(big):
            received += len(await asyncio.wait_for(reader.read(1 << 20), READ_TIMEOUT))
        # without flow control all three are pulled before the client has read anything;
        # with it, a chunk is pulled once the previous one is mostly in the client's hands
        # (what is left sits in kernel buffers, a few MiB on loopback)
        assert received_when_pulled[0] == 0
        assert received_when_pulled[1] > len(big) // 2
        assert received_when_pulled[2] > len(big) * 3 // 2
        writer.close()


async def test_client_going_away_stops_the_stream() -> None:
    """A producer waiting for its next event is cancelled and closed when the client leaves."""
    closed = asyncio.Event()
    first_sent = asyncio.Event()

    async def forever() -> AsyncIterator[bytes]:
        try:
            yield b"tick"
            first_sent.set()
            await asyncio.Event().wait()  # an event source that never fires again
            yield b"never"
        finally:
            closed.set()

    async with serving(StreamingHandler(s=forever())) as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.1\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"4\r\ntick\r\n"), READ_TIMEOUT)
        await asyncio.wait_for(first_sent.wait(), READ_TIMEOUT)
        reset_on_close(writer)
        writer.transport.abort()
        await asyncio.wait_for(closed.wait(), READ_TIMEOUT)
        assert len(handler.served_log) == 1


async def test_client_going_away_while_the_stream_waits_on_flow_control() -> None:
    chunks = Chunks(*([b"y" * (8 * 1024 * 1024)] * 64))
    async with serving(StreamingHandler(s=chunks)) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.1\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        reset_on_close(writer)
        writer.transport.abort()
        await asyncio.wait_for(chunks.closed.wait(), READ_TIMEOUT)
        assert chunks.pulled < 64


async def test_stream_for_a_client_already_gone_is_closed_unread() -> None:
    chunks = Chunks(b"late")

    class Late(StreamingHandler):
        def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
            self.requests.append(request)
            self._notify()
            return Respond(HEAD, delay_s=5.0, stream=chunks)

    async with serving(Late()) as (server, handler):
        _, writer = await connect(server)
        writer.write(b"GET /stream/s HTTP/1.1\r\n\r\n")
        await handler.wait_requests(1)
        reset_on_close(writer)
        writer.transport.abort()
        await handler.wait_served(1)
        await asyncio.wait_for(chunks.closed.wait(), READ_TIMEOUT)
        assert chunks.pulled == 0


@pytest.mark.parametrize(
    "scenario",
    [
        test_chunked_framing_then_the_connection_serves_the_next_request,
        test_http10_stream_is_close_delimited,
        test_slow_reader_holds_the_producer,
        test_client_going_away_while_the_stream_waits_on_flow_control,
    ],
)
def test_streams_on_uvloop(scenario: Callable[[], Awaitable[None]]) -> None:
    """uvloop is what serves in production: its flow control callbacks too."""
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())  # type: ignore[arg-type]
