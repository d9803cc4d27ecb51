"""``Forward`` outcomes over real sockets: the forwarder's answer, or a 502 saying why."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable

import httpx

from apidouble.model import Request, ServeEvent
from apidouble.outcome import Forward, Outcome, Respond, Response

from . import JSON, TestHandler, connect, read_json, read_response, read_rest, serving


class Upstream:
    """A test forwarder: answers ``upstream <path>`` after an await, or fails on /broken."""

    def __init__(self) -> None:
        self.forwarded: list[Forward] = []

    async def forward(self, outcome: Forward) -> Respond:
        self.forwarded.append(outcome)
        await asyncio.sleep(0)
        if outcome.request.path == "/fwd/broken":
            raise ConnectionRefusedError("upstream refused the connection")
        body = f"upstream {outcome.upstream}{outcome.request.path}".encode()
        return Respond(Response.build(201, (("x-from", "upstream"),), body))


class ForwardingHandler(TestHandler):
    """/fwd/... forwards to http://up.example (with ?delay, after 100 ms); else TestHandler."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: list[Outcome] = []

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if not request.path.startswith("/fwd/"):
            return super().handle(request)
        self.requests.append(request)
        self._notify()
        delay = 0.1 if request.query_string == "delay" else 0.0
        event = ServeEvent(request, time.time())
        return Forward("http://up.example", request, delay_s=delay, event=event)

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        self.outcomes.append(outcome)
        super().served(outcome, elapsed_s)


async def test_forward_writes_what_the_forwarder_answers() -> None:
    handler, upstream = ForwardingHandler(), Upstream()
    async with serving(handler, forwarder=upstream) as (server, _):
        async with httpx.AsyncClient() as client:
            response = await client.get(server.url + "/fwd/a?delay")
        assert response.status_code == 201 and response.headers["x-from"] == "upstream"
        assert response.text == "upstream http://up.example/fwd/a"
        assert [f.request.path for f in upstream.forwarded] == ["/fwd/a"]
        await handler.wait_served(1)
        (written,) = handler.outcomes
        assert isinstance(written, Respond) and written.event is not None
        assert written.event.status == 201  # journalled as what was sent
        assert handler.served_log[0][1] >= 0.09  # the forward's delay was waited out


async def test_forward_keeps_pipelined_order_and_the_connection() -> None:
    handler = ForwardingHandler()
    async with serving(handler, forwarder=Upstream()) as (server, _):
        reader, writer = await connect(server)
        writer.write(
            b"GET /fwd/one?delay HTTP/1.1\r\n\r\nGET /plain HTTP/1.1\r\n\r\n"
            b"GET /fwd/two HTTP/1.1\r\n\r\nHEAD /fwd/three HTTP/1.1\r\n\r\n"
            b"GET /last HTTP/1.1\r\n\r\n"
        )
        status, headers, body = await read_response(reader)
        assert (status, body) == (201, b"upstream http://up.example/fwd/one")
        assert "connection" not in headers
        assert (await read_json(reader))["path"] == "/plain"
        assert (await read_response(reader))[::2] == (201, b"upstream http://up.example/fwd/two")
        status, headers, _ = await read_response(reader, bodyless=True)
        assert status == 201 and headers["content-length"] == "36"
        assert (await read_json(reader))["path"] == "/last"
        writer.close()


async def test_forward_without_a_forwarder_is_a_502_that_says_why() -> None:
    handler = ForwardingHandler()
    async with serving(handler) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /fwd/x HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
        status, headers, body = await read_response(reader)
        assert status == 502 and headers["content-type"] == JSON[0][1]
        report = json.loads(body)
        assert "no forwarder" in report["reason"] and report["upstream"] == "http://up.example"
        assert (await read_json(reader))["path"] == "/after"
        await handler.wait_served(2)
        assert [s for s, _ in handler.served_log] == [502, 200]
        writer.close()


async def test_forwarder_failure_is_a_502_that_says_why() -> None:
    handler = ForwardingHandler()
    async with serving(handler, forwarder=Upstream()) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /fwd/broken HTTP/1.1\r\nConnection: close\r\n\r\n")
        status, headers, body = await read_response(reader)
        assert status == 502 and headers["connection"] == "close"
        assert "upstream refused the connection" in json.loads(body)["reason"]
        assert await read_rest(reader) == b""
        await handler.wait_served(1)
        (written,) = handler.outcomes
        assert written.event is not None and written.event.status == 502
