"""Answers written in one turn of the event loop leave together at its end, in order.

``Connection.send`` holds an answer until the turn ends (``ServeState.hold``); every other
write (a large body, a refusal, ``100 Continue``, a close) puts what is held on the
transport first. These tests pin both halves: the batching, and the order it must keep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.options import Options
from apidouble.outcome import Outcome, Respond, Response
from apidouble.runtime import Runtime
from apidouble.transport.http1 import HttpProtocol
from apidouble.transport.server import DEFAULT_LIMITS, ServeState

from . import TestHandler, connect, read_response, read_rest, serving

BIG = b"x" * (200 * 1024)
"""Over the size written straight to the transport (``connection._BIG_BODY``)."""


class BigHandler(TestHandler):
    """``/big/N`` answers a large body ending in N; anything else as ``TestHandler``."""

    __test__ = False

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if request.path.startswith("/big/"):
            self.requests.append(request)
            return Respond(Response.build(200, (), BIG + request.path[5:].encode()))
        return super().handle(request)


class Recording(asyncio.Transport):
    """A transport that keeps what is written (for the turn-of-the-loop test only)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return False


async def test_answers_of_one_turn_leave_together_at_its_end() -> None:
    state = ServeState(TestHandler(), DEFAULT_LIMITS, asyncio.get_running_loop())
    transports = []
    for _ in range(3):
        protocol = HttpProtocol(state)
        transport = Recording()
        protocol.connection_made(transport)
        protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        transports.append(transport)
    assert [t.written for t in transports] == [[], [], []]  # held: the turn is not over
    await asyncio.sleep(0)
    for transport in transports:
        assert len(transport.written) == 1
        assert transport.written[0].startswith(b"HTTP/1.1 200 ")


async def test_express_answers_leave_at_once_and_templated_ones_at_the_turn_end(
    tmp_path: Path,
) -> None:
    config = tmp_path / "apidouble.yaml"
    endpoints = [
        {"path": "/static", "response": {"ok": True}},
        {"path": "/users/{id}", "response": {"id": "{{ request.params.id }}"}},
    ]
    config.write_text(json.dumps({"endpoints": endpoints}))
    runtime = Runtime([config], Options(port=0, watch=False))
    state = ServeState(runtime.dispatcher, DEFAULT_LIMITS, asyncio.get_running_loop())
    protocol = HttpProtocol(state)
    transport = Recording()
    protocol.connection_made(transport)
    protocol.data_received(b"GET /static HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.written) == 1  # the express lane: written in the read's callback
    protocol.data_received(b"GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.written) == 1  # rendered: held until the turn ends
    await asyncio.sleep(0)
    assert len(transport.written) == 2 and transport.written[1].endswith(b'{"id":"7"}')


async def test_a_large_body_waits_for_the_answers_held_before_it() -> None:
    async with serving(BigHandler()) as (server, _):
        reader, writer = await connect(server)
        paths = ["/a", "/big/1", "/b", "/big/2", "/c"]
        writer.write(b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in paths))
        for path in paths:
            status, _, body = await read_response(reader)
            assert status == 200
            if path.startswith("/big/"):
                assert body == BIG + path[5:].encode()
            else:
                assert b'"path": "%s"' % path.encode() in body
        writer.close()


async def test_a_refusal_after_held_answers_comes_after_them_then_the_close() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(
            b"GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n"
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"
        )
        status, _, body = await read_response(reader)
        assert status == 200 and b'"/a"' in body
        status, headers, _ = await read_response(reader, bodyless=True)
        assert status == 200 and int(headers["content-length"]) > 0
        assert (await read_response(reader))[0] == 400
        assert await read_rest(reader) == b""


async def test_connection_close_sends_the_held_answer_before_closing() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\n")
        status, headers, body = await read_response(reader)
        assert status == 200 and headers["connection"] == "close" and b'"/a"' in body
        assert await read_rest(reader) == b""


@pytest.mark.parametrize("first", ["/a", "/async"])  # answered in the parse, or after it
async def test_continue_after_a_held_answer_comes_after_it(first: str) -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(
            f"GET {first} HTTP/1.1\r\n\r\n".encode()
            + b"POST /p HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        )
        status, _, body = await read_response(reader)
        assert status == 200 and f'"{first}"'.encode() in body
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert interim.startswith(b"HTTP/1.1 100")
        writer.write(b"ok")
        status, _, body = await read_response(reader)
        assert status == 200 and b'"body": "ok"' in body
        writer.close()
