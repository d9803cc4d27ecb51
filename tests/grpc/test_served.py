"""The ``grpc:`` section of a config served by the server itself (``MockServer``): gRPC
beside HTTP, one journal for both, stopped with the rest."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from apidouble.testing import MockServer  # noqa: E402
from tests.grpc.support import Client, write_config  # noqa: E402

STUB = {"method": "shop.Catalog/GetItem", "match": {"json": {"id": 42}},
        "response": {"id": 42, "name": "Dune"}}  # fmt: skip


def test_grpc_and_http_side_by_side(tmp_path: Path, client: Client) -> None:
    config = write_config(tmp_path, [STUB])
    document = json.loads(config.read_text())
    document["endpoints"] = [{"path": "/hello", "response": "hi"}]
    config.write_text(json.dumps(document))
    with MockServer(config) as mock:
        assert mock.grpc_address
        with grpc.insecure_channel(mock.grpc_address) as channel:
            catalog = client.pb2_grpc.CatalogStub(channel)
            item = catalog.GetItem(client.pb2.GetItemRequest(id=42), timeout=5)
            with pytest.raises(grpc.RpcError) as missed:
                catalog.GetItem(client.pb2.GetItemRequest(id=7), timeout=5)
        assert httpx.get(mock.url + "/hello").text == "hi"
        calls = mock.requests.find(path="/shop.Catalog/GetItem")
    assert item.name == "Dune"
    assert missed.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(calls) == 2


def test_a_config_without_grpc_serves_none(tmp_path: Path) -> None:
    with MockServer(endpoints=[{"path": "/x", "response": "x"}]) as mock:
        assert mock.grpc_address == ""
