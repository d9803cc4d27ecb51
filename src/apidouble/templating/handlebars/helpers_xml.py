"""``xPath`` and ``soapXPath``: full XPath 1.0 on the XML matchers' safe parser.

The document comes from ``matching.xmltree.parse_xml`` (no entity is substituted,
nothing is fetched, the size is capped) and the expression, compiled once, runs on its
namespace-free copy, as WireMock's ``matchesXPath`` does: ``/order/item`` finds
``<p:item>``, and a prefix in the expression selects nothing. The answer is a multi-value
(``ListOrSingle``): it prints its first item, and ``size`` or ``each`` see them all. A
node prints as WireMock's does (checked against the jar): an element as Java's indented
serialization, an attribute or a text node as its value; a number as Java's
``NumberFormat`` shows it. Input that is not XML, or an expression that does not compile,
prints WireMock's ``[ERROR: ...]`` text rather than failing the response.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lxml import etree

from ...matching.xml import number
from ...matching.xmltree import XmlDocument, parse_xml
from .registry import Helper, arg
from .request import Root
from .values import ListOrSingle, Opaque, text

__all__ = ["XML_HELPERS", "XmlNode"]

P = tuple[Any, ...]
H = dict[str, Any]
_INDENT = "  "
_XML_NS = "http://www.w3.org/XML/1998/namespace"


@lru_cache(maxsize=256)
def _compiled(expression: str) -> etree.XPath | None:
    try:
        return etree.XPath(expression, smart_strings=False)
    except (etree.XPathError, ValueError, TypeError):
        return None


def _document(source: str, r: Root) -> XmlDocument | None:
    """Each text is parsed once per response (``xPath request.body`` twice: once)."""
    parsed = r.xml
    if parsed is None:
        parsed = r.xml = {}
    if source not in parsed:
        parsed[source] = parse_xml(source)
    document: XmlDocument | None = parsed[source]
    return document


class XmlNode:
    """An element (or a comment, a processing instruction) that ``xPath`` selected: it
    prints as markup, made when first printed, and equals no string."""

    __slots__ = ("_node", "_shown")

    def __init__(self, node: etree._Element) -> None:
        self._node = node
        self._shown: str | None = None

    def __str__(self) -> str:
        if self._shown is None:
            node = self._node
            if isinstance(node, etree._Comment):
                self._shown = f"[#comment: {node.text or ''}]"
            elif isinstance(node, etree._ProcessingInstruction):
                self._shown = f"[{node.target!s}: {node.text or ''}]"
            else:
                self._shown = _markup(node, 0) + "\n"
        return self._shown


def _escape(value: str, attribute: bool = False) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace('"', "&quot;") if attribute else value


def _prefixed(name: str, nsmap: dict[Any, str]) -> str:
    """``{uri}local`` as the document wrote it (``p:local``)."""
    if not name.startswith("{"):
        return name
    uri, _, local = name[1:].partition("}")
    if uri == _XML_NS:
        return f"xml:{local}"
    prefix = next((p for p, u in nsmap.items() if u == uri and p), None)
    return f"{prefix}:{local}" if prefix else local


def _attributes(element: etree._Element) -> str:
    """Namespace declarations made here and attributes, sorted by name (a Java DOM's
    attribute map is)."""
    parent = element.getparent()
    inherited: dict[Any, str] = dict(parent.nsmap) if parent is not None else {}
    nsmap: dict[Any, str] = dict(element.nsmap)
    pairs = [
        ("xmlns" if prefix is None else f"xmlns:{prefix}", uri)
        for prefix, uri in nsmap.items()
        if inherited.get(prefix) != uri
    ]
    pairs += [(_prefixed(str(k), nsmap), str(v)) for k, v in element.attrib.items()]
    return "".join(f' {name}="{_escape(value, True)}"' for name, value in sorted(pairs))


def _markup(node: etree._Element, depth: int) -> str:
    """Java's identity transform with ``indent=yes`` (JDK 17): a leaf on one line, and
    otherwise each child, text included, on its own indented line (text loses the line
    breaks at its ends)."""
    if isinstance(node, etree._Comment):
        return f"<!--{node.text or ''}-->"
    if isinstance(node, etree._ProcessingInstruction):
        target = str(node.target)
        return f"<?{target} {node.text}?>" if node.text else f"<?{target}?>"
    name = _prefixed(str(node.tag), dict(node.nsmap))
    head = f"<{name}{_attributes(node)}"
    children = list(node)
    if not children:
        return f"{head}/>" if not node.text else f"{head}>{_escape(node.text)}</{name}>"
    inner = "\n" + _INDENT * (depth + 1)
    parts = [inner + _escape(node.text.strip("\r\n"))] if node.text is not None else []
    for child in children:
        parts.append(inner + _markup(child, depth + 1))
        if child.tail is not None:
            parts.append(inner + _escape(child.tail.strip("\r\n")))
    return f"{head}>{''.join(parts)}\n{_INDENT * depth}</{name}>"


def _shown(document: XmlDocument, value: Any) -> Any:
    """A selected value as WireMock holds it: a node object, never a plain string (so
    ``{{#eq this 'a'}}`` on a text node is false there too)."""
    if isinstance(value, etree._Element):
        return XmlNode(document.original(value))
    if isinstance(value, bool):
        return Opaque("true" if value else "false")
    if isinstance(value, float):
        return Opaque(number(value))
    if isinstance(value, tuple):  # a namespace node: (prefix, uri)
        return Opaque(value[1])
    return Opaque(value)


def _select(source: Any, expression: str, r: Root, written: str) -> Any:
    shown = "null" if source is None else text(source)
    document = _document(shown, r) if source is not None else None
    if document is None:
        return f"[ERROR: {shown} is not valid XML]"
    compiled = _compiled(expression)
    invalid = f"[ERROR: {written} is not a valid XPath expression]"
    if compiled is None:
        return invalid
    try:
        result = compiled(document.local_names())
    except etree.XPathError as error:
        # a prefix the document has no namespace for: WireMock selects nothing
        return ListOrSingle() if "namespace prefix" in str(error) else invalid
    values = result if isinstance(result, list) else [result]
    return ListOrSingle(_shown(document, value) for value in values)


def _x_path(p: P, h: H, r: Root) -> Any:
    expression = text(arg(p, 1))
    return _select(arg(p, 0), expression, r, expression)


def _soap_x_path(p: P, h: H, r: Root) -> Any:
    written = text(arg(p, 1))
    return _select(arg(p, 0), "/Envelope/Body/" + written.lstrip("/"), r, written)


XML_HELPERS: dict[str, Helper] = {
    "xPath": Helper(_x_path),
    "soapXPath": Helper(_soap_x_path),
}
