"""GraphQL over HTTP: methods, media types, status codes, batching, persisted queries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from apidouble.graphql import GraphQLService, HttpRequest

from .helpers import SCHEMA, get, header, post

GRAPHQL_RESPONSE = "application/graphql-response+json"
SERVICE = GraphQLService(SCHEMA, seed=1)


def test_post_json_answers_data_with_json_media_type() -> None:
    answer = SERVICE.answer(post({"query": "{ hello }"}))
    assert answer.status == 200
    assert header(answer, "content-type") == "application/json; charset=utf-8"
    assert isinstance(answer.json()["data"]["hello"], str)


def test_post_application_graphql_body_is_the_query() -> None:
    answer = SERVICE.answer(post(None, content_type="application/graphql", raw=b"{ hello }"))
    assert answer.status == 200 and "hello" in answer.json()["data"]


def test_get_runs_queries_with_json_variables() -> None:
    answer = SERVICE.answer(
        get(
            {
                "query": "query Q($id: ID!) { user(id: $id) { id } }",
                "variables": json.dumps({"id": "9"}),
            }
        )
    )
    assert answer.status == 200
    assert answer.json() == {"data": {"user": {"id": "9"}}}
    assert answer.operations[0].name == "Q"
    assert answer.operations[0].variables == {"id": "9"}


def test_mutation_over_get_is_405_allowing_post() -> None:
    answer = SERVICE.answer(get({"query": 'mutation { deletePost(id: "1") }'}))
    assert answer.status == 405
    assert header(answer, "allow") == "POST"
    assert answer.json()["errors"][0]["message"]
    assert SERVICE.answer(post({"query": 'mutation { deletePost(id: "1") }'})).status == 200


def test_other_methods_are_405() -> None:
    answer = SERVICE.answer(HttpRequest("PUT"))
    assert answer.status == 405 and header(answer, "allow") == "GET, POST"


@pytest.mark.parametrize("content_type", ["text/plain", "", "application/json; charset=latin-1"])
def test_unsupported_media_type_is_415(content_type: str) -> None:
    assert SERVICE.answer(post({"query": "{ hello }"}, content_type=content_type)).status == 415


@pytest.mark.parametrize("accept", [None, "application/json", GRAPHQL_RESPONSE])
def test_bad_json_is_400(accept: str | None) -> None:
    answer = SERVICE.answer(post(None, raw=b"{nope", accept=accept))
    assert answer.status == 400
    assert answer.json()["errors"][0]["message"] == "the body is not valid JSON"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"variables": {}}, "a query is required"),
        ({"query": 3}, "query must be a string"),
        ({"query": "{ hello }", "variables": [1]}, "variables must be a JSON object"),
        ([1], None),
    ],
)
def test_malformed_requests_are_400(body: Any, message: str | None) -> None:
    answer = SERVICE.answer(post(body, accept=GRAPHQL_RESPONSE))
    assert answer.status == 400
    if message is not None:
        assert answer.json()["errors"][0]["message"] == message


@pytest.mark.parametrize("query", ["{ hello", "{ nope }", "query($x: Int!) { hello }"])
def test_document_errors_by_media_type(query: str) -> None:
    """graphql-response+json: 400 without data; legacy application/json: 200 with errors."""
    modern = SERVICE.answer(post({"query": query}, accept=GRAPHQL_RESPONSE))
    assert modern.status == 400
    assert header(modern, "content-type") == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert "data" not in modern.json() and modern.json()["errors"]
    legacy = SERVICE.answer(post({"query": query}, accept="application/json"))
    assert legacy.status == 200
    assert "data" not in legacy.json() and legacy.json()["errors"]


def test_variables_that_do_not_coerce_are_a_request_error() -> None:
    body = {"query": "query($id: ID!) { user(id: $id) { id } }", "variables": {"id": [1]}}
    assert SERVICE.answer(post(body, accept=GRAPHQL_RESPONSE)).status == 400
    assert "data" not in SERVICE.answer(post(body)).json()


def test_field_errors_stay_200_with_graphql_response() -> None:
    service = GraphQLService(SCHEMA, mocks={"Query.hello": {"error": "boom"}})
    answer = service.answer(post({"query": "{ hello }"}, accept=GRAPHQL_RESPONSE))
    assert answer.status == 200
    assert answer.json() == {
        "data": {"hello": None},
        "errors": [{"message": "boom", "locations": [{"line": 1, "column": 3}], "path": ["hello"]}],
    }


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/json;q=0.5, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0.2, application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html, */*;q=0.1", "application/json"),
    ],
)
def test_accept_picks_the_media_type(accept: str, media: str) -> None:
    answer = SERVICE.answer(post({"query": "{ hello }"}, accept=accept))
    assert header(answer, "content-type") == f"{media}; charset=utf-8"


def test_unacceptable_accept_is_406() -> None:
    assert SERVICE.answer(post({"query": "{ hello }"}, accept="text/html")).status == 406


def test_operation_name_selects_among_several() -> None:
    query = "query A { hello } query B { users { id } }"
    answer = SERVICE.answer(post({"query": query, "operationName": "B"}))
    assert list(answer.json()["data"]) == ["users"]
    missing = SERVICE.answer(post({"query": query}, accept=GRAPHQL_RESPONSE))
    assert missing.status == 400


def test_introspection_can_be_turned_off() -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    assert SERVICE.answer(post(query)).json()["data"]["__schema"]["queryType"]["name"] == "Query"
    closed = GraphQLService(SCHEMA, introspection=False)
    answer = closed.answer(post(query, accept=GRAPHQL_RESPONSE))
    assert answer.status == 400
    assert "introspection" in answer.json()["errors"][0]["message"].lower()


def test_batch_answers_an_array_in_order() -> None:
    body = [{"query": "{ hello }"}, {"query": "{ nope }"}, 7, {"query": "query U { users { id } }"}]
    answer = SERVICE.answer(post(body, accept=GRAPHQL_RESPONSE))
    assert answer.status == 200
    items = answer.json()
    assert len(items) == 4
    assert "hello" in items[0]["data"]
    assert "errors" in items[1] and "data" not in items[1]
    assert items[2]["errors"][0]["message"] == "a GraphQL request is a JSON object"
    assert len(items[3]["data"]["users"]) == 2
    assert [f.name for f in answer.operations] == [None, "U"]


def test_empty_batch_is_400() -> None:
    assert SERVICE.answer(post([])).status == 400


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_persisted_query_not_found_then_registered() -> None:
    service = GraphQLService(SCHEMA, seed=1)
    query = "{ users { id } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}}
    miss = service.answer(post({"extensions": extensions}))
    assert miss.status == 200
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    registered = service.answer(post({"query": query, "extensions": extensions}))
    assert registered.status == 200
    by_hash = service.answer(get({"extensions": json.dumps(extensions)}))
    assert by_hash.json() == registered.json()


def test_persisted_query_hash_mismatch_is_400() -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": _sha("{ other }")}}
    answer = SERVICE.answer(post({"query": "{ hello }", "extensions": extensions}))
    assert answer.status == 400
    assert answer.json()["errors"][0]["message"] == "provided sha does not match query"


def test_persisted_store_is_bounded() -> None:
    service = GraphQLService(SCHEMA, persisted_capacity=2)
    texts = ["{ hello }", "{ users { id } }", "{ a: hello }"]
    for text in texts:
        ext = {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}}
        service.answer(post({"query": text, "extensions": ext}))
    assert len(service.persisted) == 2
    first = {"persistedQuery": {"version": 1, "sha256Hash": _sha(texts[0])}}
    assert service.answer(post({"extensions": first})).json()["errors"][0]["message"] == (
        "PersistedQueryNotFound"
    )
