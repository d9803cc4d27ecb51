"""Server streaming with per-message delays, statuses after a stream, and deadlines."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from tests.grpc.support import Client, serving  # noqa: E402

LIST_ITEMS = "shop.Catalog/ListItems"


async def test_messages_arrive_one_by_one_after_their_delays(
    tmp_path: Path, client: Client
) -> None:
    stream = [
        {"message": {"id": 1, "name": "one"}},
        {"message": {"id": 2, "name": "two"}, "delay_ms": 300},
        {"message": {"id": 3, "name": "three"}, "delay_ms": 300},
    ]
    stubs = [{"method": LIST_ITEMS, "match": {"json": {"category": "books"}}, "stream": stream}]
    async with serving(tmp_path, stubs) as running:
        loop = asyncio.get_running_loop()
        started = loop.time()
        arrivals = []
        call = running.catalog(client).ListItems(client.pb2.ListItemsRequest(category="books"))
        async for item in call:
            arrivals.append((item.name, loop.time() - started))
        entry = running.journal.newest(1)[0]
    assert [name for name, _ in arrivals] == ["one", "two", "three"]
    times = [at for _, at in arrivals]
    assert times[0] < 0.25  # sent at once, not held back with the rest
    assert times[1] >= 0.3 and times[2] >= 0.6  # each waited for, in turn
    assert entry["decision"]["grpc"]["messages"] == 3
    assert [m["name"] for m in json.loads(entry["response"]["body"])] == ["one", "two", "three"]
    assert entry["delay_ms"] >= 600


async def test_a_stream_may_end_with_an_error_status(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": LIST_ITEMS, "stream": [{"message": {"id": 1}}, {"message": {"id": 2}}],
              "status": "UNAVAILABLE", "message": "backend went away"}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        received = []
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            async for item in running.catalog(client).ListItems(client.pb2.ListItemsRequest()):
                received.append(item.id)
        entry = running.journal.newest(1)[0]
    assert received == [1, 2]
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
    assert failed.value.details() == "backend went away"
    assert entry["decision"]["grpc"]["status"] == "UNAVAILABLE"


async def test_a_stream_stub_without_messages_sends_none(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": LIST_ITEMS}, {"method": LIST_ITEMS, "response": {"id": 9}}]
    async with serving(tmp_path, stubs[:1]) as running:
        empty = [i async for i in running.catalog(client).ListItems(client.pb2.ListItemsRequest())]
    async with serving(tmp_path, stubs[1:]) as running:
        one = [i.id async for i in running.catalog(client).ListItems(client.pb2.ListItemsRequest())]
    assert (empty, one) == ([], [9])


async def test_a_slow_stub_runs_out_of_the_clients_deadline(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": "shop.Catalog/GetItem", "delay_ms": 2000, "response": {"id": 1}}]
    async with serving(tmp_path, stubs) as running:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(grpc.aio.AioRpcError) as late:
            await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=1), timeout=0.2)
        waited = loop.time() - started
        for _ in range(100):  # the server's side ends at the deadline too
            if len(running.journal):
                break
            await asyncio.sleep(0.01)
        entry = running.journal.newest(1)[0]
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert waited < 1.0
    assert entry["decision"]["grpc"]["status"] == "DEADLINE_EXCEEDED"
    assert 150 <= entry["delay_ms"] <= entry["duration_ms"] < 1000


async def test_a_stream_stops_at_the_deadline(tmp_path: Path, client: Client) -> None:
    stream = [{"message": {"id": 1}}, {"message": {"id": 2}, "delay_ms": 2000}]
    async with serving(tmp_path, [{"method": LIST_ITEMS, "stream": stream}]) as running:
        received = []
        with pytest.raises(grpc.aio.AioRpcError) as late:
            call = running.catalog(client).ListItems(client.pb2.ListItemsRequest(), timeout=0.3)
            async for item in call:
                received.append(item.id)
    assert received == [1]
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
