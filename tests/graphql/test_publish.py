"""``POST /__admin/graphql/publish``: events pushed to running GraphQL subscriptions,
over a served config, with ``gql``-style raw clients (websockets) and httpx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from apidouble.testing import MockServer

SDL = """
type Query { hello: String }
type Subscription { priceChanged(symbol: String!): Float!, news: String! }
"""

CONFIG = """
graphql:
  - path: /graphql
    schema: schema.graphql
    subscriptions: {count: forever, every_ms: 60000}
    operations:
      - id: prices
        operation_name: Prices
        hold: true
      - id: opening
        operation_name: Opening
        hold: true
        events: [{data: {priceChanged: 1.0}}]
"""

PRICES = 'subscription Prices { priceChanged(symbol: "X") }'


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("graphql-publish")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text(CONFIG)
    with MockServer(folder / "api.yaml") as server:
        yield server


def _publish(mock: MockServer, **body: Any) -> httpx.Response:
    return httpx.post(mock.url + "/__admin/graphql/publish", json=body, timeout=5)


class Client:
    """One raw graphql-transport-ws connection."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, mock: MockServer) -> Client:
        url = mock.url.replace("http://", "ws://") + "/graphql"
        socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        return cls(socket)

    async def subscribe(self, ident: str, query: str) -> None:
        payload = {"query": query}
        await self.socket.send(json.dumps({"type": "subscribe", "id": ident, "payload": payload}))

    async def receive(self) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.socket.recv(), 3))  # type: ignore[no-any-return]

    async def quiet(self, seconds: float = 0.2) -> bool:
        try:
            await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return True
        return False


def test_a_held_subscription_gets_published_events_then_complete(mock: MockServer) -> None:
    async def run() -> list[dict[str, Any]]:
        client = await Client.open(mock)
        await client.subscribe("p", PRICES)
        assert await client.quiet()  # held, and nothing scripted: it waits
        sent = _publish(mock, path="/graphql", field="priceChanged", data={"priceChanged": 9.5})
        assert sent.json() == {"reached": 1}
        got = [await client.receive()]
        done = _publish(mock, path="/graphql", field="priceChanged", complete=True)
        assert done.json() == {"reached": 1}
        got.append(await client.receive())
        await client.socket.close()
        return got

    assert asyncio.run(run()) == [
        {"type": "next", "id": "p", "payload": {"data": {"priceChanged": 9.5}}},
        {"type": "complete", "id": "p"},
    ]


def test_scripted_events_then_held_for_more(mock: MockServer) -> None:
    async def run() -> list[dict[str, Any]]:
        client = await Client.open(mock)
        await client.subscribe("o", 'subscription Opening { priceChanged(symbol: "X") }')
        first = await client.receive()
        assert await client.quiet()  # no complete after the script: held
        errors = [{"message": "halted", "path": ["priceChanged"]}]
        _publish(mock, path="/graphql", errors=errors)
        second = await client.receive()
        await client.socket.close()
        return [first, second]

    first, second = asyncio.run(run())
    assert first["payload"] == {"data": {"priceChanged": 1.0}}
    assert second == {
        "type": "next",
        "id": "o",
        "payload": {"errors": [{"message": "halted", "path": ["priceChanged"]}]},
    }


def test_a_field_reaches_only_its_subscriptions(mock: MockServer) -> None:
    async def run() -> tuple[dict[str, Any], dict[str, Any], bool]:
        client = await Client.open(mock)
        await client.subscribe("news", "subscription { news }")
        await client.receive()  # the mocked stream's first event, at once
        await client.subscribe("p", PRICES)
        assert await client.quiet()
        reached = _publish(mock, path="/graphql", field="news", data={"news": "extra"}).json()
        got = await client.receive()
        quiet = await client.quiet()
        await client.socket.close()
        return reached, got, quiet

    reached, got, quiet = asyncio.run(run())
    assert reached == {"reached": 1}
    assert got == {"type": "next", "id": "news", "payload": {"data": {"news": "extra"}}}
    assert quiet  # the price subscription got nothing


def test_nobody_listening_reaches_nobody(mock: MockServer) -> None:
    assert _publish(mock, path="/elsewhere", data={"x": 1}).json() == {"reached": 0}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"data": {}}, "path"),
        ({"path": "/graphql"}, "nothing to publish"),
        ({"path": "/graphql", "data": 1, "colour": "red"}, "unknown key"),
        ({"path": "/graphql", "field": 3, "data": 1}, "field"),
        ({"path": "/graphql", "errors": "bad"}, "errors"),
        ({"path": "/graphql", "complete": "yes"}, "complete"),
    ],
)
def test_a_bad_publish_is_a_400_that_says_why(
    mock: MockServer, body: dict[str, Any], says: str
) -> None:
    answer = _publish(mock, **body)
    assert answer.status_code == 400
    assert says in answer.json()["error"]
