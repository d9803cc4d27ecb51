"""Trouble on gRPC calls: faults mid-stream, hangs, latency, flaky keys and rate limits,
decided by the endpoints' trouble engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from tests.grpc.support import Client, serving  # noqa: E402

GET_ITEM = "shop.Catalog/GetItem"
LIST_ITEMS = "shop.Catalog/ListItems"
STREAM = [{"message": {"id": n}} for n in (1, 2, 3, 4)]


async def _ids(call: Any) -> tuple[list[int], grpc.aio.AioRpcError | None]:
    received = []
    try:
        async for item in call:
            received.append(item.id)
    except grpc.aio.AioRpcError as exc:
        return received, exc
    return received, None


async def test_a_fault_aborts_a_stream_after_n_messages(tmp_path: Path, client: Client) -> None:
    fault = {"after": 2, "status": "UNAVAILABLE", "message": "node drained"}
    stubs = [{"method": LIST_ITEMS, "stream": STREAM, "fault": fault}]
    async with serving(tmp_path, stubs) as running:
        received, error = await _ids(
            running.catalog(client).ListItems(client.pb2.ListItemsRequest())
        )
        entry = running.journal.newest(1)[0]
    assert received == [1, 2]
    assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE
    assert error.details() == "node drained"
    grpc_decision = entry["decision"]["grpc"]
    assert (grpc_decision["status"], grpc_decision["messages"]) == ("UNAVAILABLE", 2)
    assert (grpc_decision["fault"], grpc_decision["fault_after"]) == ("UNAVAILABLE", 2)


async def test_a_hanging_stream_runs_into_the_deadline(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": LIST_ITEMS, "stream": STREAM, "fault": {"after": 1, "hang": True}}]
    async with serving(tmp_path, stubs) as running:
        loop = asyncio.get_running_loop()
        started = loop.time()
        call = running.catalog(client).ListItems(client.pb2.ListItemsRequest(), timeout=0.4)
        received, error = await _ids(call)
        waited = loop.time() - started
        for _ in range(100):
            if len(running.journal):
                break
            await asyncio.sleep(0.01)
        entry = running.journal.newest(1)[0]
    assert received == [1]
    assert error is not None and error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.35 <= waited < 2.0
    assert entry["decision"]["grpc"]["status"] == "DEADLINE_EXCEEDED"
    assert entry["decision"]["grpc"]["fault"] == "hang"
    # the client's 400 ms, less the time to reach us; gRPC's grpc-timeout encoding may round
    # up (a whole unit of the wire's choosing), so a hair over 400 is the same deadline
    assert 300 <= entry["decision"]["grpc"]["deadline_ms"] <= 410


async def test_a_unary_fault_strikes_before_the_answer(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": GET_ITEM, "response": {"id": 1}, "fault": {"status": "INTERNAL"}}]
    async with serving(tmp_path, stubs) as running:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=1))
    assert failed.value.code() == grpc.StatusCode.INTERNAL


async def test_fail_first_fails_the_first_calls_then_answers(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"method": GET_ITEM, "response": {"id": 1}, "fail_first": 2}]
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        codes = []
        for _ in range(3):
            try:
                await catalog.GetItem(client.pb2.GetItemRequest(id=1))
                codes.append("OK")
            except grpc.aio.AioRpcError as exc:
                codes.append(exc.code().name)
        first = running.journal.newest()[-1]
    assert codes == ["UNAVAILABLE", "UNAVAILABLE", "OK"]
    assert first["decision"]["grpc"]["failure"] == "fail_first"


async def test_a_failure_rate_strikes_with_the_stubs_fault(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": LIST_ITEMS, "stream": STREAM, "failure_rate": 1.0,
              "fault": {"after": 3, "status": "DATA_LOSS"}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        received, error = await _ids(
            running.catalog(client).ListItems(client.pb2.ListItemsRequest())
        )
        entry = running.journal.newest(1)[0]
    assert received == [1, 2, 3]
    assert error is not None and error.code() == grpc.StatusCode.DATA_LOSS
    assert entry["decision"]["grpc"]["failure"] == "failure_rate"


async def test_a_rate_limit_refuses_calls_over_it_resource_exhausted(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"method": GET_ITEM, "response": {"id": 1},
              "rate_limit": {"requests": 2, "per": "60s", "key": "header:x-api-key"}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        request = client.pb2.GetItemRequest(id=1)
        alice = (("x-api-key", "alice"),)
        for _ in range(2):
            await catalog.GetItem(request, metadata=alice)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await catalog.GetItem(request, metadata=alice)
        bob = await catalog.GetItem(request, metadata=(("x-api-key", "bob"),))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.details() == "rate limit: 2 calls per 60s"
    trailing = dict(refused.value.trailing_metadata())
    assert trailing["ratelimit-remaining"] == "0" and "retry-after" in trailing
    assert bob.id == 1


async def test_latency_is_sampled_and_journaled(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": GET_ITEM, "response": {"id": 1}, "latency": {"min_ms": 150, "max_ms": 200}}]
    async with serving(tmp_path, stubs) as running:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=1))
        waited = loop.time() - started
        entry = running.journal.newest(1)[0]
    assert waited >= 0.15
    assert 150 <= entry["decision"]["grpc"]["latency_ms"] <= 200
    assert entry["delay_ms"] >= 150


async def test_a_bidi_fault_counts_the_messages_sent(tmp_path: Path, client: Client) -> None:
    stubs = [{"method": "shop.Catalog/Talk", "on_message": [{"reply": {"text": "pong"}}],
              "fault": {"after": 2, "status": "UNAVAILABLE"}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        call = running.catalog(client).Talk()
        replies = []
        for _ in range(2):
            await call.write(client.pb2.Note(text="ping"))
            replies.append((await call.read()).text)
        await call.write(client.pb2.Note(text="ping"))
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await call.read()
    assert replies == ["pong", "pong"]
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
