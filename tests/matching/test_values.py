from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apidouble.matching.values import compile_value, scalar_text, text_distance
from apidouble.model import ValueSpec

ABSENT = None


def spec(op: Any, expected: Any, *, ci: bool = False, negate: bool = False) -> ValueSpec:
    return ValueSpec(op, expected, case_insensitive=ci, negate=negate)


@pytest.mark.parametrize(
    ("value_spec", "values", "expected"),
    [
        # equals
        (spec("equals", "abc"), ["abc"], True),
        (spec("equals", "abc"), ["abd"], False),
        (spec("equals", "abc"), ["ABC"], False),
        (spec("equals", "abc", ci=True), ["ABC"], True),
        (spec("equals", "abc"), ABSENT, False),
        (spec("equals", "abc"), [], False),
        (spec("equals", ""), [""], True),
        (spec("equals", 1), ["1"], True),
        (spec("equals", True), ["true"], True),
        (spec("equals", 1.5), ["1.5"], True),
        # contains
        (spec("contains", "bc"), ["abcd"], True),
        (spec("contains", "BC"), ["abcd"], False),
        (spec("contains", "BC", ci=True), ["abcd"], True),
        (spec("contains", "x"), ABSENT, False),
        # regex: a full match, like WireMock's `matches`
        (spec("regex", "^Bearer .+"), ["Bearer t0k"], True),
        (spec("regex", "Bearer .+"), ["Bearer t0k"], True),
        (spec("regex", "Bearer"), ["Bearer t0k"], False),
        (spec("regex", ".*Bearer.*"), ["x Bearer y"], True),
        (spec("regex", "bearer .+", ci=True), ["Bearer t"], True),
        (spec("regex", "[0-9]+"), ["12a"], False),
        (spec("regex", ".*"), ABSENT, False),
        # present
        (spec("present", True), ["x"], True),
        (spec("present", True), [""], True),
        (spec("present", True), ABSENT, False),
        (spec("present", False), ABSENT, True),
        (spec("present", False), ["x"], False),
        (spec("present", True, negate=True), ABSENT, True),
        (spec("present", True, negate=True), ["x"], False),
        (spec("present", False, negate=True), ["x"], True),
        # one_of
        (spec("one_of", ["a", "b"]), ["b"], True),
        (spec("one_of", ["a", "b"]), ["c"], False),
        (spec("one_of", ["a", "b"]), ["B"], False),
        (spec("one_of", ["a", "b"], ci=True), ["B"], True),
        (spec("one_of", [1, 2]), ["2"], True),
        (spec("one_of", ["a"]), ABSENT, False),
        # multi-valued: any value satisfies the operator
        (spec("equals", "2"), ["1", "2", "3"], True),
        (spec("equals", "4"), ["1", "2", "3"], False),
        (spec("regex", "[0-9]"), ["x", "7"], True),
        # negate: no value may satisfy the operator; absent satisfies it
        (spec("equals", "abc", negate=True), ["abd"], True),
        (spec("equals", "abc", negate=True), ["abc"], False),
        (spec("equals", "abc", negate=True), ABSENT, True),
        (spec("equals", "2", negate=True), ["1", "2"], False),
        (spec("equals", "9", negate=True), ["1", "2"], True),
        (spec("contains", "b", negate=True, ci=True), ["ABC"], False),
        (spec("regex", "[0-9]+", negate=True), ["abc"], True),
        (spec("one_of", ["a", "b"], negate=True), ["c"], True),
    ],
)
def test_operator_table(value_spec: ValueSpec, values: list[str] | None, expected: bool) -> None:
    matcher = compile_value(value_spec, "query q")
    assert matcher.test(values) is expected
    result = matcher.explain(values)
    assert result.matched is expected
    assert (result.distance == 0.0) is expected
    assert 0.0 <= result.distance <= 1.0


@pytest.mark.parametrize(
    ("value_spec", "value", "condition", "expected", "actual"),
    [
        (spec("regex", "^Bearer .+"), None, "header Authorization regex", "^Bearer .+", "<absent>"),
        (spec("equals", "a"), "b", "header Authorization equals", "a", "b"),
        (spec("equals", "a", ci=True), "b", "header Authorization equals (any case)", "a", "b"),
        (spec("contains", "a", negate=True), "a", "header Authorization not contains", "a", "a"),
        (spec("one_of", ["a", "b"]), "c", "header Authorization one of", '["a", "b"]', "c"),
        (spec("present", True), None, "header Authorization present", "present", "<absent>"),
        (spec("present", False), "x", "header Authorization present", "absent", "x"),
        (spec("present", True, negate=True), "x", "header Authorization present", "absent", "x"),
    ],
)
def test_check_texts(
    value_spec: ValueSpec, value: str | None, condition: str, expected: str, actual: str
) -> None:
    result = compile_value(value_spec, "header Authorization")(value)
    (check,) = result.checks
    assert (check.condition, check.expected, check.actual) == (condition, expected, actual)
    assert not check.passed


def test_several_values_are_shown_as_a_list() -> None:
    result = compile_value(spec("equals", "x"), "query tag").explain(["a", "b"])
    assert result.checks[0].actual == '["a", "b"]'


def test_failed_equals_is_graded_so_near_misses_rank_sensibly() -> None:
    matcher = compile_value(spec("equals", "application/json"), "header Accept")
    close = matcher("application/jsno").distance
    far = matcher("text/plain").distance
    absent = matcher(None).distance
    assert 0.0 < close < far < absent == 1.0


def test_one_of_is_graded_by_its_nearest_option() -> None:
    matcher = compile_value(spec("one_of", ["alpha", "omega"]), "query x")
    assert matcher("alpah").distance < matcher("zzzzz").distance


def test_grading_stays_cheap_and_bounded_on_long_values() -> None:
    matcher = compile_value(spec("equals", "a" * 5000), "header X")
    distance = matcher("a" * 4999 + "b").distance
    assert 0.0 < distance < 0.1


@pytest.mark.parametrize(
    ("value_spec", "message"),
    [
        (spec("regex", "("), "invalid regex"),
        (spec("present", "yes"), "expected true or false"),
        (spec("one_of", []), "non-empty list"),
        (spec("one_of", "a"), "non-empty list"),
        (spec("equals", None), "expected a string"),
        (spec("equals", {"a": 1}), "expected a string"),
        (spec("contains", ["a"]), "expected a string"),
        (spec("bogus", "a"), "unknown operator"),
    ],
)
def test_invalid_specs_raise_value_error(value_spec: ValueSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        compile_value(value_spec, "query q")
    assert "query q" in str(info.value)


def test_scalar_text() -> None:
    assert [scalar_text(v, "x") for v in ("a", 1, 2.5, True, False)] == [
        "a",
        "1",
        "2.5",
        "true",
        "false",
    ]


@given(st.text(), st.text())
def test_equals_holds_exactly_for_equal_text_and_negate_inverts(expected: str, value: str) -> None:
    plain = compile_value(spec("equals", expected), "q")
    negated = compile_value(spec("equals", expected, negate=True), "q")
    assert plain.test([value]) is (value == expected)
    assert negated.test([value]) is not plain.test([value])
    result = plain(value)
    assert 0.0 <= result.distance <= 1.0
    assert (result.distance == 0.0) is (value == expected)


@given(st.text(max_size=30), st.text(max_size=30))
def test_text_distance_is_a_normalized_difference(a: str, b: str) -> None:
    distance = text_distance(a, b)
    assert 0.0 <= distance <= 1.0
    assert (distance == 0.0) is (a == b)
