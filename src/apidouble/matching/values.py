"""Operators on one text value (a query parameter, header, cookie or JSONPath selection).

Compiled once at load time into a ``ValueMatcher``. It has two speeds: ``test`` answers
yes/no for the hot path; ``explain`` grades the distance and writes the ``Check`` for the
near-miss report, and only runs for requests that matched nothing.

Semantics (decided here, documented in the user docs):

- ``regex`` is a full match (WireMock's ``matches``): ``"Bearer .+"`` does not match
  ``"xBearer y"``; write ``".*Bearer.*"`` to search.
- A multi-valued query parameter or header satisfies the operator when any value does.
- ``negate`` inverts the whole condition: with several values, none may satisfy the
  operator; an absent value satisfies every negated operator.
- ``present: false`` (or ``present: true`` with ``negate``) requires the value be absent.
- ``case_insensitive`` folds case for ``equals``, ``contains``, ``one_of`` and ``regex``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from apidouble.matching.result import ABSENT, Check, MatchResult, shown
from apidouble.model import ValueSpec

_GRADE_LIMIT = 2000
"""Beyond this many characters, grade with difflib's cheaper upper bound."""


def scalar_text(value: Any, what: str) -> str:
    """The text form of a config scalar: strings as-is, others as JSON (``true``, ``1``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise ValueError(f"{what}: expected a string, number or boolean, got {value!r}")


def text_distance(expected: str, actual: str) -> float:
    """How different two texts are, 0..1, so near misses rank sensibly."""
    matcher = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    too_long = len(expected) + len(actual) > _GRADE_LIMIT
    ratio = matcher.quick_ratio() if too_long else matcher.ratio()
    return 1.0 - ratio


class ValueMatcher:
    """One compiled ``ValueSpec``; ``label`` names the value in reports (``header X``)."""

    __slots__ = (
        "label",
        "op",
        "negate",
        "present",
        "_hit",
        "expected",
        "condition",
        "_fold",
        "_options",
    )

    def __init__(self, spec: ValueSpec, label: str) -> None:
        self.label = label
        self.op = spec.op
        self.negate = spec.negate
        self.present = True
        self._fold = spec.case_insensitive
        self._hit: Callable[[str], bool]
        self._options: list[str] = []
        self.expected: str  # the expectation as reports show it
        what = f"{label} {spec.op}"
        if spec.op == "present":
            if not isinstance(spec.expected, bool):
                raise ValueError(f"{what}: expected true or false, got {spec.expected!r}")
            # Fold negation into the expectation: "not present" is simply "absent".
            self.present = spec.expected != spec.negate
            self.negate = False
            self._hit = _always
            self.expected = "present" if self.present else "absent"
        elif spec.op == "equals":
            self._hit, self.expected = self._compile_equals(scalar_text(spec.expected, what))
        elif spec.op == "contains":
            self._hit, self.expected = self._compile_contains(scalar_text(spec.expected, what))
        elif spec.op == "regex":
            self._hit, self.expected = self._compile_regex(scalar_text(spec.expected, what))
        elif spec.op == "one_of":
            self._hit, self.expected = self._compile_one_of(spec.expected, what)
        else:
            raise ValueError(f"{label}: unknown operator {spec.op!r}")
        name: str = "one of" if spec.op == "one_of" else spec.op
        if self.negate:
            name = f"not {name}"
        if self._fold and spec.op != "present":
            name = f"{name} (any case)"
        self.condition = f"{label} {name}"

    def _compile_equals(self, text: str) -> tuple[Callable[[str], bool], str]:
        if self._fold:
            folded = text.casefold()
            return (lambda value: value.casefold() == folded), text
        return text.__eq__, text

    def _compile_contains(self, text: str) -> tuple[Callable[[str], bool], str]:
        if self._fold:
            folded = text.casefold()
            return (lambda value: folded in value.casefold()), text
        return (lambda value: text in value), text

    def _compile_regex(self, text: str) -> tuple[Callable[[str], bool], str]:
        try:
            compiled = re.compile(text, re.IGNORECASE if self._fold else 0)
        except re.error as error:
            raise ValueError(f"{self.label}: invalid regex {text!r}: {error}") from None
        return (lambda value: compiled.fullmatch(value) is not None), text

    def _compile_one_of(self, options: Any, what: str) -> tuple[Callable[[str], bool], str]:
        if not isinstance(options, list | tuple) or not options:
            raise ValueError(f"{what}: expected a non-empty list, got {options!r}")
        texts = [scalar_text(option, what) for option in options]
        self._options = texts
        if self._fold:
            folded = frozenset(text.casefold() for text in texts)
            return (lambda value: value.casefold() in folded), json.dumps(texts)
        return frozenset(texts).__contains__, json.dumps(texts)

    def test(self, values: Sequence[str] | None) -> bool:
        """Whether the condition holds; ``values`` is None or empty when absent."""
        if not values:
            return not self.present if self.op == "present" else self.negate
        if self.op == "present":
            return self.present
        hit = self._hit
        for value in values:
            if hit(value):
                return not self.negate
        return self.negate

    def explain(self, values: Sequence[str] | None) -> MatchResult:
        """The graded result with its check, for near-miss reports."""
        passed = self.test(values)
        if not values:
            actual = ABSENT
        elif len(values) == 1:
            actual = shown(values[0])
        else:
            actual = shown(json.dumps(list(values)))
        check = Check(self.condition, passed, self.expected, actual)
        if passed or not values or self.negate:
            return MatchResult.of(check)
        return MatchResult.of(check, self._grade(values))

    def _grade(self, values: Sequence[str]) -> float:
        if self.op == "equals":
            options = [self.expected]
        elif self.op == "one_of":
            options = self._options
        else:
            return 1.0
        fold = str.casefold if self._fold else str
        return min(text_distance(fold(o), fold(v)) for o in options for v in values)

    def __call__(self, value: str | None) -> MatchResult:
        """Explain one value (None = absent)."""
        return self.explain(None if value is None else (value,))


def _always(_value: str) -> bool:
    return True


def compile_value(spec: ValueSpec, label: str) -> ValueMatcher:
    """Compile a ``ValueSpec``; raise ``ValueError`` on a bad regex or expectation."""
    return ValueMatcher(spec, label)
