"""Queries generated from a schema: every root field, nested a few levels, arguments
filled from their types (for tests against large real schemas)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql.pyutils import Undefined
from graphql.utilities import ast_from_value

from apidouble.graphql.starter import sample_input
from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    print_ast,
)

FIELDS_PER_LEVEL = 4


def root_queries(schema: GraphQLSchema, depth: int = 3) -> Iterator[tuple[str, str]]:
    """(operation kind, document) for every Query and Mutation field."""
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            yield kind, f"{kind} {{ {_field(name, field, depth)} }}"


def _field(name: str, field: GraphQLField, depth: int) -> str:
    arguments = []
    for arg_name, arg in field.args.items():
        if is_non_null_type(arg.type) and arg.default_value is Undefined:
            literal = ast_from_value(sample_input(arg.type), arg.type)
            assert literal is not None
            arguments.append(f"{arg_name}: {print_ast(literal)}")
    call = name + (f"({', '.join(arguments)})" if arguments else "")
    return call + _selection(get_named_type(field.type), depth)


def _selection(named: GraphQLNamedType, depth: int) -> str:
    if is_leaf_type(named):
        return ""
    if is_abstract_type(named) or not isinstance(named, GraphQLObjectType):
        return " { __typename }"
    leaves = [n for n, f in named.fields.items() if is_leaf_type(get_named_type(f.type))]
    objects = [n for n, f in named.fields.items() if n not in leaves]
    chosen = ["__typename", *leaves[:FIELDS_PER_LEVEL]]
    if depth > 1:
        chosen += [_field(n, named.fields[n], depth - 1) for n in objects[:2]]
    return " { " + " ".join(chosen) + " }"
