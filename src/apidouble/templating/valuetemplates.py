"""Jinja templates inside a JSON value, compiled with a caller's own extra names.

The response path has its own compiler (``jsonbody``: JSON text with slots, for speed).
Callbacks and generated CRUD rows render a value a few times, not per request, and read
names responses do not have (``response`` for a callback, ``index`` for a row): this is
the small compiler they share. A lone ``{{ expression }}`` keeps its value's type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from jinja2 import TemplateError, Undefined, meta, nodes

from .compile import is_template
from .environment import INSTALLED_GLOBALS, KNOWN_NAMES, compiler

Render = Callable[[dict[str, Any]], Any]
"""Renders one value from a context (the names it reads, and the caller's own)."""

_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}|\{%|\{#).)*)\}\}\s*$", re.DOTALL)


def compile_text(
    source: str, where: str, extra: Collection[str] = (), typed: bool = False
) -> tuple[Render | None, set[str]]:
    """A template on the project's sandbox (None when ``source`` is static), and the
    context names it reads; ``extra`` are names the caller puts in the context itself."""
    if not is_template(source):
        return None, set()
    allowed = KNOWN_NAMES | INSTALLED_GLOBALS.keys() | frozenset(extra)
    sandbox = compiler()
    whole = _ONE_EXPRESSION.match(source) if typed else None
    try:
        tree = sandbox.parse(source)
        if unknown := sorted(meta.find_undeclared_variables(tree) - allowed):
            raise ValueError(f"unknown template name(s): {', '.join(unknown)}")
        names = {node.name for node in tree.find_all(nodes.Name)} & allowed
        if whole is not None:
            expression = sandbox.compile_expression(whole["expr"], undefined_to_none=False)
            return lambda ctx: _defined(expression(**ctx)), names
        template = sandbox.from_string(tree)
    except (TemplateError, ValueError) as exc:
        raise ValueError(f"{where}: template error: {exc}") from None
    return lambda ctx: template.render(ctx), names


def _defined(value: Any) -> Any:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def compile_value(
    value: Any, where: str, extra: Collection[str] = ()
) -> tuple[Render | None, set[str]]:
    """Every template string in a JSON value (None when there is none), and the names."""
    if isinstance(value, str):
        return compile_text(value, where, extra, typed=True)
    names: set[str] = set()
    if isinstance(value, dict):
        parts = {key: compile_value(item, f"{where}.{key}", extra) for key, item in value.items()}
    elif isinstance(value, list):
        parts = {i: compile_value(item, f"{where}[{i}]", extra) for i, item in enumerate(value)}
    else:
        return None, names
    for _, used in parts.values():
        names |= used
    if all(run is None for run, _ in parts.values()):
        return None, names
    runs = {key: (run, value[key]) for key, (run, _) in parts.items()}
    if isinstance(value, dict):
        return lambda ctx: {k: v if r is None else r(ctx) for k, (r, v) in runs.items()}, names
    return lambda ctx: [v if r is None else r(ctx) for r, v in runs.values()], names
