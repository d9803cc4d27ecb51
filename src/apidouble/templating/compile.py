"""Turn config values into renderers at load time; render them at serve time.

A string with no template syntax is never rendered. In a JSON body, a string that is
exactly one ``{{ expression }}`` keeps the expression's type (``"{{ 1 + 1 }}"`` -> ``2``);
other template strings render to text, and JSON encoding of the whole body escapes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import TemplateError, meta
from jinja2.exceptions import SecurityError

from ..model import Request
from .environment import TemplateEnvironment

_SYNTAX = re.compile(r"\{\{|\{%|\{#")
_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}|\{%|\{#).)*)\}\}\s*$", re.DOTALL)

Renderer = Callable[[Request | None, dict[str, str]], Any]
"""Renders a compiled value for one request and its path parameters."""


class TemplateRenderError(Exception):
    """A template failed while rendering; ``sandbox`` marks refused unsafe access."""

    def __init__(self, message: str, sandbox: bool = False) -> None:
        self.sandbox = sandbox
        super().__init__(message)


def is_template(text: str) -> bool:
    """Whether a string holds template syntax at all."""
    return _SYNTAX.search(text) is not None


def _free_names(env: TemplateEnvironment, source: str) -> tuple[str, ...]:
    names = meta.find_undeclared_variables(env.jinja.parse(source))
    unknown = sorted(n for n in names if not env.known_name(n))
    if unknown:
        raise ValueError(f"unknown template name(s): {', '.join(unknown)}")
    return tuple(sorted(names))


def _guarded(render: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def run(context: dict[str, Any]) -> Any:
        try:
            return render(context)
        except SecurityError as exc:
            raise TemplateRenderError(f"refused by the sandbox: {exc}", sandbox=True) from exc
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from exc

    return run


def compile_text(env: TemplateEnvironment, source: str, typed: bool = False) -> Renderer:
    """Compile one string; ``typed`` keeps a lone expression's type. Raises ValueError."""
    try:
        whole = _ONE_EXPRESSION.match(source) if typed else None
        if whole is not None:
            names = _free_names(env, source)
            expression = env.jinja.compile_expression(whole["expr"], undefined_to_none=False)
            evaluate = _guarded(lambda ctx: expression(**ctx))
        else:
            names = _free_names(env, source)
            template = env.jinja.from_string(source)
            evaluate = _guarded(template.render)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (template line {line})" if line else ""
        raise ValueError(f"template error{where}: {exc.message or exc}") from exc

    def render(request: Request | None, params: dict[str, str]) -> Any:
        return evaluate(env.context(names, request, params))

    return render


def compile_value(env: TemplateEnvironment, value: Any) -> Renderer | None:
    """Compile every template string in a JSON value; None when there is none (static)."""
    if isinstance(value, str):
        return compile_text(env, value, typed=True) if is_template(value) else None
    if isinstance(value, list):
        parts = [compile_value(env, item) for item in value]
        if all(part is None for part in parts):
            return None
        return _render_list(value, parts)
    if isinstance(value, dict):
        entries = {key: compile_value(env, item) for key, item in value.items()}
        if all(part is None for part in entries.values()):
            return None
        return _render_dict(value, entries)
    return None


def _render_list(value: list[Any], parts: list[Renderer | None]) -> Renderer:
    def render(request: Request | None, params: dict[str, str]) -> Any:
        return [
            item if part is None else part(request, params)
            for item, part in zip(value, parts, strict=True)
        ]

    return render


def _render_dict(value: dict[str, Any], entries: dict[str, Renderer | None]) -> Renderer:
    def render(request: Request | None, params: dict[str, str]) -> Any:
        return {
            key: value[key] if part is None else part(request, params)
            for key, part in entries.items()
        }

    return render
