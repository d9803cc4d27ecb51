"""schemathesis's GraphQL mode against a served ``graphql:`` endpoint: generated queries and
mutations for every root field, over a real socket; no answer may be a 5xx, and every 200
must hold data or errors as the spec says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from apidouble.testing import MockServer

SDL = """\
scalar DateTime

enum Role { ADMIN, USER }

interface Node { id: ID! }

type User implements Node {
  id: ID!
  name: String!
  email: String
  role: Role!
  joined: DateTime
  friends(first: Int = 2): [User!]!
}

type Post implements Node { id: ID!, title: String!, author: User! }

union SearchResult = User | Post

input NewPost { title: String!, tags: [String!] }

type Query {
  user(id: ID!): User
  node(id: ID!): Node
  search(text: String!, limit: Int): [SearchResult!]!
}

type Mutation {
  createPost(input: NewPost!): Post
  setRole(id: ID!, role: Role!): User
}
"""
CASES = 25
"""Generated requests per root field (the same each run: the database is derandomized)."""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("graphql")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text("graphql:\n  - schema: schema.graphql\n")
    with MockServer(folder / "api.yaml") as mock:
        yield mock.url + "/graphql"


def _operations() -> list[object]:
    loaded = schemathesis.graphql.from_file(SDL)
    return [result.ok() for result in loaded.get_all_operations()]


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: str(getattr(op, "label", op)))
def test_generated_operations_never_get_a_server_error(operation: object, endpoint: str) -> None:
    statuses: list[int] = []

    @given(operation.as_strategy())  # type: ignore[attr-defined]
    @settings(
        max_examples=CASES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case: schemathesis.Case) -> None:
        response = case.call(base_url=endpoint)
        statuses.append(response.status_code)
        assert response.status_code < 500, response.text
        body = response.json()
        assert "data" in body or "errors" in body, body

    call()
    assert statuses and all(status < 500 for status in statuses)
