"""Stubs made at runtime through Redis: made on one instance, served by every instance
within a second, kept across the restart of any instance, and never lost to a race."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from tests.redis_peer import RedisPeer, two_instances


def mapping(path: str, body: str) -> dict[str, object]:
    return {"request": {"method": "GET", "url": path}, "response": {"status": 200, "body": body}}


def eventually(check: Callable[[], bool], within_s: float = 3.0) -> None:
    """Announced at once; a loaded machine gets some slack over the second the version
    check guarantees."""
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s} s")
        time.sleep(0.02)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "apidouble.yaml"
    path.write_text("endpoints: [{path: /file, response: from-file}]\n")
    return path


@pytest.fixture
def pair(config: Path, redis_peer: RedisPeer) -> Iterator[tuple[MockServer, MockServer]]:
    with two_instances(config, redis_peer) as pair:
        yield pair


def test_a_stub_made_on_one_instance_is_served_by_the_other(
    pair: tuple[MockServer, MockServer],
) -> None:
    one, two = pair
    made = httpx.post(one.url + "/__admin/mappings", json=mapping("/made", "made on one"))
    assert made.status_code == 201
    eventually(lambda: httpx.get(two.url + "/made").text == "made on one")
    stub_id = made.json()["id"]
    httpx.put(two.url + f"/__admin/mappings/{stub_id}", json=mapping("/made", "edited on two"))
    eventually(lambda: httpx.get(one.url + "/made").text == "edited on two")
    httpx.delete(one.url + f"/__admin/mappings/{stub_id}")
    eventually(lambda: httpx.get(two.url + "/made").status_code == 404)
    assert httpx.get(two.url + "/file").text == "from-file"


def test_writes_on_both_instances_at_once_are_all_kept(
    pair: tuple[MockServer, MockServer],
) -> None:
    one, two = pair

    def create(index: int) -> int:
        target = (one, two)[index % 2]
        with httpx.Client() as client:
            body = mapping(f"/many/{index}", str(index))
            return client.post(target.url + "/__admin/mappings", json=body).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(create, range(20))) == [201] * 20
    for mock in (one, two):

        def all_served(url: str = mock.url) -> bool:
            return all(httpx.get(f"{url}/many/{i}").text == str(i) for i in range(20))

        eventually(all_served)


def test_runtime_stubs_survive_an_instance_restart(config: Path, redis_peer: RedisPeer) -> None:
    with MockServer(config, state=redis_peer.url) as one:
        made = httpx.post(one.url + "/__admin/mappings", json=mapping("/kept", "still here"))
    shutil.rmtree(config.parent / ".apidouble")  # so what comes back comes from Redis
    with MockServer(config, state=redis_peer.url) as again:
        assert httpx.get(again.url + "/kept").text == "still here"
        httpx.delete(again.url + f"/__admin/mappings/{made.json()['id']}")
    with MockServer(config, state=redis_peer.url) as third:
        assert httpx.get(third.url + "/kept").status_code == 404
        assert httpx.get(third.url + "/file").text == "from-file"


def test_an_admin_write_while_redis_is_away_is_refused_and_changes_nothing(
    pair: tuple[MockServer, MockServer], redis_peer: RedisPeer
) -> None:
    one, _ = pair
    redis_peer.kill()
    refused = httpx.post(one.url + "/__admin/mappings", json=mapping("/late", "never"))
    assert refused.status_code == 503
    assert refused.json()["error"] == "state store unavailable"
    assert httpx.get(one.url + "/late").status_code == 404
    assert httpx.get(one.url + "/file").text == "from-file"
