"""XPath 1.0 over ``xmltree``: compiled once into closures, evaluated per request.

Covers location paths (``/``, ``//``, ``.``, ``..``, ``@``, ``*``, the ``child``,
``descendant``, ``descendant-or-self``, ``self``, ``parent``, ``attribute`` axes), node
tests (``text()``, ``node()``), predicates, operators (``or and = != < <= > >= + - * div
mod |``) and the core functions matching needs. ``namespaces`` maps prefixes to URIs;
without it (as WireMock does) names match by local name alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from apidouble.matching.xmltree import Attr, Element, Node, Root, Text

Value = Any  # list[Node] | str | float | bool
Eval = Callable[["Context"], Value]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<str>\"[^\"]*\"|'[^']*')"
    r"|(?P<op>//|::|!=|<=|>=|\.\.|[/\[\]()@,|=<>+\-*.$])"
    r"|(?P<name>[A-Za-z_][\w.\-]*(?::(?:[A-Za-z_][\w.\-]*|\*))?))"
)
_AXES = ("child", "descendant", "descendant-or-self", "self", "parent", "attribute",
         "ancestor", "ancestor-or-self", "following-sibling", "preceding-sibling")  # fmt: skip
_BEFORE_OPERAND = frozenset(
    ("@", "::", "(", "[", ",", "/", "//", "|", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*",
     "\0and", "\0or", "\0div", "\0mod", "\0*")
)  # fmt: skip
_NODE_TYPES = ("text", "node", "comment", "processing-instruction")


class Context:
    __slots__ = ("node", "position", "size")

    def __init__(self, node: Node, position: int = 1, size: int = 1) -> None:
        self.node = node
        self.position = position
        self.size = size


def _tokens(expression: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(expression):
        found = _TOKEN.match(expression, pos)
        if found is None or found.end() == pos:
            if expression[pos:].strip():
                raise ValueError(f"cannot read XPath at {expression[pos:]!r}")
            break
        pos = found.end()
        kind = found.lastgroup
        token = found.group(kind or 0)
        # After an operand, a name or ``*`` is an operator, not a name test.
        after_operand = bool(out) and out[-1] not in _BEFORE_OPERAND
        if kind == "name" and after_operand and token in ("and", "or", "div", "mod"):
            token = "\0" + token
        if token == "*" and after_operand:
            token = "\0*"
        out.append(("\1" + token) if kind in ("num", "str") else token)
    return out


def to_string(value: Value) -> str:
    if isinstance(value, list):
        return string_value(value[0]) if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def string_value(node: Node) -> str:
    if isinstance(node, Attr | Text):
        return node.value
    assert isinstance(node, Element)
    return node.string_value()


def to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    try:
        return float(to_string(value).strip())
    except ValueError:
        return math.nan


def to_bool(value: Value) -> bool:
    if isinstance(value, list | str):
        return bool(value)
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return bool(value)


def _compare(op: str, left: Value, right: Value) -> bool:
    if isinstance(left, list) or isinstance(right, list):
        lefts = [string_value(n) for n in left] if isinstance(left, list) else [left]
        rights = [string_value(n) for n in right] if isinstance(right, list) else [right]
        if isinstance(left, list) and isinstance(right, bool):
            return _compare(op, bool(left), right)
        if isinstance(right, list) and isinstance(left, bool):
            return _compare(op, left, bool(right))
        return any(_compare(op, a, b) for a in lefts for b in rights)
    if op in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            same = to_bool(left) == to_bool(right)
        elif isinstance(left, float) or isinstance(right, float):
            same = to_number(left) == to_number(right)
        else:
            same = to_string(left) == to_string(right)
        return same if op == "=" else not same
    a, b = to_number(left), to_number(right)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _children(node: Node) -> list[Node]:
    return list(node.children) if isinstance(node, Element) else []


def _descendants(node: Node) -> list[Node]:
    found: list[Node] = []
    pending = list(reversed(_children(node)))
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(reversed(_children(current)))
    return found


def _axis(name: str, node: Node) -> list[Node]:
    if name == "child":
        return _children(node)
    if name == "attribute":
        return list(node.attrs) if isinstance(node, Element) else []
    if name == "descendant":
        return _descendants(node)
    if name == "descendant-or-self":
        return [node, *_descendants(node)]
    if name == "self":
        return [node]
    if name == "parent":
        return [node.parent] if node.parent is not None else []
    if name in ("ancestor", "ancestor-or-self"):
        chain = [node] if name == "ancestor-or-self" else []
        current = node.parent
        while current is not None:
            chain.append(current)
            current = current.parent
        return chain
    siblings = _children(node.parent) if node.parent is not None else []
    index = next((i for i, s in enumerate(siblings) if s is node), 0)
    return siblings[index + 1 :] if name == "following-sibling" else siblings[:index][::-1]


class _Parser:
    def __init__(self, expression: str, namespaces: dict[str, str] | None) -> None:
        self.tokens = _tokens(expression)
        self.pos = 0
        self.namespaces = namespaces

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"XPath: expected {expected or 'more'}, found {token!r}")
        self.pos += 1
        return token

    def parse(self) -> Eval:
        result = self.binary(0)
        if self.peek() is not None:
            raise ValueError(f"XPath: unexpected {self.peek()!r}")
        return result

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("\0or",), ("\0and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"),
        ("\0*", "\0div", "\0mod"),
    )  # fmt: skip

    def binary(self, level: int) -> Eval:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            op = self.take().lstrip("\0")
            right = self.binary(level + 1)
            left = _operator(op, left, right)
        return left

    def unary(self) -> Eval:
        if self.peek() == "-":
            self.take()
            inner = self.unary()
            return lambda c: -to_number(inner(c))
        left = self.path()
        while self.peek() == "|":
            self.take()
            right = self.path()
            left = _union(left, right)
        return left

    def path(self) -> Eval:
        token = self.peek()
        if token in ("/", "//"):
            self.take()
            steps: list[Callable[[list[Node]], list[Node]]] = []
            if token == "//":
                steps.append(_step_all("descendant-or-self", _any_node, []))
            if token == "//" or self._starts_step():
                steps.extend(self.relative())
            return _absolute(steps)
        if token is not None and (token.startswith("\1") or token == "(" or token == "$"
                                  or self._is_function()):  # fmt: skip
            primary = self.primary()
            predicates = self.predicates()
            base = _filtered(primary, predicates)
            if self.peek() in ("/", "//"):
                return _then(base, self.relative_after())
            return base
        return _relative(self.relative())

    def _starts_step(self) -> bool:
        token = self.peek()
        return token is not None and (token in (".", "..", "@", "*") or token[0].isalpha()
                                      or token[0] == "_")  # fmt: skip

    def _is_function(self) -> bool:
        token = self.peek()
        following = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        return (token is not None and following == "(" and token not in _NODE_TYPES
                and token[0].isalpha())  # fmt: skip

    def relative_after(self) -> list[Callable[[list[Node]], list[Node]]]:
        steps = []
        while self.peek() in ("/", "//"):
            if self.take() == "//":
                steps.append(_step_all("descendant-or-self", _any_node, []))
            steps.append(self.step())
        return steps

    def relative(self) -> list[Callable[[list[Node]], list[Node]]]:
        steps = [self.step()]
        steps.extend(self.relative_after())
        return steps

    def step(self) -> Callable[[list[Node]], list[Node]]:
        token = self.take()
        if token == ".":
            return _step_all("self", _any_node, self.predicates())
        if token == "..":
            return _step_all("parent", _any_node, self.predicates())
        axis = "child"
        if token == "@":
            axis, token = "attribute", self.take()
        elif self.peek() == "::":
            if token not in _AXES:
                raise ValueError(f"XPath: unsupported axis {token!r}")
            axis = token
            self.take()
            token = self.take()
        test = self.node_test(token, axis)
        return _step_all(axis, test, self.predicates())

    def node_test(self, token: str, axis: str) -> Callable[[Node], bool]:
        if token in _NODE_TYPES and self.peek() == "(":
            self.take("(")
            self.take(")")
            if token == "text":
                return lambda n: isinstance(n, Text)
            return _any_node if token == "node" else (lambda n: False)
        kind: type = Attr if axis == "attribute" else Element
        if token in ("*", "\0*"):
            return lambda n: isinstance(n, kind) and not isinstance(n, Root)
        prefix, _, local = token.rpartition(":")
        if self.namespaces is None:
            if prefix:
                return lambda n: False  # an unbound prefix selects nothing (as WireMock)
            return lambda n: isinstance(n, kind) and n.local == local  # type: ignore[attr-defined]
        if prefix and prefix not in self.namespaces:
            return lambda n: False
        uri = self.namespaces[prefix] if prefix else ""
        if local == "*":
            return lambda n: isinstance(n, kind) and n.ns == uri  # type: ignore[attr-defined]
        return lambda n: isinstance(n, kind) and n.local == local and n.ns == uri  # type: ignore[attr-defined]

    def predicates(self) -> list[Eval]:
        found = []
        while self.peek() == "[":
            self.take()
            found.append(self.binary(0))
            self.take("]")
        return found

    def primary(self) -> Eval:
        token = self.take()
        if token.startswith("\1"):
            literal = token[1:]
            if literal[0] in "\"'":
                text = literal[1:-1]
                return lambda c: text
            number = float(literal)
            return lambda c: number
        if token == "(":
            inner = self.binary(0)
            self.take(")")
            return inner
        if token == "$":
            raise ValueError("XPath: variables are not supported")
        self.take("(")
        args: list[Eval] = []
        while self.peek() != ")":
            args.append(self.binary(0))
            if self.peek() == ",":
                self.take()
        self.take(")")
        return _function(token, args)


def _any_node(node: Node) -> bool:
    return True


def _in_order(nodes: list[Node]) -> list[Node]:
    seen: dict[int, Node] = {id(n): n for n in nodes}
    return sorted(seen.values(), key=lambda n: n.order)


def _step_all(axis: str, test: Callable[[Node], bool],
              predicates: list[Eval]) -> Callable[[list[Node]], list[Node]]:  # fmt: skip

    def run(nodes: list[Node]) -> list[Node]:
        out: list[Node] = []
        for node in nodes:
            selected = [n for n in _axis(axis, node) if test(n)]
            for predicate in predicates:
                size = len(selected)
                kept = []
                for index, candidate in enumerate(selected, 1):
                    value = predicate(Context(candidate, index, size))
                    ok = to_number(value) == index if isinstance(value, float) else to_bool(value)
                    if ok:
                        kept.append(candidate)
                selected = kept
            out.extend(selected)
        return _in_order(out)

    return run


def _absolute(steps: list[Callable[[list[Node]], list[Node]]]) -> Eval:
    def run(context: Context) -> Value:
        node: Node = context.node
        while node.parent is not None:
            node = node.parent
        nodes: list[Node] = [node]
        for step in steps:
            nodes = step(nodes)
        return nodes

    return run


def _relative(steps: list[Callable[[list[Node]], list[Node]]]) -> Eval:
    def run(context: Context) -> Value:
        nodes = [context.node]
        for step in steps:
            nodes = step(nodes)
        return nodes

    return run


def _then(base: Eval, steps: list[Callable[[list[Node]], list[Node]]]) -> Eval:
    def run(context: Context) -> Value:
        nodes = base(context)
        if not isinstance(nodes, list):
            raise ValueError("XPath: a path step after a value that is not a node-set")
        for step in steps:
            nodes = step(nodes)
        return nodes

    return run


def _filtered(primary: Eval, predicates: list[Eval]) -> Eval:
    if not predicates:
        return primary

    def run(context: Context) -> Value:
        nodes = primary(context)
        if not isinstance(nodes, list):
            raise ValueError("XPath: a predicate on a value that is not a node-set")
        step = _step_all("self", _any_node, predicates)
        return step(nodes) if len(predicates) else nodes

    return run


def _union(left: Eval, right: Eval) -> Eval:
    def run(context: Context) -> Value:
        a, b = left(context), right(context)
        if not isinstance(a, list) or not isinstance(b, list):
            raise ValueError("XPath: | needs node-sets")
        return _in_order(a + b)

    return run


def _operator(op: str, left: Eval, right: Eval) -> Eval:
    if op == "or":
        return lambda c: to_bool(left(c)) or to_bool(right(c))
    if op == "and":
        return lambda c: to_bool(left(c)) and to_bool(right(c))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return lambda c: _compare(op, left(c), right(c))
    arithmetic: dict[str, Callable[[float, float], float]] = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "div": lambda a, b: a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a)),
        "mod": lambda a, b: math.fmod(a, b) if b else math.nan,
    }
    apply = arithmetic[op]
    return lambda c: apply(to_number(left(c)), to_number(right(c)))


def _node_arg(args: list[Eval], context: Context) -> Node | None:
    if not args:
        return context.node
    nodes = args[0](context)
    return nodes[0] if isinstance(nodes, list) and nodes else None


def _name_of(node: Node | None, local: bool) -> str:
    if isinstance(node, Element | Attr) and not isinstance(node, Root):
        return node.local if local else node.name
    return ""


def _function(name: str, args: list[Eval]) -> Eval:
    def s(i: int, c: Context) -> str:
        return to_string(args[i](c)) if i < len(args) else string_value(c.node)

    table: dict[str, Eval] = {
        "count": lambda c: float(len(args[0](c))),
        "last": lambda c: float(c.size),
        "position": lambda c: float(c.position),
        "string": lambda c: s(0, c),
        "concat": lambda c: "".join(to_string(a(c)) for a in args),
        "contains": lambda c: s(1, c) in s(0, c),
        "starts-with": lambda c: s(0, c).startswith(s(1, c)),
        "ends-with": lambda c: s(0, c).endswith(s(1, c)),
        "string-length": lambda c: float(len(s(0, c))),
        "normalize-space": lambda c: " ".join(s(0, c).split()),
        "substring-before": lambda c: s(0, c).partition(s(1, c))[0] if s(1, c) in s(0, c) else "",
        "substring-after": lambda c: s(0, c).partition(s(1, c))[2] if s(1, c) in s(0, c) else "",
        "translate": lambda c: s(0, c).translate(
            {ord(a): (s(2, c)[i] if i < len(s(2, c)) else None) for i, a in enumerate(s(1, c))}
        ),
        "not": lambda c: not to_bool(args[0](c)),
        "true": lambda c: True,
        "false": lambda c: False,
        "boolean": lambda c: to_bool(args[0](c)),
        "number": lambda c: to_number(args[0](c)) if args else to_number(string_value(c.node)),
        "sum": lambda c: float(sum(to_number(string_value(n)) for n in args[0](c))),
        "floor": lambda c: float(math.floor(to_number(args[0](c)))),
        "ceiling": lambda c: float(math.ceil(to_number(args[0](c)))),
        "round": lambda c: float(math.floor(to_number(args[0](c)) + 0.5)),
        "local-name": lambda c: _name_of(_node_arg(args, c), True),
        "name": lambda c: _name_of(_node_arg(args, c), False),
        "namespace-uri": lambda c: getattr(_node_arg(args, c), "ns", ""),
        "substring": lambda c: _substring(s(0, c), args, c),
    }
    if name not in table:
        raise ValueError(f"XPath: unknown function {name}()")
    return table[name]


def _substring(text: str, args: list[Eval], context: Context) -> str:
    start = round(to_number(args[1](context)))
    end = start + round(to_number(args[2](context))) if len(args) > 2 else len(text) + 1
    return "".join(ch for i, ch in enumerate(text, 1) if start <= i < end)


def compile_xpath(expression: str, namespaces: dict[str, str] | None = None) -> Eval:
    """Compile an XPath 1.0 expression; raise ``ValueError`` when it cannot be read."""
    return _Parser(expression, namespaces).parse()


def evaluate(compiled: Eval, root: Root) -> Value:
    """Evaluate against a document (the context node is the document node)."""
    return compiled(Context(root))
