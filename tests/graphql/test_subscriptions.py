"""GraphQL over WebSocket (``graphql-transport-ws``) on a served ``graphql:`` path: the
``gql`` client for subscriptions and operations, raw ``websockets`` for the protocol's
edges (close codes, limits), the message log for what was journaled."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed, InvalidStatus

from apidouble.testing import MockServer

SDL = """
type Query { hello: String, user(id: ID!): User }
type Mutation { rename(name: String!): User }
type User { id: ID!, name: String!, email: String }
type Tick { at: Int!, label: String! }
type Subscription {
  ticks: Tick!
  userChanged(id: ID!): User!
  prices(symbol: String!): Float!
}
"""

CONFIG = """
graphql:
  - path: /graphql
    schema: schema.graphql
    mocks:
      User: {name: Ada}
    subscriptions:
      count: 3
      every_ms: 20
      max_subscriptions: 2
      init_timeout_ms: 300
      max_message_bytes: 4096
    operations:
      - id: acme
        operation_name: OnPrice
        variables: {symbol: ACME}
        every_ms: 10
        events:
          - data: {prices: 1.5}
          - data: {prices: 2.5}
            delay_ms: 30
          - errors: [{message: "market closed", path: [prices]}]
      - id: forever
        operation_name: Forever
        every_ms: 10
        repeat: forever
        events:
          - data: {prices: 9.0}
  - path: /locked
    schema: schema.graphql
    subscriptions:
      connection_params: {token: secret}
"""


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("graphql-ws")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text(CONFIG)
    with MockServer(folder / "api.yaml") as server:
        yield server


def _ws(mock: MockServer, path: str = "/graphql") -> str:
    return mock.url.replace("http://", "ws://") + path


def _client(mock: MockServer, path: str = "/graphql", **options: Any) -> Client:
    transport = WebsocketsTransport(
        url=_ws(mock, path), subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL], **options
    )
    return Client(transport=transport)


async def _collect(mock: MockServer, query: str, **variables: Any) -> list[dict[str, Any]]:
    async with _client(mock) as session:
        return [
            item
            async for item in session.subscribe(
                GraphQLRequest(query, variable_values=variables or None)
            )
        ]


def test_mocked_subscription_streams_count_events_then_completes(mock: MockServer) -> None:
    query = "subscription { ticks { at label } }"
    started = time.monotonic()
    events = asyncio.run(_collect(mock, query))
    assert len(events) == 3
    assert all(isinstance(e["ticks"]["at"], int) for e in events)
    assert len({json.dumps(e) for e in events}) > 1  # fresh data per event
    assert time.monotonic() - started >= 0.04  # two waits of every_ms


def test_mocks_apply_to_subscription_events(mock: MockServer) -> None:
    events = asyncio.run(_collect(mock, 'subscription { userChanged(id: "7") { name } }'))
    assert [e["userChanged"]["name"] for e in events] == ["Ada", "Ada", "Ada"]


def test_stub_events_play_in_order_then_error_event(mock: MockServer) -> None:
    query = "subscription OnPrice($symbol: String!) { prices(symbol: $symbol) }"

    async def run() -> tuple[list[Any], TransportQueryError | None]:
        got: list[Any] = []
        async with _client(mock) as session:
            try:
                async for item in session.subscribe(
                    GraphQLRequest(query, variable_values={"symbol": "ACME"})
                ):
                    got.append(item)
            except TransportQueryError as exc:
                return got, exc
        return got, None

    got, failed = asyncio.run(run())
    assert got == [{"prices": 1.5}, {"prices": 2.5}]
    assert failed is not None and failed.errors
    assert failed.errors[0]["message"] == "market closed"


def test_queries_and_mutations_answer_over_the_socket(mock: MockServer) -> None:
    async def run() -> tuple[Any, Any]:
        async with _client(mock) as session:
            user = await session.execute(gql('{ user(id: "1") { id name } }'))
            renamed = await session.execute(gql('mutation { rename(name: "x") { name } }'))
            return user, renamed

    user, renamed = asyncio.run(run())
    assert user == {"user": {"id": user["user"]["id"], "name": "Ada"}}
    assert renamed == {"rename": {"name": "Ada"}}


def test_an_invalid_operation_gets_an_error_message(mock: MockServer) -> None:
    async def run() -> TransportQueryError:
        async with _client(mock) as session:
            with pytest.raises(TransportQueryError) as raised:
                async for _ in session.subscribe(gql("subscription { ticks { nope } }")):
                    pass
            return raised.value

    failed = asyncio.run(run())
    assert failed.errors and "nope" in failed.errors[0]["message"]


# --- the protocol's edges, with a raw client --------------------------------------


async def _open(mock: MockServer, path: str = "/graphql") -> Any:
    return await websockets.connect(_ws(mock, path), subprotocols=["graphql-transport-ws"])


async def _send(socket: Any, **message: Any) -> None:
    await socket.send(json.dumps(message))


async def _recv(socket: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), 2))  # type: ignore[no-any-return]


async def _closed(socket: Any) -> tuple[int | None, str]:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(socket.recv(), 2)
    return socket.close_code, socket.close_reason


async def _acked(mock: MockServer, path: str = "/graphql") -> Any:
    socket = await _open(mock, path)
    await _send(socket, type="connection_init")
    assert await _recv(socket) == {"type": "connection_ack"}
    return socket


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_no_connection_init_in_time_closes_4408(mock: MockServer) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _open(mock)
        return await _closed(socket)

    assert _run(run()) == (4408, "Connection initialisation timeout")


def test_subscribe_before_ack_closes_4401(mock: MockServer) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _open(mock)
        await _send(socket, type="subscribe", id="1", payload={"query": "{ hello }"})
        return await _closed(socket)

    assert _run(run()) == (4401, "Unauthorized")


def test_second_connection_init_closes_4429(mock: MockServer) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _acked(mock)
        await _send(socket, type="connection_init")
        return await _closed(socket)

    assert _run(run())[0] == 4429


def test_duplicate_id_closes_4409(mock: MockServer) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _acked(mock)
        payload = {"query": 'subscription Forever { prices(symbol: "X") }'}
        await _send(socket, type="subscribe", id="a", payload=payload)
        await _send(socket, type="subscribe", id="a", payload=payload)
        return await _closed(socket)

    assert _run(run()) == (4409, "Subscriber for a already exists")


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1]",
        '{"type": "hello"}',
        '{"type": "subscribe", "payload": {"query": "{ hello }"}}',
        '{"type": "subscribe", "id": "1", "payload": {"query": 5}}',
        '{"type": "next", "id": "1", "payload": {}}',
    ],
)
def test_bad_messages_close_4400(mock: MockServer, message: str) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _acked(mock)
        await socket.send(message)
        return await _closed(socket)

    assert _run(run())[0] == 4400


def test_binary_message_closes_4400(mock: MockServer) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _open(mock)
        await socket.send(b'{"type": "connection_init"}')
        return await _closed(socket)

    assert _run(run())[0] == 4400


def test_ping_gets_pong_before_and_after_init(mock: MockServer) -> None:
    async def run() -> list[dict[str, Any]]:
        socket = await _open(mock)
        await _send(socket, type="ping")
        first = await _recv(socket)
        await _send(socket, type="connection_init")
        await _recv(socket)
        await _send(socket, type="ping", payload={"n": 1})
        second = await _recv(socket)
        await socket.close()
        return [first, second]

    assert _run(run()) == [{"type": "pong"}, {"type": "pong"}]


def test_client_complete_stops_a_forever_stream(mock: MockServer) -> None:
    async def run() -> list[dict[str, Any]]:
        socket = await _acked(mock)
        payload = {"query": 'subscription Forever { prices(symbol: "X") }'}
        await _send(socket, type="subscribe", id="f", payload=payload)
        got = [await _recv(socket) for _ in range(3)]
        await _send(socket, type="complete", id="f")
        await _send(socket, type="ping")
        after: list[dict[str, Any]] = []
        while True:  # events already in flight, then our pong; nothing after it
            message = await _recv(socket)
            after.append(message)
            if message["type"] == "pong":
                break
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(socket.recv(), 0.1)
        await socket.close()
        return got + after

    messages = _run(run())
    assert messages[0] == {"type": "next", "id": "f", "payload": {"data": {"prices": 9.0}}}
    assert messages[-1] == {"type": "pong"}
    assert not any(m["type"] == "complete" for m in messages)


def test_too_many_operations_at_once_get_an_error(mock: MockServer) -> None:
    async def run() -> dict[str, Any]:
        socket = await _acked(mock)
        payload = {"query": 'subscription Forever { prices(symbol: "X") }'}
        for ident in ("1", "2", "3"):
            await _send(socket, type="subscribe", id=ident, payload=payload)
        while True:
            message = await _recv(socket)
            if message["type"] == "error":
                await socket.close()
                return message

    error = _run(run())
    assert error["id"] == "3" and "at most 2" in error["payload"][0]["message"]


def test_a_message_over_the_size_limit_closes_1009(mock: MockServer) -> None:
    async def run() -> tuple[int | None, str]:
        socket = await _acked(mock)
        await socket.send(json.dumps({"type": "ping", "payload": {"x": "y" * 5000}}))
        return await _closed(socket)

    assert _run(run())[0] == 1009


def test_connection_params_are_checked_4403(mock: MockServer) -> None:
    async def run(payload: dict[str, Any]) -> Any:
        socket = await _open(mock, "/locked")
        await _send(socket, type="connection_init", payload=payload)
        try:
            return await _recv(socket)
        except ConnectionClosed:
            return socket.close_code
        finally:
            await socket.close()

    assert _run(run({"token": "wrong"})) == 4403
    assert _run(run({"token": "secret", "more": 1})) == {"type": "connection_ack"}


def test_a_client_without_the_subprotocol_is_refused(mock: MockServer) -> None:
    async def run() -> int:
        with pytest.raises(InvalidStatus) as raised:
            await websockets.connect(_ws(mock))
        return raised.value.response.status_code

    assert _run(run()) == 400


def test_plain_http_still_answers_at_the_same_path(mock: MockServer) -> None:
    answer = httpx.post(mock.url + "/graphql", json={"query": "{ hello }"})
    assert answer.status_code == 200 and "hello" in answer.json()["data"]


def test_each_operation_is_in_the_message_log(mock: MockServer) -> None:
    query = "subscription OnPrice($symbol: String!) { prices(symbol: $symbol) }"

    async def run() -> None:
        socket = await _acked(mock)
        payload = {"query": query, "operationName": "OnPrice", "variables": {"symbol": "ACME"}}
        await _send(socket, type="subscribe", id="j1", payload=payload)
        while (await _recv(socket))["type"] != "complete":  # its errors come in a next
            pass
        await socket.close()

    _run(run())
    entries = [e for e in mock.websocket_messages("/graphql") if e["kind"] == "subscribe"]
    facts = [json.loads(e["data"]) for e in entries]
    assert {
        "id": "j1",
        "operation": "OnPrice",
        "variables": {"symbol": "ACME"},
        "stub": "acme",
    } in facts
    upgrades = mock.requests.find(path="/graphql", status=101)
    assert upgrades
