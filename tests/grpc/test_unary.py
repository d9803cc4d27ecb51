"""Unary calls: matching on the message and metadata, statuses, misses, the journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from tests.grpc.support import Client, serving  # noqa: E402

GET_ITEM = "shop.Catalog/GetItem"


async def test_the_stub_whose_json_matches_answers(tmp_path: Path, client: Client) -> None:
    stubs = [
        {"method": GET_ITEM, "match": {"json": {"id": 7}}, "response": {"id": 7, "name": "saw"}},
        {
            "method": GET_ITEM,
            "match": {"json": {"id": 42}},
            "response": {"id": 42, "name": "book", "kind": "BOOK", "tags": ["a", "b"],
                         "added": "2024-05-01T10:00:00Z"},
        },
    ]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        item = await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=42))
    assert (item.id, item.name, item.kind, list(item.tags)) == (42, "book", 1, ["a", "b"])
    assert item.added.seconds == 1714557600


async def test_metadata_is_matched_as_headers(tmp_path: Path, client: Client) -> None:
    stubs = [
        {"method": GET_ITEM, "match": {"metadata": {"X-User": "alice"}}, "response": {"name": "a"}},
        {"method": GET_ITEM, "match": {"metadata": {"x-user": {"regex": "b.*"}}},
         "response": {"name": "b"}},
    ]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        request = client.pb2.GetItemRequest(id=1)
        alice = await catalog.GetItem(request, metadata=(("x-user", "alice"),))
        bob = await catalog.GetItem(request, metadata=(("x-user", "bob"),))
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            await catalog.GetItem(request, metadata=(("x-user", "carol"),))
    assert (alice.name, bob.name) == ("a", "b")
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    assert "header x-user" in missed.value.details()


async def test_body_matchers_apply_to_the_message_as_json(tmp_path: Path, client: Client) -> None:
    stubs = [
        {"method": GET_ITEM, "match": {"body": {"jsonpath": "$.locale", "regex": "fr.*"}},
         "response": {"name": "livre"}},
        {"method": GET_ITEM, "response": {"name": "book"}},
    ]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        french = await catalog.GetItem(client.pb2.GetItemRequest(id=1, locale="fr-CA"))
        other = await catalog.GetItem(client.pb2.GetItemRequest(id=1, locale="en"))
    assert (french.name, other.name) == ("livre", "book")


async def test_a_status_stub_ends_the_call_with_code_details_and_trailers(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"method": GET_ITEM, "status": "NOT_FOUND", "message": "no item 9",
              "trailing_metadata": {"x-reason": "gone"}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=9))
        entry = running.journal.newest(1)[0]
    assert failed.value.code() == grpc.StatusCode.NOT_FOUND
    assert entry["decision"]["grpc"] == {
        "status": "NOT_FOUND",
        "code": 5,
        "message": "no item 9",
        "messages": 0,
    }
    assert ["x-reason", "gone"] in entry["response"]["headers"]
    assert failed.value.details() == "no item 9"
    assert ("x-reason", "gone") in tuple(failed.value.trailing_metadata())


async def test_initial_and_trailing_metadata_come_with_an_answer(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"method": GET_ITEM, "response": {"id": 1}, "metadata": {"x-served-by": "double"},
              "trailing_metadata": {"x-cost": 3}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        call = running.catalog(client).GetItem(client.pb2.GetItemRequest(id=1))
        assert (await call).id == 1
        initial = tuple(await call.initial_metadata())
        trailing = tuple(await call.trailing_metadata())
    assert ("x-served-by", "double") in initial
    assert ("x-cost", "3") in trailing


async def test_no_matching_stub_is_not_found_with_the_near_miss(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"name": "item-42", "method": GET_ITEM, "match": {"json": {"id": 42}}, "response": {}}]
    async with serving(tmp_path, stubs) as running:
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=41))
        entry = running.journal.newest(1)[0]
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    details = missed.value.details()
    assert "closest 'item-42'" in details and "$.id: 41" in details
    assert entry["stub"] is None
    assert entry["decision"]["grpc"]["status"] == "NOT_FOUND"


async def test_a_method_without_stubs_is_not_found(tmp_path: Path, client: Client) -> None:
    async with serving(tmp_path, []) as running:
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=1))
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    assert missed.value.details() == "no stub for shop.Catalog/GetItem"


async def test_an_unknown_method_is_unimplemented_with_the_closest_name(
    tmp_path: Path, client: Client
) -> None:
    async with serving(tmp_path, []) as running:
        call = running.channel.unary_unary("/shop.Catalog/GetItems")
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            await call(b"")
        entry = running.journal.newest(1)[0]
    assert missed.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert missed.value.details() == (
        "unknown method /shop.Catalog/GetItems (did you mean /shop.Catalog/GetItem?)"
    )
    assert entry["path"] == "/shop.Catalog/GetItems"
    assert entry["decision"]["grpc"]["status"] == "UNIMPLEMENTED"


async def test_a_request_that_does_not_decode_is_invalid_argument(
    tmp_path: Path, client: Client
) -> None:
    async with serving(tmp_path, [{"method": GET_ITEM}]) as running:
        call = running.channel.unary_unary("/shop.Catalog/GetItem")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(b"\xff\xff\xff")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("not a valid shop.GetItemRequest")


async def test_every_call_is_journaled_with_its_message_and_answer(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"name": "book", "method": GET_ITEM, "response": {"id": 42, "name": "book"}}]
    async with serving(tmp_path, stubs) as running:
        await running.catalog(client).GetItem(
            client.pb2.GetItemRequest(id=42, locale="fr"), metadata=(("x-user", "alice"),)
        )
        entries = running.journal.newest()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["method"], entry["path"], entry["stub"]) == (
        "POST",
        "/shop.Catalog/GetItem",
        "book",
    )
    assert json.loads(entry["body"]) == {"id": 42, "locale": "fr", "item_code": ""}
    assert ["x-user", "alice"] in entry["headers"]
    assert entry["client"] == "127.0.0.1"
    assert entry["decision"]["grpc"] == {"status": "OK", "code": 0, "messages": 1}
    assert json.loads(entry["response"]["body"]) == {"id": 42, "name": "book", "price": 0.0,
                                         "kind": "KIND_UNSPECIFIED", "tags": []}  # fmt: skip
    assert running.journal.count(path="/shop.Catalog/GetItem") == 1


async def test_a_static_answer_journals_the_calls_deadline_and_its_trailers(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"name": "book", "method": GET_ITEM, "response": {"name": "book"},
              "trailing_metadata": {"x-cache": "hit"}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        for _ in range(2):  # the second call finds the stub its bytes chose before
            await catalog.GetItem(client.pb2.GetItemRequest(id=1), timeout=30)
        await catalog.GetItem(client.pb2.GetItemRequest(id=1))
        without, with_deadline = running.journal.newest(3)[:2]  # the newest first
    decision = with_deadline["decision"]["grpc"]
    assert decision.pop("deadline_ms") > 20_000
    assert decision == without["decision"]["grpc"] == {"status": "OK", "code": 0, "messages": 1}
    for entry in (with_deadline, without):
        assert ["x-cache", "hit"] in entry["response"]["headers"]
        assert ["grpc-status", "0"] in entry["response"]["headers"]
        assert json.loads(entry["response"]["body"])["name"] == "book"
