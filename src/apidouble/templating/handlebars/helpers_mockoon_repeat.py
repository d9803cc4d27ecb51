"""Mockoon's ``repeat`` block: ``{{#repeat 5}}`` or ``{{#repeat min max}}`` renders its
body that many times in the current context, with ``@index``, ``@first``, ``@last``;
unless ``comma=false`` it trims each rendering's trailing space, puts a comma between
them (not doubling one the body ends with, dropping one after the last) and a newline
after each, as Mockoon 9.9 does. A ``loop`` block (see ``registry.Helper``)."""

from __future__ import annotations

import random
from typing import Any

from .registry import BODY, ITERATION_END, THIS, Helper
from .request import Root

__all__ = ["MAX_REPEAT", "REPEAT_HELPERS"]

MAX_REPEAT = 10_000
"""Most renderings one ``repeat`` makes: a request-given count must not exhaust memory."""


def _count(params: tuple[Any, ...], root: Root) -> int:
    numbers = [p for p in params if isinstance(p, int | float) and not isinstance(p, bool)]
    if len(params) >= 2 and len(numbers) >= 2:
        low, high = sorted((int(numbers[0]), int(numbers[1])))
        rng = root.rng if root.rng is not None else random.Random()
        return min(rng.randint(low, high), MAX_REPEAT)
    if not params:
        raise ValueError("The repeat helper requires a numeric param")
    try:
        return max(0, min(int(float(params[0])), MAX_REPEAT))
    except (TypeError, ValueError):
        return 0


def _joined(renderings: list[str], comma: bool) -> str:
    if not comma:
        return "".join(renderings)
    content = ""
    last = len(renderings) - 1
    for index, rendering in enumerate(renderings):
        content = (content + rendering).rstrip()
        if index < last and not content.endswith(","):
            content += ","
        elif index == last and content.endswith(","):
            content = content[:-1]
        content += "\n"
    return content


def _repeat(params: tuple[Any, ...], hash_: dict[str, Any], root: Root) -> Any:
    comma = hash_.get("comma") is not False
    if BODY in hash_:
        renderings = str(hash_[BODY]).split(ITERATION_END)[:-1]
        return _joined(renderings, comma)
    this = hash_.get(THIS)
    count = _count(params, root)
    return [(None, this, i, i == 0, i == count - 1) for i in range(count)]


REPEAT_HELPERS = {"repeat": Helper(_repeat, "loop", needs=frozenset({"random"}))}
"""Part of ``MOCKOON_HELPERS``."""
