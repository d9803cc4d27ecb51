"""WebSocket rules with scenarios, and addons' ``websocket_message`` hooks, through the
whole server with the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode

from apidouble import ConfigError, MockServer

from ..realtime.test_websocket import raw_handshake, read_frame
from ..transport import read_response

TIMEOUT = 5.0
GAME: dict[str, Any] = {
    "websockets": [
        {
            "name": "game",
            "path": "/ws/game",
            "on_message": [
                {
                    "match": {"equals": "login"},
                    "scenario": {"name": "game", "when": "Started", "then": "playing"},
                    "reply": "welcome",
                },
                {
                    "match": {"equals": "move"},
                    "scenario": {"name": "game", "when": "playing"},
                    "reply": "moved",
                },
                {
                    "match": {"equals": "quit"},
                    "scenario": {"name": "game", "then": "over"},
                    "reply": "bye",
                },
                {"reply": "log in first"},
            ],
        },
    ],
    "endpoints": [
        {
            "name": "status-over",
            "path": "/status",
            "scenario": {"name": "game", "when": "over"},
            "response": {"game": "over"},
            "priority": 1,
        },
        {
            "name": "open",
            "method": "POST",
            "path": "/open",
            "scenario": {"name": "game", "then": "playing"},
            "response": {"opened": True},
        },
        {"name": "status", "path": "/status", "response": {"game": "not over"}, "priority": 9},
    ],
}


def ws_url(mock: MockServer, path: str) -> str:
    return mock.url.replace("http://", "ws://") + path


async def recv(ws: Any) -> Any:
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def ask(ws: Any, text: str) -> Any:
    await ws.send(text)
    return await recv(ws)


@pytest.fixture
def game(tmp_path: Path) -> Iterator[MockServer]:
    config = tmp_path / "apidouble.yaml"
    config.write_text(json.dumps(GAME))
    with MockServer(config) as server:
        yield server


# --- scenarios in message rules ----------------------------------------------------------


async def test_a_rule_waits_for_its_state_and_moves_the_scenario(game: MockServer) -> None:
    async with connect(ws_url(game, "/ws/game")) as ws:
        assert await ask(ws, "move") == "log in first"
        assert await ask(ws, "login") == "welcome"
        assert await ask(ws, "move") == "moved"
        assert await ask(ws, "login") == "log in first"  # Started is behind us
    scenarios = httpx.get(game.url + "/__admin/scenarios").json()["scenarios"]
    found = {s["name"]: s for s in scenarios}
    assert found["game"]["state"] == "playing"
    assert set(found["game"]["possibleStates"]) >= {"Started", "playing", "over"}


async def test_http_and_websocket_share_one_scenario(game: MockServer) -> None:
    assert httpx.get(game.url + "/status").json() == {"game": "not over"}
    async with connect(ws_url(game, "/ws/game")) as ws:
        assert await ask(ws, "quit") == "bye"
    assert httpx.get(game.url + "/status").json() == {"game": "over"}
    httpx.post(game.url + "/open")  # HTTP moves it on: the conversation's next act
    async with connect(ws_url(game, "/ws/game")) as ws:
        assert await ask(ws, "move") == "moved"


async def test_the_admin_api_sets_and_resets_a_conversations_scenario(game: MockServer) -> None:
    put = httpx.put(game.url + "/__admin/scenarios/game/state", json={"state": "playing"})
    assert put.status_code == 200, put.text
    async with connect(ws_url(game, "/ws/game")) as ws:
        assert await ask(ws, "move") == "moved"
        httpx.post(game.url + "/__admin/scenarios/reset")
        assert await ask(ws, "move") == "log in first"


def test_a_conversation_with_scenarios_needs_shared_state_on_workers(game: MockServer) -> None:
    from apidouble.stateful import shared_state_uses

    assert "scenarios" in shared_state_uses(game._runtime.engine.config)


@pytest.mark.parametrize(
    ("scenario", "where"),
    [
        ("game", "on_message/0/scenario"),
        ({"when": "x"}, "on_message/0/scenario"),
        ({"name": "g", "then": 3}, "on_message/0/scenario/then"),
        ({"name": "g", "state": "x"}, "on_message/0/scenario/state"),
    ],
)
def test_a_bad_scenario_names_its_place(tmp_path: Path, scenario: Any, where: str) -> None:
    entry = {"path": "/ws", "on_message": [{"scenario": scenario, "reply": "x"}]}
    config = tmp_path / "apidouble.yaml"
    config.write_text(json.dumps({"websockets": [entry]}))
    with pytest.raises(ConfigError) as caught:
        MockServer(config).start()
    assert where in str(caught.value), str(caught.value)


# --- the websocket_message phase ---------------------------------------------------------

HOOKS = """
import asyncio


def websocket_message(message):
    if message.data == "shout":
        message.data = "SHOUT"  # the rules see the new message
    elif message.data == "count":
        message.reply(str(message.state.count("seen")))
    elif message.data == "who":
        message.reply({"session": message.session, "path": message.path,
                       "room": message.params["room"], "stub": message.stub.name,
                       "tier": message.request.header("x-tier")})
    elif message.data == "all":
        message.broadcast("to everyone")
    elif message.data == "end":
        message.close(4001, "ended by addon")
    elif message.data == "hush":
        message.ignore()
    elif message.data == "boom":
        raise ValueError("boom")
    elif message.binary:
        message.reply(bytes(reversed(message.data)))


async def slow(message):
    if message.text.startswith("slow"):
        await asyncio.sleep(0.2)
        message.reply("slept " + message.text)
"""


def hooked_config(tmp_path: Path) -> Path:
    (tmp_path / "hooks.py").write_text(textwrap.dedent(HOOKS))
    slowpoke = textwrap.dedent(HOOKS).replace("def websocket_message", "def _unused")
    (tmp_path / "slowpoke.py").write_text(
        slowpoke.replace("async def slow", "async def websocket_message")
    )
    config = {
        "addons": ["hooks.py"],
        "websockets": [
            {
                "name": "room",
                "path": "/ws/room/{room}",
                "broadcast": False,
                "on_message": [
                    {"match": {"equals": "SHOUT"}, "reply": "heard a shout"},
                    {"reply": "rule: {{ message }}"},
                ],
            },
            {
                "name": "paced",
                "path": "/ws/paced",
                "addons": ["slowpoke.py"],
                "on_message": [{"reply": "rule: {{ message }}"}],
            },
        ],
        "endpoints": [{"name": "plain", "path": "/plain", "response": "ok"}],
    }
    path = tmp_path / "apidouble.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[MockServer]:
    with MockServer(hooked_config(tmp_path)) as server:
        yield server


async def test_a_hook_rewrites_answers_and_keeps_state(hooked: MockServer) -> None:
    url = ws_url(hooked, "/ws/room/lobby")
    async with connect(url, additional_headers={"X-Tier": "gold"}) as ws:
        assert await ask(ws, "shout") == "heard a shout"
        assert await ask(ws, "hello") == "rule: hello"
        assert await ask(ws, "count") == "1"
        assert await ask(ws, "count") == "2"
        who = json.loads(await ask(ws, "who"))
        assert who["path"] == "/ws/room/lobby" and who["room"] == "lobby"
        assert who["stub"] == "room" and who["tier"] == "gold"
        assert who["session"].startswith("ws-")
        assert await ask(ws, b"\x01\x02\x03") == b"\x03\x02\x01"
        await ws.send("hush")
        assert await ask(ws, "after") == "rule: after"  # hush answered nothing


async def test_a_hook_broadcasts_to_the_path_and_closes(hooked: MockServer) -> None:
    url = ws_url(hooked, "/ws/room/a")
    async with connect(url) as one, connect(url) as two, connect(ws_url(hooked, "/ws/room/b")) as b:
        await one.send("all")
        assert await recv(one) == "to everyone"
        assert await recv(two) == "to everyone"
        assert await ask(b, "ping") == "rule: ping"  # another room heard nothing before it
        await two.send("end")
        with pytest.raises(ConnectionClosed):
            await recv(two)
        assert (two.close_code, two.close_reason) == (4001, "ended by addon")


async def test_a_hook_that_raises_closes_with_1011(hooked: MockServer) -> None:
    async with connect(ws_url(hooked, "/ws/room/x")) as ws:
        await ws.send("boom")
        with pytest.raises(ConnectionClosed):
            await recv(ws)
        assert ws.close_code == 1011
    assert httpx.get(hooked.url + "/plain").text == "ok"  # the server serves on


async def test_an_async_hook_keeps_the_messages_in_order(hooked: MockServer) -> None:
    async with connect(ws_url(hooked, "/ws/paced")) as ws:
        for text in ("slow 1", "fast", "slow 2", "last"):
            await ws.send(text)
        answers = [await recv(ws) for _ in range(4)]
    assert answers == ["slept slow 1", "rule: fast", "slept slow 2", "rule: last"]


async def test_messages_parsed_while_a_hook_waits_keep_their_turn(hooked: MockServer) -> None:
    """Every frame in one write: they are parsed together, and wait behind the hook."""
    host, port = hooked.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    texts = [b"slow 1", b"fast", b"slow 2", b"last", b"slow 3", b"tail"]
    frames = b"".join(WsFrame(Opcode.TEXT, t).serialize(mask=True, extensions=[]) for t in texts)
    writer.write(raw_handshake("/ws/paced") + frames)
    status, _, _ = await read_response(reader, bodyless=True)
    assert status == 101
    answers = [await read_frame(reader) for _ in texts]
    writer.close()
    assert [payload.decode() for _, payload in answers] == [
        "slept slow 1",
        "rule: fast",
        "slept slow 2",
        "rule: last",
        "slept slow 3",
        "rule: tail",
    ]


async def test_only_listed_addons_hook_a_conversation(hooked: MockServer) -> None:
    async with connect(ws_url(hooked, "/ws/room/x")) as ws:
        assert await ask(ws, "slow 1") == "rule: slow 1"  # slowpoke is the other stub's


def test_a_message_hook_leaves_http_stubs_on_the_express_lane(hooked: MockServer) -> None:
    engine = hooked._runtime.engine
    routes = engine.express.routes.get(b"GET", {})
    assert b"/plain" in routes
    plain = next(c for c in engine.config.stubs.values() if c.stub.name == "plain")
    assert plain.hooks is None and plain.message_hooks == ()
