"""WireMock's XML operators: ``equals_xml`` and ``xpath``, on the body and on a value.

``equals_xml``: ``expected`` is ``{"xml": text, "placeholders": bool, "exempted":
[names], "opening": regex, "closing": regex}``, compared as ``xmlcompare`` describes.

``xpath``: ``expression`` (XPath 1.0, compiled by lxml at load time); ``expected``
``{"namespaces": {...}}`` or None; ``value`` an optional ``ValueSpec``. Without
namespaces (as WireMock does) names match by local name alone; with them, names are
namespace-aware. Without ``value``: a node-set must be non-empty (any other result
matches). With ``value``: each selected node is shown as WireMock shows it (an element
as markup, an attribute or text as its value, a number as Java's default number format:
``1,234.5``, at most three decimals, ``∞``) and one must satisfy it; ``present: false``
never matches. A body that is not XML, or an evaluation error, fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from lxml import etree

from apidouble.matching.body import BodyMatcher, register_body_operator
from apidouble.matching.result import shown
from apidouble.matching.values import (
    ValueMatcher,
    ValueOperator,
    ValueOptions,
    compile_value,
    register_value_operator,
)
from apidouble.matching.xmlcompare import compile_xml_equality
from apidouble.matching.xmltree import XmlDocument, parse_xml
from apidouble.model import BodySpec, Request

_NOT_XML = "<not XML>"
_THOUSANDTH = Decimal("0.001")


def _body_equals_xml(spec: BodySpec) -> BodyMatcher:
    text, test = compile_xml_equality(spec.expected, "body equals_xml")

    def actual(request: Request) -> str:
        return _NOT_XML if parse_xml(request.body) is None else shown(request.text)

    return BodyMatcher("body equals xml", shown(text), lambda r: test(r.body), actual)


def _value_equals_xml(expected: Any, options: ValueOptions) -> ValueOperator:
    text, test = compile_xml_equality(expected, options.what)
    return ValueOperator(test, shown(text))


def number(value: float) -> str:
    """A number as Java's ``NumberFormat.getInstance()`` shows it (WireMock's choice)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    rounded = Decimal(value).quantize(_THOUSANDTH, rounding=ROUND_HALF_EVEN)
    whole, _, fraction = f"{rounded:,f}".partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _namespaces(expected: Any, what: str) -> dict[str, str] | None:
    if expected is None:
        return None
    if not isinstance(expected, dict):
        raise ValueError(f"{what}: expected {{'namespaces': {{prefix: uri}}}} or None")
    found = expected.get("namespaces") or None
    if found is None:
        return None
    if not isinstance(found, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in found.items()
    ):
        raise ValueError(f"{what}: namespaces must map non-empty prefixes to URIs")
    return dict(found)


class _Selection:
    """An XPath compiled once with its namespaces, and what it gives a sub-matcher."""

    def __init__(self, expression: str, expected: Any, what: str) -> None:
        if not expression:
            raise ValueError(f"{what}: an expression is required")
        namespaces = _namespaces(expected, what)
        self.aware = namespaces is not None
        try:
            self.compiled = etree.XPath(expression, namespaces=namespaces, smart_strings=False)
        except (etree.XPathError, ValueError, TypeError) as error:
            raise ValueError(f"{what}: invalid XPath {expression!r}: {error}") from None

    def result(self, document: XmlDocument | None) -> Any:
        if document is None:
            return None
        tree = document.tree if self.aware else document.local_names()
        try:
            return self.compiled(tree)
        except (etree.XPathError, ValueError, TypeError):
            return None  # an unknown prefix, function or variable: no match

    @staticmethod
    def present(result: Any) -> bool:
        return result is not None and (not isinstance(result, list) or bool(result))

    @staticmethod
    def rendered(document: XmlDocument | None, result: Any) -> list[str] | None:
        if document is None or result is None:
            return None
        if isinstance(result, list):
            return [_shown_node(document, node) for node in result] or None
        if isinstance(result, bool):
            return ["true" if result else "false"]
        if isinstance(result, float):
            return [number(result)]
        return [str(result)]


def _shown_node(document: XmlDocument, node: Any) -> str:
    if isinstance(node, etree._Element):
        return etree.tostring(document.original(node), encoding="unicode", with_tail=False)
    if isinstance(node, tuple):  # a namespace node: (prefix, uri)
        return str(node[1])
    return str(node)


def _xpath_test(
    selection: _Selection, matcher: ValueMatcher | None
) -> Callable[[XmlDocument | None], bool]:
    if matcher is None:
        return lambda document: _Selection.present(selection.result(document))
    checker = matcher
    never = checker.op == "present"  # WireMock's XPath ``absent`` never matches

    def test(document: XmlDocument | None) -> bool:
        values = _Selection.rendered(document, selection.result(document))
        if never or values is None:
            return False
        return checker.test(values)

    return test


def _body_xpath(spec: BodySpec) -> BodyMatcher:
    expression = spec.expression or ""
    selection = _Selection(expression, spec.expected, "body xpath")
    label = f"body xpath {expression}"
    matcher = None if spec.value is None else compile_value(spec.value, label)
    test = _xpath_test(selection, matcher)

    def actual(request: Request) -> str:
        document = parse_xml(request.body)
        if document is None:
            return _NOT_XML
        values = _Selection.rendered(document, selection.result(document))
        if not values:
            return "<nothing selected>"
        return shown(values[0] if len(values) == 1 else " | ".join(values))

    condition = label if matcher is None else matcher.condition
    expected = "selects something" if matcher is None else matcher.expected
    return BodyMatcher(condition, expected, lambda r: test(parse_xml(r.body)), actual)


def _value_xpath(expected: Any, options: ValueOptions) -> ValueOperator:
    if not isinstance(expected, dict) or not isinstance(expected.get("expression"), str):
        raise ValueError(f"{options.what}: expected {{'expression': ..., 'namespaces', 'value'}}")
    selection = _Selection(expected["expression"], expected, options.what)
    inner = expected.get("value")
    matcher = None if inner is None else compile_value(inner, options.label)
    test = _xpath_test(selection, matcher)
    return ValueOperator(lambda value: test(parse_xml(value)), expected["expression"])


register_value_operator("equals_xml", _value_equals_xml, shown_as="equals xml")
register_value_operator("xpath", _value_xpath)
register_body_operator("equals_xml", _body_equals_xml)
register_body_operator("xpath", _body_xpath)
