"""Mockoon's value helpers: random values (``int``, ``float``, ``boolean``, ``uuid``,
``objectId``, ``oneOf``, ``someOf``), encodings (``base64``...), JSON (``jsonParse``,
``stringify``), builders (``array``, ``object``, ``objectMerge``) and ``setVar``/``getVar``.

Random values come from the environment's seeded random source, so they repeat with the
same seed and request sequence.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import uuid
from typing import Any

from .registry import BODY, Helper, arg
from .request import Root
from .values import text

__all__ = ["VALUE_HELPERS"]

P = tuple[Any, ...]
H = dict[str, Any]
MAX_SAFE_INTEGER = 2**53 - 1
VARS = "@vars"
"""Where ``setVar`` keeps its variables in the render's root."""
RANDOM = frozenset({"random"})


def _rng(r: Root) -> random.Random:
    return r.rng if r.rng is not None else random.Random()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int(p: P, h: H, r: Root) -> int:
    low = p[0] if len(p) >= 1 and _is_number(p[0]) else 0
    high = p[1] if len(p) >= 2 and _is_number(p[1]) else MAX_SAFE_INTEGER
    low, high = int(low), int(high)
    return _rng(r).randint(min(low, high), max(low, high))


def _float(p: P, h: H, r: Root) -> float:
    low = float(p[0]) if len(p) >= 1 and _is_number(p[0]) else 0.0
    high = float(p[1]) if len(p) >= 2 and _is_number(p[1]) else 1.0
    return round(_rng(r).uniform(low, high), 10)


def _uuid(p: P, h: H, r: Root) -> str:
    return str(uuid.UUID(int=_rng(r).getrandbits(128), version=4))


def _object_id(p: P, h: H, r: Root) -> str:
    return f"{_rng(r).getrandbits(96):024x}"


def _one_of(p: P, h: H, r: Root) -> Any:
    if not p:
        return ""
    items = list(p[0]) if isinstance(p[0], list) else list(p)
    dump = isinstance(p[0], list) and arg(p, 1) is True
    if not items:
        return ""
    choice = _rng(r).choice(items)
    return json.dumps(choice, ensure_ascii=False, separators=(",", ":")) if dump else choice


def _some_of(p: P, h: H, r: Root) -> Any:
    items = arg(p, 0)
    if not isinstance(items, list):
        return ""
    low, high = arg(p, 1, 0), arg(p, 2, len(items))
    rng = _rng(r)
    try:
        count = rng.randint(int(low), int(high))
    except (TypeError, ValueError):
        count = 0
    chosen = rng.sample(items, max(0, min(count, len(items))))
    if arg(p, 3) is True:
        return json.dumps(chosen, ensure_ascii=False, separators=(",", ":"))
    return chosen


def _content(p: P, h: H) -> str:
    return text(h[BODY]) if not p and BODY in h else text(arg(p, 0, ""))


def _b64(p: P, h: H, r: Root) -> str:
    return base64.b64encode(_content(p, h).encode()).decode("ascii")


def _b64url(p: P, h: H, r: Root) -> str:
    return base64.urlsafe_b64encode(_content(p, h).encode()).decode("ascii").rstrip("=")


def _decode(source: str, urlsafe: bool) -> str:
    padded = source + "=" * (-len(source) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


def _json_parse(p: P, h: H, r: Root) -> Any:
    source = arg(p, 0)
    if not isinstance(source, str):
        return None
    try:
        return json.loads(source)
    except ValueError:
        return None


def _stringify(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return value


def _merge(p: P, h: H, r: Root) -> Any:
    if not p:
        return ""
    merged: dict[str, Any] = {}
    for value in p:
        if isinstance(value, dict):
            merged.update(value)
    return merged


def _set_var(p: P, h: H, r: Root) -> None:
    if len(p) >= 2:
        r.setdefault(VARS, {})[text(p[0])] = p[1]


def _get_var(p: P, h: H, r: Root) -> Any:
    return r.get(VARS, {}).get(text(arg(p, 0, ""))) if p else None


VALUE_HELPERS = {
    "int": Helper(_int, needs=RANDOM),
    "float": Helper(_float, needs=RANDOM),
    "boolean": Helper(lambda p, h, r: _rng(r).random() < 0.5, needs=RANDOM),
    "uuid": Helper(_uuid, needs=RANDOM),
    "guid": Helper(_uuid, needs=RANDOM),
    "objectId": Helper(_object_id, needs=RANDOM),
    "oneOf": Helper(_one_of, needs=RANDOM),
    "someOf": Helper(_some_of, needs=RANDOM),
    "base64": Helper(_b64, "capture"),
    "base64Decode": Helper(lambda p, h, r: _decode(_content(p, h), False), "capture"),
    "base64url": Helper(_b64url, "capture"),
    "base64urlDecode": Helper(lambda p, h, r: _decode(_content(p, h), True), "capture"),
    "jsonParse": Helper(_json_parse),
    "stringify": Helper(_stringify),
    "array": Helper(lambda p, h, r: list(p)),
    "object": Helper(lambda p, h, r: dict(h)),
    "objectMerge": Helper(_merge),
    "setVar": Helper(_set_var),
    "getVar": Helper(_get_var),
}
