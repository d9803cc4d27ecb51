"""Mockoon's response helper ``status``: ``{{status 404}}`` in a template sets the code the
response is sent with (it prints nothing), whatever the response's ``statusCode``.

The code is JavaScript's ``parseInt`` of the parameter, ignored where that is NaN, as in
Mockoon 9; the last ``status`` a render reaches wins. The render leaves it in the
response's context under ``registry.STATUS``, and a response whose templates may set it
(decided at load time) writes its status line once the body is rendered.
"""

from __future__ import annotations

from typing import Any

from .helpers_mockoon_text import parse_int
from .registry import STATUS, Helper, arg
from .request import Root

__all__ = ["RESPONSE_HELPERS"]


def _status(p: tuple[Any, ...], h: dict[str, Any], r: Root) -> str:
    code = parse_int(arg(p, 0)) if p else ""
    if isinstance(code, int):
        r[STATUS] = code
    return ""


RESPONSE_HELPERS = {"status": Helper(_status, needs=frozenset({"status"}))}
