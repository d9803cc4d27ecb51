"""Client streams matched on their messages, and bidi calls as scripted conversations."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from tests.grpc.support import Client, serving  # noqa: E402

UPLOAD = "shop.Catalog/Upload"
TALK = "shop.Catalog/Talk"


async def test_a_client_stream_is_matched_on_the_list_of_its_messages(
    tmp_path: Path, client: Client
) -> None:
    stubs = [
        {"method": UPLOAD, "match": {"json": [{"id": 1}, {"id": 2}]}, "response": {"id": 12}},
        {"method": UPLOAD, "match": {"body": {"jsonpath": "$[2].id", "equals": 9}},
         "response": {"id": 3}},
    ]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        two = await catalog.Upload(iter([client.pb2.Item(id=1), client.pb2.Item(id=2)]))
        three = await catalog.Upload(iter([client.pb2.Item(id=n) for n in (7, 8, 9)]))
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            await catalog.Upload(iter([client.pb2.Item(id=2), client.pb2.Item(id=1)]))
        entry = running.journal.newest(1)[0]
    assert (two.id, three.id) == (12, 3)
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    assert [m["id"] for m in json.loads(entry["body"])] == [2, 1]
    assert entry["decision"]["grpc"]["received"] == 2
    assert [e["in"]["id"] for e in entry["decision"]["grpc"]["events"]] == [2, 1]


async def test_match_each_must_hold_for_every_message(tmp_path: Path, client: Client) -> None:
    each = {"each": {"json": {"kind": "BOOK"}}}
    stubs = [
        {"name": "books", "method": UPLOAD, "match": each, "response": {"locale": "all-books"}}
    ]
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        books = [client.pb2.Item(id=n, kind=client.pb2.BOOK) for n in (1, 2)]
        answer = await catalog.Upload(iter(books))
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            await catalog.Upload(iter([*books, client.pb2.Item(id=3, kind=client.pb2.TOOL)]))
    assert answer.locale == "all-books"
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    assert "closest 'books': message 2:" in missed.value.details()
    assert "TOOL" in missed.value.details()


async def test_a_bidi_call_answers_each_message_by_the_first_rule_that_matches(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{
        "name": "chat",
        "method": TALK,
        "stream": [{"message": {"text": "welcome"}}],
        "on_message": [
            {"match": {"json": {"text": "bye"}}, "reply": {"text": "see you"},
             "close": {"status": "OK"}},
            {"match": {"body": {"jsonpath": "$.n", "equals": 2}},
             "reply": [{"text": "two", "n": 2}, {"text": "again", "n": 2}]},
            {"match": {"json": {"text": "hello"}}, "reply": {"text": "hi"}},
        ],
    }]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        call = running.catalog(client).Talk()
        heard = [(await call.read()).text]
        await call.write(client.pb2.Note(text="hello"))
        heard.append((await call.read()).text)
        await call.write(client.pb2.Note(text="nothing matches this"))
        await call.write(client.pb2.Note(text="x", n=2))
        heard += [(await call.read()).text, (await call.read()).text]
        await call.write(client.pb2.Note(text="bye"))
        heard.append((await call.read()).text)
        assert await call.read() is grpc.aio.EOF
        assert await call.code() == grpc.StatusCode.OK
        entry = running.journal.newest(1)[0]
    assert heard == ["welcome", "hi", "two", "again", "see you"]
    events = entry["decision"]["grpc"]["events"]
    flow = [("in", e["in"]["text"], e["rule"]) if "in" in e else ("out", e["out"]["text"])
            for e in events]  # fmt: skip
    assert flow == [
        ("out", "welcome"),
        ("in", "hello", 2),
        ("out", "hi"),
        ("in", "nothing matches this", None),
        ("in", "x", 1),
        ("out", "two"),
        ("out", "again"),
        ("in", "bye", 0),
        ("out", "see you"),
    ]
    assert entry["stub"] == "chat"
    assert entry["decision"]["grpc"]["received"] == 4
    assert [m["text"] for m in json.loads(entry["body"])][-1] == "bye"


async def test_a_bidi_call_ends_with_the_stubs_status_when_the_client_is_done(
    tmp_path: Path, client: Client
) -> None:
    stubs = [{"method": TALK, "on_message": [{"reply": {"text": "ok"}, "delay_ms": 200}],
              "status": "ABORTED", "message": "conversation over"}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        loop = asyncio.get_running_loop()
        started = loop.time()
        call = running.catalog(client).Talk(iter([client.pb2.Note(text="a")]))
        replies = []
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            async for note in call:
                replies.append((note.text, loop.time() - started))
    assert [text for text, _ in replies] == ["ok"]
    assert replies[0][1] >= 0.2  # the rule's delay_ms
    assert ended.value.code() == grpc.StatusCode.ABORTED
    assert ended.value.details() == "conversation over"


async def test_a_bidi_stub_is_chosen_on_the_metadata(tmp_path: Path, client: Client) -> None:
    stubs = [{"name": "vip", "method": TALK, "match": {"metadata": {"x-tier": "gold"}},
              "stream": [{"message": {"text": "gold"}}]}]  # fmt: skip
    async with serving(tmp_path, stubs) as running:
        catalog = running.catalog(client)
        gold = [n.text async for n in catalog.Talk(iter([]), metadata=(("x-tier", "gold"),))]
        with pytest.raises(grpc.aio.AioRpcError) as missed:
            async for _ in catalog.Talk(iter([]), metadata=(("x-tier", "tin"),)):
                pass
    assert gold == ["gold"]
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    assert "closest 'vip'" in missed.value.details()


async def test_a_message_that_does_not_decode_ends_a_stream_invalid(
    tmp_path: Path, client: Client
) -> None:
    async with serving(tmp_path, [{"method": UPLOAD}]) as running:
        upload = running.channel.stream_unary("/shop.Catalog/Upload")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await upload(iter([b"\xff\xff\xff"]))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
