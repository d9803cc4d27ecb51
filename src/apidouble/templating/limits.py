"""Render limits: how long one template may run and how much text it may make.

A template is config, but it runs on request data, and a slip (two nested loops over a
request's list) or a hostile config must not hold the event loop or the memory of every
client. Both engines share the limits: Handlebars is compiled onto the same sandbox.

- Time: each run of a template string gets ``RENDER_TIMEOUT`` seconds. Python cannot
  interrupt a running function, so the sandbox's code generator puts a cheap check at
  the top of every loop, macro and call block body (``budget_tick``), where all the
  unbounded work of a template happens.
- Size: a rendered template longer than ``MAX_RENDER_CHARS`` is refused, and so is every
  operation that would make one in a single step before allocating it (padding and
  format widths, ``replace``, ``join``, ``indent``, ``center``, ``%``).

Past either limit the render raises ``TemplateRenderError``, which the engine answers
with its 500 "template error" naming the stub (what a WireMock user sees for any
template that fails); the server keeps serving. ``limits_hit`` counts the refusals.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import update_wrapper
from string import Formatter
from typing import Any

from ..errors import TemplateRenderError

__all__ = [
    "MAX_POWER_BITS",
    "MAX_RENDER_CHARS",
    "RENDER_TIMEOUT",
    "begin_render",
    "budget_tick",
    "check_format",
    "check_output",
    "check_percent",
    "check_power",
    "check_size",
    "check_str_call",
    "end_render",
    "guarded_filters",
    "limits_hit",
]

RENDER_TIMEOUT = 0.5
"""Seconds one template string may render for (the status, each header and the body
are separate strings)."""
MAX_RENDER_CHARS = 8 * 1024 * 1024
"""Characters one rendered template may hold (8 MiB of ASCII)."""
MAX_POWER_BITS = 1 << 16
"""Bits an integer ``**`` may produce (about 19,700 decimal digits)."""


class _Budget(threading.local):
    """The running render's deadline on this thread (``inf``: no render running)."""

    deadline = math.inf


_BUDGET = _Budget()
_monotonic = time.monotonic
_hits: dict[str, int] = {}


def limits_hit() -> dict[str, int]:
    """Renders refused since the process started, by limit (``render_time``,
    ``render_size``): a copy, for a metrics scrape."""
    return dict(_hits)


def _refuse(limit: str, message: str) -> TemplateRenderError:
    _hits[limit] = _hits.get(limit, 0) + 1
    return TemplateRenderError(message)


def begin_render() -> float:
    """Start the clock for one template run (a run inside another keeps the outer
    deadline); returns what ``end_render`` restores."""
    budget = _BUDGET
    outer = budget.deadline
    if outer == math.inf:
        budget.deadline = time.monotonic() + RENDER_TIMEOUT
    return outer


def end_render(outer: float) -> None:
    _BUDGET.deadline = outer


def budget_tick(_: object) -> str:
    """Called (as a filter) at the top of every loop, macro and call block body; raises
    once the running render is past its deadline. Reading the clock each time costs less
    than counting steps between readings would (about 0.2 µs a step)."""
    if _monotonic() > _BUDGET.deadline:
        raise _refuse(
            "render_time",
            f"the template ran longer than its {RENDER_TIMEOUT:g} s budget and was stopped",
        )
    return ""


def check_output(text: str) -> str:
    """A rendered template, or the refusal when it is longer than ``MAX_RENDER_CHARS``."""
    if len(text) > MAX_RENDER_CHARS:
        raise _too_long(len(text))
    return text


def _too_long(size: int) -> TemplateRenderError:
    return _refuse(
        "render_size",
        f"the template would render {size:,} characters, more than the"
        f" {MAX_RENDER_CHARS:,} allowed",
    )


def check_size(size: int) -> None:
    """Refuse to make ``size`` characters in one step (for helpers that pad or repeat)."""
    if size > MAX_RENDER_CHARS:
        raise _too_long(size)


def check_power(base: int, exponent: int) -> None:
    """Refuse an integer power whose result would exceed ``MAX_POWER_BITS``."""
    if exponent > 0 and abs(base) > 1 and abs(base).bit_length() * exponent > MAX_POWER_BITS:
        raise _refuse("render_size", f"a power of more than {MAX_POWER_BITS:,} bits is refused")


_DIGITS = re.compile(r"\d+")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


def _values(args: Iterable[Any]) -> Iterable[Any]:
    for arg in args:
        if isinstance(arg, Mapping):
            yield from arg.values()
        elif isinstance(arg, list | tuple):
            yield from arg
        else:
            yield arg


def _check_widths(widths: Iterable[str], nested: bool, args: Iterable[Any]) -> None:
    for width in widths:
        check_size(int(width) if len(width) < 12 else MAX_RENDER_CHARS + 1)
    if nested:  # a width taken from the arguments: any integer among them may be it
        for value in _values(args):
            if isinstance(value, int) and not isinstance(value, bool):
                check_size(abs(value))


def check_format(template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse ``str.format`` whose field widths or precisions pass the output limit."""
    try:
        fields = list(Formatter().parse(template))
    except ValueError:
        return  # format itself reports the bad template
    specs = [spec for _, _, spec, _ in fields if spec]
    nested = any("{" in spec for spec in specs)
    widths = [digits for spec in specs for digits in _DIGITS.findall(spec)]
    _check_widths(widths, nested, (*args, kwargs))


def check_percent(template: str, values: Any) -> None:
    """Refuse ``template % values`` whose widths or precisions pass the output limit."""
    found = _PERCENT.findall(template)
    widths = [part for pair in found for part in pair if part and part != "*"]
    nested = any("*" in pair for pair in found)
    _check_widths(widths, nested, (values,))


def _predicted_join(separator: str, items: Any) -> int | None:
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        return None
    return sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)


def _predicted_replace(text: str, old: str, new: str, count: int = -1) -> int:
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


def check_str_call(text: str, method: str, args: tuple[Any, ...]) -> None:
    """Refuse a ``str`` method call from a template that would make more text than the
    output limit in one step (``'x'.ljust(999999999)``)."""
    if not args:
        return
    first = args[0]
    if method in ("ljust", "rjust", "center", "zfill") and isinstance(first, int):
        check_size(first)
    elif method == "expandtabs" and isinstance(first, int):
        check_size(len(text) + text.count("\t") * max(first, 0))
    elif method == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, str) and isinstance(new, str):
            count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
            check_size(_predicted_replace(text, old, new, count))
    elif method == "join":
        size = _predicted_join(text, first)
        if size is not None:
            check_size(size)


# --- filters: Jinja's own, with the same checks ---------------------------------------


def _guard(original: Callable[..., Any], check: Callable[..., None]) -> Callable[..., Any]:
    """``original`` with ``check`` run on its arguments first (Jinja's pass-context
    marker is kept, so the filter is called as before)."""
    marker = getattr(original, "jinja_pass_arg", None)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        check(*(args[1:] if marker is not None else args), **kwargs)
        return original(*args, **kwargs)

    return update_wrapper(guarded, original)


def _center(value: Any, width: Any = 80) -> None:
    if isinstance(width, int):
        check_size(width)


def _indent(value: Any, width: Any = 4, first: bool = False, blank: bool = False) -> None:
    text = str(value) if isinstance(value, str) else ""
    lines = text.count("\n") + 1
    pad = width if isinstance(width, int) else len(width) if isinstance(width, str) else 0
    check_size(len(text) + lines * max(pad, 0))


def _replace(value: Any, old: Any = "", new: Any = "", count: Any = None) -> None:
    if isinstance(value, str) and isinstance(old, str) and isinstance(new, str):
        check_size(_predicted_replace(value, old, new, count if isinstance(count, int) else -1))


def _join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if attribute is None and isinstance(d, str):
        size = _predicted_join(d, value)
        if size is not None:
            check_size(size)


def _format(value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        check_percent(value, kwargs or args)


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _center,
    "indent": _indent,
    "replace": _replace,
    "join": _join,
    "format": _format,
}


def guarded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's filters that can make text in one step, wrapped with their size checks."""
    return {
        name: _guard(filters[name], check)
        for name, check in _FILTER_CHECKS.items()
        if name in filters
    }
