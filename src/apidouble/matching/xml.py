"""WireMock's XML operators: ``equals_xml`` and ``xpath``, on the body and on a value.

``equals_xml``: ``expected`` is ``{"xml": text, "placeholders": bool, "exempted":
[names], "opening": regex, "closing": regex}``. Compared as WireMock's XMLUnit setup
does (checked against 3.13): namespace prefixes, attribute order, child order, comments,
the XML declaration and the doctype do not matter; text is trimmed and whitespace-only
text dropped; CDATA is not text; counted differences are element names, namespace URIs,
text, node types, attribute names, counts and values and child counts, less any
``exempted`` (XMLUnit ``ComparisonType`` names). Placeholders ``${xmlunit.ignore}``
(anything, even nothing) and ``${xmlunit.isNumber}``.

``xpath``: ``expression``; ``expected`` ``{"namespaces": {...}}`` or None; ``value`` an
optional ``ValueSpec``. Without ``value``: a node-set must be non-empty (any other
result matches). With ``value``: each selected node is shown as WireMock shows it (an
element as markup, an attribute or text as its value, numbers without ``.0``) and one
must satisfy it; ``present: false`` never matches. A body that is not XML fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apidouble.matching.body import BodyMatcher, register_body_operator
from apidouble.matching.result import shown
from apidouble.matching.values import (
    ValueMatcher,
    ValueOperator,
    ValueOptions,
    compile_value,
    register_value_operator,
)
from apidouble.matching.xmltree import Element, Node, Root, Text, parse_xml, serialize
from apidouble.matching.xpath import Eval, compile_xpath, evaluate, to_string
from apidouble.model import BodySpec, Request

_NOT_XML = "<not XML>"
_KNOWN = {
    "ELEMENT_TAG_NAME", "NAMESPACE_URI", "TEXT_VALUE", "NODE_TYPE", "ELEMENT_NUM_ATTRIBUTES",
    "ATTR_VALUE", "ATTR_NAME_LOOKUP", "CHILD_NODELIST_LENGTH", "CHILD_LOOKUP",
    "NAMESPACE_PREFIX", "CHILD_NODELIST_SEQUENCE", "SCHEMA_LOCATION",
    "NO_NAMESPACE_SCHEMA_LOCATION", "PROCESSING_INSTRUCTION_TARGET",
    "PROCESSING_INSTRUCTION_DATA", "XML_VERSION", "XML_STANDALONE", "XML_ENCODING",
    "HAS_DOCTYPE_DECLARATION", "DOCTYPE_NAME", "DOCTYPE_PUBLIC_ID", "DOCTYPE_SYSTEM_ID",
    "COMMENT_VALUE", "ATTR_VALUE_EXPLICITLY_SPECIFIED",
}  # fmt: skip

Placeholder = Callable[[str], bool] | None


class _XmlCompare:
    """Structural equality of two documents under one set of options."""

    def __init__(self, exempt: frozenset[str], placeholder: Callable[[str], Placeholder]):
        self.exempt = exempt
        self.placeholder = placeholder

    def counted(self, name: str) -> bool:
        return name not in self.exempt

    def significant(self, element: Element) -> list[Node]:
        out: list[Node] = []
        for child in element.children:
            if isinstance(child, Text):
                text = child.value.strip()
                if text:
                    out.append(Text(element, child.order, text, child.cdata))
            elif isinstance(child, Element):
                out.append(child)
        return out

    def text_equal(self, expected: str, actual: str) -> bool:
        rule = self.placeholder(expected)
        if rule is not None:
            return rule(actual)
        return not self.counted("TEXT_VALUE") or expected == actual

    def node(self, expected: Node, actual: Node) -> bool:
        if isinstance(expected, Text):
            if not isinstance(actual, Text):
                return False
            if expected.cdata != actual.cdata and self.counted("NODE_TYPE"):
                return False
            return self.text_equal(expected.value, actual.value)
        assert isinstance(expected, Element)
        return isinstance(actual, Element) and self.element(expected, actual)

    def element(self, expected: Element, actual: Element) -> bool:
        if self.counted("ELEMENT_TAG_NAME") and expected.local != actual.local:
            return False
        if self.counted("NAMESPACE_URI") and expected.ns != actual.ns:
            return False
        if not self.attributes(expected, actual):
            return False
        wanted, found = self.significant(expected), self.significant(actual)
        if len(wanted) == 1 and isinstance(wanted[0], Text) and not wanted[0].cdata:
            rule = self.placeholder(wanted[0].value)
            if rule is not None and all(isinstance(n, Text) for n in found):
                return rule("".join(n.value for n in found if isinstance(n, Text)))
        if len(wanted) != len(found) and self.counted("CHILD_NODELIST_LENGTH"):
            return False
        free = list(found)
        for child in wanted:
            match = next((i for i, other in enumerate(free) if self.node(child, other)), None)
            if match is None:
                if self.counted("CHILD_LOOKUP"):
                    return False
                continue
            free.pop(match)
        return True

    def attributes(self, expected: Element, actual: Element) -> bool:
        if len(expected.attrs) != len(actual.attrs) and self.counted("ELEMENT_NUM_ATTRIBUTES"):
            return False
        theirs = {(a.ns, a.local): a.value for a in actual.attrs}
        for attr in expected.attrs:
            value = theirs.get((attr.ns, attr.local))
            if value is None:
                if self.counted("ATTR_NAME_LOOKUP"):
                    return False
                continue
            rule = self.placeholder(attr.value)
            if rule is not None:
                if not rule(value):
                    return False
            elif self.counted("ATTR_VALUE") and attr.value != value:
                return False
        return True

    def documents(self, expected: Root, actual: Root) -> bool:
        wanted = [c for c in expected.children if isinstance(c, Element)]
        found = [c for c in actual.children if isinstance(c, Element)]
        return len(wanted) == len(found) == 1 and self.element(wanted[0], found[0])


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _placeholders(opening: str, closing: str) -> Callable[[str], Placeholder]:
    pattern = re.compile(rf"\s*{opening}\s*xmlunit\.(\w+)\s*(?:\((.*)\))?\s*{closing}\s*", re.S)

    def find(text: str) -> Placeholder:
        found = pattern.fullmatch(text)
        if found is None:
            return None
        name, argument = found.groups()
        if name == "ignore":
            return lambda actual: True
        if name == "isNumber":
            return _is_number
        if name == "matchesRegex" and argument is not None:
            regex = re.compile(argument)
            return lambda actual: regex.fullmatch(actual.strip()) is not None
        return None

    return find


def _no_placeholders(text: str) -> Placeholder:
    return None


def compile_xml_equality(expected: Any, what: str) -> tuple[str, Callable[[Root | None], bool]]:
    """The expected text and a test of a parsed document (None: not XML)."""
    if not isinstance(expected, dict) or not isinstance(expected.get("xml"), str):
        raise ValueError(f"{what}: expected {{'xml': text, ...}}")
    text: str = expected["xml"]
    document = parse_xml(text)
    if document is None:
        raise ValueError(f"{what}: the expected XML does not parse (or declares entities)")
    exempt = frozenset(expected.get("exempted") or ())
    unknown = exempt - _KNOWN
    if unknown:
        raise ValueError(f"{what}: unknown exempted comparisons {sorted(unknown)}")
    if expected.get("placeholders"):
        finder = _placeholders(expected.get("opening") or r"\$\{", expected.get("closing") or r"\}")
    else:
        finder = _no_placeholders
    compare = _XmlCompare(exempt, finder)

    def test(actual: Root | None) -> bool:
        return actual is not None and compare.documents(document, actual)

    return text, test


def _body_equals_xml(spec: BodySpec) -> BodyMatcher:
    text, test = compile_xml_equality(spec.expected, "body equals_xml")

    def actual(request: Request) -> str:
        return _NOT_XML if parse_xml(request.body) is None else shown(request.text)

    return BodyMatcher("body equals xml", shown(text), lambda r: test(parse_xml(r.body)), actual)


def _value_equals_xml(expected: Any, options: ValueOptions) -> ValueOperator:
    text, test = compile_xml_equality(expected, options.what)
    return ValueOperator(lambda value: test(parse_xml(value)), shown(text))


class _Selection:
    """An XPath compiled with its namespaces, and what it gives a sub-matcher."""

    def __init__(self, expression: str, expected: Any, what: str) -> None:
        if not expression:
            raise ValueError(f"{what}: an expression is required")
        namespaces = None
        if expected is not None:
            if not isinstance(expected, dict):
                raise ValueError(f"{what}: expected {{'namespaces': {{prefix: uri}}}} or None")
            namespaces = expected.get("namespaces") or None
        try:
            self.compiled: Eval = compile_xpath(expression, namespaces)
        except ValueError as error:
            raise ValueError(f"{what}: invalid XPath {expression!r}: {error}") from None

    def result(self, document: Root | None) -> Any:
        if document is None:
            return None
        try:
            return evaluate(self.compiled, document)
        except (ValueError, TypeError, RecursionError):
            return None

    @staticmethod
    def present(result: Any) -> bool:
        return result is not None and (not isinstance(result, list) or bool(result))

    @staticmethod
    def rendered(result: Any) -> list[str] | None:
        if result is None:
            return None
        if isinstance(result, list):
            return [serialize(node) for node in result] or None
        return [to_string(result)]


def _xpath_test(
    selection: _Selection, matcher: ValueMatcher | None
) -> Callable[[Root | None], bool]:
    if matcher is None:
        return lambda document: _Selection.present(selection.result(document))
    checker = matcher
    never = checker.op == "present"  # WireMock's XPath ``absent`` never matches

    def test(document: Root | None) -> bool:
        values = _Selection.rendered(selection.result(document))
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
        values = _Selection.rendered(selection.result(document))
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
