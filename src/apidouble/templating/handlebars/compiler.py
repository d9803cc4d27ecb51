"""``compile_handlebars``: Handlebars source -> our ``Template``, once per source.

The Jinja code runs in the process-wide sandbox (``environment.compiler()``); the
context our responses already build (``request`` as a ``RequestView``, plus the clock
and the seeded random source when a helper needs them, decided at load time) becomes
WireMock's model in a ``Root`` per render.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from jinja2 import TemplateError

from ..compile import Template
from ..environment import Missing, Sandbox, TemplateEnvironment
from ..limits import begin_render, check_output, end_render
from .helpers import WIREMOCK_HELPERS, HelperSet
from .parser import parse
from .registry import STATUS, HelperFn
from .request import RequestModel, Root
from .translate import translate
from .values import items, js_printed, lookup, text, truthy

__all__ = ["compile_handlebars", "handlebars_cache", "is_handlebars"]

CACHE_SIZE = 4096
_CONTEXT_NAMES = {
    "now": "now",
    "random": "random_int",
    "faker": "faker",
    "data": "data",
    "status": STATUS,
}
"""What a helper's ``needs`` asks the response context for (``random_int`` is bound to
the environment's seeded ``Randoms``; ``faker`` is the environment's seeded Faker;
``data`` the config's ``data:`` sets, put in the root as ``@data``). ``STATUS`` is no
value the context is made with: it marks a template that may set the status, which the
render leaves in the context."""
_HELPER_SETS: dict[int, HelperSet] = {}


def is_handlebars(text_: str) -> bool:
    """Whether a string holds Handlebars syntax at all."""
    return "{{" in text_


def compile_handlebars(
    env: TemplateEnvironment, source: str, helpers: HelperSet = WIREMOCK_HELPERS
) -> Template:
    """Compile a Handlebars template (cached by source and helper set); raises
    ``ValueError("handlebars template error (line N): ...")`` on a syntax error or an
    unknown helper."""
    _HELPER_SETS.setdefault(id(helpers), helpers)
    return _cached(source, id(helpers))


def check_handlebars(source: str, helpers: HelperSet = WIREMOCK_HELPERS) -> None:
    """Load time: raise ``ValueError`` when ``source`` does not compile; the compiled
    template stays cached for the compile that follows."""
    _HELPER_SETS.setdefault(id(helpers), helpers)
    _cached(source, id(helpers))


def handlebars_cache() -> functools._CacheInfo:
    """Hits and misses of the compile cache."""
    return _cached.cache_info()


def _path(chain: tuple[Any, ...], parts: tuple[str, ...]) -> Any:
    value = None
    for scope in chain:
        value = lookup(scope, parts[0])
        if value is not None:
            break
    for part in parts[1:]:
        if value is None:
            return None
        value = lookup(value, part)
    return value


def _root_path(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if value is None:
            return None
        value = lookup(value, part)
    return value


def _section(value: Any) -> Iterable[tuple[Any, Any, int, str, str]]:
    """A ``{{#path}}`` block: once per item of a list, once for any other truthy value."""
    if isinstance(value, list | tuple):
        return items(value)
    return [(None, value, 0, "first", "last")] if truthy(value) else ()


def _call(helper: HelperFn, params: tuple[Any, ...], hash_: dict[str, Any], root: Root) -> Any:
    return helper(params, hash_, root)


@functools.cache
def handlebars_compiler() -> Sandbox:
    """Our sandbox (same class and settings as ``environment.compiler()``), with the
    runtime as filters: Jinja calls filters directly, where a call expression would go
    through the sandbox's per-call checks (our own functions need none)."""
    sandbox = Sandbox(undefined=Missing, autoescape=False, keep_trailing_newline=True)
    sandbox.filters.update(
        hb_out=text,
        hb_out_js=js_printed,
        hb_path=_root_path,
        hb_chain=_path,
        hb_items=items,
        hb_section=_section,
        hb_truthy=truthy,
        hb_call=_call,
    )
    return sandbox


@functools.lru_cache(maxsize=CACHE_SIZE)
def _cached(source: str, helpers_id: int) -> Template:
    translation = translate(parse(source), _HELPER_SETS[helpers_id])
    try:
        jinja = handlebars_compiler().from_string(translation.source)
    except TemplateError as exc:  # a slip of ours, reported like a template error
        raise ValueError(f"handlebars template error (line 1): {exc}") from exc
    scope: dict[str, Any] = dict(translation.constants)
    scope.update((var, spec.fn) for var, spec in translation.helpers.items())
    root_render, new_context = jinja.root_render_func, jinja.new_context
    wants_now = "now" in translation.needs
    wants_random = "random" in translation.needs
    wants_faker = "faker" in translation.needs
    wants_data = "data" in translation.needs
    wants_status = "status" in translation.needs
    names = {"request"} | {_CONTEXT_NAMES[need] for need in translation.needs}

    def run(ctx: dict[str, Any]) -> str:
        view = ctx.get("request")
        request = getattr(view, "_request", None)
        params = getattr(view, "_params", None) or {}
        moment = ctx["now"].moment if wants_now else None
        rng = ctx["random_int"].__self__.rng if wants_random else None
        values = dict(scope)
        root = values["hb_s0"] = Root(RequestModel(request, params), rng, moment)
        if wants_faker:
            root.faker = ctx["faker"]
        if wants_data:
            root["@data"] = ctx["data"]  # where Mockoon's data helpers find the buckets
        outer = begin_render()
        try:
            rendered = check_output("".join(root_render(new_context(values, True))))
        finally:
            end_render(outer)
        if wants_status and STATUS in root:
            ctx[STATUS] = root[STATUS]  # the response reads it once the body is rendered
        return rendered

    return Template(source, frozenset(names), run, False)
