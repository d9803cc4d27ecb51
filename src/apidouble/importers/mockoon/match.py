"""AND-ed rule conditions -> one native endpoint's ``method`` and ``match`` keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apidouble.config.fields import HTTP_METHODS
from apidouble.importers.mockoon.rules import Condition, Unsupported


def endpoint_match(
    methods: Sequence[str], conditions: Sequence[Condition]
) -> tuple[list[str], dict[str, Any]] | None:
    """The methods (``ANY`` for all) and ``match`` of these conditions on a route of
    ``methods``; None when no method is left (the conditions never hold together).
    ``Unsupported`` when two conditions need the same native key (two rules on one
    header under AND)."""
    allowed = set(HTTP_METHODS) if "ANY" in methods else set(methods)
    match: dict[str, Any] = {}
    wiremock: dict[str, Any] = {}
    for item in conditions:
        if item.kind == "methods":
            allowed &= set(item.value)
        elif item.kind == "body":
            match.setdefault("body", []).append(item.value)
        elif item.kind == "template":
            match.setdefault("template", []).append(item.value)
        elif item.kind in ("query", "headers", "cookies"):
            _put(
                match.setdefault(item.kind, {}),
                item.key.lower() if item.kind == "headers" else item.key,
                item.value,
                item,
            )
        elif item.kind == "pathParameters":
            _put(wiremock.setdefault("pathParameters", {}), item.key, item.value, item)
        elif item.kind == "url":
            _put(wiremock, "urlPattern", item.value, item)
    if not allowed:
        return None
    if wiremock:
        match["wiremock"] = wiremock
    if allowed == set(HTTP_METHODS):
        return ["ANY"], match
    return [name for name in HTTP_METHODS if name in allowed], match


def _put(target: dict[str, Any], key: str, value: Any, item: Condition) -> None:
    if key in target:
        what = f"{item.kind} {item.key!r}" if item.key else item.kind
        raise Unsupported(f"two AND-ed rules on the same {what}: not yet")
    target[key] = value
