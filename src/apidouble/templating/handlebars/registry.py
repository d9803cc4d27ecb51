"""What a Handlebars helper is, and small argument readers the helper modules share.

A helper is a plain function ``(params, hash, root) -> value``; ``Helper`` says how it
behaves as a block (``{{#name}}``) and which per-response names it needs (the clock, the
seeded random source), so a template that uses neither pays for neither. A helper set
is a mapping of names to ``Helper``s: WireMock's is ``WIREMOCK_HELPERS``; another
dialect (Mockoon's) brings its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from .request import Root
from .values import text

__all__ = [
    "BODY",
    "ITERATION_END",
    "JS_PRINTED",
    "STATUS",
    "THIS",
    "Helper",
    "HelperFn",
    "HelperSet",
    "arg",
    "number",
    "opt_bool",
    "prints_as_javascript",
]

HelperFn = Callable[[tuple[Any, ...], dict[str, Any], Root], Any]
BlockKind = Literal["value", "cond", "body_if", "capture", "loop"]
BODY = "fn()"
"""The hash key a ``capture`` block helper finds its rendered body under."""
THIS = "@this"
"""The hash key a ``loop`` block helper finds the current context under."""
ITERATION_END = "\x00hb-iteration\x00"
"""What ends each rendering of a ``loop`` block's body in the text handed to its helper."""
STATUS = "@status"
"""Where a helper that ``needs`` ``"status"`` leaves the response's status code in the
render's root; the render copies it into the response's context under the same key, and
a template that may set it lists it in its ``names`` (``responses`` decides at load time
to read it)."""


@dataclass(frozen=True, slots=True)
class Helper:
    """``block``, what ``{{#name ...}}body{{/name}}`` does: ``value`` prints the result
    and ignores the body and ``{{else}}`` (most WireMock helpers, ``join`` included);
    ``cond`` renders the body when the result is truthy, else the ``{{else}}`` part (the
    comparisons); ``body_if`` renders the body or nothing (``contains``, ``matches``);
    ``capture`` renders the body first and hands it in under ``BODY`` (``assign``,
    ``trim``, ``jsonMerge``...); ``loop`` calls the helper for the iterations (each
    ``(key, this, @index, @first, @last)``, ``this`` handed in under ``THIS``), renders
    the body for each, then calls it again with the renderings under ``BODY``, each
    ended by ``ITERATION_END`` (Mockoon's ``repeat``). ``needs``: ``"now"`` (the
    response's moment), ``"random"``, ``"faker"``, ``"data"`` (the ``data:`` sets),
    ``"status"`` (the helper may set the status code, under ``STATUS``)."""

    fn: HelperFn
    block: BlockKind = "value"
    needs: frozenset[str] = frozenset()


HelperSet = Mapping[str, Helper]


def arg(params: tuple[Any, ...], index: int, default: Any = None) -> Any:
    return params[index] if index < len(params) else default


def number(value: Any) -> Decimal:
    """A number or numeric text as an exact decimal (Java's ``BigDecimal``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {text(value)!r}")
    try:
        return Decimal(str(value) if isinstance(value, int | float) else text(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text(value)!r}") from exc


def opt_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


JS_PRINTED: set[int] = set()
"""The helper sets (by id) whose templates print values as JavaScript does (Mockoon's):
``values.js_printed`` instead of WireMock's ``values.text``."""


def prints_as_javascript(helpers: HelperSet) -> None:
    """Templates compiled with ``helpers`` print a value as Handlebars.js does."""
    JS_PRINTED.add(id(helpers))
