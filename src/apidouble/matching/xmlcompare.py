"""Structural equality of two XML documents, as WireMock's XMLUnit setup compares them.

Checked against WireMock 3.13: namespace prefixes, attribute order, child order,
comments, the XML declaration and the doctype do not matter; text is trimmed and
whitespace-only text dropped; CDATA is not text; an unresolved entity reference reads as
nothing. Counted differences are element names, namespace URIs, text, node types,
attribute names, counts and values and child counts, less any ``exempted`` (XMLUnit
``ComparisonType`` names). Placeholders ``${xmlunit.ignore}`` (anything, even nothing),
``${xmlunit.isNumber}`` and ``${xmlunit.matchesRegex(...)}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from lxml import etree

from apidouble.matching.xmltree import CDATA_TAG, parse_for_compare

KNOWN = {
    "ELEMENT_TAG_NAME", "NAMESPACE_URI", "TEXT_VALUE", "NODE_TYPE", "ELEMENT_NUM_ATTRIBUTES",
    "ATTR_VALUE", "ATTR_NAME_LOOKUP", "CHILD_NODELIST_LENGTH", "CHILD_LOOKUP",
    "NAMESPACE_PREFIX", "CHILD_NODELIST_SEQUENCE", "SCHEMA_LOCATION",
    "NO_NAMESPACE_SCHEMA_LOCATION", "PROCESSING_INSTRUCTION_TARGET",
    "PROCESSING_INSTRUCTION_DATA", "XML_VERSION", "XML_STANDALONE", "XML_ENCODING",
    "HAS_DOCTYPE_DECLARATION", "DOCTYPE_NAME", "DOCTYPE_PUBLIC_ID", "DOCTYPE_SYSTEM_ID",
    "COMMENT_VALUE", "ATTR_VALUE_EXPLICITLY_SPECIFIED",
}  # fmt: skip

Placeholder = Callable[[str], bool] | None
Element = etree._Element


class Text(NamedTuple):
    value: str
    cdata: bool


Node = Element | Text


def _name(tag: str) -> tuple[str, str]:
    """``{ns}local`` as (namespace, local name)."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def significant(element: Element) -> list[Node]:
    """The children that count: elements and trimmed, non-blank text runs (adjacent runs
    of one kind merged, as a comment or entity reference between them is dropped)."""
    runs: list[Node] = []

    def add(text: str | None, cdata: bool) -> None:
        if not text:
            return
        last = runs[-1] if runs else None
        if isinstance(last, Text) and last.cdata == cdata:
            runs[-1] = Text(last.value + text, cdata)
        else:
            runs.append(Text(text, cdata))

    add(element.text, False)
    for child in element:
        if child.tag == CDATA_TAG:
            add(child.text, True)
        elif isinstance(child.tag, str):
            runs.append(child)
        add(child.tail, False)
    out: list[Node] = []
    for run in runs:
        if isinstance(run, Text):
            if run.value.strip():
                out.append(Text(run.value.strip(), run.cdata))
        else:
            out.append(run)
    return out


class XmlCompare:
    """Structural equality of two documents under one set of options."""

    def __init__(self, exempt: frozenset[str], placeholder: Callable[[str], Placeholder]):
        self.exempt = exempt
        self.placeholder = placeholder

    def counted(self, name: str) -> bool:
        return name not in self.exempt

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
        return not isinstance(actual, Text) and self.element(expected, actual)

    def element(self, expected: Element, actual: Element) -> bool:
        (ens, elocal), (ans, alocal) = _name(str(expected.tag)), _name(str(actual.tag))
        if self.counted("ELEMENT_TAG_NAME") and elocal != alocal:
            return False
        if self.counted("NAMESPACE_URI") and ens != ans:
            return False
        if not self.attributes(expected, actual):
            return False
        wanted, found = significant(expected), significant(actual)
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
        mine, theirs = expected.attrib, actual.attrib
        if len(mine) != len(theirs) and self.counted("ELEMENT_NUM_ATTRIBUTES"):
            return False
        for name, wanted in mine.items():
            value = theirs.get(name)
            if value is None:
                if self.counted("ATTR_NAME_LOOKUP"):
                    return False
                continue
            rule = self.placeholder(str(wanted))
            if rule is not None:
                if not rule(str(value)):
                    return False
            elif self.counted("ATTR_VALUE") and wanted != value:
                return False
        return True


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


def compile_xml_equality(expected: Any, what: str) -> tuple[str, Callable[[str | bytes], bool]]:
    """The expected text and a test of a document's text (failing when it is not XML)."""
    if not isinstance(expected, dict) or not isinstance(expected.get("xml"), str):
        raise ValueError(f"{what}: expected {{'xml': text, ...}}")
    text: str = expected["xml"]
    document = parse_for_compare(text)
    if document is None:
        raise ValueError(f"{what}: the expected XML does not parse (or declares entities)")
    exempt = frozenset(expected.get("exempted") or ())
    unknown = exempt - KNOWN
    if unknown:
        raise ValueError(f"{what}: unknown exempted comparisons {sorted(unknown)}")
    if expected.get("placeholders"):
        finder = _placeholders(expected.get("opening") or r"\$\{", expected.get("closing") or r"\}")
    else:
        finder = _no_placeholders
    compare = XmlCompare(exempt, finder)

    def test(data: str | bytes) -> bool:
        actual = parse_for_compare(data)
        return actual is not None and compare.element(document, actual)

    return text, test
