"""Content negotiation the way Prism does it: which of a response's media types answers
an ``Accept`` header, and how a value is written for that media type.

Accept ranges are tried by quality (highest first, ties in the header's order), each
against the response's media types in the spec's order; the first fit wins. Without an
``Accept`` (or with an empty one) ``application/json`` is preferred, then the first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from .model import MediaType

__all__ = [
    "AcceptRange",
    "choose_media",
    "content_type",
    "encode_body",
    "header_text",
    "is_json",
    "media_types",
    "parse_accept",
]

AcceptRange = tuple[str, str, str]
"""(type, subtype, the range as sent without its parameters)."""


def parse_accept(header: str | None) -> list[AcceptRange]:
    """The ranges of an ``Accept`` value, best quality first (stable); ``q=0`` dropped."""
    if not header or not header.strip():
        return []
    ranked: list[tuple[float, int, AcceptRange]] = []
    for index, item in enumerate(header.split(",")):
        essence, *params = item.split(";")
        essence = essence.strip().lower()
        if not essence:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 1.0
        if quality <= 0:
            continue
        kind, _, sub = essence.partition("/")
        ranked.append((-quality, index, (kind, sub or "*", essence)))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry[2] for entry in ranked]


def _essence(name: str) -> tuple[str, str]:
    kind, _, sub = name.split(";")[0].strip().lower().partition("/")
    return kind, sub


def _fits(wanted: AcceptRange, offered: str) -> bool:
    kind, sub = _essence(offered)
    if wanted[0] == "*" or kind == "*":
        return True
    if wanted[0] != kind:
        return False
    return wanted[1] == "*" or sub == "*" or wanted[1] == sub


def media_types(content: Mapping[str, MediaType]) -> Mapping[str, MediaType]:
    """``content`` without stray keys (``description`` written inside a ``content``
    map), which Prism ignores."""
    if all("/" in name for name in content):
        return content
    return {name: media for name, media in content.items() if "/" in name}


def choose_media(
    content: Mapping[str, MediaType], accept: Sequence[AcceptRange]
) -> MediaType | None:
    """The media type answering ``accept`` (parsed), None when none fits (a 406)."""
    content = media_types(content)
    if not content:
        return None
    if not accept:
        for name, media in content.items():
            if _essence(name) == ("application", "json"):
                return media
        return next(iter(content.values()))
    for wanted in accept:
        for name, media in content.items():
            if _fits(wanted, name):
                return media
    return None


def is_json(name: str) -> bool:
    """``application/json``, ``application/vnd.api+json``, ``*/*``-free JSON types."""
    kind, sub = _essence(name)
    return sub == "json" or sub.endswith("+json")


def _xml_name(schema: Any, fallback: str) -> str:
    if isinstance(schema, dict):
        xml = schema.get("xml")
        if isinstance(xml, dict) and isinstance(xml.get("name"), str):
            return str(xml["name"])
    return fallback


def _xml(value: Any, schema: Any, name: str, depth: int = 0) -> str:
    if depth > 32:
        return ""
    if isinstance(value, dict):
        props = schema.get("properties") if isinstance(schema, dict) else None
        inner = "".join(
            _xml(v, (props or {}).get(k), _xml_name((props or {}).get(k), str(k)), depth + 1)
            for k, v in value.items()
        )
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema, dict) else None
        return "".join(_xml(v, items, _xml_name(items, name), depth + 1) for v in value)
    if value is None:
        return f"<{name}/>"
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    return f"<{name}>{escape(text)}</{name}>"


def encode_body(value: Any, media: str, schema: Any = None) -> bytes:
    """``value`` written as ``media``: JSON for JSON types, XML for XML types (an object
    under ``<xml>`` or the schema's ``xml.name``), strings as they are otherwise."""
    kind, sub = _essence(media)
    if isinstance(value, bytes):
        return value
    if is_json(media):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    if isinstance(value, str):
        return value.encode()
    if sub == "xml" or sub.endswith("+xml"):
        return _xml(value, schema, _xml_name(schema, "xml")).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def header_text(value: Any) -> str:
    """A header's value as text (OpenAPI's simple style: lists and objects comma-joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(header_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{header_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def content_type(media: MediaType, value: Any) -> str:
    """The ``content-type`` for ``value`` under ``media`` (a concrete one for ranges)."""
    if "*" not in media.name:
        return media.name
    return "text/plain" if isinstance(value, str) else "application/json"
