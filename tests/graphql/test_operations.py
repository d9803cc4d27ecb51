"""Operation stubs: matched by name, variables and normalised document; near misses."""

from __future__ import annotations

import pytest

from apidouble.graphql import GraphQLService, OperationStub, normalise_document
from graphql import parse

from .helpers import SCHEMA, post

STUBS = [
    OperationStub(
        "by-name",
        operation_name="GetUser",
        variables={"id": "1"},
        data={"user": {"id": "1", "name": "Ada"}},
    ),
    OperationStub("by-doc", query="query Users { users { name id } }", data={"users": []}),
    OperationStub(
        "partial",
        operation_name="Create",
        variables={"input": {"title": "t"}},
        data={"createPost": None},
        errors=[
            {
                "message": "down",
                "path": ["createPost"],
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "UNAVAILABLE"},
            }
        ],
    ),
]
SERVICE = GraphQLService(SCHEMA, operations=STUBS)
USER = "query GetUser($id: ID!) { user(id: $id) { id name } }"


def test_name_and_variables_match_a_stub() -> None:
    answer = SERVICE.answer(post({"query": USER, "variables": {"id": "1"}}))
    assert answer.json() == {"data": {"user": {"id": "1", "name": "Ada"}}}
    assert answer.operations[0].matched_stub_id == "by-name"
    assert answer.operations[0].near_miss is None


def test_variables_are_a_partial_json_match() -> None:
    query = "mutation Create($input: NewPost!) { createPost(input: $input) { id } }"
    answer = SERVICE.answer(
        post({"query": query, "variables": {"input": {"title": "t", "body": "extra"}}})
    )
    body = answer.json()
    assert body["data"] == {"createPost": None}
    assert body["errors"][0]["extensions"] == {"code": "UNAVAILABLE"}
    assert body["errors"][0]["path"] == ["createPost"]
    other = SERVICE.answer(post({"query": query, "variables": {"input": {"title": "u"}}}))
    assert other.operations[0].matched_stub_id is None


def test_document_match_ignores_whitespace_and_field_order() -> None:
    answer = SERVICE.answer(post({"query": "query Users {\n  users {\n id\n  name } }"}))
    assert answer.json() == {"data": {"users": []}}
    assert answer.operations[0].matched_stub_id == "by-doc"


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("{ a b(x: 1, y: 2) }", "{ b(y: 2, x: 1)   a }", True),
        ("{ a { c d } }", "# comment\n{ a { d c } }", True),
        ("{ a { c } }", "{ a { d } }", False),
        ("{ b: a }", "{ a }", False),
    ],
)
def test_normalised_documents(left: str, right: str, same: bool) -> None:
    assert (normalise_document(parse(left)) == normalise_document(parse(right))) is same


def test_unmatched_operation_gets_mock_data_and_a_near_miss() -> None:
    answer = SERVICE.answer(post({"query": USER, "variables": {"id": "2"}}))
    assert answer.json()["data"]["user"]["id"] == "2"
    facts = answer.operations[0]
    assert facts.matched_stub_id is None
    assert facts.near_miss == (
        "closest operation stub 'by-name': variable 'id' is '2', the stub wants '1'"
    )


def test_near_miss_names_a_differing_document() -> None:
    answer = SERVICE.answer(post({"query": "query Users { users { id } }"}))
    assert answer.operations[0].near_miss == (
        "closest operation stub 'by-doc': the query document differs"
    )


def test_no_stubs_no_near_miss() -> None:
    answer = GraphQLService(SCHEMA).answer(post({"query": USER, "variables": {"id": "2"}}))
    assert answer.operations[0].near_miss is None


def test_a_stub_query_that_does_not_parse_is_refused() -> None:
    with pytest.raises(ValueError, match="operation bad"):
        OperationStub("bad", query="{ nope")
