"""The service behind a real socket, driven by the ``gql`` client as an app would."""

from __future__ import annotations

import httpx
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

from apidouble.graphql import GraphQLService, OperationStub
from graphql import print_schema

from .helpers import SCHEMA, check_shape
from .server import serving

SERVICE = GraphQLService(
    SCHEMA,
    seed=7,
    operations=[OperationStub("ada", operation_name="Ada", data={"user": {"name": "Ada"}})],
)


def test_introspection_through_gql_rebuilds_the_schema() -> None:
    with serving(SERVICE) as url:
        client = Client(transport=HTTPXTransport(url=url), fetch_schema_from_transport=True)
        with client as session:
            query = '{ user(id: "1") { id name role posts { title author { email } } } }'
            data = session.execute(gql(query))
        assert client.schema is not None
        assert print_schema(client.schema) == print_schema(SCHEMA)
    check_shape(SCHEMA, query, data)
    assert data["user"]["id"] == "1"


def test_gql_gets_stub_answers_and_located_errors() -> None:
    service = GraphQLService(
        SCHEMA, mocks={"User.email": {"error": "forbidden"}}, operations=SERVICE.operations
    )
    with serving(service) as url:
        with Client(transport=HTTPXTransport(url=url)) as session:
            assert session.execute(gql("query Ada { user(id: 1) { name } }")) == {
                "user": {"name": "Ada"}
            }
            with pytest.raises(TransportQueryError) as raised:
                session.execute(gql('{ user(id: "2") { email } }'))
        assert raised.value.data == {"user": {"email": None}}
        assert raised.value.errors and raised.value.errors[0]["path"] == ["user", "email"]


def test_get_and_405_over_the_wire() -> None:
    with serving(SERVICE) as url:
        answer = httpx.get(url, params={"query": "{ hello }"})
        assert answer.status_code == 200 and "hello" in answer.json()["data"]
        refused = httpx.get(
            url,
            params={"query": 'mutation { deletePost(id: "1") }'},
            headers={"accept": "application/graphql-response+json"},
        )
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        assert refused.headers["content-type"].startswith("application/graphql-response+json")
