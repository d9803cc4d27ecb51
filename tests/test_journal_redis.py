"""The shared journal's parts: its wire encoding, its batches and its bounded buffer.

The batch tests drive one ``SharedJournal`` on one event loop against a real redis-server
and look at what landed there with a plain client.
"""

from __future__ import annotations

import asyncio
import base64
import marshal
import time
from typing import Any

import pytest
import redis

from apidouble.journal import Journal, JournalLimits
from apidouble.journal_entries import parse
from apidouble.journal_redis import SharedJournal, journal_for
from apidouble.journal_wire import WIRE_FORMAT, decode, encode, encode_blob
from apidouble.model import Request, ServeEvent
from apidouble.state.memory import MemoryStore
from apidouble.state.redis_store import RedisStore
from apidouble.state.store import StateUnavailable
from tests.redis_peer import RedisPeer


def event(path: str = "/x", **request: Any) -> ServeEvent:
    return ServeEvent(Request("POST", path, "a=1", **request), time.time(), status=404)


def fields_of(journal: Journal) -> list[Any]:
    return [marshal.loads(blob) for blob in journal._state.entries]


@pytest.mark.parametrize(
    "request_fields",
    [
        {"head": b"POST /x?a=1 HTTP/1.1\r\nHost: h\r\nX-Bin: \xff\xfe\r\n\r\n"},
        {"raw_headers": [(b"host", b"h"), (b"x-bin", b"\xff")]},
        {"headers": (("Host", "h"), ("X-Name", "caf\u00e9"))},
    ],
)
def test_an_entry_crosses_the_wire_as_it_was_kept(request_fields: dict[str, Any]) -> None:
    journal = Journal()
    served = event(body=b"\x00\xff binary", **request_fields)
    served.notes = ("one", "two")
    served.decision = {"latency_ms": 5}
    journal.record(served)
    [kept] = fields_of(journal)
    for text in (encode(kept), encode_blob(marshal.dumps(kept, 2))):
        text.encode("ascii")  # the link's client decodes replies as text
        back = decode("41-0", text)
        assert back is not None
        assert parse(back) == {**parse(kept), "id": 41}


def test_a_blob_this_python_cannot_load_is_skipped_not_misread() -> None:
    assert decode("1-0", "M9.99:" + base64.b64encode(b"\xfe not marshal").decode()) is None


def test_an_entry_of_another_wire_format_is_skipped_not_misread() -> None:
    journal = Journal()
    journal.record(event())
    text = encode(fields_of(journal)[0])
    assert text.startswith(f"[{WIRE_FORMAT},")
    assert decode("1-0", f"[{WIRE_FORMAT + 1}" + text[len(str(WIRE_FORMAT)) + 1 :]) is None


def test_a_memory_store_keeps_the_plain_local_journal() -> None:
    assert type(journal_for(MemoryStore(), JournalLimits())) is Journal


def landed(peer: RedisPeer) -> tuple[dict[str, str], int]:
    client = redis.Redis.from_url(peer.url, decode_responses=True)
    try:
        return client.hgetall("apidouble:j:counts"), int(client.xlen("apidouble:j:entries"))
    finally:
        client.close()


def test_a_batch_resent_after_a_lost_reply_is_applied_once(redis_peer: RedisPeer) -> None:
    async def run() -> None:
        store = RedisStore(redis_peer.url)
        await store.open()
        journal = journal_for(store, JournalLimits())
        assert isinstance(journal, SharedJournal)
        for _ in range(3):
            journal.record(event())
        batch = journal._take()
        assert batch is not None
        for _ in range(2):  # as if the first reply never came back
            await store.link.acall(lambda: journal._send(batch))
        await store.aclose()

    asyncio.run(run())
    assert landed(redis_peer) == ({"\x00": "3"}, 3)


def test_the_buffer_stays_bounded_while_redis_is_away_and_counts_stay_exact(
    redis_peer: RedisPeer,
) -> None:
    async def run() -> SharedJournal:
        store = RedisStore(redis_peer.url)
        await store.open()
        journal = journal_for(store, JournalLimits(max_entries=5))
        assert isinstance(journal, SharedJournal)
        redis_peer.kill()
        for _ in range(30):
            journal.record(event())
        with pytest.raises(StateUnavailable):
            await store.link.acall(journal.flush)
        assert journal.status() == {"shared": True, "buffered": 5, "unsent_dropped": 25}
        for _ in range(10):
            journal.record(event())
        with pytest.raises(StateUnavailable):
            await store.link.acall(journal.flush)
        assert journal.status()["buffered"] == 10  # the unsent batch, and 5 new
        redis_peer.start()
        deadline = time.monotonic() + 10
        while True:  # the link's circuit retries after its backoff
            try:
                await store.link.acall(journal.flush)
                break
            except StateUnavailable:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert journal.status()["buffered"] == 0
        await store.aclose()
        return journal

    journal = asyncio.run(run())
    assert journal.unsent_dropped == 30
    assert landed(redis_peer) == ({"\x00": "40"}, 10)
