"""``import graphql SCHEMA``: a starter config with one operation stub per root field.

Each Query and Mutation field gets a named operation whose document selects the field's
scalar fields (``__typename`` for a union or an object without any), its required
arguments as variables, and the mock data the service would answer, so a user starts
from answers they can edit instead of a blank file.
"""

from __future__ import annotations

from typing import Any

from graphql.pyutils import Undefined

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    execute_sync,
    get_named_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    parse,
)

from .mockdata import MockData
from .mocks import MockRules

__all__ = ["sample_input", "starter_config"]

MAX_FIELDS = 6
"""Scalar fields a starter query selects of an object (enough to show its shape)."""


def starter_config(
    schema: GraphQLSchema, path: str = "/graphql", schema_file: str = "schema.graphql"
) -> dict[str, Any]:
    """The config dict: one ``graphql:`` entry with an ``operations:`` stub per root field."""
    mock = MockData(schema, MockRules(), seed=0)
    operations: list[dict[str, Any]] = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            operation_name = _operation_name(kind, name)
            query, variables = _document(kind, operation_name, name, field)
            result = execute_sync(
                schema,
                parse(query),
                root_value=mock.root(root),
                variable_values=variables,
                field_resolver=mock.resolve_field,
                type_resolver=mock.resolve_type,
            )
            operations.append(
                {
                    "id": f"{kind}-{name}",
                    "operation_name": operation_name,
                    "query": query,
                    "data": result.data,
                }
            )
    return {"graphql": [{"path": path, "schema": schema_file, "operations": operations}]}


def _operation_name(kind: str, field: str) -> str:
    return ("Get" if kind == "query" else "") + field[:1].upper() + field[1:]


def _document(
    kind: str, operation_name: str, name: str, field: GraphQLField
) -> tuple[str, dict[str, Any]]:
    required = {arg_name: arg for arg_name, arg in field.args.items() if _required(arg)}
    definitions = ", ".join(f"${a}: {arg.type}" for a, arg in required.items())
    arguments = ", ".join(f"{a}: ${a}" for a in required)
    head = f"{kind} {operation_name}" + (f"({definitions})" if definitions else "")
    call = name + (f"({arguments})" if arguments else "")
    selection = _selection(get_named_type(field.type))
    variables = {a: sample_input(arg.type) for a, arg in required.items()}
    return f"{head} {{ {call}{selection} }}", variables


def _selection(named: GraphQLNamedType) -> str:
    if is_leaf_type(named):
        return ""
    if not is_object_type(named):
        return " { __typename }"
    assert isinstance(named, GraphQLObjectType)
    leaves = [
        name
        for name, field in named.fields.items()
        if is_leaf_type(get_named_type(field.type)) and not _needs_arguments(field)
    ][:MAX_FIELDS]
    return " { " + " ".join(leaves or ["__typename"]) + " }"


def _needs_arguments(field: GraphQLField) -> bool:
    return any(_required(arg) for arg in field.args.values())


def _required(arg: GraphQLArgument) -> bool:
    return is_non_null_type(arg.type) and arg.default_value is Undefined


def sample_input(gtype: GraphQLInputType, depth: int = 0) -> Any:
    """A value of an input type (required input fields only; lists of one)."""
    if is_non_null_type(gtype):
        return sample_input(gtype.of_type, depth)
    if is_list_type(gtype):
        return [sample_input(gtype.of_type, depth)]
    named = get_named_type(gtype)
    if is_enum_type(named):
        return next(iter(named.values))
    if is_input_object_type(named):
        if depth > 5:
            return {}
        return {
            name: sample_input(field.type, depth + 1)
            for name, field in named.fields.items()
            if is_non_null_type(field.type) and field.default_value is Undefined
        }
    return {"Int": 1, "Float": 1.5, "Boolean": True}.get(named.name, "1")
