"""Which operation and which of its responses answer, and the data Prism's static mode
puts in it.

Routes: literal paths are a dict lookup; templated ones are tried in the order Prism
prefers (at the first segment where two differ, a literal beats a template), then in
the spec's order. Literal segments compare percent-decoded; path parameters are handed
on still encoded, as the validator expects.

The client chooses with ``Prefer: code=404, example=name, dynamic=true`` or the
``__code``/``__example``/``__dynamic`` query parameters (the header wins). Without a
code the lowest success answers: an exact 2xx, else a ``2XX`` range, else ``default``,
else the first response the spec lists (a 1xx never answers: clients take it for an
interim response and wait on). A wanted code is looked up exactly, then in its
range, then as ``default``.

Static data for a schema without an example follows openapi-sampler (what Prism uses):
the schema's ``example``/``default``/first ``enum``, ``"string"`` (or, where that does not
fit the schema's ``pattern``, one string drawn from it, the same each time), ``0`` (or the lower
bound: formats such as ``int32`` carry theirs after ``schemacheck.translate``), ``true``,
one array item, every property but the ``writeOnly`` ones.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote

from .formats import pattern_string, pattern_usable
from .generate import GenerationError
from .model import ResponseSpec
from .params import query_pairs
from .regexbound import bounded_search

__all__ = [
    "Preferences",
    "RouteTable",
    "default_response",
    "preferences",
    "response_for_code",
    "sample",
]

T = TypeVar("T")
_TEMPLATE = re.compile(r"\{([^{}]*)\}")


@dataclass(slots=True)
class _Route(Generic[T]):
    template: str
    segments: tuple[str | re.Pattern[str], ...]
    names: tuple[tuple[str, ...], ...]
    """Per segment, the parameter names its pattern's groups stand for."""
    targets: dict[str, T] = field(default_factory=dict)


def _route(template: str) -> _Route[T]:
    segments: list[str | re.Pattern[str]] = []
    names: list[tuple[str, ...]] = []
    for part in template.split("/"):
        found = _TEMPLATE.findall(part)
        if not found:
            segments.append(part)
            names.append(())
            continue
        pieces = _TEMPLATE.split(part)
        regex = "".join(
            re.escape(piece) if i % 2 == 0 else f"(?P<g{i // 2}>.*?)"
            for i, piece in enumerate(pieces)
        )
        segments.append(re.compile(f"^{regex}$", re.S))
        names.append(tuple(found))
    return _Route(template, tuple(segments), tuple(names))


def _match(route: _Route[T], raw: Sequence[str], decoded: Sequence[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, segment in enumerate(route.segments):
        if isinstance(segment, str):
            if segment != decoded[index]:
                return None
            continue
        found = segment.match(decoded[index])
        if found is None:
            return None
        names = route.names[index]
        if len(names) == 1 and found.span(1) == (0, len(decoded[index])):
            params[names[0]] = raw[index]  # the raw segment, still percent-encoded
        else:
            for number, name in enumerate(names):
                params[name] = quote(found.group(number + 1) or "", safe="")
    return params


class RouteTable(Generic[T]):
    """Path templates → per-method targets, compiled once (``add`` all, then ``seal``)."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route[T]] = {}
        self._literal: dict[str, _Route[T]] = {}
        self._templated: dict[int, list[_Route[T]]] = {}

    def add(self, template: str, method: str, target: T) -> None:
        """Serve ``method`` on ``template`` with ``target`` (the first one added wins)."""
        route = self._routes.get(template)
        if route is None:
            route = self._routes[template] = _route(template)
        route.targets.setdefault(method, target)

    def seal(self) -> None:
        """Order the templated routes the way Prism prefers them."""
        ranked: list[tuple[tuple[int, ...], int, _Route[T]]] = []
        for order, route in enumerate(self._routes.values()):
            if all(isinstance(s, str) for s in route.segments):
                self._literal[route.template] = route
            else:
                kinds = tuple(0 if isinstance(s, str) else 1 for s in route.segments)
                ranked.append((kinds, order, route))
        for _, _, route in sorted(ranked, key=lambda entry: (entry[0], entry[1])):
            self._templated.setdefault(len(route.segments), []).append(route)

    def find(self, path: str, method: str) -> tuple[bool, T | None, dict[str, str]]:
        """(some route has the path, the method's target or None, path parameters)."""
        encoded = "%" in path
        literal = self._literal.get(unquote(path) if encoded else path)
        if literal is not None and method in literal.targets:
            return True, literal.targets[method], {}
        raw = path.split("/")
        decoded = [unquote(s) for s in raw] if encoded else raw
        known = literal is not None
        for route in self._templated.get(len(raw), ()):
            params = _match(route, raw, decoded)
            if params is None:
                continue
            target = route.targets.get(method)
            if target is not None:
                return True, target, params
            known = True
        return known, None, {}


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the client asked for (None: not asked)."""

    code: str | None = None
    example: str | None = None
    dynamic: bool | None = None


NO_PREFERENCES = Preferences()


def _flag(text: str) -> bool | None:
    lowered = text.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


def preferences(prefer: str | None, query_string: str) -> Preferences:
    """The ``Prefer`` header's choices over the query fallbacks."""
    found: dict[str, str] = {}
    if "__" in query_string:
        for name, value in query_pairs(query_string):
            if name in ("__code", "__example", "__dynamic"):
                found[name[2:]] = value
    if prefer:
        for item in prefer.replace(";", ",").split(","):
            name, sep, value = item.partition("=")
            name = name.strip().lower()
            if sep and name in ("code", "example", "dynamic"):
                found[name] = value.strip().strip('"')
    if not found:
        return NO_PREFERENCES
    dynamic = _flag(found["dynamic"]) if "dynamic" in found else None
    return Preferences(found.get("code"), found.get("example"), dynamic)


def _exact(status: str) -> int | None:
    return int(status) if len(status) == 3 and status.isdigit() else None


def default_response(responses: tuple[ResponseSpec, ...]) -> tuple[ResponseSpec, int] | None:
    """The response Prism answers with when no code is asked for, and its status."""
    exact = [(code, r) for r in responses if (code := _exact(r.status)) is not None]
    success = sorted((c, i, r) for i, (c, r) in enumerate(exact) if 200 <= c < 300)
    if success:
        return success[0][2], success[0][0]
    for response in responses:
        if response.status.upper() == "2XX":
            return response, 200
    for response in responses:
        if response.status == "default":
            return response, 200
    for first in responses:
        code = _exact(first.status)
        if code is None and first.status[:1].isdigit():
            code = int(first.status[0]) * 100
        if code is not None and code >= 200:  # a 1xx is never a final answer
            return first, code
    return None


def response_for_code(
    responses: tuple[ResponseSpec, ...], code: int, *, use_default: bool = True
) -> ResponseSpec | None:
    """The response for ``code``: exact, then its ``NXX`` range, then ``default``."""
    text = str(code)
    for response in responses:
        if response.status == text:
            return response
    family = f"{text[0]}XX"
    for response in responses:
        if response.status.upper() == family:
            return response
    if use_default:
        for response in responses:
            if response.status == "default":
                return response
    return None


_FORMATS = {
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "date-time": "2019-08-24T14:15:22Z",
    "date": "2019-08-24",
    "time": "14:15:22Z",
    "uuid": "095be615-a8ad-4c33-8e9c-c7612fbf6c9f",
    "uri": "http://example.com",
    "url": "http://example.com",
    "uri-reference": "../dictionary",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.168.0.1",
    "ipv6": "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "byte": "U3dhZ2dlciByb2Nrcw==",
    "binary": "string",
    "password": "pa$$word",
    "duration": "P3D",
    "json-pointer": "/json/pointer",
    "regex": "/regex/",
}
_DEPTH = 8
"""Past this depth, and from a schema's third appearance on the way down (a recursive
one), the value closes: null where allowed, required properties only, the branch that
ends soonest. openapi-sampler stops there with ``{}`` or leaves the value out, which
breaks ``required``; where nothing is required the two agree."""
_HARD_DEPTH = 40
_SCALARS = frozenset({"string", "integer", "number", "boolean"})
_TOO_MANY_ITEMS = 1000


def _merge(parts: list[Any]) -> Any:
    merged: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            return part
        merged.update(part)
    return merged


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    step = 1 if integer else 0.01
    value: int | float = 0
    if isinstance(ex_low, int | float) and not isinstance(ex_low, bool):
        value = ex_low + step
    elif isinstance(low, int | float) and not isinstance(low, bool):
        value = low
    elif isinstance(ex_high, int | float) and not isinstance(ex_high, bool):
        value = ex_high - step
    elif isinstance(high, int | float) and not isinstance(high, bool):
        value = min(0, high)
    return int(value) if integer else value


def _pattern_sample(pattern: str, low: Any, high: Any, fallback: str) -> str:
    """A string matching ``pattern`` where the sampler's own does not (``"string"`` fits
    few patterns): the same one every time, so a static answer stays static."""
    if not pattern_usable(pattern):
        return fallback
    lo = low if isinstance(low, int) else 0
    hi = high if isinstance(high, int) else None
    return pattern_string(random.Random(pattern), pattern, lo, hi)


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind)


def _closest(branches: list[Any]) -> Any:
    """The branch that ends soonest: a null one, else a scalar one, else the first."""
    typed = [b for b in branches if isinstance(b, dict)]
    for wanted in (_nullable, lambda b: b.get("type") in _SCALARS):
        found = next((b for b in typed if wanted(b)), None)
        if found is not None:
            return found
    return branches[0]


def sample(schema: Any, direction: str = "response", depth: int = 0) -> Any:
    """The static value of ``schema`` (see the module's docstring). A schema met a third
    time on the way down (a recursive one) closes (see ``_DEPTH``): ``{}`` for an object
    that requires nothing, as openapi-sampler stops there. Raises ``GenerationError`` for
    arrays too long to build."""
    return _sample(schema, direction, depth, {})


def _sample(
    schema: Any, direction: str, depth: int, seen: dict[int, int], closing: bool = False
) -> Any:
    if not isinstance(schema, dict) or depth > _HARD_DEPTH:
        return None
    times = seen.get(id(schema), 0)
    seen[id(schema)] = times + 1
    try:
        return _value(schema, direction, depth, seen, closing or times >= 2)
    finally:
        seen[id(schema)] = times


def _value(
    schema: dict[str, Any], direction: str, depth: int, seen: dict[int, int], closing: bool
) -> Any:
    closing = closing or depth > _DEPTH

    def sample(child: Any, direction: str, depth: int) -> Any:
        return _sample(child, direction, depth, seen, closing)

    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if isinstance(schema.get("allOf"), list):
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [sample(s, direction, depth + 1) for s in schema["allOf"]]
        if rest.get("properties") or rest.get("type"):
            parts.append(sample(rest, direction, depth + 1))
        return _merge(parts)
    if closing and _nullable(schema):
        return None
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            chosen = _closest(branches) if closing else branches[0]
            return sample(chosen, direction, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    if kind == "object":
        hidden = "writeOnly" if direction == "response" else "readOnly"
        required = schema.get("required") if closing else None
        found: dict[str, Any] = {}
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get(hidden) is True:
                continue
            if closing and not (isinstance(required, list) and name in required):
                continue
            found[str(name)] = sample(prop, direction, depth + 1)
        return found
    if kind == "array":
        given = schema.get("minItems")
        count = given if isinstance(given, int) else 1
        if count > _TOO_MANY_ITEMS:
            raise GenerationError(f"minItems {count}: too many items to build")
        if depth >= _DEPTH - 1:
            return []
        return [sample(schema.get("items"), direction, depth + 1) for _ in range(max(count, 1))]
    if kind == "string":
        fmt = schema.get("format")
        text = _FORMATS.get(fmt, "string") if isinstance(fmt, str) else "string"
        low = schema.get("minLength")
        if isinstance(low, int) and len(text) < low:
            text = (text * (low // len(text) + 1))[:low]
        high = schema.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not bounded_search(pattern, text):
            text = _pattern_sample(pattern, low, high, text)
        return text
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return True
    return None
