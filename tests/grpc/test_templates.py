"""Templated answers: rendered per call from the request message and metadata, then fitted
to the message type; what does not fit ends the call INTERNAL naming the stub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from apidouble.errors import ConfigError  # noqa: E402
from apidouble.grpc import load_grpc_config  # noqa: E402
from tests.grpc.support import Client, serving, write_config  # noqa: E402

GET_ITEM = "shop.Catalog/GetItem"
LIST_ITEMS = "shop.Catalog/ListItems"
TALK = "shop.Catalog/Talk"

ECHO = {
    "name": "echo",
    "method": GET_ITEM,
    "response": {
        "id": "{{ request.json.id + 1 }}",
        "name": "for {{ request.headers['x-user'] }} in {{ request.json.locale }}",
        "tags": ["{{ request.json.item_code }}", "fixed"],
    },
}


async def test_a_templated_response_reads_the_message_and_the_metadata(
    tmp_path: Path, client: Client
) -> None:
    async with serving(tmp_path, [ECHO]) as running:
        catalog = running.catalog(client)
        first = await catalog.GetItem(
            client.pb2.GetItemRequest(id=41, locale="fr", item_code="B-1"),
            metadata=(("x-user", "ada"),),
        )
        second = await catalog.GetItem(
            client.pb2.GetItemRequest(id=1, locale="en", item_code="T-2"),
            metadata=(("x-user", "bob"),),
        )
        entry = running.journal.newest(1)[0]
    assert (first.id, first.name, list(first.tags)) == (42, "for ada in fr", ["B-1", "fixed"])
    assert (second.id, second.name, list(second.tags)) == (2, "for bob in en", ["T-2", "fixed"])
    sent = json.loads(entry["response"]["body"])
    assert (sent["id"], sent["name"], sent["tags"]) == (2, "for bob in en", ["T-2", "fixed"])
    assert entry["decision"]["grpc"]["status"] == "OK"


async def test_a_render_that_does_not_fit_the_type_ends_internal_naming_the_stub(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"name": "wrong", "method": GET_ITEM, "response": {"id": "{{ request.json.locale }}"}}]
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await catalog.GetItem(client.pb2.GetItemRequest(id=1, locale="not a number"))
        fits = await catalog.GetItem(client.pb2.GetItemRequest(id=1, locale="12"))
        entries = running.journal.newest(2)
    assert failed.value.code() == grpc.StatusCode.INTERNAL
    assert "stub 'wrong'" in failed.value.details()
    assert "shop.Item" in failed.value.details()
    assert sorted(e["decision"]["grpc"]["status"] for e in entries) == ["INTERNAL", "OK"]
    assert fits.id == 12


async def test_a_template_that_fails_ends_internal(tmp_path: Path, client: Client) -> None:
    stubs = [{"name": "broken", "method": GET_ITEM,
              "response": {"name": "{{ request.json.locale | int // 0 }}"}}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await running.catalog(client).GetItem(client.pb2.GetItemRequest(locale="3"))
    assert failed.value.code() == grpc.StatusCode.INTERNAL
    assert "stub 'broken': template" in failed.value.details()


async def test_stream_messages_and_bidi_replies_render_per_message(
    tmp_path: Path, client: Client
) -> None:
    stubs: list[dict[str, Any]] = [
        {"method": LIST_ITEMS, "stream": [
            {"message": {"name": "{{ request.json.category }}-1"}},
            {"message": {"name": "static"}},
            {"message": {"name": "{{ request.json.category }}-3"}},
        ]},
        {"method": TALK, "stream": [{"message": {"text": "hello {{ request.headers['x-user'] }}"}}],
         "on_message": [{"reply": {"text": "you said {{ request.json.text }}",
                                   "n": "{{ request.json.n * 2 }}"}}]},
    ]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        listed = catalog.ListItems(client.pb2.ListItemsRequest(category="tools"))
        names = [item.name async for item in listed]
        call = catalog.Talk(metadata=(("x-user", "ada"),))
        heard = [(await call.read()).text]
        await call.write(client.pb2.Note(text="ping", n=4))
        reply = await call.read()
        await call.done_writing()
        assert await call.code() == grpc.StatusCode.OK
    assert names == ["tools-1", "static", "tools-3"]
    assert heard == ["hello ada"]
    assert (reply.text, reply.n) == ("you said ping", 8)


async def test_added_stubs_render_too_and_the_same_bytes_find_them(
    tmp_path: Path, client: Client
) -> None:
    fallback = {"method": GET_ITEM, "match": {"json": {"id": 5}}, "response": {"name": "file"}}
    async with serving(tmp_path, [fallback]) as running:
        catalog = running.catalog(client)
        request = client.pb2.GetItemRequest(id=5)
        before = await catalog.GetItem(request)  # the route remembers these bytes' stub
        added = {"method": GET_ITEM, "response": {"name": "added {{ request.json.id }}"}}
        running.server.add_stubs([added])
        after = await catalog.GetItem(request)
    assert (before.name, after.name) == ("file", "added 5")


def test_templated_responses_are_checked_at_load_time(tmp_path: Path) -> None:
    stubs = [
        {"name": "typo", "method": GET_ITEM, "response": {"nme": "{{ request.json.id }}"}},
        {"name": "syntax", "method": GET_ITEM, "response": {"name": "{{ request.json.id "}},
    ]
    with pytest.raises(ConfigError) as failed:
        load_grpc_config(write_config(tmp_path, stubs))
    typo, syntax = failed.value.problems
    assert (typo.stub, typo.pointer) == ("typo", "/grpc/stubs/0/response")
    assert "no field 'nme'" in typo.message and "did you mean 'name'" in typo.message
    assert (syntax.stub, syntax.pointer) == ("syntax", "/grpc/stubs/1/response")
    assert "template" in syntax.message
