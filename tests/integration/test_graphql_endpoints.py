"""GraphQL endpoints served for real: ``graphql:`` entries in a config, a real server, the
``gql`` client and httpx over sockets, with the journal, auth and reloads around them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from gql import Client, gql
from gql.transport.httpx import HTTPXTransport

from apidouble.errors import ConfigError
from apidouble.testing import MockServer
from graphql import build_schema, print_schema

SDL = """\
type User {
  id: ID!
  name: String!
  email: String!
}

type Query {
  user(id: ID!): User
  users: [User!]!
}

type Mutation {
  rename(id: ID!, name: String!): User
}
"""

CONFIG = """\
graphql:
  - path: /graphql
    schema: schema.graphql
    mocks: {User: {name: Ada}}
    operations:
      - id: bob
        operation_name: GetBob
        data: {user: {id: "2", name: Bob, email: bob@example.com}}
  - id: private
    path: /private/graphql
    schema: schema.graphql
    auth: {api_key: {header: X-Api-Key, values: [k1]}}
endpoints:
  - path: /hello
    response: hi
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "schema.graphql").write_text(SDL)
    (tmp_path / "api.yaml").write_text(CONFIG)
    return tmp_path


def test_gql_introspects_the_served_schema_and_queries_it(folder: Path) -> None:
    with MockServer(folder / "api.yaml") as mock:
        transport = HTTPXTransport(url=mock.url + "/graphql")
        client = Client(transport=transport, fetch_schema_from_transport=True)
        with client as session:
            data = session.execute(gql('{ user(id: "7") { id name email } }'))
        assert client.schema is not None
        assert print_schema(client.schema) == print_schema(build_schema(SDL))
    assert data["user"]["id"] == "7" and data["user"]["name"] == "Ada"
    assert "@" in data["user"]["email"]


def test_operations_answer_and_the_journal_says_which(folder: Path) -> None:
    with MockServer(folder / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        body = {"query": "query GetBob { user(id: 2) { name } }", "operationName": "GetBob"}
        bob = {"user": {"id": "2", "name": "Bob", "email": "bob@example.com"}}
        assert http.post("/graphql", json=body).json() == {"data": bob}  # as the stub says
        http.post("/graphql", json={"query": "{ users { name } }"})
        entries = mock.requests.all()
    facts = [entry["decision"]["graphql"][0] for entry in reversed(entries)]
    assert facts[0] == {"operation": "GetBob", "variables": {}, "stub": "bob"}
    assert facts[1]["stub"] is None and "bob" in facts[1]["near_miss"]


def test_the_http_rules_hold_on_the_wire(folder: Path) -> None:
    with MockServer(folder / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        assert http.get("/graphql", params={"query": "{ users { id } }"}).status_code == 200
        spec = {"accept": "application/graphql-response+json"}
        invalid = http.post("/graphql", json={"query": "{ nope }"}, headers=spec)
        assert invalid.status_code == 400
        assert invalid.headers["content-type"].startswith("application/graphql-response+json")
        mutation = {"query": 'mutation { rename(id: "1", name: "x") { name } }'}
        over_get = http.get("/graphql", params=mutation, headers=spec)
        assert over_get.status_code == 405 and over_get.headers["allow"] == "POST"
        assert http.post("/graphql", content=b"{", headers={"content-type": "application/json"})
        assert http.get("/hello").text == "hi"  # the other stubs are untouched


def test_auth_guards_a_graphql_entry(folder: Path) -> None:
    with MockServer(folder / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        query = {"query": "{ users { id } }"}
        assert http.post("/private/graphql", json=query).status_code == 401
        opened = http.post("/private/graphql", json=query, headers={"X-Api-Key": "k1"})
        assert opened.status_code == 200 and "users" in opened.json()["data"]


def test_a_missing_schema_file_is_a_config_error_at_its_key(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text("graphql:\n  - schema: nowhere.graphql\n")
    with pytest.raises(ConfigError) as caught:
        MockServer(tmp_path / "api.yaml")
    problem = caught.value.problems[0]
    assert problem.file.endswith("api.yaml")
    assert "nowhere.graphql" in problem.message
    assert problem.pointer.startswith("/graphql/0")


def test_an_edited_schema_is_served_after_a_reload(folder: Path) -> None:
    with MockServer(folder / "api.yaml") as mock, httpx.Client(base_url=mock.url) as http:
        query = {"query": "{ users { nickname } }"}
        assert http.post("/graphql", json=query).json()["errors"]
        (folder / "schema.graphql").write_text(
            SDL.replace("email: String!", "email: String!\n  nickname: String!")
        )
        time.sleep(0.01)
        mock.reload()
        answer = http.post("/graphql", json=query).json()
        assert "errors" not in answer and answer["data"]["users"][0]["nickname"]


def test_import_graphql_writes_a_starter_config_that_serves(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "apidouble", "import", "graphql", "schema.graphql"]
        + ["-o", "starter.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 3 operation stub(s)" in done.stderr
    starter = yaml.safe_load((folder / "starter.yaml").read_text())
    entry = starter["graphql"][0]
    assert entry["schema"] == "schema.graphql"
    stubbed = next(op for op in entry["operations"] if op["operation_name"] == "GetUser")
    with MockServer(folder / "starter.yaml") as mock:
        body = {"query": stubbed["query"], "variables": {"id": "1"}, "operationName": "GetUser"}
        answer = httpx.post(mock.url + "/graphql", json=body)
    assert answer.json() == {"data": stubbed["data"]}
