"""The text side of WireMock's "Request was not matched" report: the two-column table,
its word wrapping, and the JSON and XML pretty printing it shows bodies with.

Each piece copies what WireMock 3.13 prints, quirks included (the wrapping counts across
line breaks, a line is cut at the last space that fits), so the report reads the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lxml import etree

CONSOLE_WIDTH = 119
_MIDDLE = CONSOLE_WIDTH // 2 - 1
_COLUMN = CONSOLE_WIDTH // 2 - 2
_TITLE = "Request was not matched"
_BLANK_LINES = re.compile(r"(?m)^[ \t]*\r?\n")

Row = tuple[str, str, str | None]
"""One report line before wrapping: stub side, request side, marker message."""


def render_table(name: str | None, rows: Iterable[Row]) -> str:
    """The whole report: title, header, the stub's name, the rows, the footer."""
    out: list[str] = []
    pad = " " * (_MIDDLE - len(_TITLE) // 2)
    rule = "-" * CONSOLE_WIDTH
    out.append(f"\n{pad}{_TITLE}\n{pad}{'=' * len(_TITLE)}\n\n{rule}\n")
    out.append(f"|{' Closest stub'.ljust(_MIDDLE)}|{' Request'.ljust(_MIDDLE)}|\n{rule}\n")
    _single(out, "", "", None)
    if name is not None:
        _write(out, name, "", None)
        _single(out, "", "", None)
    for left, right, message in rows:
        _write(out, left, right, message)
    _single(out, "", "", None)
    out.append(rule + "\n")
    return "".join(out)


def _write(out: list[str], left: str, right: str, message: str | None) -> None:
    lefts = _lines(wrap(left.replace("\r\n", "\n")))
    rights = _lines(wrap(right.replace("\r\n", "\n")))
    _single(out, lefts[0] if lefts else "", rights[0] if rights else "", message)
    for index in range(1, max(len(lefts), len(rights))):
        left_part = lefts[index] if index < len(lefts) else ""
        right_part = rights[index] if index < len(rights) else ""
        _single(out, left_part, right_part, None)


def _lines(text: str) -> list[str]:
    """Java's ``split("\\n")``: trailing empty strings dropped."""
    parts = text.split("\n")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _single(out: list[str], left: str, right: str, message: str | None) -> None:
    line = left.ljust(_MIDDLE + 1) + "|"
    if right:
        line += " " + (right.ljust(_MIDDLE - 6) + "<<<<< " + message if message else right)
    elif message:
        line += "".ljust(_MIDDLE - 5) + "<<<<< " + message
    out.append(line + "\n")


def wrap(text: str, width: int = _COLUMN) -> str:
    """WireMock's ``wrapIfLongestLineExceedsLimit``: word-wrap only when some line is too
    long, then drop the blank lines the wrapping left."""
    if max(len(line) for line in text.split("\n")) <= width:
        return text
    return _BLANK_LINES.sub("", _word_wrap(text, width))


def _word_wrap(text: str, width: int) -> str:
    """Commons-lang ``WordUtils.wrap(text, width, "\\n", true)``: line breaks already in
    the text count as ordinary characters, as they do there."""
    size = len(text)
    offset = 0
    out: list[str] = []
    while offset < size:
        window = text[offset : min(offset + width + 1, size)]
        first = window.find(" ")
        if first == 0:
            offset += 1
            continue
        if size - offset <= width:
            break
        space = offset + window.rfind(" ") if first > 0 else -1
        if space >= offset:
            out.append(text[offset:space] + "\n")
            offset = space + 1
        else:
            out.append(text[offset : offset + width] + "\n")
            offset += width
    out.append(text[offset:])
    return "".join(out)


def load_json(text: str | bytes) -> Any:
    """JSON as WireMock reads it: decimals kept as written (``1.50`` stays ``1.50``)."""
    return json.loads(text, parse_float=Decimal)


def pretty_xml(text: str) -> str | None:
    """The document indented by two spaces, as WireMock's ``Xml.prettyPrint``; None when
    the text is not XML."""
    try:
        root = etree.fromstring(text.encode())
    except (etree.XMLSyntaxError, ValueError):
        return None
    lines: list[str] = []
    _xml_element(root, 0, lines)
    return "\n".join(lines)


def _xml_element(node: Any, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    tag = _xml_name(node, node.tag)
    parent = node.getparent()
    inherited = parent.nsmap if parent is not None else {}
    declared = [
        f' xmlns{":" + prefix if prefix else ""}="{_xml_escape(uri, True)}"'
        for prefix, uri in node.nsmap.items()
        if inherited.get(prefix) != uri
    ]
    attributes = [f' {_xml_name(node, k)}="{_xml_escape(v, True)}"' for k, v in node.items()]
    opening = tag + "".join(declared + attributes)
    children = [child for child in node if isinstance(child.tag, str)]
    if not children:
        body = node.text or ""
        lines.append(
            f"{pad}<{opening}>{_xml_escape(body)}</{tag}>" if body else f"{pad}<{opening}/>"
        )
        return
    lines.append(f"{pad}<{opening}>")
    _xml_text(node.text, depth + 1, lines)
    for child in children:
        _xml_element(child, depth + 1, lines)
        _xml_text(child.tail, depth + 1, lines)
    lines.append(f"{pad}</{tag}>")


def _xml_text(text: str | None, depth: int, lines: list[str]) -> None:
    """Text between elements stays, on a line of its own; the indenting printer keeps
    even whitespace, less its line breaks, as the JDK's does."""
    if text is None:
        return
    shown = text.replace("\n", "") if not text.strip() else text.strip()
    lines.append("  " * depth + _xml_escape(shown))


def _xml_name(node: Any, name: str) -> str:
    """``{uri}local`` back to ``prefix:local``."""
    if not name.startswith("{"):
        return name
    uri, _, local = name[1:].partition("}")
    for prefix, known in node.nsmap.items():
        if known == uri and prefix:
            return f"{prefix}:{local}"
    return local


def _xml_escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text
