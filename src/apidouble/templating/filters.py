"""Filters added to (or replacing) Jinja's: encodings, hashes and plain JSON.

Jinja's own ``tojson`` escapes ``<``, ``>``, ``&`` and ``'`` for HTML; an API mock wants
the JSON a client would send, so ours is plain. Text in and out is UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode

from jinja2 import Undefined

from .names import Now


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot encode by itself, as template output wants it."""
    if isinstance(value, Now):
        return value.iso
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, range | set | frozenset):
        return list(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return str(value)


def to_json(value: Any, indent: int | None = None) -> str:
    """Plain JSON text (no HTML escaping); NaN and infinities are errors, not invalid JSON."""
    if indent is None:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=json_default, allow_nan=False
        )
    return json.dumps(
        value, ensure_ascii=False, indent=indent, default=json_default, allow_nan=False
    )


def from_json(value: Any) -> Any:
    """Parse JSON text (e.g. a header that carries JSON)."""
    return json.loads(_text(value))


def b64encode(value: Any) -> str:
    """Base64 of the UTF-8 text (bytes pass through as they are)."""
    raw = value if isinstance(value, bytes) else _text(value).encode()
    return base64.b64encode(raw).decode("ascii")


def b64decode(value: Any) -> str:
    """Decode base64 (standard or URL-safe, padding optional) to UTF-8 text."""
    text = "".join(_text(value).split())
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"b64decode: not valid base64 ({exc})") from exc
    return raw.decode("utf-8", "replace")


def url_encode(value: Any) -> str:
    """Percent-encode text (every reserved character); a mapping becomes a query string."""
    if isinstance(value, Mapping):
        return urlencode({str(k): _text(v) for k, v in value.items()})
    return quote(_text(value), safe="")


def url_decode(value: Any) -> str:
    """Undo percent-encoding; ``+`` becomes a space, as in query strings and forms."""
    return unquote_plus(_text(value))


def _digest(name: str) -> Callable[[Any], str]:
    def digest(value: Any) -> str:
        raw = value if isinstance(value, bytes) else _text(value).encode()
        return hashlib.new(name, raw).hexdigest()

    digest.__name__ = name
    digest.__doc__ = f"Hex {name} of the UTF-8 text."
    return digest


FILTERS: dict[str, Callable[..., Any]] = {
    "b64encode": b64encode,
    "b64decode": b64decode,
    "urlencode": url_encode,
    "urldecode": url_decode,
    "md5": _digest("md5"),
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "tojson": to_json,
    "fromjson": from_json,
}
"""Every filter apidouble adds; ``urlencode`` and ``tojson`` replace Jinja's."""
