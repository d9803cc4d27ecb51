"""Templates that only look values up, run as plain dict reads instead of Jinja.

``{{ request.params.id }}``, ``{{ date }}`` and ``/users/{{ request.params.id }}`` are
most of the templates in real configs. Reading them through Jinja costs a context, a
generator and a sandboxed ``getattr`` per dot; reading them here costs a dict lookup per
dot. Only plain dicts (and lists by index) are read, where Jinja's ``a.b`` and ``a['b']``
both mean ``a['b']``; anything else raises a miss and the caller runs Jinja instead, so
results and errors stay Jinja's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.filters import FILTERS

from .requestview import HeaderView, RequestView

Context = dict[str, Any]
Run = Callable[[Context], Any]

_DICT_ATTRIBUTES = frozenset(dir(dict))
READABLE: frozenset[type] = frozenset({dict, RequestView, HeaderView})
READABLE_BY_INDEX: frozenset[type] = READABLE | {list}


class Miss(Exception):
    """A fast lookup met something only Jinja knows how to read."""


MISSES = (LookupError, Miss)
"""What a fast reader raises when Jinja must answer instead."""


FAST_FILTERS: dict[str, Callable[[Any], Any]] = {
    name: FILTERS[name] for name in ("int", "float", "string", "lower", "upper", "trim")
}
"""Jinja's own argument-free filters, safe to call on a value read here (``id | int``)."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """``name`` then ``steps`` (each a key and the types it may be read from), then
    ``filters`` applied in order."""

    name: str
    steps: tuple[tuple[Any, frozenset[type]], ...]
    filters: tuple[Callable[[Any], Any], ...] = ()


Shape = tuple[str | Lookup, ...]
"""A fast template: literal text and lookups, to be joined (or one lookup, typed)."""


def lookup_of(node: nodes.Node) -> Lookup | None:
    """The ``Lookup`` for ``name``, ``name.key``, ``name['key']``, ``name[0]`` chains,
    optionally followed by argument-free filters from ``FAST_FILTERS``."""
    filters: list[Callable[[Any], Any]] = []
    while isinstance(node, nodes.Filter):
        plain = not (node.args or node.kwargs or node.dyn_args or node.dyn_kwargs)
        if node.node is None or not plain or node.name not in FAST_FILTERS:
            return None
        filters.append(FAST_FILTERS[node.name])
        node = node.node
    keys: list[Any] = []
    while not isinstance(node, nodes.Name):
        if isinstance(node, nodes.Getattr):
            key: Any = node.attr
            if key in _DICT_ATTRIBUTES:  # Jinja would find the method, not the item
                return None
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            key = node.arg.value
            if key.__class__ not in (str, int):
                return None
        else:
            return None
        if isinstance(key, str) and key.startswith("_"):
            return None
        keys.append(key)
        node = node.node
    if node.ctx != "load":
        return None
    steps = tuple(
        (key, READABLE_BY_INDEX if isinstance(key, int) else READABLE) for key in reversed(keys)
    )
    return Lookup(node.name, steps, tuple(reversed(filters)))


def text_shape(tree: nodes.Template) -> Shape | None:
    """Literal text and lookups only, as ``(text, lookup, text, ...)``; else None."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts: list[str | Lookup] = []
    for node in tree.body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            part: str | Lookup | None = node.data
        else:
            part = lookup_of(node)
        if part is None:
            return None
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        elif isinstance(part, Lookup) and (not parts or isinstance(parts[-1], Lookup)):
            parts.extend(("", part))
        else:
            parts.append(part)
    if not parts or isinstance(parts[-1], Lookup):
        parts.append("")
    return tuple(parts)


def reader(lookup: Lookup) -> Run:
    """A function reading ``lookup`` from a context; raises one of ``MISSES``."""
    read = _plain_reader(lookup)
    if not lookup.filters:
        return read
    filters = lookup.filters

    def filtered(ctx: Context) -> Any:
        value = read(ctx)
        for apply in filters:
            value = apply(value)
        return value

    return filtered


def _plain_reader(lookup: Lookup) -> Run:
    name, steps = lookup.name, lookup.steps
    if not steps:
        return lambda ctx: ctx[name]
    if len(steps) == 2:  # request.params.id, request.query.page: the common case, unrolled
        (key1, readable1), (key2, readable2) = steps

        def get2(ctx: Context) -> Any:
            value: Any = ctx[name]
            if type(value) in readable1:
                value = value[key1]
                if type(value) in readable2:
                    return value[key2]
            raise Miss

        return get2

    def get(ctx: Context) -> Any:
        value: Any = ctx[name]
        for key, readable in steps:
            if type(value) not in readable:
                raise Miss
            value = value[key]
        return value

    return get


def text_reader(shape: Shape) -> Run:
    """A function joining a text shape; ``text {{ a.b }} text`` (the usual one) unrolled."""
    if len(shape) == 3:
        before, lookup, after = shape
        assert isinstance(before, str) and isinstance(lookup, Lookup) and isinstance(after, str)
        read = reader(lookup)

        def one(ctx: Context) -> str:
            value = read(ctx)
            return before + (value if value.__class__ is str else str(value)) + after

        return one
    parts = [part if isinstance(part, str) else reader(part) for part in shape]

    def joined(ctx: Context) -> str:
        return "".join([part if isinstance(part, str) else str(part(ctx)) for part in parts])

    return joined


def emit_lookup(lookup: Lookup, var: str, scope: dict[str, Any]) -> list[str]:
    """Python statements that read ``lookup`` into ``var`` (raising ``Miss``), for generated
    code. Names and keys go into ``scope``; the code itself holds only ``var``-derived
    identifiers, never text from a config."""
    scope[f"{var}_n"] = lookup.name
    lines = [f"{var} = ctx[{var}_n]"]
    for index, (key, readable) in enumerate(lookup.steps):
        scope[f"{var}_k{index}"], scope[f"{var}_r{index}"] = key, readable
        lines.append(f"if type({var}) not in {var}_r{index}: raise _Miss")
        lines.append(f"{var} = {var}[{var}_k{index}]")
    for index, apply in enumerate(lookup.filters):
        scope[f"{var}_f{index}"] = apply
        lines.append(f"{var} = {var}_f{index}({var})")
    return lines
