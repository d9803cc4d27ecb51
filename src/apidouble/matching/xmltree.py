"""Safe XML parsing for the XML operators, on lxml (libxml2).

The parsers follow defusedxml's advice: no entity is substituted, no DTD or external
entity is loaded, nothing is fetched, and libxml2's normal limits (depth, text size,
entity amplification) stay on. A document that declares an internal entity is refused
outright: with substitution off its references would stay in the tree, and an XPath
``string()`` would expand them there. Each thread has its own parsers (an lxml parser
must not be shared between threads, and reloads compile in a worker thread).
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from lxml import etree

MAX_XML_BYTES = 10 * 1024 * 1024  # the transport's default body cap
CDATA_TAG = "{urn:x-apidouble:cdata}cdata"

_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_HAS_NAMESPACES = etree.XPath("boolean(//*[namespace-uri()] | //@*[namespace-uri()])")

Tree = etree._ElementTree


def _parser(text: bool, compare: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        encoding="utf-8" if text else None,  # a str was decoded already: ignore the prolog
        strip_cdata=not compare,
        remove_comments=compare,
        remove_pis=compare,
    )


class _Parsers(threading.local):
    def __init__(self) -> None:
        self.by_kind = {(t, c): _parser(t, c) for t in (False, True) for c in (False, True)}


_PARSERS = _Parsers()


def _internal_entities(tree: Tree) -> bool:
    dtd: Any = tree.docinfo.internalDTD  # the stubs lack ``iterentities``
    return dtd is not None and any(e.system_url is None for e in dtd.iterentities())


def _parse(data: str | bytes, compare: bool) -> Tree | None:
    if len(data) > MAX_XML_BYTES:
        return None
    text = isinstance(data, str)
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        root = etree.fromstring(raw, _PARSERS.by_kind[text, compare])
    except (etree.XMLSyntaxError, ValueError):  # UnicodeError is a ValueError
        return None
    tree = root.getroottree()
    return None if _internal_entities(tree) else tree


def parse_xml(data: str | bytes) -> XmlDocument | None:
    """The document for XPath (CDATA is text), or None: not well-formed or not safe."""
    tree = _parse(data, compare=False)
    return None if tree is None else XmlDocument(tree)


def parse_for_compare(data: str | bytes) -> etree._Element | None:
    """The root element for ``equals_xml``: comments and PIs dropped, each CDATA section
    an element ``CDATA_TAG`` (lxml keeps CDATA but cannot tell it from text)."""
    tree = _parse(data, compare=True)
    if tree is None:
        return None
    if (b"<![CDATA[" not in data) if isinstance(data, bytes) else ("<![CDATA[" not in data):
        return tree.getroot()
    # Serialized without comments or PIs, and with text and attributes escaped, the only
    # ``<![CDATA[`` left are the sections themselves.
    marked = _CDATA.sub(_cdata_element, etree.tostring(tree, encoding="unicode"))
    again = _parse(marked, compare=True)
    return None if again is None else again.getroot()


def _cdata_element(found: re.Match[str]) -> str:
    text = found.group(1).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c:cdata xmlns:c="urn:x-apidouble:cdata">{text}</c:cdata>'


class XmlDocument:
    """A parsed document, and (made when first asked for) its namespace-free copy."""

    __slots__ = ("tree", "_local", "_back")

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._local: Tree | None = None
        self._back: dict[Any, etree._Element] | None = None

    def local_names(self) -> Tree:
        """The document with every name reduced to its local part: XPath without
        namespaces (as WireMock does) then matches ``/env`` on ``<s:env>``."""
        if self._local is None:
            self._local = _strip(self.tree) if _HAS_NAMESPACES(self.tree) else self.tree
        return self._local

    def original(self, node: etree._Element) -> etree._Element:
        """The node of the parsed document that ``node`` (of ``local_names``) copies."""
        if self._local is None or self._local is self.tree:
            return node
        if self._back is None:
            self._back = dict(zip(self._local.iter(), self.tree.iter(), strict=True))
        return self._back.get(node, node)


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _strip(tree: Tree) -> Tree:
    local = copy.deepcopy(tree)
    for element in local.iter():
        if not isinstance(element.tag, str):
            continue  # a comment, PI or entity reference
        element.tag = _local(element.tag)
        for name in [str(n) for n in element.attrib if str(n).startswith("{")]:
            value = element.attrib.pop(name)
            element.attrib[_local(name)] = value
    etree.cleanup_namespaces(local)
    return local
