"""Load time: a GraphQL schema from SDL files or an introspection result, leniently.

Schemas published by real services do not always pass graphql-core's strict checks
(GitHub's SDL defines fields twice and deprecates fields its interfaces do not). A mock
must serve them anyway, so a failed check drops the smallest offending part (a
directive, a field, a type) with a ``SchemaProblem`` naming file and line, and the
check runs again; only a schema that cannot be built at all raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql.validation.validate import validate_sdl

from graphql import (
    DefinitionNode,
    DirectiveNode,
    DocumentNode,
    FieldDefinitionNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLInputField,
    GraphQLSchema,
    Node,
    Source,
    build_ast_schema,
    build_client_schema,
    is_input_object_type,
    is_input_type,
    is_interface_type,
    is_object_type,
    parse,
    validate_schema,
)

__all__ = ["LoadedSchema", "SchemaProblem", "load_schema"]

MAX_ROUNDS = 20
"""Check-and-drop rounds before giving up (each round fixes every error it was shown)."""


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One part of the schema that was left out (or changed) so the rest could be served."""

    file: str
    line: int
    type_name: str | None
    message: str

    def __str__(self) -> str:
        where = f" ({self.type_name})" if self.type_name else ""
        return f"{self.file}:{self.line}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class LoadedSchema:
    """The schema to serve and what had to be dropped to build it (warnings to report)."""

    schema: GraphQLSchema
    problems: list[SchemaProblem]


def load_schema(sources: Sequence[Path]) -> LoadedSchema:
    """SDL files (merged, each node keeping its own file) or one introspection JSON."""
    if not sources:
        raise ValueError("a GraphQL schema needs at least one file")
    if len(sources) == 1 and sources[0].suffix.lower() == ".json":
        return LoadedSchema(_from_introspection(sources[0]), [])
    definitions: list[DefinitionNode] = []
    for path in sources:
        text = _read(path)
        try:
            definitions.extend(parse(Source(text, str(path)), no_location=False).definitions)
        except GraphQLError as exc:
            line = exc.locations[0].line if exc.locations else 0
            raise ValueError(f"{path}:{line}: GraphQL syntax error: {exc.message}") from None
    return _lenient_build(DocumentNode(definitions=tuple(definitions)))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read GraphQL schema: {exc}") from None


def _from_introspection(path: Path) -> GraphQLSchema:
    try:
        document: Any = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        document = document["data"]
    if not isinstance(document, dict) or not isinstance(document.get("__schema"), dict):
        raise ValueError(f"{path}:1: not an introspection result (no __schema)")
    try:
        return build_client_schema(document)  # type: ignore[arg-type]
    except (TypeError, KeyError, ValueError, GraphQLError) as exc:
        raise ValueError(f"{path}:1: cannot build schema from introspection: {exc}") from None


def _lenient_build(document: DocumentNode) -> LoadedSchema:
    file = _first_file(document)  # the document may lose every definition on the way
    problems: list[SchemaProblem] = []
    sdl_valid = False  # dropping only directives cannot make valid SDL invalid
    for _ in range(MAX_ROUNDS):
        errors = [] if sdl_valid else validate_sdl(document)
        schema: GraphQLSchema | None = None
        if not errors:
            try:
                schema = build_ast_schema(document, assume_valid_sdl=True)
            except (TypeError, GraphQLError) as exc:
                raise ValueError(f"{file}: cannot build schema: {exc}") from None
            errors = _defaults_of_output_types(schema) or list(validate_schema(schema))
            if not errors:
                return LoadedSchema(schema, problems)
        fixed = _Repair(document)
        for error in errors:
            problem = fixed.drop_for(error)
            if problem is not None:
                problems.append(problem)
        if fixed.document is document:
            break
        sdl_valid = schema is not None and fixed.only_directives
        document = fixed.document
    messages = "; ".join(str(p) for p in problems[-3:]) or "no definition could be kept"
    raise ValueError(f"{file}: cannot build a servable schema: {messages}")


def _defaults_of_output_types(schema: GraphQLSchema) -> list[GraphQLError]:
    """Arguments and input fields of an output type (an object, interface or union) that
    have a default value. graphql-core's ``validate_schema`` raises ``TypeError`` checking
    such a default instead of reporting the type, so they are reported here first, with
    its message, for the repair to drop."""
    found: list[GraphQLError] = []

    def check(where: str, value: GraphQLArgument | GraphQLInputField) -> None:
        node = value.ast_node
        if node is not None and node.default_value is not None and not is_input_type(value.type):
            message = f"The type of {where} must be Input Type but got: {value.type}."
            found.append(GraphQLError(message, node.type))

    for directive in schema.directives:
        for name, arg in directive.args.items():
            check(f"@{directive.name}({name}:)", arg)
    for named in schema.type_map.values():
        if is_input_object_type(named):
            for name, field in named.fields.items():
                check(f"{named.name}.{name}", field)
        elif is_object_type(named) or is_interface_type(named):
            for name, output in named.fields.items():
                for arg_name, arg in output.args.items():
                    check(f"{named.name}.{name}({arg_name}:)", arg)
    return found


def _first_file(document: DocumentNode) -> str:
    for definition in document.definitions:
        if definition.loc is not None:
            return str(definition.loc.source.name)
    return "<schema>"


def _contains(outer: Node, inner: Node) -> bool:
    a, b = outer.loc, inner.loc
    return (
        a is not None
        and b is not None
        and a.source is b.source
        and a.start <= b.start
        and b.end <= a.end
    )


def _position(node: Node) -> tuple[str, int]:
    if node.loc is None:
        return "<schema>", 0
    return str(node.loc.source.name), node.loc.source.get_location(node.loc.start).line


def _children(node: Node) -> Iterable[tuple[str, Node]]:
    for key in node.keys:
        value = getattr(node, key, None)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield key, item


class _Repair:
    """One round of drops: each error removes the innermost part that holds its node."""

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self._dropped: set[tuple[str, int, int]] = set()
        self.only_directives = True
        """Whether every drop so far removed a directive (nothing a type refers to)."""

    def drop_for(self, error: GraphQLError) -> SchemaProblem | None:
        nodes = [n for n in error.nodes or () if n.loc is not None]
        if not nodes:
            return None
        # A bad deprecation points at its directive; a duplicate's last node is the copy.
        target = next((n for n in nodes if isinstance(n, DirectiveNode)), nodes[-1])
        definitions = list(self.document.definitions)
        for index, definition in enumerate(definitions):
            if not _contains(definition, target):
                continue
            replacement, dropped = self._without(definition, target)
            key = _key(dropped)
            if key in self._dropped:
                return None
            self._dropped.add(key)
            self.only_directives &= isinstance(dropped, DirectiveNode)
            if replacement is None:
                del definitions[index]
            else:
                definitions[index] = replacement  # type: ignore[call-overload]
            self.document = DocumentNode(definitions=tuple(definitions), loc=self.document.loc)
            file, line = _position(target)
            name = getattr(getattr(definition, "name", None), "value", None)
            what = "dropped " + _describe(dropped, target)
            return SchemaProblem(file, line, name, f"{error.message} ({what})")
        return None

    def _without(self, node: Node, target: Node) -> tuple[Node | None, Node]:
        """``node`` without its innermost part holding ``target``: (None, node) drops it."""
        for key, child in _children(node):
            if not _contains(child, target):
                continue
            inner, dropped = self._without(child, target)
            if inner is None and key == "arguments" and isinstance(node, FieldDefinitionNode):
                return None, node  # a field whose argument cannot be kept goes with it
            kept = tuple(
                inner if item is child else item
                for item in getattr(node, key)
                if item is not child or inner is not None
            )
            return dataclasses.replace(node, **{key: kept}), dropped  # type: ignore[arg-type]
        return None, node


def _key(node: Node) -> tuple[str, int, int]:
    loc = node.loc
    return (str(loc.source.name), loc.start, loc.end) if loc else ("", id(node), 0)


def _describe(dropped: Node, target: Node) -> str:
    kind = {
        "FieldDefinitionNode": "field",
        "InputValueDefinitionNode": "argument",
        "EnumValueDefinitionNode": "enum value",
        "DirectiveNode": "directive",
        "NamedTypeNode": "type reference",
    }.get(type(dropped).__name__, "definition")
    name = getattr(getattr(dropped, "name", None), "value", None)
    return f"{kind} {name}" if name else kind
