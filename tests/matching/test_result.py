from apidouble.matching.result import EXACT, Check, MatchResult, shown


def check(passed: bool) -> Check:
    return Check("header X equals", passed, "a", "b")


def test_exact_has_no_checks_and_matches() -> None:
    assert EXACT.distance == 0.0
    assert EXACT.matched
    assert EXACT.failed == ()


def test_of_defaults_distance_from_the_check() -> None:
    assert MatchResult.of(check(True)).distance == 0.0
    assert MatchResult.of(check(False)).distance == 1.0


def test_of_never_grades_a_failure_as_exact_nor_a_pass_as_distant() -> None:
    assert MatchResult.of(check(False), 0.0).distance > 0.0
    assert MatchResult.of(check(False), 3.0).distance == 1.0
    assert MatchResult.of(check(True), 0.7).distance == 0.0


def test_aggregate_is_a_weighted_mean_and_keeps_check_order() -> None:
    failed = MatchResult.of(check(False))
    passed = MatchResult.of(check(True))
    result = MatchResult.aggregate([(3.0, failed), (1.0, passed)])
    assert result.distance == 0.75
    assert [c.passed for c in result.checks] == [False, True]
    assert not result.matched
    assert result.failed == failed.checks


def test_aggregate_of_nothing_is_exact() -> None:
    assert MatchResult.aggregate([]) == EXACT


def test_shown_shortens_long_values() -> None:
    assert shown("abc") == "abc"
    long = shown("x" * 1000)
    assert len(long) == 200
    assert long.endswith("…")
