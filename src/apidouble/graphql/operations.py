"""Per-operation stubs: which ``operations:`` entry answers a GraphQL operation, and why not.

A stub matches on the operation name, on variables (the stub's are a partial JSON match
of the request's) and on the query document compared normalised (parsed, selections
and arguments sorted, printed), so whitespace, comments and field order do not matter.
When none matches, ``closest`` names the stub that came nearest and what differed.
A stub for a subscription may script its ``events`` (``StubEvent``), played over a
socket with the SSE streams' timing: ``delay_ms`` per event, else ``every_ms``, for
``repeat`` rounds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    Node,
    SelectionSetNode,
    parse,
    print_ast,
)

from .opauth import OperationAuth
from .trouble import OperationTrouble

__all__ = [
    "OperationStub",
    "StubEvent",
    "StubMatch",
    "closest",
    "find_stub",
    "normalise_document",
]


def _body(data: Any, errors: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    """An execution result: ``data`` (possibly partial) and/or ``errors`` as given."""
    body: dict[str, Any] = {}
    if errors:
        body["errors"] = [dict(error) for error in errors]
    if data is not None or not errors:
        body["data"] = data
    return body


@dataclass(frozen=True, slots=True)
class StubEvent:
    """One scripted event of a subscription: a result, after ``delay_s`` (None: the
    stub's ``every_s``; the first event of the stream goes at once)."""

    data: Any = None
    errors: Sequence[Mapping[str, Any]] | None = None
    delay_s: float | None = None

    def payload(self) -> dict[str, Any]:
        return _body(self.data, self.errors)


@dataclass(frozen=True, slots=True)
class OperationStub:
    """One ``operations:`` entry: what it matches and the answer it gives."""

    id: str
    operation_name: str | None = None
    query: str | None = None
    variables: Mapping[str, Any] | None = None
    data: Any = None
    errors: Sequence[Mapping[str, Any]] | None = None
    events: tuple[StubEvent, ...] | None = None
    """A subscription's scripted events (None: one event, ``data``/``errors``)."""
    every_s: float = 0.0
    repeat: int | None = 1
    """Rounds of ``events``; None: until the client completes or leaves."""
    hold: bool = False
    """After its events (none when it has none), the subscription stays open for events
    published through the admin API, until the client completes it."""
    trouble: OperationTrouble | None = None
    """Its latency, failure rate, rate limit and fault (None: it answers as written)."""
    auth: OperationAuth | None = None
    """What the request must present for it, besides the entry's (None: nothing more)."""
    normalised: str | None = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.query is not None and self.normalised is None:
            try:
                normalised = normalise_document(parse(self.query))
            except GraphQLError as exc:
                raise ValueError(f"operation {self.id}: query does not parse: {exc}") from None
            object.__setattr__(self, "normalised", normalised)

    def answer(self) -> dict[str, Any]:
        """The response body: ``data`` (possibly partial) and/or ``errors`` as given."""
        return _body(self.data, self.errors)


@dataclass(frozen=True, slots=True)
class StubMatch:
    """How one stub compares with one operation: no reasons means it matched."""

    stub: OperationStub
    reasons: tuple[str, ...]

    @property
    def matched(self) -> bool:
        return not self.reasons


def normalise_document(document: DocumentNode) -> str:
    """The document printed with every selection set and argument list sorted."""
    return print_ast(_sorted(document))


def _sorted(node: Node) -> Node:
    changes: dict[str, Any] = {}
    for key in node.keys:
        if key == "loc":
            continue
        value = getattr(node, key)
        if isinstance(value, Node):
            changes[key] = _sorted(value)
        elif isinstance(value, tuple) and value and isinstance(value[0], Node):
            items = [_sorted(item) for item in value]
            if key == "arguments" or (key == "selections" and isinstance(node, SelectionSetNode)):
                items.sort(key=_order)
            changes[key] = tuple(items)
    return dataclasses.replace(node, **changes, loc=None)


def _order(node: Node) -> str:
    if isinstance(node, FieldNode):
        alias = node.alias.value if node.alias else ""
        return f"0{alias or node.name.value}"
    name = getattr(getattr(node, "name", None), "value", None)
    if name is not None:
        return f"1{name}"
    return f"2{print_ast(node)}"


def _contains(expected: Any, actual: Any) -> bool:
    """Partial JSON match: every key the stub gives is there with a matching value."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and _contains(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def compare(
    stub: OperationStub, name: str | None, variables: Mapping[str, Any], normalised: str
) -> StubMatch:
    reasons: list[str] = []
    if stub.operation_name is not None and stub.operation_name != name:
        reasons.append(f"operation name is {name!r}, the stub wants {stub.operation_name!r}")
    if stub.variables is not None:
        for key, value in stub.variables.items():
            if key not in variables:
                reasons.append(f"variable {key!r} is missing")
            elif not _contains(value, variables[key]):
                reasons.append(f"variable {key!r} is {variables[key]!r}, the stub wants {value!r}")
    if stub.normalised is not None and stub.normalised != normalised:
        reasons.append("the query document differs")
    return StubMatch(stub, tuple(reasons))


def find_stub(
    stubs: Sequence[OperationStub],
    name: str | None,
    variables: Mapping[str, Any],
    document: DocumentNode,
) -> tuple[OperationStub | None, list[StubMatch]]:
    """The first stub that matches (None if none does) and every comparison made."""
    if not stubs:
        return None, []
    normalised = normalise_document(document)
    results: list[StubMatch] = []
    for stub in stubs:
        result = compare(stub, name, variables, normalised)
        if result.matched:
            return stub, results
        results.append(result)
    return None, results


def closest(results: Sequence[StubMatch]) -> str | None:
    """The near miss: the stub with the fewest differences, and what they are."""
    if not results:
        return None
    best = min(results, key=lambda result: len(result.reasons))
    return f"closest operation stub {best.stub.id!r}: " + "; ".join(best.reasons)
