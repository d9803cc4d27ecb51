"""A small, safe XML tree for the XML operators: parsed with expat, nothing fetched.

Safety, as defusedxml teaches: a document declaring an internal entity is refused (no
"billion laughs"), external entities and DTDs are never read (a reference to one reads
as nothing), and parameter entities are off. Only what matching needs is kept: elements
with namespace, prefix and attributes, and text (CDATA marked, comments dropped).
"""

from __future__ import annotations

import xml.parsers.expat
from typing import Any

MAX_DEPTH = 200


class Node:
    """Any node; ``order`` is the document order."""

    __slots__ = ("parent", "order")

    def __init__(self, parent: Element | None, order: float) -> None:
        self.parent = parent
        self.order = order


class Element(Node):
    __slots__ = ("ns", "local", "prefix", "attrs", "children")

    def __init__(self, parent: Element | None, order: float, ns: str, local: str, prefix: str):
        super().__init__(parent, order)
        self.ns = ns
        self.local = local
        self.prefix = prefix
        self.attrs: list[Attr] = []
        self.children: list[Node] = []

    @property
    def name(self) -> str:
        return f"{self.prefix}:{self.local}" if self.prefix else self.local

    def string_value(self) -> str:
        return "".join(
            child.value if isinstance(child, Text) else child.string_value()
            for child in self.children
            if isinstance(child, Text | Element)
        )


class Text(Node):
    __slots__ = ("value", "cdata")

    def __init__(self, parent: Element, order: float, value: str, cdata: bool) -> None:
        super().__init__(parent, order)
        self.value = value
        self.cdata = cdata


class Attr(Node):
    __slots__ = ("ns", "local", "prefix", "value")

    def __init__(self, parent: Element, order: float, ns: str, local: str, prefix: str, value: str):
        super().__init__(parent, order)
        self.ns = ns
        self.local = local
        self.prefix = prefix
        self.value = value

    @property
    def name(self) -> str:
        return f"{self.prefix}:{self.local}" if self.prefix else self.local


class Root(Element):
    """The document node: its one element child is the document element."""

    def __init__(self) -> None:
        super().__init__(None, 0, "", "", "")


class _Refused(Exception):
    pass


def _split(name: str) -> tuple[str, str, str]:
    parts = name.split(" ")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return parts[0], parts[1], parts[2]


def parse_xml(data: str | bytes) -> Root | None:
    """The document, or None when it is not well-formed or not safe to read."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = Root()
    stack: list[Element] = [root]
    state: dict[str, Any] = {"order": 0, "cdata": False}

    def next_order() -> int:
        state["order"] += 1
        return int(state["order"])

    def start(name: str, attributes: list[str]) -> None:
        if len(stack) > MAX_DEPTH:
            raise _Refused
        parent = stack[-1]
        element = Element(parent, next_order(), *_split(name))
        for i in range(0, len(attributes), 2):
            ns, local, prefix = _split(attributes[i])
            element.attrs.append(
                Attr(element, element.order + 0.5, ns, local, prefix, attributes[i + 1])
            )
        parent.children.append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        parent = stack[-1]
        last = parent.children[-1] if parent.children else None
        if isinstance(last, Text) and last.cdata == state["cdata"]:
            last.value += data
        else:
            parent.children.append(Text(parent, next_order(), data, bool(state["cdata"])))

    def cdata(on: bool) -> None:
        state["cdata"] = on

    def entity(_name: str, _pe: bool, value: str | None, *_rest: Any) -> None:
        if value is not None:
            raise _Refused  # an internal entity: the door to entity expansion bombs

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartCdataSectionHandler = lambda: cdata(True)
    parser.EndCdataSectionHandler = lambda: cdata(False)
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *_args: 1  # read as nothing, never fetched
    try:
        if isinstance(data, str):
            parser.Parse(data, True)
        else:
            parser.Parse(data, True)
    except (xml.parsers.expat.ExpatError, _Refused, RecursionError, ValueError):
        return None
    if not any(isinstance(child, Element) for child in root.children):
        return None
    return root


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def serialize(node: Node) -> str:
    """An element as markup (how WireMock shows a selected element), else its text."""
    if isinstance(node, Attr):
        return node.value
    if isinstance(node, Text):
        return node.value
    assert isinstance(node, Element)
    return _markup(node, set())


def _markup(element: Element, declared: set[tuple[str, str]]) -> str:
    attrs = []
    mine = set(declared)
    if element.ns and (element.prefix, element.ns) not in declared:
        key = f"xmlns:{element.prefix}" if element.prefix else "xmlns"
        attrs.append(f'{key}="{_escape(element.ns, True)}"')
        mine.add((element.prefix, element.ns))
    attrs += [f'{a.name}="{_escape(a.value, True)}"' for a in element.attrs]
    head = " ".join([element.name, *attrs])
    if not element.children:
        return f"<{head}/>"
    inner = "".join(
        _markup(child, mine) if isinstance(child, Element) else _escape(child.value)
        for child in element.children
        if isinstance(child, Element | Text)
    )
    return f"<{head}>{inner}</{element.name}>"
