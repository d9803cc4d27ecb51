"""The Handlebars AST -> Jinja2 source, run in our sandbox (load time only).

Handlebars scopes are static, so each block that changes ``this`` (``each``, ``with``,
a section) gets its own Jinja variable (``hb_s1``...) and a path compiles to a lookup
along the chain of scopes it can see (Handlebars.java falls back to outer contexts).
Block parameters (``as |item i|``) are a dict per scope (``hb_p3``), looked up before
its ``this``. Handlebars.java makes a context opened inside a block-parameter scope
"parent first": its ``this``, names and ``@data`` come from the parent when it has
them, which the scope chain copies (checked against WireMock 3.13.2).
Everything runs through filters (``chain|hb_path(parts)``, ``hb_h3|hb_call(params,
hash, root)``), which Jinja calls directly, without its per-call sandbox dispatch; they
are our own functions, and no template value is ever an attribute or call target.
Literal strings and text become constants (``hb_c2``), never parsed as Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .helpers import BUILT_IN_BLOCKS
from .parser import Block, Call, HandlebarsSyntaxError, Literal, Mustache, Node, Path, Text
from .registry import BODY, ITERATION_END, JS_PRINTED, THIS, Helper, HelperSet

__all__ = ["Translation", "translate"]


@dataclass
class Translation:
    """Jinja source plus the values its names stand for, and what the helpers need."""

    source: str
    constants: dict[str, Any] = field(default_factory=dict)
    helpers: dict[str, Helper] = field(default_factory=dict)
    needs: set[str] = field(default_factory=set)


@dataclass
class _Scope:
    var: str
    loop: int | None = None  # the each-loop number that made this scope, for @data
    params: str | None = None  # the Jinja dict of its block parameters
    parent_first: bool = False


def _chain(scopes: list[_Scope]) -> list[str]:
    """Where a name is looked up, in order: block parameters, ``this``, then outward
    (a parent-first scope asks its parent before its own ``this``)."""
    *outer, scope = scopes
    rest = _chain(outer) if outer else []
    if scope.parent_first:
        return [*rest, scope.var]
    return [*_own(scope), *rest]


def _own(scope: _Scope) -> list[str]:
    return [scope.params, scope.var] if scope.params else [scope.var]


def _this_chain(scopes: list[_Scope]) -> list[str]:
    """Where ``this.name`` is looked up: the current context only (with its block
    parameters, which Handlebars.java finds there too)."""
    *outer, scope = scopes
    if scope.parent_first and outer:
        return [*_this_chain(outer), scope.var]
    return _own(scope)


def _this(scopes: list[_Scope]) -> str:
    index = len(scopes) - 1
    while index > 0 and scopes[index].parent_first:
        index -= 1
    return scopes[index].var


def _loops(scopes: list[_Scope]) -> list[int]:
    """Each loops whose ``@index`` a plain ``@index`` may mean, nearest first."""
    *outer, scope = scopes
    rest = _loops(outer) if outer else []
    own = [scope.loop] if scope.loop is not None else []
    return [*rest, *own] if scope.parent_first else [*own, *rest]


class _Translator:
    def __init__(self, helpers: HelperSet) -> None:
        self.helpers = helpers
        self.out = "|hb_out_js }}" if id(helpers) in JS_PRINTED else "|hb_out }}"
        """How a printed value ends: the dialect's way of turning it into text."""
        self.result = Translation("")
        self.counter = 0
        self.helper_vars: dict[str, str] = {}
        self.repeats: set[int] = set()  # the loops of ``loop`` helpers (they know @total)

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def constant(self, value: Any) -> str:
        name = f"hb_c{len(self.result.constants)}"
        self.result.constants[name] = value
        return name

    def helper(self, name: str) -> str:
        var = self.helper_vars.get(name)
        if var is None:
            spec = self.helpers[name]
            var = self.helper_vars[name] = f"hb_h{len(self.helper_vars)}"
            self.result.helpers[var] = spec
            self.result.needs.update(spec.needs)
        return var

    # ---- expressions

    def expr(self, node: Any, scopes: list[_Scope]) -> str:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, Path):
            return self.path(node, scopes, node_line=1)
        assert isinstance(node, Call)
        return self.call(node, scopes)

    def literal(self, value: Any) -> str:
        if value is None:
            return "none"
        if value is True or value is False:
            return "true" if value else "false"
        if isinstance(value, int | float):
            return repr(value)
        return self.constant(value)

    def is_helper(self, target: Path) -> bool:
        simple = len(target.parts) == 1 and not (target.this or target.data or target.up)
        return simple and target.parts[0] in self.helpers

    def call(self, node: Call, scopes: list[_Scope], body: str | None = None) -> str:
        target = node.target
        if self.is_helper(target):
            params = "".join(self.expr(p, scopes) + ", " for p in node.params)
            pairs = [f"{key!r}: {self.expr(value, scopes)}" for key, value in node.hash]
            if body is not None:
                pairs.append(f"{BODY!r}: {body}")
            var = self.helper(target.parts[0])
            return f"({var}|hb_call(({params}), {{{', '.join(pairs)}}}, hb_s0))"
        if node.params or node.hash or body is not None:
            name = ".".join(target.parts)
            raise HandlebarsSyntaxError(f"could not find helper: {name!r}", node.line)
        return self.path(target, scopes, node.line)

    def path(self, path: Path, scopes: list[_Scope], node_line: int) -> str:
        if path.up >= len(scopes) and not path.data:
            return "none"
        if path.data:
            return self.data(path, scopes)
        visible = scopes[: len(scopes) - path.up]
        if path.this and not path.parts:
            return _this(visible)
        chain = _this_chain(visible) if path.this else _chain(visible)
        if len(chain) == 1:
            return f"({chain[0]}|hb_path({path.parts!r}))"
        return f"(({', '.join(chain)},)|hb_chain({path.parts!r}))"

    def data(self, path: Path, scopes: list[_Scope]) -> str:
        name = path.parts[0] if path.parts else ""
        if name == "root":
            return f"(hb_s0|hb_path({path.parts[1:]!r}))" if len(path.parts) > 1 else "hb_s0"
        if path.up:
            loops = [s.loop for s in reversed(scopes) if s.loop is not None]
        else:
            loops = _loops(scopes)
        if path.up >= len(loops):
            return "none"
        loop = loops[path.up]
        if name == "total" and loop in self.repeats:
            return f"(hb_n{loop}|length)"
        value = {
            "index": f"hb_i{loop}",
            "first": f"hb_f{loop}",
            "last": f"hb_z{loop}",
            "key": f"hb_k{loop}",
            "odd": f"('odd' if hb_i{loop} is odd else '')",
            "even": f"('even' if hb_i{loop} is even else '')",
        }.get(name)
        return value or "none"

    # ---- nodes

    def nodes(self, nodes: list[Node], scopes: list[_Scope]) -> str:
        return "".join(self.node(n, scopes) for n in nodes)

    def node(self, node: Node, scopes: list[_Scope]) -> str:
        if isinstance(node, Text):
            value = node.value
            if "{" in value or "\r" in value or "}" in value[-1:]:
                return "{{ " + self.constant(value) + " }}"
            return value
        if isinstance(node, Mustache):
            return "{{ " + self.expr(node.expr, scopes) + self.out
        return self.block(node, scopes)

    def block(self, block: Block, scopes: list[_Scope]) -> str:
        call, target = block.call, block.call.target
        simple = len(target.parts) == 1 and not (target.this or target.data or target.up)
        name = target.parts[0] if simple else ""
        inverse = self.nodes(block.inverse, scopes) if block.inverse is not None else ""
        first = self.expr(call.params[0], scopes) if call.params else "none"
        if block.inverted:
            value = self.call(call, scopes) if not (simple and name in BUILT_IN_BLOCKS) else first
            return self.if_(f"not {value}|hb_truthy", self.nodes(block.body, scopes), inverse)
        if name == "each":
            return self.loop(f"{first}|hb_items", block, scopes, inverse)
        if name == "with":
            return self.with_(first, block, scopes, inverse)
        spec = self.helpers.get(name) if simple and name not in BUILT_IN_BLOCKS else None
        if spec is not None and spec.block == "value":  # WireMock prints it, body unused
            return "{{ " + self.call(call, scopes) + self.out
        if spec is not None and spec.block == "loop":
            return self.repeat(call, block, scopes)
        if not (name in ("if", "unless") or spec is not None):
            return self.loop(f"{self.call(call, scopes)}|hb_section", block, scopes, inverse)
        setter, inner = self.same_context(block, scopes)
        body = self.nodes(block.body, inner)
        if spec is not None and spec.block == "capture":
            number = self.fresh()
            captured = f"{{% set hb_t{number} %}}{body}{{% endset %}}"
            return setter + captured + "{{ " + self.call(call, scopes, f"hb_t{number}") + self.out
        if name in ("if", "unless"):
            test = f"{first}|hb_truthy" if name == "if" else f"not {first}|hb_truthy"
        else:
            test = f"{self.call(call, scopes)}|hb_truthy"
            if spec is not None and spec.block == "body_if":
                inverse = ""
        return setter + self.if_(test, body, inverse)

    def child(self, block: Block, scopes: list[_Scope], loop: bool) -> tuple[_Scope, str]:
        """The scope a block opens (``each``, ``with``, a section) and, when it has block
        parameters, the Jinja that binds them (``item``, then the key or index)."""
        number = self.fresh()
        parent = scopes[-1]
        scope = _Scope(
            f"hb_s{number}",
            loop=number if loop else None,
            parent_first=not block.params and (parent.params is not None or parent.parent_first),
        )
        if not block.params:
            return scope, ""
        scope.params = f"hb_p{number}"
        values = [scope.var, f"hb_k{number}"] if loop else [scope.var]
        bound = zip(block.params, values, strict=False)  # a third name is bound to nothing
        pairs = ", ".join(f"{self.constant(name)}: {value}" for name, value in bound)
        return scope, f"{{% set {scope.params} = {{{pairs}}} %}}"

    def same_context(self, block: Block, scopes: list[_Scope]) -> tuple[str, list[_Scope]]:
        """Block parameters on a block that keeps ``this`` (``if``, a helper's block):
        Handlebars.java binds the first one to ``this``."""
        if not block.params:
            return "", scopes
        number = self.fresh()
        scope = _Scope(_this(scopes), params=f"hb_p{number}")
        pair = f"{self.constant(block.params[0])}: {scope.var}"
        return f"{{% set {scope.params} = {{{pair}}} %}}", [*scopes, scope]

    def with_(self, value: str, block: Block, scopes: list[_Scope], inverse: str) -> str:
        scope, bind = self.child(block, scopes, loop=False)
        body = self.nodes(block.body, [*scopes, scope])
        setter = f"{{% set {scope.var} = {value} %}}{bind}"
        return setter + self.if_(f"{scope.var}|hb_truthy", body, inverse)

    def loop(self, items: str, block: Block, scopes: list[_Scope], inverse: str) -> str:
        scope, bind = self.child(block, scopes, loop=True)
        number = scope.loop
        body = self.nodes(block.body, [*scopes, scope])
        names = f"hb_k{number}, hb_s{number}, hb_i{number}, hb_f{number}, hb_z{number}"
        head = f"{{% for {names} in {items} %}}{bind}"
        tail = f"{{% else %}}{inverse}{{% endfor %}}" if inverse else "{% endfor %}"
        return head + body + tail

    def repeat(self, call: Call, block: Block, scopes: list[_Scope]) -> str:
        """A ``loop`` helper's block: the helper gives the iterations (the current
        context each time), the body is rendered for each, and the helper joins them."""
        scope, bind = self.child(block, scopes, loop=True)
        number = scope.loop
        assert number is not None
        self.repeats.add(number)
        var = self.helper(call.target.parts[0])
        params = "".join(self.expr(p, scopes) + ", " for p in call.params)
        pairs = [f"{key!r}: {self.expr(value, scopes)}" for key, value in call.hash]
        given = ", ".join([*pairs, f"{THIS!r}: {_this(scopes)}"])
        body = self.nodes(block.body, [*scopes, scope])
        names = f"hb_k{number}, hb_s{number}, hb_i{number}, hb_f{number}, hb_z{number}"
        end = self.constant(ITERATION_END)
        joined = ", ".join([*pairs, f"{BODY!r}: hb_t{number}"])
        return (
            f"{{% set hb_n{number} = ({var}|hb_call(({params}), {{{given}}}, hb_s0)) %}}"
            f"{{% set hb_t{number} %}}{{% for {names} in hb_n{number} %}}{bind}{body}"
            f"{{{{ {end} }}}}{{% endfor %}}{{% endset %}}"
            f"{{{{ ({var}|hb_call((), {{{joined}}}, hb_s0)){self.out}"
        )

    @staticmethod
    def if_(test: str, body: str, inverse: str) -> str:
        if inverse:
            return f"{{% if {test} %}}{body}{{% else %}}{inverse}{{% endif %}}"
        return f"{{% if {test} %}}{body}{{% endif %}}"


def translate(nodes: list[Node], helpers: HelperSet) -> Translation:
    """Jinja source for a parsed template, with the helpers and constants it uses."""
    translator = _Translator(helpers)
    translator.result.source = translator.nodes(nodes, [_Scope("hb_s0")])
    return translator.result
