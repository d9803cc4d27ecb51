"""``apidouble import grpc PROTO``: the starter config loads and serves every method."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from apidouble.grpc import GrpcServer, load_grpc_config, start_grpc, starter_config  # noqa: E402
from apidouble.journal import Journal  # noqa: E402
from tests.grpc.support import Client, write_protos  # noqa: E402

RECURSIVE = """\
syntax = "proto3";
package tree;
message Node {
  string label = 1;
  repeated Node children = 2;
  map<string, int32> weights = 3;
  oneof shape { string circle = 4; int32 square = 5; }
  bytes blob = 6;
}
service Trees { rpc Grow(Node) returns (Node); }
"""


def test_one_stub_per_method_with_examples_from_the_types(tmp_path: Path) -> None:
    write_protos(tmp_path)
    document = starter_config(["protos/catalog.proto"], base=tmp_path)
    section = document["grpc"]
    by_method = {stub["method"]: stub for stub in section["stubs"]}
    assert section["protos"] == ["protos/catalog.proto"] and section["port"] == 50051
    assert list(by_method) == [
        f"shop.Catalog/{m}" for m in ("GetItem", "ListItems", "Upload", "Talk")
    ]
    item = by_method["shop.Catalog/GetItem"]["response"]
    assert item == {"id": 1, "name": "name", "price": 1.5, "kind": "BOOK", "tags": ["tags"],
                    "added": "2024-01-01T00:00:00Z"}  # fmt: skip
    assert [m["message"] for m in by_method["shop.Catalog/ListItems"]["stream"]] == [item, item]
    assert by_method["shop.Catalog/Upload"]["response"] == {"id": 1, "locale": "locale",
                                                             "item_code": "item_code"}  # fmt: skip
    assert by_method["shop.Catalog/Talk"]["on_message"] == [{"reply": {"text": "text", "n": 1}}]


def test_recursive_types_maps_and_oneofs_end(tmp_path: Path) -> None:
    (tmp_path / "tree.proto").write_text(RECURSIVE)
    [stub] = starter_config(["tree.proto"], base=tmp_path)["grpc"]["stubs"]
    node = stub["response"]
    assert node == {"label": "label", "weights": {"key": 1}, "circle": "circle",
                    "blob": "ZXhhbXBsZQ=="}  # fmt: skip
    # children (a Node inside a Node) are left out, so the example ends
    assert "square" not in node  # one field of a oneof


async def test_the_starter_config_serves_every_method(tmp_path: Path, client: Client) -> None:
    write_protos(tmp_path)
    config = tmp_path / "starter.json"
    config.write_text(json.dumps(starter_config(["protos"], base=tmp_path)))
    loaded = load_grpc_config(config)
    server: GrpcServer = await start_grpc(loaded, Journal(), port=0)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            catalog = client.pb2_grpc.CatalogStub(channel)
            item = await catalog.GetItem(client.pb2.GetItemRequest(id=5))
            listed = [i.name async for i in catalog.ListItems(client.pb2.ListItemsRequest())]
            uploaded = await catalog.Upload(iter([client.pb2.Item(id=1)]))
            talked = [n.text async for n in catalog.Talk(iter([client.pb2.Note(text="hi")]))]
    finally:
        await server.stop(0)
    assert (item.kind, item.added.seconds) == (client.pb2.BOOK, 1704067200)
    assert listed == ["name", "name"]
    assert uploaded.item_code == "item_code"
    assert talked == ["text"]


def test_the_starter_writes_plain_yaml(tmp_path: Path) -> None:
    from apidouble.importers.wiremock.native import to_yaml

    write_protos(tmp_path)
    text = to_yaml(starter_config(["protos"], base=tmp_path))
    assert "&id" not in text and "*id" not in text  # no anchors for a reader to untangle


def test_the_cli_writes_a_starter_that_validates(tmp_path: Path) -> None:
    import subprocess
    import sys

    write_protos(tmp_path)
    out = tmp_path / "apidouble.yaml"
    made = subprocess.run(
        [sys.executable, "-m", "apidouble", "import", "grpc", "protos/catalog.proto", "-o",
         str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "wrote 4 gRPC stub(s)" in made.stderr
    assert "protos/catalog.proto" in out.read_text()
    checked = subprocess.run(
        [sys.executable, "-m", "apidouble", "validate", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "apidouble", "import", "grpc", "nowhere.proto"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1 and "apidouble import:" in missing.stderr
