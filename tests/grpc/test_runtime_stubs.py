"""Stubs added at run time (``GrpcServer.add_stubs``, ``/__admin/grpc/stubs``,
``MockServer.add_grpc_stubs``), and gRPC calls queried and verified from ``MockServer``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from apidouble.admin.grpc_route import GRPC_STUBS_PATH, METHODS, GrpcStubsRoute  # noqa: E402
from apidouble.errors import ConfigError  # noqa: E402
from apidouble.grpc.saved import SavedGrpcStubs, restore  # noqa: E402
from apidouble.testing import MockServer  # noqa: E402
from tests.grpc.support import Client, serving, write_config  # noqa: E402

GET_ITEM = "shop.Catalog/GetItem"
FALLBACK = {"name": "fallback", "method": GET_ITEM, "response": {"name": "from the file"}}


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[MockServer]:
    """A server of a config with a grpc: section, the admin route registered as the
    runtime registers it."""
    with MockServer(write_config(tmp_path, [FALLBACK])) as server:
        runtime = server._runtime
        runtime.routes.add(METHODS, GRPC_STUBS_PATH, GrpcStubsRoute(lambda: runtime.grpc_server))
        yield server


def _get(mock: MockServer, client: Client, **fields: Any) -> Any:
    with grpc.insecure_channel(mock.grpc_address) as channel:
        return client.pb2_grpc.CatalogStub(channel).GetItem(
            client.pb2.GetItemRequest(**fields), timeout=5, metadata=(("x-user", "ada"),)
        )


async def test_an_added_stub_answers_before_the_files(tmp_path: Path, client: Client) -> None:
    async with serving(tmp_path, [FALLBACK]) as running:
        catalog = running.catalog(client)
        [added] = running.server.add_stubs(
            [
                {
                    "name": "seven",
                    "method": GET_ITEM,
                    "match": {"json": {"id": 7}},
                    "response": {"name": "added"},
                }
            ]  # fmt: skip
        )
        seven = await catalog.GetItem(client.pb2.GetItemRequest(id=7))
        other = await catalog.GetItem(client.pb2.GetItemRequest(id=8))
        listed = running.server.stubs()
        assert running.server.remove_added_stubs() == 1
        after = await catalog.GetItem(client.pb2.GetItemRequest(id=7))
    assert (seven.name, other.name, after.name) == ("added", "from the file", "from the file")
    assert [(s["name"], s["added"]) for s in listed if s["method"] == GET_ITEM] == [
        ("seven", True),
        ("fallback", False),
    ]
    assert added.label == "seven"


async def test_a_stub_that_does_not_compile_adds_none(tmp_path: Path, client: Client) -> None:
    async with serving(tmp_path, [FALLBACK]) as running:
        good = {"method": GET_ITEM, "response": {"name": "good"}}
        bad = {"method": GET_ITEM, "response": {"nme": "typo"}}
        with pytest.raises(ConfigError) as refused:
            running.server.add_stubs([good, bad])
        item = await running.catalog(client).GetItem(client.pb2.GetItemRequest(id=1))
    [problem] = refused.value.problems
    assert problem.pointer == "/stubs/1/response" and "nme" in problem.message
    assert item.name == "from the file"


def test_the_admin_route_adds_lists_and_drops_stubs(mock: MockServer, client: Client) -> None:
    url = mock.url + GRPC_STUBS_PATH
    stub = {"id": "admin-9", "method": GET_ITEM, "match": {"json": {"id": 9}},
            "response": {"name": "over http"}}  # fmt: skip
    created = httpx.post(url, json={"stubs": [stub]})
    answered = _get(mock, client, id=9)
    listed = httpx.get(url).json()["stubs"]
    wrong = httpx.post(url, json={"method": "shop.Catalog/Nope"})
    dropped = httpx.delete(url).json()
    assert (created.status_code, created.json()) == (201, {"added": ["admin-9"]})
    assert answered.name == "over http"
    assert listed[0] == {"id": "admin-9", "name": None, "method": GET_ITEM, "added": True}
    assert wrong.status_code == 400
    assert wrong.json()["problems"][0]["pointer"] == "/stubs/0/method"
    assert dropped == {"removed": 1}
    assert _get(mock, client, id=9).name == "from the file"


def test_mock_server_adds_stubs_and_verifies_calls(mock: MockServer, client: Client) -> None:
    [stub_id] = mock.add_grpc_stubs(
        [
            {
                "name": "gone",
                "method": GET_ITEM,
                "match": {"json": {"id": 404}},
                "status": "NOT_FOUND",
            }
        ]  # fmt: skip
    )
    _get(mock, client, id=1)
    with pytest.raises(grpc.RpcError):
        _get(mock, client, id=404)
    assert mock.verify_grpc(GET_ITEM, times=2) == 2
    assert mock.verify_grpc(GET_ITEM, times=1, json={"id": 404}, metadata={"x-user": "ada"}) == 1
    assert mock.verify_grpc(GET_ITEM, times=0, metadata={"x-user": "bob"}) == 0
    with pytest.raises(AssertionError) as failed:
        mock.verify_grpc(GET_ITEM, times=1, json={"id": 5})
    missed = mock.grpc_calls(GET_ITEM, status="NOT_FOUND")
    assert [e["stub"] for e in missed] == ["gone"]
    assert stub_id in {s["id"] for s in mock._runtime.grpc_server.stubs()}
    assert len(mock.grpc_calls()) == 2
    assert "/shop.Catalog/GetItem" in str(failed.value)
    assert mock.remove_grpc_stubs() == 1


def test_without_a_grpc_section_the_route_is_not_found(tmp_path: Path) -> None:
    with MockServer(endpoints=[]) as server:
        runtime = server._runtime
        runtime.routes.add(METHODS, GRPC_STUBS_PATH, GrpcStubsRoute(lambda: runtime.grpc_server))
        assert httpx.get(server.url + GRPC_STUBS_PATH).status_code == 404


def test_added_stubs_are_saved_and_a_restart_serves_them_in_their_places(
    tmp_path: Path, client: Client
) -> None:
    saved = SavedGrpcStubs(tmp_path / "persist" / "grpc")
    first = {"id": "nine", "method": GET_ITEM, "match": {"json": {"id": 9}},
             "response": {"name": "first"}}  # fmt: skip
    shadowed = {"method": GET_ITEM, "match": {"json": {"id": 9}}, "response": {"name": "second"}}
    newest = {"name": "eight", "method": GET_ITEM, "match": {"json": {"id": 8}},
              "response": {"name": "newest"}}  # fmt: skip
    with MockServer(write_config(tmp_path / "before", [FALLBACK])) as mock:
        runtime = mock._runtime
        route = GrpcStubsRoute(lambda: runtime.grpc_server, saved)
        runtime.routes.add(METHODS, GRPC_STUBS_PATH, route)
        url = mock.url + GRPC_STUBS_PATH
        assert httpx.post(url, json=[first, shadowed]).status_code == 201
        assert httpx.post(url, json=newest).status_code == 201
        served = [s["id"] for s in httpx.get(url).json()["stubs"]]
    files = sorted(p.name for p in saved.folder.glob("*.json"))
    assert len(files) == 3 and "nine.json" in files

    async def restarted() -> tuple[int, list[str], list[str]]:
        async with serving(tmp_path / "after", [FALLBACK]) as running:
            count = restore(running.server, saved)
            catalog = running.catalog(client)
            names = [
                (await catalog.GetItem(client.pb2.GetItemRequest(id=n))).name for n in (9, 8, 1)
            ]
            return count, [s["id"] for s in running.server.stubs()], names

    count, ids, names = asyncio.run(restarted())
    assert count == 3
    assert ids == served  # the same ids, in the same order
    assert names == ["first", "newest", "from the file"]
    with MockServer(write_config(tmp_path / "again", [FALLBACK])) as mock:
        runtime = mock._runtime
        runtime.routes.add(
            METHODS, GRPC_STUBS_PATH, GrpcStubsRoute(lambda: runtime.grpc_server, saved)
        )
        assert httpx.delete(mock.url + GRPC_STUBS_PATH).json() == {"removed": 0}
    assert saved.stubs() == []


def test_the_server_saves_added_stubs_beside_the_http_ones_and_serves_them_again(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, [FALLBACK])
    added = {"id": "kept", "method": GET_ITEM, "match": {"json": {"id": 5}},
             "response": {"name": "kept"}}  # fmt: skip
    with MockServer(config) as mock:
        assert httpx.post(mock.url + GRPC_STUBS_PATH, json=added).status_code == 201
    with MockServer(config) as mock:
        listed = httpx.get(mock.url + GRPC_STUBS_PATH).json()["stubs"]
        assert [s["id"] for s in listed if s.get("added")] == ["kept"]
        assert httpx.delete(mock.url + GRPC_STUBS_PATH).status_code == 200
    with MockServer(config) as mock:
        listed = httpx.get(mock.url + GRPC_STUBS_PATH).json()["stubs"]
        assert not [s for s in listed if s.get("added")]
