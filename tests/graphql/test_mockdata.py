"""Mock data: type-correct, realistic, stable per id and seed, with overrides and errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from apidouble.graphql import GraphQLService
from apidouble.templating.environment import TemplateEnvironment

from .helpers import SCHEMA, SDL, check_shape, post

EVERYTHING = """
query Everything {
  user(id: "u1") {
    __typename id name firstName email contact avatarUrl role createdAt token settings
    age score active posts { id title body price tags author { id name } }
  }
  users { id name }
  node(id: "n1") { __typename id ... on User { name } ... on Post { title } }
  search(text: "x") { __typename ... on User { email } ... on Post { price } }
  hello
}
"""


def run(
    service: GraphQLService, query: str, variables: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query, "variables": variables}
    answer = service.answer(post(body, **extra))
    assert answer.status == 200, answer.body
    result: dict[str, Any] = answer.json()
    return result


def test_every_field_is_present_with_its_type() -> None:
    result = run(GraphQLService(SCHEMA, seed=1), EVERYTHING)
    assert "errors" not in result
    assert check_shape(SCHEMA, EVERYTHING, result["data"]) > 30


def test_values_are_realistic_by_name_and_scalar() -> None:
    user = run(GraphQLService(SCHEMA, seed=1), EVERYTHING)["data"]["user"]
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", user["email"])
    assert user["avatarUrl"].startswith("http")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["createdAt"])
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", user["token"]
    )
    assert isinstance(user["settings"], dict)
    assert " " in user["name"]  # a person's name, not a random word
    assert user["role"] in {"ADMIN", "MEMBER", "GUEST"}
    assert isinstance(user["posts"][0]["price"], float)


def test_same_query_same_data_and_seed_changes_it() -> None:
    first = run(GraphQLService(SCHEMA, seed=1), EVERYTHING)
    assert run(GraphQLService(SCHEMA, seed=1), EVERYTHING) == first
    assert run(GraphQLService(SCHEMA, seed=2), EVERYTHING) != first


def test_an_id_is_the_same_object_wherever_it_is_asked() -> None:
    service = GraphQLService(SCHEMA, seed=3)
    data = run(
        service,
        '{ a: user(id: "7") { id name email } b: user(id: "8") { id name } '
        'c: user(id: "7") { name } }',
    )["data"]
    assert data["a"]["id"] == "7" and data["b"]["id"] == "8"
    assert data["a"]["name"] == data["c"]["name"]
    assert data["a"]["name"] != data["b"]["name"]
    alone = run(service, '{ user(id: "7") { email } }')["data"]["user"]
    assert alone["email"] == data["a"]["email"]  # independent of the other fields asked


def test_lists_have_the_configured_length() -> None:
    data = run(GraphQLService(SCHEMA, list_length=4), "{ users { id } }")["data"]
    assert len(data["users"]) == 4
    assert len({u["id"] for u in data["users"]}) == 4


def test_type_and_field_mocks_with_templates() -> None:
    mocks = {
        "User": {"name": "Ada"},
        "Query.user": {
            "id": "{{ args.id }}",
            "firstName": "{{ auth.sub }}",
            "contact": "{{ request.headers.host }}",
        },
        "Post.title": "{{ parent.__typename }} by {{ parent.id }}",
        "Query.users": [{"name": "Grace"}, {}, {}],
    }
    service = GraphQLService(SCHEMA, mocks=mocks, seed=1)
    request = post(
        {
            "query": '{ user(id: "42") { id name firstName contact } users { name } '
            'node(id: "p") { ... on Post { title } } }'
        }
    )
    request = type(request)(
        request.method,
        request.query,
        request.headers,
        request.body,
        {"auth": {"sub": "ada"}, "request": {"headers": {"host": "h"}}},
    )
    answer = service.answer(request)
    data = answer.json()["data"]
    assert data["user"] == {"id": "42", "name": "Ada", "firstName": "ada", "contact": "h"}
    assert [u["name"] for u in data["users"]] == ["Grace", "Ada", "Ada"]
    if data["node"]:  # the node's concrete type is picked from the key
        assert data["node"]["title"] == "Post by p"


def test_template_environment_globals_are_visible() -> None:
    env = TemplateEnvironment(seed=1, data={"greeting": "hi"})
    service = GraphQLService(
        SCHEMA, mocks={"Query.hello": "{{ data.greeting }}!"}, template_env=env
    )
    assert run(service, "{ hello }")["data"] == {"hello": "hi!"}


def test_field_error_nulls_the_field_and_locates_the_error() -> None:
    mocks = {"User.email": {"error": "forbidden", "extensions": {"code": "FORBIDDEN"}}}
    result = run(GraphQLService(SCHEMA, mocks=mocks), '{ user(id: "1") { id email } }')
    assert result["data"] == {"user": {"id": "1", "email": None}}
    assert result["errors"] == [
        {
            "message": "forbidden",
            "locations": [{"line": 1, "column": 22}],
            "path": ["user", "email"],
            "extensions": {"code": "FORBIDDEN"},
        }
    ]


def test_error_on_non_null_field_nulls_the_nearest_nullable_parent() -> None:
    result = run(
        GraphQLService(SCHEMA, mocks={"User.name": {"error": "nope"}}),
        '{ user(id: "1") { id name } hello }',
    )
    assert result["data"]["user"] is None
    assert result["data"]["hello"] is not None
    assert result["errors"][0]["path"] == ["user", "name"]


def test_a_field_error_rate_fails_that_share_of_resolutions_seeded() -> None:
    mocks = {"User.email": {"error": "flaky", "rate": 0.3}}

    def outcomes(seed: int) -> list[bool]:
        service = GraphQLService(SCHEMA, mocks=mocks, seed=seed)
        results = [run(service, '{ user(id: "1") { email } }') for _ in range(60)]
        for result in results:
            if "errors" in result:
                assert result["data"] == {"user": {"email": None}}
                assert result["errors"][0]["path"] == ["user", "email"]
            else:
                assert "@" in result["data"]["user"]["email"]
        return ["errors" in result for result in results]

    failed = outcomes(3)
    assert 6 <= sum(failed) <= 30
    assert outcomes(3) == failed  # the same seed fails the same resolutions


@pytest.mark.parametrize("rate", [1.5, -0.1, "often", True])
def test_a_field_error_rate_must_be_a_share(rate: Any) -> None:
    with pytest.raises(ValueError, match="rate"):
        GraphQLService(SCHEMA, mocks={"User.email": {"error": "x", "rate": rate}})


@pytest.mark.parametrize("mocks", [{"Nope": {"a": 1}}, {"User.nope": 1}, {"User": 3}])
def test_bad_mock_keys_are_refused_at_load_time(mocks: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="mocks"):
        GraphQLService(SCHEMA, mocks=mocks)


SERVICE = GraphQLService(SCHEMA, seed=5)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(queries(SDL))
def test_any_valid_query_gets_a_valid_answer(query: str) -> None:
    result = run(SERVICE, query)
    assert "errors" not in result, result
    check_shape(SCHEMA, query, result["data"])


def test_an_id_keys_the_object_across_different_paths() -> None:
    service = GraphQLService(SCHEMA, mocks={"Query.users": [{"id": "7"}, {"id": "8"}]}, seed=3)
    data = run(service, '{ users { id name email } user(id: "7") { id name email } }')["data"]
    assert data["users"][0] == data["user"]
    assert data["users"][1]["name"] != data["user"]["name"]
