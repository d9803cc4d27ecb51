"""WireMock's logical and multi-value operators, over other ``ValueSpec``s.

- ``all_of`` / ``any_of`` (WireMock ``and`` / ``or``): ``expected`` is a tuple of
  ``ValueSpec``; one value must satisfy all / any of them (each with its own absence
  rule, so ``any_of(equals x, present false)`` accepts an absent value).
- ``not`` (WireMock ``not``, ``doesNotMatch``, ``doesNotContain``): ``expected`` is one
  ``ValueSpec``; a value satisfies it when it does not satisfy the inner spec, and an
  absent value satisfies it. This differs from ``negate`` on several values: WireMock
  matches when *some* value fails the inner matcher, ``negate`` when *none* passes.
- ``has_exactly`` / ``includes`` (WireMock ``hasExactly`` / ``includes``) see the whole
  list: every spec must be satisfied by a distinct value, and for ``has_exactly`` every
  value must satisfy a spec and the counts must agree. Absent never matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from apidouble.matching.assign import each_takes_one
from apidouble.matching.values import (
    ValueMatcher,
    ValueOperator,
    ValueOptions,
    compile_value,
    register_value_operator,
)
from apidouble.model import ValueSpec


def _inner(expected: Any, options: ValueOptions, many: bool) -> list[ValueMatcher]:
    specs = expected if many else (expected,)
    if many and (not isinstance(expected, list | tuple) or not expected):
        raise ValueError(f"{options.what}: expected a non-empty list of value specs")
    if not all(isinstance(spec, ValueSpec) for spec in specs):
        raise ValueError(f"{options.what}: expected value specs, got {expected!r}")
    return [compile_value(spec, options.label) for spec in specs]


def _shown(matchers: list[ValueMatcher], joiner: str) -> str:
    return f" {joiner} ".join(f"({m.condition.removeprefix(m.label).strip()} {m.expected})"
                              for m in matchers)  # fmt: skip


def _all_of(expected: Any, options: ValueOptions) -> ValueOperator:
    matchers = _inner(expected, options, many=True)

    def hit(value: str) -> bool:
        one = (value,)
        return all(m.test(one) for m in matchers)

    absent = all(m.test(None) for m in matchers)
    return ValueOperator(hit, _shown(matchers, "and"), absent=absent)


def _any_of(expected: Any, options: ValueOptions) -> ValueOperator:
    matchers = _inner(expected, options, many=True)

    def hit(value: str) -> bool:
        one = (value,)
        return any(m.test(one) for m in matchers)

    absent = any(m.test(None) for m in matchers)
    return ValueOperator(hit, _shown(matchers, "or"), absent=absent)


def _not(expected: Any, options: ValueOptions) -> ValueOperator:
    (matcher,) = _inner(expected, options, many=False)

    def hit(value: str) -> bool:
        return not matcher.test((value,))

    return ValueOperator(hit, f"not ({_shown([matcher], '')})", absent=not matcher.test(None))


def _includes(expected: Any, options: ValueOptions) -> ValueOperator:
    matchers = _inner(expected, options, many=True)

    def whole(values: Sequence[str]) -> bool:
        return all(any(m.test((v,)) for v in values) for m in matchers)

    return ValueOperator(lambda value: whole((value,)), _list_text(matchers, "includes"),
                         whole=whole)  # fmt: skip


def _has_exactly(expected: Any, options: ValueOptions) -> ValueOperator:
    matchers = _inner(expected, options, many=True)
    tests = [_one_value(m) for m in matchers]  # built once: whole() runs per request

    def whole(values: Sequence[str]) -> bool:
        return len(values) == len(matchers) and each_takes_one(tests, values)

    return ValueOperator(lambda value: whole((value,)), _list_text(matchers, "exactly"),
                         whole=whole)  # fmt: skip


def _one_value(matcher: ValueMatcher) -> Callable[[str], bool]:
    return lambda value: matcher.test((value,))


def _list_text(matchers: list[ValueMatcher], word: str) -> str:
    parts = [f"{m.condition.removeprefix(m.label).strip()} {m.expected}" for m in matchers]
    return f"{word} {json.dumps(parts, ensure_ascii=False)}"


register_value_operator("all_of", _all_of, shown_as="all of")
register_value_operator("any_of", _any_of, shown_as="any of")
register_value_operator("not", _not)
register_value_operator("includes", _includes)
register_value_operator("has_exactly", _has_exactly, shown_as="has exactly")
