"""WebSocket conversations from the config, through the whole server, with the
``websockets`` client: the upgrade request is matched like any request, journaled, and
handed to its conversation (the conversation itself: ``tests/realtime``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from apidouble import ConfigError, MockServer

TIMEOUT = 5.0
CONFIG: dict[str, Any] = {
    "websockets": [
        {
            "name": "chat",
            "path": "/ws/chat/{room}",
            "subprotocol": "chat",
            "on_connect": [{"hello": "{{ request.params.room }}"}],
            "on_message": [
                {"match": {"json": {"type": "ping"}}, "reply": {"type": "pong"}},
                {
                    "match": {"regex": "bye.*"},
                    "reply": "see you",
                    "close": {"code": 1000, "reason": "done"},
                },
                {"reply": "echo: {{ message }}"},
            ],
            "broadcast": True,
        },  # fmt: skip
        {
            "name": "vip",
            "path": "/ws/vip",
            "match": {"headers": {"X-Tier": "gold"}},
            "on_connect": ["welcome, gold"],
        },
    ],
    "endpoints": [
        {"name": "inline", "path": "/ws/inline", "websocket": {"on_message": [{"echo": True}]}},
        {"name": "plain", "path": "/plain", "response": "ok"},
    ],
}


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    config = tmp_path_factory.mktemp("ws") / "apidouble.yaml"
    config.write_text(json.dumps(CONFIG))
    with MockServer(config) as server:
        yield server


def ws_url(mock: MockServer, path: str) -> str:
    return mock.url.replace("http://", "ws://") + path


async def recv(ws: Any) -> Any:
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def test_a_conversation_from_the_config(mock: MockServer) -> None:
    async with connect(ws_url(mock, "/ws/chat/lobby"), subprotocols=["chat"]) as ws:
        assert ws.subprotocol == "chat"
        assert json.loads(await recv(ws)) == {"hello": "lobby"}
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await recv(ws)) == {"type": "pong"}
        await ws.send("hi")
        assert await recv(ws) == "echo: hi"
        await ws.send("bye now")
        assert await recv(ws) == "see you"
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        assert (ws.close_code, ws.close_reason) == (1000, "done")


async def test_the_upgrade_is_journaled_as_101_by_its_stub(mock: MockServer) -> None:
    async with connect(ws_url(mock, "/ws/chat/journal"), subprotocols=["chat"]) as ws:
        await recv(ws)
    entries = mock.requests.find(path="/ws/chat/journal")
    assert [(e["stub"], e["status"]) for e in entries] == [("chat", 101)]


async def test_broadcast_reaches_the_same_room_only(mock: MockServer) -> None:
    url = ws_url(mock, "/ws/chat/")
    async with (
        connect(url + "red", subprotocols=["chat"]) as one,
        connect(url + "red", subprotocols=["chat"]) as two,
        connect(url + "blue", subprotocols=["chat"]) as other,
    ):
        for ws in (one, two, other):
            await recv(ws)  # hello
        await one.send("to the room")
        assert await recv(one) == "echo: to the room"
        assert await recv(two) == "echo: to the room"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.recv(), 0.3)


async def test_the_upgrade_request_is_matched_like_any_request(mock: MockServer) -> None:
    async with connect(ws_url(mock, "/ws/vip"), additional_headers={"X-Tier": "gold"}) as ws:
        assert await recv(ws) == "welcome, gold"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(mock, "/ws/vip")):
            pass
    assert refused.value.response.status_code == 404  # the near-miss report, as for HTTP


async def test_an_endpoint_with_websocket_and_the_mock_server_api(mock: MockServer) -> None:
    async with connect(ws_url(mock, "/ws/inline")) as ws:
        await ws.send(b"\x00\x01")
        assert await recv(ws) == b"\x00\x01"
        sessions = await asyncio.to_thread(mock.websockets, "/ws/inline")
        assert [s["path"] for s in sessions] == ["/ws/inline"]
        assert await asyncio.to_thread(mock.send_websocket, "/ws/inline", {"pushed": 1}) == 1
        assert json.loads(await recv(ws)) == {"pushed": 1}
    assert await asyncio.to_thread(mock.send_websocket, "/ws/nobody", "x") == 0


def test_a_plain_request_for_a_websocket_gets_426(mock: MockServer) -> None:
    answer = httpx.get(mock.url + "/ws/inline", timeout=TIMEOUT)
    assert answer.status_code == 426 and answer.headers["upgrade"] == "websocket"
    assert httpx.get(mock.url + "/plain", timeout=TIMEOUT).text == "ok"


def test_a_mistake_in_a_conversation_names_its_place(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    bad = {"path": "/ws", "on_message": [{"reply": "ok"}, {"match": {"regex": "("}}]}
    config.write_text(json.dumps({"websockets": [bad]}))
    with pytest.raises(ConfigError) as error:
        MockServer(config)
    problem = error.value.problems[0]
    assert problem.pointer.startswith("/websockets/0/on_message/1/match")
    assert problem.line is not None


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text(json.dumps({"websockets": [{"path": "/ws", "on_mesage": []}]}))
    with pytest.raises(ConfigError, match="on_mesage"):
        MockServer(config)


async def test_the_admin_api_lists_sessions_and_pushes_to_them(mock: MockServer) -> None:
    async with httpx.AsyncClient(base_url=mock.url, timeout=TIMEOUT) as admin:
        async with connect(ws_url(mock, "/ws/chat/admin"), subprotocols=["chat"]) as ws:
            await recv(ws)  # hello
            listed = await admin.get("/__admin/websockets", params={"path": "/ws/chat/admin"})
            sessions = listed.json()["websockets"]
            assert [(s["path"], s["subprotocol"]) for s in sessions] == [("/ws/chat/admin", "chat")]
            body = {"path": "/ws/chat/admin", "message": {"notice": "maintenance"}}
            sent = await admin.post("/__admin/websockets/send", json=body)
            assert sent.json() == {"sent": 1}
            assert json.loads(await recv(ws)) == {"notice": "maintenance"}
        bad = await admin.post("/__admin/websockets/send", json={"path": "/ws"})
        assert bad.status_code == 400 and "message" in bad.json()["error"]


async def test_a_stopping_server_says_going_away(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text(json.dumps({"websockets": [{"path": "/ws", "on_connect": ["hi"]}]}))
    server = MockServer(config).start()
    try:
        async with connect(ws_url(server, "/ws")) as ws:
            assert await recv(ws) == "hi"
            await asyncio.to_thread(server.stop)
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            assert ws.close_code == 1001
    finally:
        server.stop()


async def test_messages_in_and_out_are_logged_beside_the_journal(mock: MockServer) -> None:
    async with httpx.AsyncClient(base_url=mock.url, timeout=TIMEOUT) as admin:
        await admin.delete("/__admin/websockets/messages")
        async with connect(ws_url(mock, "/ws/chat/log"), subprotocols=["chat"]) as ws:
            await recv(ws)  # hello
            await ws.send("x" * 5000)
            await recv(ws)
            await ws.send(b"\x01\x02")
            await asyncio.sleep(0.05)
        await asyncio.wait_for(_until_closed_logged(admin, "/ws/chat/log"), TIMEOUT)
        shown = await admin.get("/__admin/websockets/messages", params={"path": "/ws/chat/log"})
        events = shown.json()["messages"]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "open" and kinds[-1] == "close" and kinds.count("in") == 2
    hello = next(e for e in events if e["kind"] == "out")
    assert json.loads(hello["data"]) == {"hello": "log"} and hello["frame"] == "text"
    big = next(e for e in events if e["kind"] == "in" and e["frame"] == "text")
    assert big["size"] == 5000 and big["truncated"] and len(big["data"]) == 4096
    binary = next(e for e in events if e.get("frame") == "binary" and e["kind"] == "in")
    assert binary["data"] == "AQI=" and binary["encoding"] == "base64"
    assert events[-1]["code"] == 1000
    listed = await asyncio.to_thread(mock.websocket_messages, "/ws/chat/log")
    assert [e["id"] for e in listed] == [e["id"] for e in events]


async def _until_closed_logged(admin: httpx.AsyncClient, path: str) -> None:
    while True:
        shown = await admin.get("/__admin/websockets/messages", params={"path": path})
        if any(e["kind"] == "close" for e in shown.json()["messages"]):
            return
        await asyncio.sleep(0.02)


def test_the_message_log_is_bounded() -> None:
    from apidouble.realtime.messages import MessageLog

    log = MessageLog(max_entries=3, max_bytes=10_000)
    info = {"id": "ws-1", "path": "/p"}
    for n in range(5):
        log.observe("in", info, f"m{n}")
    assert [e["data"] for e in log.document()["messages"]] == ["m2", "m3", "m4"]
    assert log.document()["total"] == 5
    small = MessageLog(max_entries=100, max_bytes=1_000)
    for _ in range(20):
        small.observe("in", info, "y" * 300)
    assert 0 < len(small.document()["messages"]) <= 2
    assert small.document(limit=1)["messages"][0]["id"] == 20
