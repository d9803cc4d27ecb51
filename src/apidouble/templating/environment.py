"""The sandboxed Jinja2 environment and the names templates can use.

Per-response names (``date``, ``uuid``, ``request``...) are computed only when a template
uses them: each compiled template records its free names at load time, and the
response's ``context`` function builds just those, once per response, shared by its
status, headers and body (so ``{{ uuid }}`` is the same value in a header and the body).

Templates compile against one process-wide ``compiler()`` sandbox that holds no
per-config state (no seed, data or Faker): a context carries every value a template
reads, so the same compiled template serves every ``TemplateEnvironment`` and the
compile cache (``compile.py``) can share it between the loader's check and the compile.
"""

from __future__ import annotations

import functools
import operator
import random
import time
from collections.abc import Callable, Iterable, Mapping
from types import BuiltinMethodType, CodeType
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..model import Request
from .fake import FakerView, make_faker
from .filters import FILTERS
from .limits import (
    budget_tick,
    check_format,
    check_percent,
    check_power,
    check_str_call,
    guarded_filters,
)
from .names import Clock, Randoms, jsonpath
from .requestview import REQUEST_PARTS, HeaderView, RequestView, auth_view, request_view

__all__ = ["HeaderView", "Missing", "Sandbox", "TemplateEnvironment", "compiler", "request_view"]

MAX_REPEAT = 1_000_000
"""Longest string or list ``*`` may build: request data must not exhaust memory."""
MAX_EXPONENT = 4096

ContextMaker = Callable[[Request | None, dict[str, str]], dict[str, Any]]
"""Builds the values of one response's templates for one request and its path params."""


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, plus caps on ``*``, ``**`` and ``%`` (memory and CPU
    bombs) and the render limits of ``limits``: a time check in every loop body, and
    size checks on what can make much text in one step."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters[_TICK] = budget_tick
        self.filters.update(guarded_filters(self.filters))

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        _add_ticks(source)
        generated: str = super()._generate(source, name, filename, defer_init)
        return generated

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "*":
            for items, count in ((left, right), (right, left)):
                if isinstance(items, str | list | tuple) and isinstance(count, int):
                    if len(items) * count > MAX_REPEAT:
                        raise SecurityError(f"repetition longer than {MAX_REPEAT} is refused")
            return operator.mul(left, right)
        if op == "%":
            if isinstance(left, str):
                check_percent(left, right)
            return operator.mod(left, right)
        if isinstance(left, int) and isinstance(right, int):
            if abs(right) > MAX_EXPONENT and abs(left) > 1:
                raise SecurityError(f"exponent above {MAX_EXPONENT} is refused")
            check_power(left, right)
        return operator.pow(left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Sandboxed calls, with ``limits``' size checks on ``str`` methods."""
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and isinstance(__obj, BuiltinMethodType):
            check_str_call(owner, __obj.__name__, args)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` as the sandbox runs it, with its field widths checked first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template: str = value.__self__
        mapping = value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> str:
            if mapping and len(args) == 1 and isinstance(args[0], Mapping):
                check_format(template, (), args[0])
            else:
                check_format(template, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked


_TICK = "apidouble_budget"
"""The filter ``_add_ticks`` calls: filters are called directly by Jinja's generated
code, where a call expression would pay the sandbox's per-call checks."""


def _add_ticks(tree: nodes.Template) -> None:
    """Put ``limits.budget_tick`` first in every loop, macro and call block body: where a
    template's unbounded work happens, so a render past its time budget stops there. Its
    argument is no constant, so Jinja's optimizer cannot fold the call away."""
    for node in tree.find_all((nodes.For, nodes.Macro, nodes.CallBlock)):
        if not isinstance(node, nodes.For | nodes.Macro | nodes.CallBlock):
            continue
        first = node.body[0] if node.body else None
        if isinstance(first, nodes.ExprStmt) and isinstance(first.node, nodes.Filter):
            if first.node.name == _TICK:
                continue  # generated before (a tree compiled twice)
        tick = nodes.Filter(nodes.EnvironmentAttribute("sandboxed"), _TICK, [], [], None, None)
        node.body.insert(0, nodes.ExprStmt(tick, lineno=node.lineno))


class Missing(Undefined):
    """A value the request (or data) does not have: false in a condition, an error when used.

    ``{{ 201 if request.json.id else 400 }}`` must give 400 for a body without ``id`` (or
    no body), as Handlebars' ``{{#if}}`` does; so a missing value is falsy, equal only to
    another missing value, contains nothing, and reading a key of it is missing too
    (``request.json.user.id``). Printing it, computing with it or iterating over it stays
    an error, as with Jinja's ``StrictUndefined`` (a 500 naming the stub and the key), so a
    misspelt field is never sent as an empty string; ``| default(...)`` gives a fallback.
    """

    __slots__ = ()
    __iter__ = __str__ = __len__ = Undefined._fail_with_undefined_error

    def __contains__(self, item: object) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> Any:
        return self


PER_RESPONSE_NAMES = frozenset({"date", "time", "timestamp", "now", "uuid"})
"""Names computed once per response (and only when a template uses them)."""
HELPER_NAMES = frozenset(
    {"random_int", "random_float", "random_choice", "random_string", "random_uuid", "jsonpath"}
)
"""Functions templates call; bound per environment to its seeded random source."""
INSTALLED_GLOBALS: dict[str, Callable[..., Any]] = {}
"""Globals a user installed (``helpers.register_template_global``): known names too, read
by a context only when a template uses them."""
INSTALLED_FILTERS: dict[str, Callable[..., Any]] = {}
"""Filters a user installed (``helpers.register_template_filter``), also in ``compiler()``."""


def _new_sandbox() -> Sandbox:
    sandbox = Sandbox(undefined=Missing, autoescape=False, keep_trailing_newline=True)
    sandbox.filters.update(FILTERS)
    sandbox.filters.update(INSTALLED_FILTERS)
    return sandbox


@functools.cache
def compiler() -> Sandbox:
    """The process-wide sandbox every template compiles against (filters and Jinja's own
    globals only: nothing that differs between configs)."""
    return _new_sandbox()


GLOBAL_NAMES = frozenset(compiler().globals) | HELPER_NAMES
"""Free names a context supplies from the environment's globals (``range``, helpers)."""
KNOWN_NAMES = frozenset({"request", "data", "faker", "auth"}) | PER_RESPONSE_NAMES | GLOBAL_NAMES
"""Every free name a template may use; anything else is a config error."""


@functools.lru_cache(maxsize=4096)
def generated_code(source: str, mode: str = "exec") -> CodeType:
    """Generated source compiled once: it holds only generated identifiers (values come in
    through the scope it runs in), so stubs of the same shape share one code object and
    loading thousands of them compiles a handful."""
    return compile(source, "<apidouble-generated>", mode)


class TemplateEnvironment:
    """One sandboxed environment per config: owns the random source, the clock, the
    ``data:`` values and the (lazy) Faker, so one seed repeats everything."""

    def __init__(
        self,
        seed: int | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        faker_locale: str | None = None,
        faker_seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seed = seed
        self.random = random.Random(seed)
        self.randoms = Randoms(self.random)
        self.clock = Clock(clock)
        self.data: Mapping[str, Any] = data if data is not None else {}
        self.faker_locale = faker_locale
        self.faker_seed = faker_seed
        self._faker: FakerView | None = None
        randoms = self.randoms
        self.globals: dict[str, Any] = dict(compiler().globals)
        """What ``GLOBAL_NAMES`` read as in this environment's contexts."""
        self.globals.update(
            random_int=randoms.random_int,
            random_float=randoms.random_float,
            random_choice=randoms.random_choice,
            random_string=randoms.random_string,
            random_uuid=randoms.uuid,
            jsonpath=jsonpath,
        )
        clock_names = self.clock
        self._per_response: dict[str, Callable[[], Any]] = {
            "date": clock_names.date,
            "time": clock_names.time,
            "timestamp": clock_names.timestamp,
            "now": clock_names.now,
            "uuid": randoms.uuid,
        }

    def faker(self) -> FakerView:
        """The seeded Faker, created (and imported) on first use, at load time."""
        if self._faker is None:
            seed = self.faker_seed if self.faker_seed is not None else self.seed
            if seed is None:
                seed = random.getrandbits(64)
            self._faker = make_faker(self.faker_locale, seed)
        return self._faker

    def known_name(self, name: str) -> bool:
        """Whether a free name in a template is something we provide."""
        return name in KNOWN_NAMES or name in INSTALLED_GLOBALS

    def context_maker(self, names: Iterable[str]) -> ContextMaker:
        """Load time: a function that builds just ``names`` for one response.

        It is generated as one dict display (``{'date': m0(), 'uuid': m1(), ...}``): the
        hot path pays one call per name and nothing for names it does not use. The
        generated code holds only our own names; values are passed in, never inlined.
        """
        wanted = set(names)
        entries: list[str] = []
        scope: dict[str, Any] = {"_view": RequestView}
        for index, name in enumerate(sorted(n for n in wanted if "." not in n)):
            ref = f"_v{index}"
            if name == "request":
                parts = sorted(n.split(".", 1)[1] for n in wanted if n.startswith("request."))
                if "*" in parts or not parts:
                    entries.append("'request': _view(request, params)")
                else:
                    values = []
                    for part in parts:
                        scope[f"{ref}_{part}"] = REQUEST_PARTS[part]
                        read = "params" if part == "params" else f"{ref}_{part}(request, params)"
                        values.append(f"{part!r}: {read}")
                    shown = ", ".join(values)
                    entries.append(f"'request': {{{shown}}} if request is not None else {{}}")
            elif name == "auth":
                scope[ref] = auth_view
                entries.append(f"'auth': {ref}(request)")
            elif name in self._per_response:
                scope[ref] = self._per_response[name]
                entries.append(f"{name!r}: {ref}()")
            elif name == "data":
                scope[ref] = self.data
                entries.append(f"{name!r}: {ref}")
            elif name == "faker":
                scope[ref] = self.faker()
                entries.append(f"{name!r}: {ref}")
            elif name in self.globals:
                scope[ref] = self.globals[name]
                entries.append(f"{name!r}: {ref}")
            elif name in INSTALLED_GLOBALS:
                scope[ref] = INSTALLED_GLOBALS[name]
                entries.append(f"{name!r}: {ref}")
        source = "lambda request, params: {" + ", ".join(entries) + "}"
        maker: ContextMaker = eval(generated_code(source, "eval"), scope)  # our identifiers only
        return maker

    def context(
        self, names: Iterable[str], request: Request | None, params: dict[str, str]
    ) -> dict[str, Any]:
        """Values for just the names a template uses (one-off; the hot path uses
        ``context_maker``)."""
        return self.context_maker(names)(request, params)
