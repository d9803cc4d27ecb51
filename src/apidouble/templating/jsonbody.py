"""A JSON body with templates in it, compiled once into text with typed slots.

At load time the body is encoded to JSON text around its template leaves, leaving a
list of (slot, following text) pairs. Per request each slot's output is encoded and the
pieces are joined: no walk over dicts and lists, no re-encoding of the static parts.
A typed slot (a string that is one ``{{ expression }}``) is encoded as whatever JSON its
value is; any other template's text is encoded as a JSON string, so quotes, newlines and
control characters inserted by a template can never break the document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from json.encoder import encode_basestring
from typing import Any

from .compile import Template, compile_template, is_template
from .environment import TemplateEnvironment, generated_code
from .fastpath import MISSES, Context, Lookup, Miss, emit_lookup
from .filters import to_json
from .requestview import RequestView

_encode_str: Callable[[str], str] = encode_basestring


def encode_static(value: Any) -> str:
    """JSON text exactly as ``responses.encode_json`` writes it (compact, UTF-8)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def json_text(value: Any) -> str:
    """One typed slot's value as JSON text; the common scalar types skip ``json.dumps``."""
    cls = value.__class__
    if cls is str:
        return _encode_str(value)
    if cls is int:
        return int.__repr__(value)
    if cls is RequestView:
        value = value.materialize()
    return to_json(value)


def _slot(template: Template, encode: Callable[[Any], str]) -> Callable[[Context], str]:
    """A slot's JSON text: the fast lookup when it applies, else Jinja, then ``encode``."""
    fast, slow = template.fast, template.slow
    if fast is None or slow is None:
        run = template.run
        return lambda ctx: encode(run(ctx))

    def slot(ctx: Context) -> str:
        try:
            value = fast(ctx)
        except MISSES:
            value = slow(ctx)
        return encode(value)

    return slot


def text_slot(template: Template) -> Callable[[Context], str]:
    """A template rendered inside a larger string: always a JSON string."""
    return _slot(template, _encode_str)


def typed_slot(template: Template) -> Callable[[Context], str]:
    """A lone expression: its value's own JSON (a plain lookup runs inline)."""
    return _slot(template, json_text)


def render_by_slots(
    head: str, slots: tuple[tuple[Callable[[Context], str], str], ...], ctx: Context
) -> str:
    """The general form of ``JsonBody.render``: each slot on its own, Jinja where needed."""
    out = [head]
    for slot, tail in slots:
        out.append(slot(ctx))
        out.append(tail)
    return "".join(out)


class JsonBody:
    """A JSON value compiled to JSON text with slots; ``static`` when it has no template."""

    __slots__ = ("static", "names", "render", "_head", "_slots", "_templates", "_pieces", "_text")

    def __init__(self, env: TemplateEnvironment, value: Any) -> None:
        self._pieces: list[str | Callable[[Context], str]] = []
        self._templates: list[Template] = []
        self._text: list[str] = []
        names: set[str] = set()
        self._walk(env, value, "", names)
        self._flush()
        self.names = frozenset(names)
        pieces = self._pieces
        self.static = len(pieces) == 1
        self._head: str = pieces[0]  # type: ignore[assignment]
        self._slots: tuple[tuple[Callable[[Context], str], str], ...] = tuple(
            (pieces[i], pieces[i + 1])  # type: ignore[misc]
            for i in range(1, len(pieces), 2)
        )
        head = self._head
        self.render: Callable[[Context], str] = (
            self._unrolled() if self._slots else lambda ctx: head
        )
        """The body's JSON text for one context. It holds nothing that holds the body:
        a cycle would keep every replaced config alive until a full collection."""

    def _flush(self) -> None:
        self._pieces.append("".join(self._text))
        self._text = []

    def _walk(self, env: TemplateEnvironment, value: Any, pointer: str, names: set[str]) -> None:
        text = self._text
        if isinstance(value, dict):
            text.append("{")
            for index, (key, item) in enumerate(value.items()):
                text.append("," if index else "")
                text.append(encode_static(str(key)) + ":")
                self._walk(env, item, f"{pointer}/{key}", names)
                text = self._text  # a slot starts a new run of text
            text.append("}")
        elif isinstance(value, list):
            text.append("[")
            for index, item in enumerate(value):
                text.append("," if index else "")
                self._walk(env, item, f"{pointer}/{index}", names)
                text = self._text
            text.append("]")
        elif isinstance(value, str) and is_template(value):
            try:
                template = compile_template(env, value, typed=True)
            except ValueError as exc:
                raise ValueError(f"in {pointer or '/'}: {exc}") from exc
            names.update(template.names)
            self._flush()
            self._pieces.append(typed_slot(template) if template.typed else text_slot(template))
            self._templates.append(template)
        else:
            text.append(encode_static(value))

    def _unrolled(self) -> Callable[[Context], str]:
        """``render`` as one generated function: every plain lookup inline (each distinct
        one read once), then one ``join`` of head, slot outputs and tails. A lookup that
        misses sends the whole render through the slot functions (Jinja where needed).
        The generated code holds only generated identifiers; all text, keys and names
        from the config are passed in through its namespace."""
        scope: dict[str, Any] = {
            "_join": "".join,
            "_enc": _encode_str,
            "_json": json_text,
            "_Miss": Miss,
            "_MISSES": MISSES,
            "_slow": partial(render_by_slots, self._head, self._slots),
            "h": self._head,
        }
        reads: list[str] = []
        seen: dict[Lookup, str] = {}

        def read(lookup: Lookup) -> str:
            if lookup not in seen:
                seen[lookup] = var = f"v{len(seen)}"
                reads.extend(emit_lookup(lookup, var, scope))
            return seen[lookup]

        items = ["h"]
        for index, (slot, tail) in enumerate(self._slots):
            template = self._templates[index]
            shape = template.shape
            if shape is not None and template.typed:
                var = read(shape[0])  # type: ignore[arg-type]
                expr = f"(_enc({var}) if {var}.__class__ is str else _json({var}))"
            elif shape is not None:
                pieces = []
                for number, part in enumerate(shape):
                    if isinstance(part, str):
                        scope[f"c{index}_{number}"] = part
                        pieces.append(f"c{index}_{number}")
                    else:
                        var = read(part)
                        pieces.append(f"({var} if {var}.__class__ is str else str({var}))")
                expr = f"_enc({' + '.join(pieces)})"
            else:
                scope[f"s{index}"] = slot
                expr = f"s{index}(ctx)"
            scope[f"t{index}"] = tail
            items.append(f"{expr}, t{index}")
        lines = ["def render(ctx):"]
        if reads:
            lines += ["    try:", *(f"        {line}" for line in reads)]
            lines += ["    except _MISSES:", "        return _slow(ctx)"]
        lines.append(f"    return _join(({', '.join(items)}))")
        exec(generated_code("\n".join(lines)), scope)
        render: Callable[[Context], str] = scope.pop("render")  # its globals: no cycle
        return render

    def value(self, ctx: Context) -> Any:
        """The rendered body as Python data."""
        return json.loads(self.render(ctx))
