"""Carrying out outcomes over real sockets: upgrades hand the raw connection over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from apidouble.model import Request
from apidouble.outcome import Outcome, Response, Upgrade

from . import READ_TIMEOUT, TestHandler, connect, read_json, read_response, read_rest, serving

SWITCHED = b"HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n"
HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: echo\r\n\r\n"
)


class LineEcho(asyncio.Protocol):
    """The new protocol: newline-framed messages, each echoed back as ``echo: <line>``."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.pending = b""
        self.lost = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.pending += data
        *frames, self.pending = self.pending.split(b"\n")
        for frame in frames:
            self.transport.write(b"echo: " + frame + b"\n")

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


class EchoUpgrade:
    """An upgrade handler: answers 101, then echoes frames, starting with the leftover."""

    def __init__(self) -> None:
        self.leftovers: list[bytes] = []
        self.protocols: list[LineEcho] = []

    def take_over(
        self, transport: asyncio.Transport, request: Request, leftover: bytes
    ) -> asyncio.Protocol:
        self.leftovers.append(leftover)
        transport.write(SWITCHED)
        protocol = LineEcho(transport)
        self.protocols.append(protocol)
        protocol.data_received(leftover)
        return protocol


class UpgradingHandler(TestHandler):
    """/ws upgrades (now, /ws?async after an await, /ws?delay after 50 ms); else TestHandler."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self.upgrades = EchoUpgrade()
        self.outcomes: list[Outcome] = []

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if request.path != "/ws" and request.path != "/not-an-upgrade":
            return super().handle(request)
        self.requests.append(request)
        self._notify()
        outcome = Upgrade(self.upgrades, request, response=Response(101, b"", b""))
        if request.query_string == "delay":
            outcome.delay_s = 0.05
        if request.query_string == "async":
            return self._async(outcome)
        return outcome

    async def _async(self, outcome: Outcome) -> Outcome:
        await asyncio.sleep(0)
        return outcome

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        self.outcomes.append(outcome)
        super().served(outcome, elapsed_s)


async def read_line(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\n"), READ_TIMEOUT)


async def test_upgrade_hands_the_bytes_after_the_head_and_later_reads_to_the_new_protocol() -> None:
    handler = UpgradingHandler()
    async with serving(handler) as (server, _):
        reader, writer = await connect(server)
        writer.write(HANDSHAKE + b"one\ntw")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        assert head == SWITCHED
        assert await read_line(reader) == b"echo: one\n"
        writer.write(b"o\nGET /not-http HTTP/1.1\n")
        assert await read_line(reader) == b"echo: two\n"
        assert await read_line(reader) == b"echo: GET /not-http HTTP/1.1\n"
        assert handler.upgrades.leftovers == [b"one\ntw"]
        assert [r.path for r in handler.requests] == ["/ws"]
        assert [type(o) for o in handler.outcomes] == [Upgrade]
        assert handler.served_log[0][0] == 101
        writer.close()


async def test_upgrade_answered_later_still_gets_every_byte_sent_meanwhile() -> None:
    for query in ("delay", "async"):
        handler = UpgradingHandler()
        async with serving(handler) as (server, _):
            reader, writer = await connect(server)
            writer.write(HANDSHAKE.replace(b"/ws", b"/ws?" + query.encode()) + b"a\n")
            await handler.wait_requests(1)
            writer.write(b"b\n")  # before the 101: must wait for the new protocol, not vanish
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            assert await read_line(reader) == b"echo: a\n"
            assert await read_line(reader) == b"echo: b\n"
            writer.write(b"c\n")
            assert await read_line(reader) == b"echo: c\n"
            writer.close()


async def test_pipelined_upgrade_waits_its_turn() -> None:
    handler = UpgradingHandler()
    async with serving(handler) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /delay?ms=50 HTTP/1.1\r\n\r\n" + HANDSHAKE + b"first\n")
        assert (await read_json(reader))["path"] == "/delay"
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        assert await read_line(reader) == b"echo: first\n"
        writer.write(b"second\n")
        assert await read_line(reader) == b"echo: second\n"
        writer.close()


async def test_upgrade_request_answered_plainly_is_served_then_closed() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(HANDSHAKE.replace(b"/ws", b"/plain") + b"frame\n")
        status, headers, _ = await read_response(reader)
        assert status == 200 and headers["connection"] == "close"
        assert await read_rest(reader) == b""
        assert [r.path for r in handler.requests] == ["/plain"]


async def test_upgrade_for_a_request_that_did_not_ask_gets_500_and_http_goes_on() -> None:
    handler = UpgradingHandler()
    async with serving(handler) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /not-an-upgrade HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
        assert (await read_response(reader))[0] == 500
        assert (await read_json(reader))["path"] == "/after"
        assert handler.upgrades.leftovers == []
        writer.close()


async def test_http10_cannot_upgrade() -> None:
    """RFC 9110 §7.8: Upgrade is ignored on 1.0, so an Upgrade answer is a handler bug."""
    handler = UpgradingHandler()
    async with serving(handler) as (server, _):
        reader, writer = await connect(server)
        writer.write(HANDSHAKE.replace(b"HTTP/1.1", b"HTTP/1.0") + b"frame\n")
        status, headers, _ = await read_response(reader)
        assert status == 500 and headers["connection"] == "close"
        assert await read_rest(reader) == b""
        assert handler.upgrades.leftovers == []


async def test_server_close_closes_upgraded_connections() -> None:
    handler = UpgradingHandler()
    async with serving(handler) as (server, _):
        reader, writer = await connect(server)
        writer.write(HANDSHAKE + b"x\n")
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        assert await read_line(reader) == b"echo: x\n"
        await asyncio.wait_for(server.close(), READ_TIMEOUT)
        assert await read_rest(reader) == b""
        await asyncio.wait_for(handler.upgrades.protocols[0].lost, READ_TIMEOUT)


async def test_upgrade_then_client_gone_is_still_journalled() -> None:
    handler = UpgradingHandler()
    async with serving(handler) as (server, _):
        _, writer = await connect(server)
        writer.write(HANDSHAKE.replace(b"/ws", b"/ws?delay"))
        await handler.wait_requests(1)
        writer.transport.abort()
        await handler.wait_served(1)
        assert [type(o) for o in handler.outcomes] == [Upgrade]


@pytest.mark.parametrize(
    "scenario",
    [
        test_upgrade_hands_the_bytes_after_the_head_and_later_reads_to_the_new_protocol,
        test_upgrade_answered_later_still_gets_every_byte_sent_meanwhile,
        test_pipelined_upgrade_waits_its_turn,
        test_server_close_closes_upgraded_connections,
    ],
)
def test_upgrades_on_uvloop(scenario: Callable[[], Awaitable[None]]) -> None:
    """uvloop is what serves in production: its set_protocol and pause_reading too."""
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())  # type: ignore[arg-type]
