"""Variables for a starter document, from its variable definitions."""

from __future__ import annotations

from typing import Any

from graphql.utilities import type_from_ast

from apidouble.graphql.starter import sample_input
from graphql import OperationDefinitionNode, parse

from .helpers import SCHEMA


def variables_for(query: str) -> dict[str, Any]:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        gtype = type_from_ast(SCHEMA, definition.type)
        values[definition.variable.name.value] = sample_input(gtype)  # type: ignore[arg-type]
    return values
