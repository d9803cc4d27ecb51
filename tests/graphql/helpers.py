"""Shared schema, request builders and a checker of answers against the schema."""

from __future__ import annotations

import json
from typing import Any

from graphql.utilities import get_operation_ast

from apidouble.graphql import HttpAnswer, HttpRequest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    build_schema,
    get_named_type,
    is_abstract_type,
    parse,
)

SDL = '''
"""When something happened."""
scalar DateTime
scalar UUID
scalar Email
scalar URL
scalar JSON

enum Role { ADMIN MEMBER GUEST }

interface Node { id: ID! }

type User implements Node {
  id: ID!
  name: String!
  firstName: String
  email: Email
  contact: String
  avatarUrl: URL
  role: Role!
  createdAt: DateTime!
  token: UUID
  settings: JSON
  age: Int
  score: Float
  active: Boolean
  posts(first: Int = 2): [Post!]!
}

type Post implements Node {
  id: ID!
  title: String!
  body: String
  price: Float
  author: User!
  tags: [String!]!
}

union SearchResult = User | Post

type Query {
  user(id: ID!): User
  users: [User!]!
  node(id: ID!): Node
  search(text: String!): [SearchResult!]!
  hello: String
}

input NewPost { title: String!, body: String }

type Mutation {
  createPost(input: NewPost!): Post!
  deletePost(id: ID!): Boolean
}
'''

SCHEMA = build_schema(SDL)


def post(
    body: Any,
    *,
    accept: str | None = None,
    content_type: str = "application/json",
    raw: bytes | None = None,
) -> HttpRequest:
    headers = {"content-type": content_type}
    if accept is not None:
        headers["accept"] = accept
    data = raw if raw is not None else json.dumps(body).encode()
    return HttpRequest("POST", headers=headers, body=data)


def get(params: dict[str, str], *, accept: str | None = None) -> HttpRequest:
    headers = {} if accept is None else {"accept": accept}
    return HttpRequest("GET", query={k: [v] for k, v in params.items()}, headers=headers)


def header(answer: HttpAnswer, name: str) -> str | None:
    return next((v for k, v in answer.headers if k == name), None)


class ShapeError(AssertionError):
    pass


def check_shape(
    schema: GraphQLSchema, query: str | DocumentNode, data: Any, operation_name: str | None = None
) -> int:
    """Raise unless ``data`` has every selected field with a value of its type; the
    number of leaf values checked."""
    document = parse(query) if isinstance(query, str) else query
    operation = get_operation_ast(document, operation_name)
    assert operation is not None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    assert root is not None
    return _Checker(schema, fragments).selection(root, operation.selection_set, data, "data")


class _Checker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def selection(self, parent: Any, selections: SelectionSetNode, value: Any, path: str) -> int:
        if not isinstance(value, dict):
            raise ShapeError(f"{path}: expected an object, got {value!r}")
        concrete = parent
        if is_abstract_type(parent) and "__typename" not in value:
            # Without __typename the object must fit one of the possible types.
            failures = []
            for candidate in self.schema.get_possible_types(parent):
                try:
                    return self.selection(candidate, selections, value, path)
                except ShapeError as exc:
                    failures.append(str(exc))
            raise ShapeError(f"{path}: fits no {parent.name}: {failures}")
        if is_abstract_type(parent):
            typename = value.get("__typename")
            concrete = self.schema.get_type(typename) if isinstance(typename, str) else None
            if not isinstance(concrete, GraphQLObjectType) or not self.schema.is_sub_type(
                parent, concrete
            ):
                raise ShapeError(f"{path}: {typename!r} is not a {parent.name}")
        count = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                if key not in value:
                    raise ShapeError(f"{path}.{key}: missing")
                if node.name.value == "__typename":
                    if value[key] != concrete.name:
                        raise ShapeError(f"{path}.{key}: {value[key]!r} != {concrete.name}")
                    count += 1
                    continue
                field = concrete.fields[node.name.value]
                count += self.value(field.type, node.selection_set, value[key], f"{path}.{key}")
                continue
            if isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(node, InlineFragmentNode)
                condition, inner = node.type_condition, node.selection_set
            if condition is not None:
                wanted = self.schema.get_type(condition.name.value)
                if wanted is not concrete and not (
                    is_abstract_type(wanted) and self.schema.is_sub_type(wanted, concrete)
                ):
                    continue
            count += self.selection(concrete, inner, value, path)
        return count

    def value(
        self, gtype: GraphQLOutputType, selections: SelectionSetNode | None, value: Any, path: str
    ) -> int:
        if isinstance(gtype, GraphQLNonNull):
            if value is None:
                raise ShapeError(f"{path}: null for a non-null {gtype}")
            gtype = gtype.of_type
        if value is None:
            return 1
        if isinstance(gtype, GraphQLList):
            if not isinstance(value, list):
                raise ShapeError(f"{path}: expected a list, got {value!r}")
            return sum(
                self.value(gtype.of_type, selections, item, f"{path}[{i}]")
                for i, item in enumerate(value)
            )
        named = get_named_type(gtype)
        if isinstance(named, GraphQLEnumType):
            if value not in named.values:
                raise ShapeError(f"{path}: {value!r} is not a {named.name}")
            return 1
        if isinstance(named, GraphQLScalarType):
            _scalar(named.name, value, path)
            return 1
        assert selections is not None
        return self.selection(named, selections, value, path)


def _scalar(name: str, value: Any, path: str) -> None:
    ok = {
        "Int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
        "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "String": lambda v: isinstance(v, str),
        "ID": lambda v: isinstance(v, str),
        "Boolean": lambda v: isinstance(v, bool),
    }.get(name, lambda v: v is not None)
    if not ok(value):
        raise ShapeError(f"{path}: {value!r} is not a {name}")
