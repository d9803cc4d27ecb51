"""Client input never breaks the service: any body gets a 2xx/4xx answer in JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apidouble.graphql import GraphQLService, HttpRequest, OperationStub

from .helpers import SCHEMA

SERVICE = GraphQLService(
    SCHEMA, operations=[OperationStub("s", operation_name="A", variables={"x": [1, {"y": 2}]})]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
fragments = st.sampled_from(
    [
        "{ hello }",
        "query A { users { id } }",
        "mutation { deletePost(id: 1) }",
        "{",
        "}",
        "query($x: ID!) { user(id: $x) { id } }",
        "{ __schema { types { name } } }",
        "",
        "subscription { hello }",
        "{ search(text: 1) { __typename } }",
        "fragment F on User { id }",
    ]
)
requests = st.fixed_dictionaries(
    {},
    optional={
        "query": fragments | st.text(max_size=30) | json_values,
        "operationName": st.sampled_from(["A", "B", None]) | json_values,
        "variables": json_values,
        "extensions": st.just({"persistedQuery": {"version": 1, "sha256Hash": "ab"}}) | json_values,
    },
)
bodies = (
    requests.map(json.dumps)
    | st.lists(requests | json_values, max_size=4).map(json.dumps)
    | json_values.map(json.dumps)
).map(str.encode) | st.binary(max_size=40)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["POST", "GET", "DELETE"]),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/graphql",
            "text/plain",
            "application/json; charset=utf-8",
            "",
            "application/json;x",
        ]
    ),
    accept=st.sampled_from(
        [
            None,
            "*/*",
            "application/graphql-response+json",
            "text/html",
            "application/json;q=abc",
            ",,;",
        ]
    ),
    body=bodies,
    query=st.dictionaries(
        st.sampled_from(["query", "variables", "operationName", "extensions"]),
        st.lists(fragments | st.text(max_size=10), min_size=1, max_size=2),
    ),
)
def test_any_request_gets_a_json_answer(
    method: str, content_type: str, accept: str | None, body: bytes, query: dict[str, list[str]]
) -> None:
    headers = {"content-type": content_type}
    if accept is not None:
        headers["accept"] = accept
    answer = SERVICE.answer(HttpRequest(method, query, headers, body))
    assert 200 <= answer.status < 300 or 400 <= answer.status < 500
    decoded: Any = json.loads(answer.body)
    assert isinstance(decoded, dict | list)
    if answer.status >= 400:
        items = decoded if isinstance(decoded, list) else [decoded]
        assert all(item["errors"] and "data" not in item for item in items)
