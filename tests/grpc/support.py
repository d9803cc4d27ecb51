"""The gRPC tests' proto, its client code (generated with grpcio-tools, as a user would)
and a server started from a config written to a temporary folder."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("grpc", reason="the grpc extra is not installed")

import grpc

from apidouble.grpc import GrpcServer, load_grpc_config, start_grpc
from apidouble.journal import Journal

CATALOG_PROTO = """\
syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

enum Kind { KIND_UNSPECIFIED = 0; BOOK = 1; TOOL = 2; }

message GetItemRequest {
  int64 id = 1;
  string locale = 2;
  string item_code = 3;
}

message Item {
  int64 id = 1;
  string name = 2;
  double price = 3;
  Kind kind = 4;
  repeated string tags = 5;
  google.protobuf.Timestamp added = 6;
}

message ListItemsRequest { string category = 1; }

message Note {
  string text = 1;
  int32 n = 2;
}

service Catalog {
  rpc GetItem(GetItemRequest) returns (Item);
  rpc ListItems(ListItemsRequest) returns (stream Item);
  rpc Upload(stream Item) returns (GetItemRequest);
  rpc Talk(stream Note) returns (stream Note);
}
"""


@dataclass(frozen=True)
class Client:
    """The generated modules: messages (``pb2``) and stubs (``pb2_grpc``)."""

    pb2: ModuleType
    pb2_grpc: ModuleType


def write_protos(folder: Path) -> Path:
    protos = folder / "protos"
    protos.mkdir(parents=True, exist_ok=True)
    (protos / "catalog.proto").write_text(CATALOG_PROTO)
    return protos


def generate_client(folder: Path) -> Client:
    """``python -m grpc_tools.protoc --python_out --grpc_python_out`` into ``folder``."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    protos = write_protos(folder)
    out = folder / "generated"
    out.mkdir()
    args = [
        "protoc",
        f"-I{protos}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
    ]
    assert protoc.main([*args, str(protos / "catalog.proto")]) == 0
    sys.path.insert(0, str(out))
    try:
        return Client(
            importlib.import_module("catalog_pb2"), importlib.import_module("catalog_pb2_grpc")
        )
    finally:
        sys.path.remove(str(out))


def write_config(folder: Path, stubs: list[dict[str, Any]], **section: Any) -> Path:
    """A config file with a ``grpc:`` section over ``protos/`` (a JSON file: YAML reads JSON)."""
    write_protos(folder)
    config = folder / "apidouble.json"
    body = {"port": 0, "protos": ["protos"], "stubs": stubs, **section}
    config.write_text(json.dumps({"endpoints": [], "grpc": body}, indent=2))
    return config


@dataclass
class Running:
    server: GrpcServer
    journal: Journal
    channel: grpc.aio.Channel

    def catalog(self, client: Client) -> Any:
        return client.pb2_grpc.CatalogStub(self.channel)


@asynccontextmanager
async def serving(
    folder: Path, stubs: list[dict[str, Any]], **section: Any
) -> AsyncIterator[Running]:
    """Load the config as the server would, serve it on a free port, open a channel."""
    config = load_grpc_config(write_config(folder, stubs, **section))
    journal = Journal()
    server = await start_grpc(config, journal, port=0)
    channel = grpc.aio.insecure_channel(server.address)
    try:
        yield Running(server, journal, channel)
    finally:
        await channel.close()
        await server.stop(0)
