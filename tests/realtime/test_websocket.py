"""WebSocket conversations over real sockets: the websockets client against our engine."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Close, Opcode
from websockets.frames import Frame as WsFrame

from apidouble.model import Request
from apidouble.realtime import compile_websocket
from apidouble.templating import TemplateEnvironment

from ..transport import connect as raw_connect
from ..transport import read_response, read_rest
from . import Events, url, websocket_server

TIMEOUT = 5.0
CHAT: dict[str, Any] = {
    "on_connect": [{"hello": "{{ request.params.room }}"}],
    "on_message": [
        {"match": {"json": {"type": "ping"}}, "reply": {"type": "pong"}},
        {
            "match": {"regex": "^bye.*"},
            "reply": "see you",
            "close": {"code": 1000, "reason": "done"},
        },
        {"match": {"jsonpath": "$.n"}, "reply": "n={{ json.n }} in {{ request.params.room }}"},
        {"match": {"equals": "two"}, "reply": ["first", {"second": 2}, {"json": [3]}]},
        {"match": {"equals": "slow"}, "reply": "late", "delay_ms": 150},
        {"match": {"equals": "drop"}, "drop": True},
        {"match": {"equals": "broken"}, "reply": "{{ json.missing.deeper + 1 }}"},
        {"frame": "binary", "match": {"equals": "\x00\x01"}, "reply": {"binary": "AAEC"}},
        {"frame": "binary", "echo": True},
        {"reply": "echo: {{ message }}"},
    ],
}


async def recv(ws: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def closed(ws: ClientConnection) -> ConnectionClosed:
    """The close the client saw (it must come within the timeout)."""
    with pytest.raises(ConnectionClosed) as caught:
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    return caught.value


async def until(condition: Any, timeout: float = TIMEOUT) -> None:
    """Wait until ``condition()`` holds, polling the loop (bounded in time)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


# --- conversations ----------------------------------------------------------------------


async def test_on_connect_greets_with_the_path_parameter() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/lobby")) as ws:
            assert json.loads(await recv(ws)) == {"hello": "lobby"}


async def test_json_rule_and_templated_echo_and_fallback() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/kitchen")) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "ping", "extra": True}))
            assert json.loads(await recv(ws)) == {"type": "pong"}
            await ws.send('{"n": 7}')
            assert await recv(ws) == "n=7 in kitchen"
            await ws.send("héllo")
            assert await recv(ws) == "echo: héllo"


async def test_regex_rule_replies_then_closes_with_its_code_and_reason() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send("bye now")
            assert await recv(ws) == "see you"
            close = (await closed(ws)).rcvd
            assert close is not None and (close.code, close.reason) == (1000, "done")


async def test_a_reply_list_sends_each_message_in_order() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send("two")
            assert [await recv(ws) for _ in range(3)] == ["first", '{"second":2}', "[3]"]


async def test_delay_ms_holds_the_reply_without_holding_others() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            started = time.monotonic()
            await ws.send("slow")
            await ws.send("quick")
            assert await recv(ws) == "echo: quick"
            assert await recv(ws) == "late"
            assert 0.14 <= time.monotonic() - started < 3.0


async def test_fragmented_text_is_one_message() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send(["hel", "lo"])
            assert await recv(ws) == "echo: hello"


async def test_binary_in_and_out() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send(b"\x00\x01")
            assert await recv(ws) == b"\x00\x01\x02"
            await ws.send(b"\xff\xfe raw")
            assert await recv(ws) == b"\xff\xfe raw"
            await ws.send("text is not binary")
            assert await recv(ws) == "echo: text is not binary"


async def test_a_template_that_fails_closes_with_1011() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send("broken")
            close = (await closed(ws)).rcvd
            assert close is not None and close.code == 1011


async def test_invalid_utf8_text_fails_with_1007() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send(b"ok \xff", text=True)
            close = (await closed(ws)).rcvd
            assert close is not None and close.code == 1007


# --- pushes -----------------------------------------------------------------------------


async def test_broadcast_reaches_every_client_on_the_same_path_only() -> None:
    entry = {
        "broadcast": True,
        "on_message": [{"reply": "{{ request.params.room }}: {{ message }}"}],
    }
    async with websocket_server({"/ws/room/{room}": entry}) as (server, _):
        async with (
            connect(url(server, "/ws/room/red")) as one,
            connect(url(server, "/ws/room/red")) as two,
            connect(url(server, "/ws/room/blue")) as other,
        ):
            await one.send("hi")
            assert await recv(one) == "red: hi"
            assert await recv(two) == "red: hi"
            await other.send("alone")
            assert await recv(other) == "blue: alone"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(two.recv(), 0.2)


async def test_every_pushes_periodically() -> None:
    entry = {"every": {"ms": 40, "send": {"tick": "{{ timestamp }}"}}}
    async with websocket_server({"/ws/ticks": entry}) as (server, _):
        async with connect(url(server, "/ws/ticks")) as ws:
            started = time.monotonic()
            ticks = [json.loads(await recv(ws)) for _ in range(3)]
            assert all("tick" in tick for tick in ticks)
            assert 0.1 <= time.monotonic() - started < 3.0


async def test_sequence_plays_in_order_then_closes() -> None:
    entry = {
        "sequence": [
            {"send": "one"},
            {"send": ["two", {"n": 3}], "delay_ms": 60},
            {"send": "four", "delay_ms": 60, "close": {"code": 4000, "reason": "replayed"}},
        ]
    }
    async with websocket_server({"/ws/replay": entry}) as (server, _):
        async with connect(url(server, "/ws/replay")) as ws:
            started = time.monotonic()
            assert [await recv(ws) for _ in range(4)] == ["one", "two", '{"n":3}', "four"]
            assert 0.1 <= time.monotonic() - started < 3.0
            close = (await closed(ws)).rcvd
            assert close is not None and (close.code, close.reason) == (4000, "replayed")


async def test_sequence_repeats() -> None:
    entry = {"sequence": {"steps": [{"send": "a", "delay_ms": 10}, {"send": "b"}], "repeat": 2}}
    async with websocket_server({"/ws/replay": entry}) as (server, _):
        async with connect(url(server, "/ws/replay")) as ws:
            assert [await recv(ws) for _ in range(4)] == ["a", "b", "a", "b"]
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.2)


async def test_hub_send_reaches_the_sessions_of_that_path() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, handler):
        async with (
            connect(url(server, "/ws/chat/a")) as one,
            connect(url(server, "/ws/chat/b")) as two,
        ):
            await recv(one), await recv(two)
            listed = handler.hub.connections()
            assert sorted(item["path"] for item in listed) == ["/ws/chat/a", "/ws/chat/b"]
            assert handler.hub.connections("/ws/chat/b")[0]["messages_out"] == 1
            assert set(listed[0]) >= {"id", "path", "subprotocol", "client", "opened_at"}
            assert handler.hub.send("/ws/chat/a", {"pushed": True}) == 1
            assert handler.hub.send("/ws/chat/a", {"binary": "AQI="}) == 1
            assert handler.hub.send("/ws/chat/nobody", "x") == 0
            assert json.loads(await recv(one)) == {"pushed": True}
            assert await recv(one) == b"\x01\x02"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(two.recv(), 0.2)


# --- protocol ---------------------------------------------------------------------------


async def test_oversize_message_closes_with_1009() -> None:
    entry = {"max_message_bytes": 100, "on_message": [{"echo": True}]}
    async with websocket_server({"/ws/small": entry}) as (server, _):
        async with connect(url(server, "/ws/small"), compression=None) as ws:
            await ws.send("x" * 100)
            assert await recv(ws) == "x" * 100
            await ws.send("x" * 101)
            close = (await closed(ws)).rcvd
            assert close is not None and close.code == 1009


async def test_subprotocol_negotiated() -> None:
    entry = {"subprotocol": ["chat", "chat.v2"], "on_message": [{"echo": True}]}
    async with websocket_server({"/ws/proto": entry}) as (server, handler):
        async with connect(url(server, "/ws/proto"), subprotocols=["chat.v2", "chat"]) as ws:
            assert ws.subprotocol == "chat"
            assert handler.hub.connections()[0]["subprotocol"] == "chat"


@pytest.mark.parametrize("offered", [None, ["other"]])
async def test_subprotocol_refused_as_websockets_refuses(offered: list[str] | None) -> None:
    entry = {"subprotocol": "chat"}
    async with websocket_server({"/ws/proto": entry}) as (server, handler):
        with pytest.raises(InvalidStatus) as caught:
            await asyncio.wait_for(connect(url(server, "/ws/proto"), subprotocols=offered), TIMEOUT)  # type: ignore[arg-type]
        assert caught.value.response.status_code == 400
        assert len(handler.hub) == 0


@pytest.mark.parametrize("compression", [True, False])
async def test_permessage_deflate_negotiated_unless_disabled(compression: bool) -> None:
    entry = {"compression": compression, "on_message": [{"echo": True}]}
    async with websocket_server({"/ws/z": entry}) as (server, _):
        async with connect(url(server, "/ws/z")) as ws:
            assert ws.response is not None
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            assert ("permessage-deflate" in extensions) is compression
            big = "compressible " * 5000
            await ws.send(big)
            assert await recv(ws) == big


async def test_ping_is_answered() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        async with connect(url(server, "/ws/chat/a"), ping_interval=None) as ws:
            pong = await ws.ping(b"are you there")
            assert await asyncio.wait_for(pong, TIMEOUT) >= 0


async def test_idle_timeout_closes_with_1001_and_traffic_postpones_it() -> None:
    entry = {"idle_timeout_s": 0.5, "on_message": [{"echo": True}]}
    async with websocket_server({"/ws/idle": entry}) as (server, _):
        async with connect(url(server, "/ws/idle"), ping_interval=None) as ws:
            started = time.monotonic()
            for _ in range(8):  # 0.8 s of traffic, every 0.1 s
                await ws.send("still here")
                assert await recv(ws) == "still here"
                await asyncio.sleep(0.1)
            close = (await closed(ws)).rcvd
            assert close is not None and (close.code, close.reason) == (1001, "idle timeout")
            assert time.monotonic() - started >= 1.2


async def test_drop_aborts_without_a_close_frame() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, handler):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send("drop")
            error = await closed(ws)
            assert error.rcvd is None
        await until(lambda: len(handler.hub) == 0)


async def test_a_bad_handshake_gets_websockets_4xx_then_close() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, handler):
        reader, writer = await raw_connect(server)
        writer.write(
            b"GET /ws/chat/a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        status, headers, body = await read_response(reader)
        assert status == 400 and headers["connection"] == "close"
        assert b"Sec-WebSocket-Key" in body
        assert await read_rest(reader) == b""
        assert len(handler.hub) == 0


async def test_client_vanishing_mid_every_leaves_no_timer(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    events = Events()
    entry = {"every": {"ms": 10, "send": "tick"}, "idle_timeout_s": 30}
    async with websocket_server({"/ws/ticks": entry}, events) as (server, handler):
        ws = await asyncio.wait_for(connect(url(server, "/ws/ticks")), TIMEOUT)
        assert await recv(ws) == "tick"
        (session,) = handler.hub.sessions("/ws/ticks")
        assert session.timers() == 2  # every, idle
        assert ws.transport is not None
        ws.transport.abort()
        await until(lambda: len(handler.hub) == 0)
        await asyncio.sleep(0.05)  # several periods: a leftover timer would tick
        assert session.timers() == 0
        assert events.kinds()[-1] == "close" and events.seen[-1][1]["close_code"] == 1006
        sent = session.sent
        await asyncio.sleep(0.05)
        assert session.sent == sent
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_observer_sees_open_in_out_close() -> None:
    events = Events()
    async with websocket_server({"/ws/chat/{room}": CHAT}, events) as (server, handler):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            await ws.send("bye")
            await recv(ws)
            await closed(ws)
        await until(lambda: "close" in events.kinds())
    assert events.kinds() == ["open", "out", "in", "out", "close"]
    assert [data for _, _, data in events.seen] == [None, '{"hello":"a"}', "bye", "see you", "done"]
    last = events.seen[-1][1]
    assert (last["close_code"], last["messages_in"], last["messages_out"]) == (1000, 1, 2)


def raw_handshake(path: str) -> bytes:
    key = base64.b64encode(b"0123456789abcdef").decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked server frame of under 64 KiB: (opcode, payload)."""
    first, size = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
    length = size & 0x7F
    if length == 126:
        length = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), TIMEOUT))
    return first & 0x0F, await asyncio.wait_for(reader.readexactly(length), TIMEOUT)


async def test_frames_sent_with_the_handshake_are_read_after_it() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, _):
        reader, writer = await raw_connect(server)
        frame = WsFrame(Opcode.TEXT, b"early").serialize(mask=True, extensions=[])
        writer.write(raw_handshake("/ws/chat/a") + frame)
        status, headers, _ = await read_response(reader, bodyless=True)
        assert status == 101 and headers["upgrade"] == "websocket"
        assert await read_frame(reader) == (Opcode.TEXT, b'{"hello":"a"}')
        assert await read_frame(reader) == (Opcode.TEXT, b"echo: early")


async def test_a_message_arriving_with_the_close_frame_still_counts() -> None:
    """Its reply leaves before the close: it came first (Autobahn 7.1.6)."""
    events = Events()
    async with websocket_server({"/ws/chat/{room}": CHAT}, events) as (server, _):
        reader, writer = await raw_connect(server)
        writer.write(raw_handshake("/ws/chat/a"))
        assert (await read_response(reader, bodyless=True))[0] == 101
        await read_frame(reader)  # the greeting
        last = WsFrame(Opcode.TEXT, b"last words").serialize(mask=True, extensions=[])
        close = WsFrame(Opcode.CLOSE, Close(1000, "").serialize())
        writer.write(last + close.serialize(mask=True, extensions=[]))
        assert await read_frame(reader) == (Opcode.TEXT, b"echo: last words")
        assert await read_frame(reader) == (Opcode.CLOSE, Close(1000, "").serialize())
        assert await read_rest(reader) == b""  # the server half-closed: the client closes
        writer.close()
        await until(lambda: "close" in events.kinds())
    assert ("in", "last words") in [(kind, data) for kind, _, data in events.seen]


ECHO: dict[str, Any] = {"on_message": [{"echo": True}]}


def client_frame(first: int, payload: bytes) -> bytes:
    """A masked client frame of under 126 bytes from its first byte (FIN, RSV, opcode),
    reserved bits and opcodes included (websockets would refuse to build those)."""
    mask = b"\x11\x22\x33\x44"
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([first, 0x80 | len(payload)]) + mask + masked


async def echo_session(server: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await raw_connect(server)
    writer.write(raw_handshake("/ws/echo"))
    assert (await read_response(reader, bodyless=True))[0] == 101
    return reader, writer


async def test_a_close_between_fragments_is_answered_with_its_code() -> None:
    """RFC 6455 §5.4: a control frame may come mid-message, a close too (Autobahn
    7.1.5): the unfinished message is dropped and the close echoed, not failed (1002)."""
    async with websocket_server({"/ws/echo": ECHO}) as (server, _):
        reader, writer = await echo_session(server)
        writer.write(
            client_frame(0x01, b"fragment1")  # text, FIN unset
            + client_frame(0x88, Close(1000, "").serialize())
            + client_frame(0x80, b"fragment2")  # the last fragment, after the close
        )
        assert await read_frame(reader) == (Opcode.CLOSE, Close(1000, "").serialize())
        assert await read_rest(reader) == b""
        writer.close()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (client_frame(0xA1, b"rsv2"), 1002),  # a reserved bit (Autobahn 3.2)
        (client_frame(0x85, b""), 1002),  # a reserved opcode (4.1.3)
        (client_frame(0x80, b"nothing to continue"), 1002),  # a stray continuation (5.15)
        (client_frame(0x81, b"caf\xc3"), 1007),  # invalid UTF-8 (6.x)
    ],
    ids=["rsv", "opcode", "continuation", "utf8"],
)
async def test_messages_before_a_bad_frame_are_answered_before_the_failure(
    bad: bytes, code: int
) -> None:
    """The connection fails from the bad frame on (RFC 6455 §7.1.7): the message that
    came before it, in the same read, is still echoed, then the close comes."""
    async with websocket_server({"/ws/echo": ECHO}) as (server, _):
        reader, writer = await echo_session(server)
        ping = client_frame(0x89, b"never answered")
        writer.write(client_frame(0x81, b"Hello, world!") + bad + ping)
        assert await read_frame(reader) == (Opcode.TEXT, b"Hello, world!")
        opcode, payload = await read_frame(reader)
        assert opcode == Opcode.CLOSE and Close.parse(payload).code == code
        assert await read_rest(reader) == b""  # no pong: nothing after the bad frame
        writer.close()


async def test_a_client_that_stops_reading_gets_pushes_dropped_not_buffered() -> None:
    entry = {"every": {"ms": 1, "send": "x" * 65536}}
    async with websocket_server({"/ws/flood": entry}) as (server, handler):
        reader, writer = await raw_connect(server)
        writer.write(raw_handshake("/ws/flood"))
        assert (await read_response(reader, bodyless=True))[0] == 101
        await until(lambda: len(handler.hub) == 1)
        (session,) = handler.hub.sessions("/ws/flood")
        await until(lambda: session.dropped > 0)
        await asyncio.sleep(0.05)
        assert session.transport.get_write_buffer_size() < 2 * 65536 + 1024
        writer.transport.abort()
        await until(lambda: len(handler.hub) == 0)


async def test_server_close_ends_sessions() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, handler):
        ws = await asyncio.wait_for(connect(url(server, "/ws/chat/a")), TIMEOUT)
        await recv(ws)
        await asyncio.wait_for(server.close(), TIMEOUT)
        await closed(ws)
        await until(lambda: len(handler.hub) == 0)


# --- load time --------------------------------------------------------------------------


def test_react_decides_without_a_server() -> None:
    route = compile_websocket(CHAT, TemplateEnvironment(seed=1))
    request = Request("GET", "/ws/chat/x")
    pong = route.react(request, {"room": "x"}, b'{"type": "ping"}', False)
    assert pong is not None and pong.frames == [(False, b'{"type":"pong"}')]
    bye = route.react(request, {}, b"bye", False)
    assert bye is not None and bye.close == (1000, "done")
    binary = route.react(request, {}, b"\x00\x01", True)
    assert binary is not None and binary.frames == [(True, b"\x00\x01\x02")]
    silent = compile_websocket(
        {"on_message": [{"match": {"equals": "x"}, "reply": "y"}]}, TemplateEnvironment()
    )
    assert silent.react(request, {}, b"other", False) is None


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        (
            {"on_message": [{"reply": "a"}, {"match": {"regex": "("}, "reply": "b"}]},
            "on_message/1/match/regex",
        ),
        ({"on_message": [{"match": {"json": 1, "regex": "x"}}]}, "on_message/0/match"),
        (
            {"on_message": [{"match": [{"equals": "a"}, {"bogus": 1}]}]},
            "on_message/0/match/1/bogus",
        ),
        ({"on_message": [{"reply": "{{ nope }}"}]}, "on_message/0/reply"),
        ({"on_message": [{"reply": ["ok", "{{ nope }}"]}]}, "on_message/0/reply/1"),
        ({"on_message": [{"close": {"code": 1005}}]}, "on_message/0/close/code"),
        ({"on_message": [{"drop": True, "reply": "x"}]}, "on_message/0/drop"),
        ({"on_message": [{"delay_ms": -1}]}, "on_message/0/delay_ms"),
        ({"on_message": [{"frame": "pdf"}]}, "on_message/0/frame"),
        ({"on_message": [{"replies": "x"}]}, "on_message/0/replies"),
        ({"on_connect": {"binary": "not base64!"}}, "on_connect/binary"),
        ({"every": {"ms": 0, "send": "x"}}, "every/ms"),
        ({"sequence": [{"send": "x"}, {"delay_ms": 5}]}, "sequence/1"),
        ({"sequence": {"steps": [{"send": "x"}], "repeat": "forever"}}, "sequence/repeat"),
        ({"max_message_bytes": 0}, "max_message_bytes"),
        ({"idle_timeout_s": "soon"}, "idle_timeout_s"),
        ({"subprotocols": "chat"}, "subprotocols"),
    ],
)
def test_compile_errors_name_their_location(entry: dict[str, Any], where: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_websocket(entry, TemplateEnvironment())
    assert str(caught.value).startswith(where + ":"), str(caught.value)


def test_autobahn_echo_entry_compiles() -> None:
    """The entry docs/realtime.md gives for the Autobahn|Testsuite: an exact echo."""
    route = compile_websocket(
        {
            "path": "/ws-echo",
            "max_message_bytes": 16 * 2**20 + 1024,
            "on_message": [{"echo": True}],
        },
        TemplateEnvironment(),
    )
    request = Request("GET", "/ws-echo")
    for payload, binary in ((b"caf\xc3\xa9", False), (b"\xff\x00", True)):
        reaction = route.react(request, {}, payload, binary)
        assert reaction is not None and reaction.frames == [(binary, payload)]


@pytest.mark.parametrize(
    "scenario",
    [
        test_regex_rule_replies_then_closes_with_its_code_and_reason,
        test_binary_in_and_out,
        test_frames_sent_with_the_handshake_are_read_after_it,
        test_a_client_that_stops_reading_gets_pushes_dropped_not_buffered,
        test_a_bad_handshake_gets_websockets_4xx_then_close,
        test_drop_aborts_without_a_close_frame,
    ],
)
def test_on_uvloop(scenario: Callable[[], Awaitable[None]]) -> None:
    """uvloop is what serves in production: its write_eof, pause_reading and abort too."""
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())  # type: ignore[arg-type]


async def test_hub_close_all_says_going_away() -> None:
    async with websocket_server({"/ws/chat/{room}": CHAT}) as (server, handler):
        async with connect(url(server, "/ws/chat/a")) as ws:
            await recv(ws)
            handler.hub.close_all()
            close = (await closed(ws)).rcvd
            assert close is not None and (close.code, close.reason) == (1001, "going away")
        await until(lambda: len(handler.hub) == 0)
