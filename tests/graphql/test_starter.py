"""``import graphql``: one operation stub per root field, each answering valid data."""

from __future__ import annotations

from apidouble.graphql import GraphQLService, OperationStub, starter_config

from .helpers import SCHEMA, check_shape, post
from .starter_sample import variables_for


def test_one_stub_per_root_field_with_valid_data() -> None:
    config = starter_config(SCHEMA, path="/api/graphql", schema_file="api.graphql")
    [entry] = config["graphql"]
    assert (entry["path"], entry["schema"]) == ("/api/graphql", "api.graphql")
    operations = entry["operations"]
    assert [o["id"] for o in operations] == [
        "query-user",
        "query-users",
        "query-node",
        "query-search",
        "query-hello",
        "mutation-createPost",
        "mutation-deletePost",
    ]
    for operation in operations:
        check_shape(SCHEMA, operation["query"], operation["data"])
    user = operations[0]
    assert (
        user["query"] == "query GetUser($id: ID!) { user(id: $id) { id name firstName "
        "email contact avatarUrl } }"
    )


def test_the_starter_stubs_answer_their_own_operations() -> None:
    operations = starter_config(SCHEMA)["graphql"][0]["operations"]
    service = GraphQLService(SCHEMA, operations=[OperationStub(**o) for o in operations])
    for operation in operations:
        body = {"query": operation["query"], "variables": variables_for(operation["query"])}
        answer = service.answer(post(body))
        assert answer.operations[0].matched_stub_id == operation["id"]
        assert answer.json() == {"data": operation["data"]}
