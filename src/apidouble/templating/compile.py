"""Turn template strings into ``Template``s at load time; run them at serve time.

A string with no template syntax is never rendered. A string that is exactly one
``{{ expression }}`` may be *typed*: it keeps the expression's type (``"{{ 1 + 1 }}"`` ->
``2``). A template that only looks values up (``{{ request.params.id }}``,
``/users/{{ request.params.id }}``) runs as plain dict lookups, skipping Jinja; when a
lookup misses, Jinja runs instead, so results and errors stay Jinja's own.

Compiled templates are cached by source (``TEMPLATE_CACHE_SIZE`` of them, least
recently used dropped first): the loader checks every template when it reads a config,
and compiling the responses afterwards finds them ready, as does a reload that keeps
most templates. A template holds no per-config state (see ``environment.compiler``).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Template as JinjaTemplate
from jinja2 import TemplateError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.parser import Parser

from ..errors import TemplateRenderError
from ..model import Request
from .environment import (
    GLOBAL_NAMES,
    INSTALLED_GLOBALS,
    KNOWN_NAMES,
    TemplateEnvironment,
    compiler,
)
from .fastpath import MISSES, Context, Run, Shape, lookup_of, reader, text_reader, text_shape
from .limits import begin_render, check_output, end_render
from .names import zone
from .requestview import REQUEST_PARTS

_SYNTAX = re.compile(r"\{\{|\{%|\{#")
_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}|\{%|\{#).)*)\}\}\s*$", re.DOTALL)
Renderer = Callable[[Request | None, dict[str, str]], Any]
"""Renders a compiled value for one request and its path parameters."""
TEMPLATE_CACHE_SIZE = 4096
"""Compiled templates kept for reuse; a config with more still works, compiling some twice."""

__all__ = [
    "RENDER_ERRORS",
    "TEMPLATE_CACHE_SIZE",
    "Renderer",
    "Template",
    "TemplateRenderError",
    "check_template",
    "clear_template_cache",
    "compile_template",
    "compile_text",
    "compile_value",
    "is_template",
    "render_error",
    "template_cache",
]


RENDER_ERRORS = (Exception,)
"""What a template can raise while rendering: anything, even Jinja's own slips (its
constant folding can emit ``nan`` as a name); all become ``TemplateRenderError``, so a
bad template answers 500 and never takes the server down."""


def render_error(exc: BaseException) -> TemplateRenderError:
    """The ``TemplateRenderError`` for an exception raised while rendering."""
    if isinstance(exc, TemplateRenderError):
        return exc
    if isinstance(exc, SecurityError) or "MAX_RANGE" in str(exc):  # range() is capped too
        return TemplateRenderError(f"refused by the sandbox: {exc}", sandbox=True)
    return TemplateRenderError(f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class Template:
    """One compiled template string: the names it reads, and how to run it on a context.

    ``shape`` (when set) says the template only looks values up (see ``fastpath``);
    ``fast`` runs that form and raises one of ``MISSES`` when only Jinja (``slow``) can
    answer; ``run`` does both.
    """

    source: str
    names: frozenset[str]
    run: Run
    typed: bool
    shape: Shape | None = None
    fast: Run | None = None
    slow: Run | None = None


def is_template(text: str) -> bool:
    """Whether a string holds template syntax at all."""
    return _SYNTAX.search(text) is not None


def compile_template(env: TemplateEnvironment, source: str, typed: bool = False) -> Template:
    """Compile one string; ``typed`` keeps a lone expression's type. Raises ValueError.

    ``env`` is not needed to compile (its values come in with each context), so the same
    source compiles once per process, whichever environment asks."""
    return _cached(source, typed)


def check_template(source: str, typed: bool = False) -> None:
    """Load time: raise ValueError when ``source`` does not compile; the compiled template
    stays cached for the compile that follows."""
    _cached(source, typed)


def template_cache() -> functools._CacheInfo:
    """Hits and misses of the compile cache (what the tests and benchmarks watch)."""
    return _cached.cache_info()


def clear_template_cache() -> None:
    """Forget every compiled template: the names they were checked against changed."""
    _cached.cache_clear()


@functools.lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def _cached(source: str, typed: bool) -> Template:
    """Python's compiler warns about some code Jinja generates (``0[1:]`` draws "'int'
    object is not subscriptable"): that is always a mistake in the template, so it is the
    template error, the same whatever warning filters the host process runs with (where
    warnings are errors the warning would escape as a bare ``SyntaxError``). Brackets
    nested past Python's recursion limit are a template error too, not a crash."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        try:
            return _compiled(source, typed)
        except SyntaxError as exc:
            raise ValueError(f"template error: {exc.msg}") from None
        except RecursionError:  # Jinja parses and compiles nested expressions recursively
            raise ValueError("template error: expressions nested too deeply") from None


def _compiled(source: str, typed: bool) -> Template:
    jinja = compiler()
    try:
        tree = jinja.parse(source)
        if any(f.name not in jinja.filters for f in tree.find_all(nodes.Filter)):
            _after_plugins([])  # an installed plugin's filter, maybe
        names = _free_names(tree)
        _check_zones(tree)
        whole = _ONE_EXPRESSION.match(source) if typed else None
        if whole is not None:
            shape, slow = _typed_slow(whole["expr"])
            fast = reader(shape[0]) if shape else None  # type: ignore[arg-type]
        else:
            shape, slow = text_shape(tree), _text_slow(jinja.from_string(source))
            fast = text_reader(shape) if shape else None
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (template line {line})" if line else ""
        raise ValueError(f"template error{where}: {exc.message or exc}") from exc
    return Template(source, names, _either(fast, slow), whole is not None, shape, fast, slow)


def _free_names(tree: nodes.Template) -> frozenset[str]:
    names = meta.find_undeclared_variables(tree)
    unknown = sorted(n for n in names if n not in KNOWN_NAMES and n not in INSTALLED_GLOBALS)
    if unknown:
        unknown = _after_plugins(unknown)
    if unknown:
        raise ValueError(f"unknown template name(s): {', '.join(unknown)}")
    # Jinja leaves its globals out of the free names; our contexts carry only what is used.
    names.update(n.name for n in tree.find_all(nodes.Name) if n.name in GLOBAL_NAMES)
    if "request" in names:
        names.update(_request_parts(tree))
    return frozenset(names)


def _after_plugins(unknown: list[str]) -> list[str]:
    """The names still unknown once installed plugins are loaded (once per process: a
    helper from a package is known without anyone loading plugins first; a template with
    only known names never gets here)."""
    from ..plugins import load_plugins

    load_plugins()
    return [n for n in unknown if n not in INSTALLED_GLOBALS]


def _request_parts(tree: nodes.Template) -> set[str]:
    """Which parts of ``request`` a template reads (``request.params`` -> ``"request.params"``),
    or ``{"request.*"}`` when it uses ``request`` in any other way (then the context gets
    the lazy ``RequestView`` rather than a small dict of just those parts)."""
    uses = [n for n in tree.find_all(nodes.Name) if n.name == "request"]
    parts: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if isinstance(target, nodes.Name) and target.name == "request":
            key: Any = None
            if isinstance(node, nodes.Getattr):
                key = node.attr
            elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
                key = node.arg.value
            if key not in REQUEST_PARTS:
                return {"request.*"}
            parts.add(f"request.{key}")
            uses.remove(target)
    return {"request.*"} if uses else parts


def _check_zones(tree: nodes.Template) -> None:
    """``now.tz('Europe/Paris')`` with a literal name: check and load the zone now."""
    for call in tree.find_all(nodes.Call):
        target = call.node
        if isinstance(target, nodes.Getattr) and target.attr == "tz" and call.args:
            first = call.args[0]
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                zone(first.value)


def _typed_slow(expression: str) -> tuple[Shape | None, Run]:
    """A lone expression through Jinja, returning its value (not its text)."""
    jinja = compiler()
    parser = Parser(jinja, expression, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
    lookup = lookup_of(expr)
    tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
    template = jinja.from_string(tree)
    root, new_context = template.root_render_func, template.new_context

    def slow(ctx: Context) -> Any:
        context = new_context(ctx, True)
        outer = begin_render()
        try:
            for _ in root(context):
                pass
        finally:
            end_render(outer)
        result = context.vars["result"]
        return check_output(result) if isinstance(result, str) else result

    return ((lookup,) if lookup else None), slow


def _text_slow(template: JinjaTemplate) -> Run:
    """The whole template through Jinja, within the render limits (``limits``)."""
    root, new_context = template.root_render_func, template.new_context

    def slow(ctx: Context) -> str:
        outer = begin_render()
        try:
            return check_output("".join(root(new_context(ctx, True))))
        finally:
            end_render(outer)

    return slow


def _either(fast: Run | None, slow: Run) -> Run:
    if fast is None:
        return slow

    def run(ctx: Context) -> Any:
        try:
            return fast(ctx)
        except MISSES:
            return slow(ctx)

    return run


def compile_text(env: TemplateEnvironment, source: str, typed: bool = False) -> Renderer:
    """One string as a ``Renderer`` with its own context (for one-off use and tests)."""
    template = compile_template(env, source, typed)
    context = env.context_maker(template.names)

    def render(request: Request | None, params: dict[str, str]) -> Any:
        try:
            value = template.run(context(request, params))
            if isinstance(value, Undefined):
                value._fail_with_undefined_error()
            return value
        except RENDER_ERRORS as exc:
            raise render_error(exc) from exc

    return render


def compile_value(env: TemplateEnvironment, value: Any) -> Renderer | None:
    """Every template string in a JSON value, rendered to Python values; None when static.

    Responses use ``JsonBody`` (which renders straight to JSON text); this is the
    value-level form, for callers that need the data itself.
    """
    from .jsonbody import JsonBody

    body = JsonBody(env, value)
    if body.static:
        return None
    context = env.context_maker(body.names)

    def render(request: Request | None, params: dict[str, str]) -> Any:
        try:
            return body.value(context(request, params))
        except RENDER_ERRORS as exc:
            raise render_error(exc) from exc

    return render
