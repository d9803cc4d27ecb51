"""Operators on one text value (a query parameter, header, cookie or JSONPath selection).

Compiled once at load time into a ``ValueMatcher``. It has two speeds: ``test`` answers
yes/no for the hot path; ``explain`` grades the distance and writes the ``Check`` for the
near-miss report, and only runs for requests that matched nothing.

Operators live in a registry (``register_value_operator``): each compiles its expectation
into a ``ValueOperator``, and ``ValueMatcher`` adds what every operator shares (absence,
several values, ``negate``), so an operator only says whether one value hits.

Semantics (decided here, documented in the user docs):

- ``regex`` is a full match (WireMock's ``matches``): ``"Bearer .+"`` does not match
  ``"xBearer y"``; write ``".*Bearer.*"`` to search.
- A multi-valued query parameter or header satisfies the operator when any value does.
- ``negate`` inverts the whole condition: with several values, none may satisfy the
  operator; an absent value satisfies every negated operator.
- ``present: false`` (or ``present: true`` with ``negate``) requires the value be absent.
- ``case_insensitive`` folds case for ``equals``, ``contains``, ``one_of`` and ``regex``.
- A ``regex`` that could backtrack badly runs with a time bound (``MATCH_TIMEOUT`` in
  ``openapi/regexbound``): a value it gives up on does not match.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from apidouble.matching.registry import Registry
from apidouble.matching.result import ABSENT, FAILED_FLOOR, Check, MatchResult, shown
from apidouble.model import ValueSpec
from apidouble.openapi.regexbound import bounded_pattern

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


@dataclass(frozen=True, slots=True)
class ValueOptions:
    """What an operator's compile function is told besides the expectation.

    ``what`` names the condition for error messages (``query q equals``).
    """

    label: str
    case_insensitive: bool
    negate: bool
    what: str


@dataclass(frozen=True, slots=True)
class ValueOperator:
    """One operator, compiled: tests one present value and says how reports show it.

    - ``hit``: whether one value satisfies the operator (before ``negate``);
    - ``expected``: the expectation as reports show it;
    - ``grade``: distance 0..1 of a value that missed, for ranking near misses (None: 1);
    - ``absent``: the result for an absent value, before ``negate``;
    - ``negation_folded``: the operator applied ``negate`` itself (``present`` does:
      "not present" is simply "absent"), so the matcher must not apply it again;
    - ``any_case``: the operator folded case, and the condition says so.
    """

    hit: Callable[[str], bool]
    expected: str
    grade: Callable[[str], float] | None = None
    absent: bool = False
    negation_folded: bool = False
    any_case: bool = False
    whole: Callable[[Sequence[str]], bool] | None = None
    """Set by operators that judge the whole list of values at once (WireMock's
    ``hasExactly``/``includes``); ``hit`` then only serves reports."""


ValueCompiler = Callable[[Any, ValueOptions], ValueOperator]
"""Compiles an expectation at load time; raises ``ValueError`` when it is invalid."""


@dataclass(frozen=True, slots=True)
class _Registered:
    compile: ValueCompiler
    shown_as: str


_OPERATORS: Registry[_Registered] = Registry("value")


def register_value_operator(
    name: str, compile: ValueCompiler, *, shown_as: str | None = None, replace: bool = False
) -> None:
    """Make ``name`` usable as ``ValueSpec.op``; ``shown_as`` names it in reports."""
    _OPERATORS.register(name, _Registered(compile, shown_as or name), replace=replace)


def unregister_value_operator(name: str) -> None:
    """Remove a value operator (stubs already compiled with it keep it)."""
    _OPERATORS.unregister(name)


def value_operators() -> tuple[str, ...]:
    """The registered value operator names."""
    return _OPERATORS.names()


class ValueMatcher:
    """One compiled ``ValueSpec``; ``label`` names the value in reports (``header X``)."""

    __slots__ = ("label", "op", "expected", "condition", "_hit", "_on_hit", "_on_miss",
                 "_when_absent", "_grade", "_graded", "_whole")  # fmt: skip

    def __init__(self, spec: ValueSpec, label: str) -> None:
        registered = _OPERATORS.get(spec.op, label)
        options = ValueOptions(label, spec.case_insensitive, spec.negate, f"{label} {spec.op}")
        operator = registered.compile(spec.expected, options)
        negate = spec.negate and not operator.negation_folded
        self.label = label
        self.op = spec.op
        self.expected = operator.expected
        self._hit = operator.hit
        self._on_hit = not negate
        self._on_miss = negate
        self._when_absent = operator.absent != negate
        self._grade = operator.grade
        self._graded = operator.grade is not None and not negate
        self._whole = operator.whole
        name = f"not {registered.shown_as}" if negate else registered.shown_as
        self.condition = f"{label} {name} (any case)" if operator.any_case else f"{label} {name}"

    def test(self, values: Sequence[str] | None) -> bool:
        """Whether the condition holds; ``values`` is None or empty when absent."""
        if not values:
            return self._when_absent
        hit = self._hit
        for value in values:
            if hit(value):
                return self._on_hit
        return self._on_miss

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
        if passed or not values or not self._graded:
            return MatchResult.of(check)
        grade = self._grade
        assert grade is not None
        return MatchResult.of(check, min(grade(value) for value in values))

    def bound(self, values: Sequence[str] | None) -> float:
        """A lower bound of ``explain(values).distance``, without grading."""
        if self.test(values):
            return 0.0
        return 1.0 if not values or not self._graded else FAILED_FLOOR

    def __call__(self, value: str | None) -> MatchResult:
        """Explain one value (None = absent)."""
        return self.explain(None if value is None else (value,))


def compile_value(spec: ValueSpec, label: str) -> ValueMatcher:
    """Compile a ``ValueSpec``; raise ``ValueError`` on an unknown operator, a bad regex
    or expectation."""
    matcher = ValueMatcher(spec, label)
    if matcher._whole is not None:
        # Decided here, once: an operator on the whole list gets its own ``test``, so
        # the per-value loop above stays as it is for every other operator.
        matcher.__class__ = _WholeListMatcher
    return matcher


class _WholeListMatcher(ValueMatcher):
    """A ``ValueMatcher`` whose operator sees every value at once."""

    __slots__ = ()

    def test(self, values: Sequence[str] | None) -> bool:
        if not values:
            return self._when_absent
        whole = self._whole
        assert whole is not None
        return self._on_hit if whole(values) else self._on_miss


# The native operators.


def _closeness(texts: Sequence[str], fold: bool) -> Callable[[str], float]:
    """Grade a missed value by its nearest expected text."""
    if fold:
        folded = [text.casefold() for text in texts]
        return lambda value: min(text_distance(t, value.casefold()) for t in folded)
    return lambda value: min(text_distance(t, value) for t in texts)


def _equals(expected: Any, options: ValueOptions) -> ValueOperator:
    text = scalar_text(expected, options.what)
    fold = options.case_insensitive
    folded = text.casefold()
    hit: Callable[[str], bool] = (lambda value: value.casefold() == folded) if fold else text.__eq__
    return ValueOperator(hit, text, _closeness([text], fold), any_case=fold)


def _contains(expected: Any, options: ValueOptions) -> ValueOperator:
    text = scalar_text(expected, options.what)
    if options.case_insensitive:
        folded = text.casefold()
        return ValueOperator(lambda value: folded in value.casefold(), text, any_case=True)
    return ValueOperator(lambda value: text in value, text)


def _regex(expected: Any, options: ValueOptions) -> ValueOperator:
    text = scalar_text(expected, options.what)
    try:
        compiled = bounded_pattern(text, re.IGNORECASE if options.case_insensitive else 0)
    except (re.error, RecursionError, OverflowError) as error:
        raise ValueError(f"{options.label}: invalid regex {text!r}: {error}") from None
    return ValueOperator(compiled.fullmatch, text, any_case=options.case_insensitive)


def _one_of(expected: Any, options: ValueOptions) -> ValueOperator:
    if not isinstance(expected, list | tuple) or not expected:
        raise ValueError(f"{options.what}: expected a non-empty list, got {expected!r}")
    texts = [scalar_text(option, options.what) for option in expected]
    fold = options.case_insensitive
    folded = frozenset(text.casefold() for text in texts)
    hit: Callable[[str], bool] = (
        (lambda value: value.casefold() in folded) if fold else frozenset(texts).__contains__
    )
    return ValueOperator(hit, json.dumps(texts), _closeness(texts, fold), any_case=fold)


def _present(expected: Any, options: ValueOptions) -> ValueOperator:
    if not isinstance(expected, bool):
        raise ValueError(f"{options.what}: expected true or false, got {expected!r}")
    # Fold negation into the expectation: "not present" is simply "absent".
    present = expected != options.negate
    return ValueOperator(
        _always if present else _never,
        "present" if present else "absent",
        absent=not present,
        negation_folded=True,
    )


def _always(_value: str) -> bool:
    return True


def _never(_value: str) -> bool:
    return False


register_value_operator("equals", _equals)
register_value_operator("contains", _contains)
register_value_operator("regex", _regex)
register_value_operator("present", _present)
register_value_operator("one_of", _one_of, shown_as="one of")
