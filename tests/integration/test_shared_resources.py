"""CRUD resources through Redis: two instances read and write the same rows, writes at
once on both lose nothing, sessions stay apart, and a reset reaches every instance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from tests.redis_peer import RedisPeer, two_instances

CONFIG = {
    "state_key": "header:X-Session",
    "resources": {"notes": {"data": [{"id": 1, "text": "first"}]}},
    "endpoints": [{"path": "/static", "response": "ok"}],
}


@pytest.fixture
def pair(tmp_path: Path, redis_peer: RedisPeer) -> Iterator[tuple[MockServer, MockServer]]:
    path = tmp_path / "apidouble.json"
    path.write_text(json.dumps(CONFIG))
    with two_instances(path, redis_peer) as pair:
        yield pair


def test_two_instances_share_the_rows(pair: tuple[MockServer, MockServer]) -> None:
    one, two = pair
    made = httpx.post(one.url + "/notes", json={"text": "second"})
    assert made.status_code == 201 and made.json() == {"text": "second", "id": 2}
    assert httpx.get(two.url + "/notes/2").json() == {"text": "second", "id": 2}
    httpx.patch(two.url + "/notes/1", json={"text": "edited"})
    assert httpx.get(one.url + "/notes", params={"text": "edited"}).json() == [
        {"id": 1, "text": "edited"}
    ]
    assert httpx.delete(one.url + "/notes/2").status_code == 200
    assert httpx.get(two.url + "/notes/2").status_code == 404


def test_concurrent_writes_on_both_instances_lose_nothing(
    pair: tuple[MockServer, MockServer],
) -> None:
    one, two = pair

    def post(index: int) -> int:
        target = (one, two)[index % 2]
        with httpx.Client() as client:
            return client.post(target.url + "/notes", json={"n": index}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(40)))
    assert statuses == [201] * 40
    rows = httpx.get(one.url + "/notes").json()
    assert sorted(r["n"] for r in rows if "n" in r) == list(range(40))
    assert len({r["id"] for r in rows}) == 41  # every id distinct


def test_sessions_and_reset_reach_every_instance(pair: tuple[MockServer, MockServer]) -> None:
    one, two = pair
    mine = {"X-Session": "mine"}
    httpx.post(one.url + "/notes", json={"text": "private"}, headers=mine)
    assert len(httpx.get(two.url + "/notes", headers=mine).json()) == 2
    assert len(httpx.get(two.url + "/notes").json()) == 1  # the shared rows are untouched
    httpx.post(two.url + "/__admin/resources/reset")
    assert len(httpx.get(one.url + "/notes", headers=mine).json()) == 1


def test_requests_for_no_resource_never_wait_on_redis(
    pair: tuple[MockServer, MockServer], redis_peer: RedisPeer
) -> None:
    one, _ = pair
    redis_peer.kill()
    assert httpx.get(one.url + "/static").text == "ok"
    assert httpx.get(one.url + "/nothing-here").status_code == 404  # not a 503
    assert httpx.get(one.url + "/notes").status_code == 503
