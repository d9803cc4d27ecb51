"""Differential test: apidouble and the real graphql-faker on one schema agree on which
queries are valid and on the shape of the data (values are fake on both sides).

Skipped unless ``scripts/peers/graphql-faker.sh --check`` finds the peer (node + npm).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.testing import MockServer

ENTRY = (
    Path.home() / ".cache/apidouble-peers/graphql-faker/node_modules/graphql-faker/dist/index.js"
)

SDL = """
scalar DateTime
enum Role { ADMIN MEMBER }
interface Node { id: ID! }
type User implements Node { id: ID! name: String! age: Int role: Role! posts: [Post!]! }
type Post implements Node { id: ID! title: String! score: Float published: Boolean author: User! }
union Result = User | Post
type Query {
  user(id: ID!): User
  search(term: String!): [Result!]!
  node(id: ID!): Node
  hello: String
}
type Mutation { addPost(title: String!): Post! }
"""

VALID = {
    "scalars": '{ user(id: "1") { id name age role } }',
    "nested-list": '{ user(id: "1") { posts { title score published author { name } } } }',
    "union": '{ search(term: "x") { __typename ... on User { name } ... on Post { title } } }',
    "interface": '{ node(id: "1") { __typename id } }',
    "mutation": 'mutation { addPost(title: "t") { id title } }',
}
INVALID = {
    "unknown-field": "{ nope }",
    "wrong-arg-type": "{ user(id: true) { id } }",
    "missing-arg": "{ user { id } }",
    "bad-syntax": "{ user(id: ",
    "fragment-wrong-type": '{ user(id: "1") { ... on Post { title } } }',
    "missing-selection": '{ user(id: "1") }',
}


MEMBERS = {"User", "Post"}


def _typed(value: Any, seen: dict[str, set[str]]) -> None:
    """Each object with a ``__typename``: that name and its shape, gathered in ``seen``."""
    if isinstance(value, dict):
        if "__typename" in value:
            assert value["__typename"] in MEMBERS
            seen.setdefault(value["__typename"], set()).add(repr(_shape(value, deep=True)))
        for item in value.values():
            _typed(item, seen)
    elif isinstance(value, list):
        for item in value:
            _typed(item, seen)


def _shape(value: Any, deep: bool = False) -> Any:
    """JSON types and keys; an object with ``__typename`` is compared per type apart."""
    if isinstance(value, dict):
        if "__typename" in value and not deep:
            return "typed"
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return ["list", _shape(value[0]) if value else None]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else "string"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def peer(port: int, schema: Path | None = None) -> Iterator[str]:
    """graphql-faker serving ``schema`` (``SDL`` when None) on ``port``, for the block."""
    if schema is None:
        schema = Path(tempfile.mkdtemp()) / "schema.graphql"
        schema.write_text(SDL)
    process = subprocess.Popen(
        ["node", str(ENTRY), str(schema), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(url, json={"query": "{ hello }"})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("graphql-faker did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if shutil.which("node") is None or not ENTRY.is_file():
        pytest.skip("no graphql-faker peer (scripts/peers/graphql-faker.sh installs it)")
    folder = tmp_path_factory.mktemp("faker")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text("graphql:\n  - path: /graphql\n    schema: schema.graphql\n")
    with peer(_free_port(), folder / "schema.graphql") as theirs:
        with MockServer(folder / "api.yaml") as mock:
            yield mock.url + "/graphql", theirs


def _ask(url: str, query: str) -> dict[str, Any]:
    answer = httpx.post(url, json={"query": query}, timeout=10)
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_queries_agree_on_shape(urls: tuple[str, str], name: str) -> None:
    ours, theirs = (_ask(url, VALID[name]) for url in urls)
    assert "errors" not in ours and "errors" not in theirs
    assert _shape(ours["data"]) == _shape(theirs["data"])
    mine: dict[str, set[str]] = {}
    peer: dict[str, set[str]] = {}
    _typed(ours["data"], mine)
    _typed(theirs["data"], peer)
    for typename in mine.keys() & peer.keys():
        assert mine[typename] == peer[typename], typename


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_queries_are_refused_by_both(urls: tuple[str, str], name: str) -> None:
    for body in (_ask(url, INVALID[name]) for url in urls):
        assert body.get("errors") and body.get("data") is None
