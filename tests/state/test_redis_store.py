"""The Redis store against a real redis-server: the same answers as the memory store,
shared by every store pointed at the same Redis, atomic, and failing fast while away."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from apidouble.state.bridge import run_bridged
from apidouble.state.memory import MemoryStore
from apidouble.state.redis_link import RedisTarget
from apidouble.state.redis_store import RedisStore
from apidouble.state.scenarios import Scenarios
from apidouble.state.store import StateStore, StateUnavailable
from tests.redis_peer import RedisPeer

T = TypeVar("T")


async def bridged(fn: Callable[[], T]) -> T:
    """Run ``fn`` as a request would: on the bridge."""
    result = run_bridged(fn)
    return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]


async def opened(url: str) -> RedisStore:
    store = RedisStore(url)
    await store.open()
    return store


def test_the_url_keeps_its_namespace_apart_and_hides_the_password() -> None:
    target = RedisTarget.parse("redis://:secret@db:6380/2?namespace=team-a&ssl_cert_reqs=none")
    assert target.namespace == "team-a"
    assert target.url == "redis://:secret@db:6380/2?ssl_cert_reqs=none"
    assert "secret" not in target.shown and "***" in target.shown
    with pytest.raises(ValueError, match="redis://HOST:PORT/DB"):
        RedisTarget.parse("memcached://db")


async def test_two_stores_share_counts_values_and_rate_limits(redis_peer: RedisPeer) -> None:
    one, two = await opened(redis_peer.url), await opened(redis_peer.url)
    a, b = one.space("stub/flaky/1"), two.space("stub/flaky/1")
    counts = await bridged(lambda: [a.count("k"), b.count("k"), a.count("k"), b.count("other")])
    assert counts == [1, 2, 3, 1]
    await bridged(lambda: a.set_value("checkout", "paid"))
    assert await bridged(lambda: b.value("checkout")) == "paid"
    assert await bridged(lambda: b.values()) == {"checkout": "paid"}
    a_limit, b_limit = one.space("rl"), two.space("rl")
    verdicts = await bridged(
        lambda: [
            a_limit.admit("client", 100.0, 2, 10.0)[0],
            b_limit.admit("client", 100.1, 2, 10.0)[0],
            a_limit.admit("client", 100.2, 2, 10.0)[0],
        ]
    )
    assert verdicts == [True, True, False]
    await bridged(lambda: b_limit.release("client", 100.1))  # b's admission taken back
    assert (await bridged(lambda: a_limit.admit("client", 100.3, 2, 10.0)))[0] is True
    await one.aclose()
    await two.aclose()


async def test_time_crosses_instances_as_redis_time(redis_peer: RedisPeer) -> None:
    """Each instance's monotonic clock differs; what one records, another reads in its own."""
    one, two = await opened(redis_peer.url), await opened(redis_peer.url)
    assert one.link.offset is not None and two.link.offset is not None
    two.link.offset += 1000.0  # as if two's monotonic clock started 1000 s later
    first = await bridged(lambda: one.space("outage").origin("k", 50.0))
    seen_by_two = await bridged(lambda: two.space("outage").origin("k", 12345.0))
    assert first == pytest.approx(50.0)
    assert seen_by_two == pytest.approx(50.0 - 1000.0)
    admitted, logged, resets = await bridged(lambda: two.space("rl").admit("c", 7.0, 5, 30.0))
    assert (admitted, logged) == (True, 1) and resets == pytest.approx(37.0)
    await one.aclose()
    await two.aclose()


@pytest.mark.parametrize("make", [MemoryStore, "redis"], ids=["memory", "redis"])
async def test_scenarios_move_once_and_reset(make: Any, redis_peer: RedisPeer) -> None:
    store: StateStore = await opened(redis_peer.url) if make == "redis" else make()
    scenarios = Scenarios(store)

    def play() -> list[Any]:
        return [
            scenarios.state("checkout"),
            scenarios.move("checkout", "paid", "Started"),
            scenarios.move("checkout", "paid", "Started"),  # no longer Started: refused
            scenarios.state("checkout"),
            scenarios.move("checkout", "shipped", "paid"),
            scenarios.states(),
        ]

    assert await bridged(play) == ["Started", True, False, "paid", True, {"checkout": "shipped"}]
    await bridged(scenarios.reset)
    assert await bridged(lambda: scenarios.state("checkout")) == "Started"
    if isinstance(store, RedisStore):
        await store.aclose()


async def test_reset_by_prefix_and_bounded_keys(redis_peer: RedisPeer) -> None:
    store = await opened(redis_peer.url)
    kept, dropped = store.space("keep/x"), store.space("drop*/x", max_keys=3)

    def fill() -> None:
        kept.count("k")
        for key in "abcdef":
            dropped.count(key)

    await bridged(fill)
    client = store.link.client
    assert await client.hlen("apidouble:s:drop*/x:counts") == 3  # bounded: 3 of 6 kept
    await bridged(lambda: store.reset("drop*"))  # a glob character in the name is literal
    assert await client.exists("apidouble:s:drop*/x:counts") == 0
    assert await bridged(lambda: kept.count("k")) == 2
    await store.aclose()


async def test_a_store_fails_fast_while_redis_is_away_and_recovers(
    redis_peer: RedisPeer,
) -> None:
    store = await opened(redis_peer.url)
    space = store.space("s")
    assert await bridged(lambda: space.count("k")) == 1
    redis_peer.kill()
    with pytest.raises(StateUnavailable, match="unreachable"):
        await bridged(lambda: space.count("k"))
    assert store.probe()["status"] == "down"
    with pytest.raises(StateUnavailable):  # the circuit is open: refused before any I/O,
        run_bridged(lambda: space.count("k"))  # so synchronously, with nothing to await
    redis_peer.start()  # same folder: the append-only file brings the count back
    await asyncio.sleep(store.retry_after_s + 0.01)
    assert await bridged(lambda: space.count("k")) == 2
    assert (await bridged(store.probe))["status"] == "up"
    await store.aclose()
