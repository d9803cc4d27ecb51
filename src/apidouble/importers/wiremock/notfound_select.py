"""What a ``matchesJsonPath`` or ``matchesXPath`` selects from a body, as the strings its
sub-matcher sees: the report prints them beside the expression.

The selecting is our matchers' own (``matching.jsonselect``, ``matching.xml``), so the
report shows what the match was decided on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apidouble.matching.jsonselect import _Path, _rendered
from apidouble.matching.xml import _Selection
from apidouble.matching.xmltree import parse_xml
from apidouble.model import INVALID_JSON, Request


def selected_values(op: str, expression: str, item: Any, request: Request) -> list[str] | None:
    """The rendered selection, or None (nothing selected, unreadable body, bad path)."""
    try:
        if op == "matchesJsonPath":
            document = request.json
            if document is INVALID_JSON:
                return None
            return _rendered(_Path(expression).select(document))
        namespaces = item.get("xPathNamespaces") if isinstance(item, Mapping) else None
        selection = _Selection(expression, {"namespaces": namespaces}, "body xpath")
        document = parse_xml(request.body)
        return _Selection.rendered(document, selection.result(document))
    except ValueError:
        return None
