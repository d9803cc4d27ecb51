"""WireMock's ``extractBodyCriteria``: recorded bodies over a size into ``__files``.

Checked against WireMock 3.13's jar: sizes parse as its ``parseFilesize`` does (a number
of bytes, or text such as ``1.5 KB``; K, M, G in powers of 1024; a size not given is
never reached); a body whose media type is text counts its characters, any other its
bytes; a body larger than its threshold moves to ``NAME-ID.EXT`` (the mapping's name and
id; the extension from the media type, else the URL, else what the body parses as).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

NEVER = 2**63 - 1
"""A threshold no body passes: WireMock's for a size not given."""
_SIZE = re.compile(r"^([\d.]+)\s*(\w)?b?$", re.I)
_TEXT_TYPES = re.compile(r".*(text|json|xml|html|yaml|csv|x-www-form-urlencoded).*", re.S)
_EXTENSIONS = {
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/tiff": "tiff",
    "image/png": "png",
    "image/x-icon": "ico",
    "image/svg+xml": "svg",
    "audio/x-aiff": "aiff",
    "video/x-ms-asf": "asf",
    "video/mpeg": "mp2",
    "audio/mpeg": "mp3",
    "video/quicktime": "mov",
    "application/pdf": "pdf",
}
"""WireMock's file extensions by media type, beside json, xml and txt."""


def is_text_media(media: str) -> bool:
    """Whether WireMock takes a body of this media type (no parameters) for text."""
    return _TEXT_TYPES.fullmatch(media) is not None


def size_of(value: Any) -> int:
    """A size threshold as WireMock reads it: bytes as a number, or text such as
    ``"10240"``, ``"1.5 KB"``, ``"2mb"`` (K, M, G in powers of 1024); none is never."""
    if value is None:
        return NEVER
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a size is a number or text such as '10 KB', not {value!r}")
    if not isinstance(value, str):
        return int(value)
    found = _SIZE.search(value.strip().replace(",", "."))
    if found is None:
        raise ValueError(f'Invalid size string: "{value}"')
    factor = 1
    unit = found.group(2)
    if unit is not None:
        if unit.upper() not in ("K", "M", "G"):
            raise ValueError(f"Invalid size unit: {unit}")
        factor = 1024 ** ("KMG".index(unit.upper()) + 1)
    try:
        return math.floor(float(found.group(1)) * factor + 0.5)  # Java's Math.round
    except ValueError:
        raise ValueError(f'Invalid size string: "{value}"') from None


def body_criteria(spec: Mapping[str, Any]) -> tuple[int, int] | None:
    """``extractBodyCriteria``'s (text, binary) thresholds, or None when not asked."""
    criteria = spec.get("extractBodyCriteria")
    if criteria is None:
        return None
    if not isinstance(criteria, Mapping):
        return NEVER, NEVER  # WireMock reads no threshold from it
    return size_of(criteria.get("textSizeThreshold")), size_of(criteria.get("binarySizeThreshold"))


def extract_bodies(made: list[dict[str, Any]], criteria: tuple[int, int]) -> dict[str, bytes]:
    """Move the bodies over the thresholds out of ``made`` (in place): each mapping then
    names its file (``bodyFileName``: ``NAME-ID.EXT``, as WireMock names it); the files'
    contents by name, to write into ``__files``. A text body (by its media type) counts
    its characters against the text threshold, any other its bytes against the binary
    one; a body is moved when it is larger."""
    text_limit, binary_limit = criteria
    files: dict[str, bytes] = {}
    for mapping in made:
        response = mapping["response"]
        if "body" in response:
            body = str(response["body"]).encode("utf-8")
        elif "base64Body" in response:
            body = base64.b64decode(response["base64Body"])
        else:
            continue
        media = _media_type(response.get("headers"))
        if media is not None and is_text_media(media):
            larger = len(body.decode("utf-8", "replace")) > text_limit
        else:
            larger = len(body) > binary_limit
        if not larger:
            continue
        request = mapping["request"]
        url = str(request.get("url") or request.get("urlPath") or "/")
        name = f"{mapping['name']}-{mapping['id']}.{_extension(url, media, body)}"
        files[name] = body
        mapping["response"] = {
            ("bodyFileName" if key in ("body", "base64Body") else key): (
                name if key in ("body", "base64Body") else value
            )
            for key, value in response.items()
        }
    return files


def _media_type(headers: Any) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            first = value[0] if isinstance(value, list) and value else value
            return str(first).split(";", 1)[0].strip()
    return None


def _extension(url: str, media: str | None, body: bytes) -> str:
    """WireMock's extension for a body file: by media type, else the URL's, else what
    the body parses as."""
    if media is not None:
        for kind in ("json", "xml"):
            if kind in media:
                return kind
        if "text" in media:
            return "txt"
        if media in _EXTENSIONS:
            return _EXTENSIONS[media]
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    if "." in last:
        return last.rsplit(".", 1)[1]
    text = body.decode("utf-8", "replace")
    try:
        json.loads(text)
        return "json"
    except ValueError:
        pass
    try:
        ElementTree.fromstring(text)
        return "xml"
    except ElementTree.ParseError:
        return "txt"
