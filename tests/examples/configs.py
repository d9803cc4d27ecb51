"""Turn a doc's config block into config files, load them as ``apidouble validate`` does,
and serve them.

A block is either a whole config (its top-level keys are config-file keys; ``endpoints``
may be left out when it only shows server-wide settings) or a fragment of one endpoint
(indented, or made of endpoint keys), which is placed in ``endpoints: [{path: /snippet}]``.
Fragments are wrapped as text, so the server's own YAML reader sees what the page shows.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from apidouble import MockServer
from apidouble.compiled import CompiledConfig
from apidouble.config.schema import ConfigFile, Endpoint
from apidouble.watch import build

from .markdown import Block

FILE_KEYS = frozenset(f.alias or n for n, f in ConfigFile.model_fields.items())
ENDPOINT_KEYS = frozenset(f.alias or n for n, f in Endpoint.model_fields.items())
FRAGMENT_PATH = "/snippet"

SHOP_PROTO = """\
syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

enum Kind { KIND_UNSPECIFIED = 0; BOOK = 1; TOOL = 2; }

message GetItemRequest { int64 id = 1; string locale = 2; string item_code = 3; }
message Item {
  int64 id = 1;
  string name = 2;
  double price = 3;
  Kind kind = 4;
  repeated string tags = 5;
  google.protobuf.Timestamp added = 6;
}
message ListItemsRequest { string category = 1; }

service Catalog {
  rpc GetItem(GetItemRequest) returns (Item);
  rpc ListItems(ListItemsRequest) returns (stream Item);
}
"""

WORKSPACE = {
    # the files the docs' examples name, with the contents their comments show
    "data/users.json": json.dumps([{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]),
    "data/prices.csv": "sku,price\na,3\nb,4\n",
    "bodies/1.json": '{"id": 1}',
    "bodies/user-1.json": '{"id": 1}',
    "schema.graphql": (
        "type User { id: ID!, name: String!, email: String }\n"
        "type Query { user(id: ID!): User, users: [User!]! }\n"
    ),
    "keys/idp-jwks.json": json.dumps(
        {
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "kid": "idp-1",
                    "alg": "ES256",
                    "x": "C9HONYtP3omrR8Zo2jWdwFU8A55acvNwCPNkLGb43UM",
                    "y": "GUoAw--ItI464usaOXnsAP2Mi4sH64AGL_YoA7_Uz1o",
                }
            ]
        }
    ),
    "protos/shop.proto": SHOP_PROTO,
}


def write_workspace(folder: Path) -> Path:
    """The folder a doc example runs in, with the data and body files it names."""
    for name, text in WORKSPACE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def config_texts(block: Block) -> list[str]:
    """The config file text(s) a block stands for (several with ``each line``)."""
    if block.marker == "each line":
        lines = [line for line in block.text.splitlines() if line.split("#")[0].strip()]
        return [_as_config(line + "\n", block) for line in lines]
    return [_as_config(block.text, block)]


def is_config(block: Block) -> bool:
    """Whether a YAML/JSON block shows config (others show an answer or a journal entry):
    a JSON one is a whole config file, with ``endpoints`` and only config-file keys."""
    if block.lang == "yaml":
        return True
    try:
        data = json.loads(block.text)
    except ValueError:
        return False
    return isinstance(data, dict) and "endpoints" in data and set(data) <= FILE_KEYS


def _as_config(text: str, block: Block) -> str:
    dedented = textwrap.dedent(text)
    data = json.loads(text) if block.lang == "json" else yaml.safe_load(dedented)
    assert isinstance(data, dict), f"{block.where}: a config block must be a mapping"
    keys = set(data)
    if keys <= FILE_KEYS and text[:1] not in (" ", "\t"):
        if "endpoints" in keys:
            return text
        return text + "endpoints: []\n"
    unknown = keys - ENDPOINT_KEYS
    assert not unknown, f"{block.where}: neither file nor endpoint keys: {sorted(unknown)}"
    body = textwrap.indent(dedented, "    ")
    if keys & {"path", "path_regex"}:
        return "endpoints:\n  - " + body[4:]
    return f"endpoints:\n  - path: {FRAGMENT_PATH}\n" + body


def write_config(folder: Path, text: str, lang: str = "yaml") -> Path:
    path = write_workspace(folder) / f"apidouble.{'json' if lang == 'json' else 'yaml'}"
    path.write_text(text)
    return path


def load_block(block: Block, folder: Path, index: int = 0) -> CompiledConfig:
    """Load and compile one of the block's configs, as ``apidouble validate`` does."""
    text = config_texts(block)[index]
    lang = "yaml" if block.lang == "yaml" or text != block.text else block.lang
    return build([write_config(folder, text, lang)])


@contextmanager
def serving(folder: Path, text: str, **options: Any) -> Iterator[MockServer]:
    """A MockServer on a config text (YAML), in a workspace folder."""
    with MockServer(write_config(folder, textwrap.dedent(text)), **options) as mock:
        yield mock
