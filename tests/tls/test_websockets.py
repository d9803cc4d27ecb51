"""WebSockets over TLS (``wss://``): the upgrade hands the TLS transport to the session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from apidouble import MockServer

from .conftest import trusting

ENDPOINTS = [{"path": "/ws/echo", "websocket": {"on_message": [{"reply": "echo: {{ message }}"}]}}]


@pytest.fixture
def mock(ca_dir: Path, loop_kind: str) -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir)) as server:
        yield server


async def test_a_conversation_over_wss(mock: MockServer) -> None:
    url = mock.https_url.replace("https://127.0.0.1", "wss://localhost") + "/ws/echo"
    async with connect(url, ssl=trusting(mock.ca_path)) as ws:
        await ws.send("hi")
        assert await asyncio.wait_for(ws.recv(), 5) == "echo: hi"
        await ws.send("again")
        assert await asyncio.wait_for(ws.recv(), 5) == "echo: again"
    upgrade = mock.requests.find(path="/ws/echo")[0]
    assert upgrade["status"] == 101
    assert upgrade["notes"] == ["https", "sni=localhost"]
