"""Helpers shared by the transport tests: a tiny handler, a server context, a response reader."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from apidouble.model import Request
from apidouble.outcome import Forwarder, Outcome, Respond, Response
from apidouble.transport.server import HttpServer, ServerLimits, start_server

READ_TIMEOUT = 5.0
JSON = (("content-type", "application/json"),)


def echo(request: Request) -> Response:
    """A 200 whose JSON body shows every field the transport filled in."""
    data = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "headers": [list(h) for h in request.headers],
        "body": request.body.decode("latin-1"),
        "client": list(request.client) if request.client else None,
        "version": request.http_version,
    }
    return Response.build(200, JSON, json.dumps(data).encode())


class TestHandler:
    """Routes by path: /delay?ms=N, /async, /boom, /async-boom, /gate, /status/N, else echo."""

    __test__ = False

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.served_log: list[tuple[int, float]] = []
        self.gate: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        self.requests.append(request)
        self._notify()
        path = request.path
        if path == "/delay":
            return Respond(echo(request), delay_s=int(request.query["ms"][0]) / 1000)
        if path == "/async":
            return self._later(request)
        if path == "/boom":
            raise RuntimeError("handler bug")
        if path == "/async-boom":
            return self._fail()
        if path == "/gate":
            return self._gated(request)
        if path.startswith("/status/"):
            return Respond(Response.build(int(path[8:]), (), b"body!"))
        return Respond(echo(request))

    async def _later(self, request: Request) -> Outcome:
        await asyncio.sleep(0)
        return Respond(echo(request))

    async def _fail(self) -> Outcome:
        await asyncio.sleep(0)
        raise RuntimeError("async handler bug")

    async def _gated(self, request: Request) -> Outcome:
        if self.gate is None:
            self.gate = asyncio.Event()
        await self.gate.wait()
        return Respond(echo(request))

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        self.served_log.append((outcome.response.status, elapsed_s))
        self._notify()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def wait_until(self, done: Callable[[], bool], timeout: float = READ_TIMEOUT) -> None:
        """Wait until ``done()`` holds, re-checked whenever a request or ``served`` arrives."""

        async def until() -> None:
            while not done():
                self._changed = asyncio.Event()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)

    async def wait_served(self, count: int, timeout: float = READ_TIMEOUT) -> None:
        await self.wait_until(lambda: len(self.served_log) >= count, timeout)

    async def wait_requests(self, count: int, timeout: float = READ_TIMEOUT) -> None:
        await self.wait_until(lambda: len(self.requests) >= count, timeout)


@asynccontextmanager
async def serving(
    handler: Any | None = None, *, forwarder: Forwarder | None = None, **limits: Any
) -> AsyncIterator[tuple[HttpServer, TestHandler]]:
    """Run a server on an ephemeral port for the duration of the block."""
    used = handler if handler is not None else TestHandler()
    server = await start_server(used, limits=ServerLimits(**limits), forwarder=forwarder)
    try:
        yield server, used
    finally:
        await server.close()
        while _CLIENTS:
            _CLIENTS.pop().close()


_CLIENTS: list[asyncio.StreamWriter] = []


async def connect(server: HttpServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw client connection, closed when the enclosing ``serving`` block ends."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(server.host, server.port), 5)
    _CLIENTS.append(writer)
    return reader, writer


async def read_response(
    reader: asyncio.StreamReader, *, bodyless: bool = False, timeout: float = READ_TIMEOUT
) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers by lower-case name (last wins), body by content-length."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    length = int(headers.get("content-length", "0"))
    if length and not bodyless:
        body = await asyncio.wait_for(reader.readexactly(length), timeout)
    return status, headers, body


async def read_json(reader: asyncio.StreamReader) -> dict[str, Any]:
    status, _, body = await read_response(reader)
    assert status == 200, body
    result: dict[str, Any] = json.loads(body)
    return result


async def read_rest(reader: asyncio.StreamReader, timeout: float = READ_TIMEOUT) -> bytes:
    """Everything until the server closes; fails if it doesn't close in time."""
    try:
        return await asyncio.wait_for(reader.read(), timeout)
    except ConnectionResetError:
        return b""
