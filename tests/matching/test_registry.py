"""Operators come from registries: natives and a test's own operator alike."""

from collections.abc import Iterator
from typing import Any

import pytest

from apidouble.matching.body import (
    BodyMatcher,
    body_operators,
    compile_body,
    register_body_operator,
    unregister_body_operator,
)
from apidouble.matching.registry import Registry
from apidouble.matching.router import Router
from apidouble.matching.values import (
    ValueOperator,
    ValueOptions,
    compile_value,
    register_value_operator,
    unregister_value_operator,
    value_operators,
)
from apidouble.model import BodySpec, Request, RequestPattern, ResponseSpec, Stub, ValueSpec


def _starts_with(expected: Any, options: ValueOptions) -> ValueOperator:
    if not isinstance(expected, str):
        raise ValueError(f"{options.what}: expected a string prefix")
    return ValueOperator(
        lambda value: value.startswith(expected),
        expected,
        grade=lambda value: 0.25 if value[:1] == expected[:1] else 0.75,
    )


def _length(spec: BodySpec) -> BodyMatcher:
    size = int(spec.expected)
    return BodyMatcher(
        "body length",
        str(size),
        lambda request: len(request.body) == size,
        lambda request: str(len(request.body)),
        lambda request: min(1.0, abs(len(request.body) - size) / max(size, 1)),
    )


@pytest.fixture
def starts_with() -> Iterator[None]:
    register_value_operator("starts_with", _starts_with, shown_as="starts with")
    yield
    unregister_value_operator("starts_with")


@pytest.fixture
def length() -> Iterator[None]:
    register_body_operator("length", _length)
    yield
    unregister_body_operator("length")


def test_the_native_and_wiremock_operators_are_registered() -> None:
    natives = {"contains", "equals", "one_of", "present", "regex"}
    wiremock = {"after", "all_of", "any_of", "before", "binary_equals", "equals_datetime",
                "equals_json", "equals_xml", "has_exactly", "includes", "not", "xpath"}  # fmt: skip
    assert set(value_operators()) == natives | wiremock
    natives = {"contains", "equals", "json", "jsonpath", "regex", "schema", "text"}
    wiremock = {"all_of", "any_of", "binary_equals", "equals_json", "equals_xml", "form",
                "multipart", "wm_jsonpath", "xpath"}  # fmt: skip
    assert set(body_operators()) == natives | wiremock


@pytest.mark.usefixtures("starts_with")
def test_a_registered_value_operator_tests_and_explains() -> None:
    matcher = compile_value(ValueSpec("starts_with", "Bear"), "header Authorization")
    assert matcher.test(["Bearer x"]) and not matcher.test(["Basic x"]) and not matcher.test(None)
    result = matcher("Basic x")
    (check,) = result.checks
    assert (check.condition, check.expected, check.actual, check.passed) == (
        "header Authorization starts with",
        "Bear",
        "Basic x",
        False,
    )
    assert result.distance == 0.25  # its own grade
    assert matcher(None).distance == 1.0


@pytest.mark.usefixtures("starts_with")
def test_a_registered_value_operator_gets_negation_and_several_values_for_free() -> None:
    negated = compile_value(ValueSpec("starts_with", "Bear", negate=True), "header A")
    assert negated.condition == "header A not starts with"
    assert negated.test(None) and negated.test(["Basic"]) and not negated.test(["x", "Bearer"])
    assert compile_value(ValueSpec("starts_with", "B"), "q").test(["x", "By"])


@pytest.mark.usefixtures("starts_with", "length")
def test_registered_operators_route_requests() -> None:
    pattern = RequestPattern(
        methods=frozenset({"POST"}),
        path="/upload",
        headers=(("Authorization", ValueSpec("starts_with", "Bearer ")),),
        body=(BodySpec("length", 3),),
    )
    router = Router([Stub(id="u", pattern=pattern, responses=(ResponseSpec(),))])
    auth = (("authorization", "Bearer t"),)
    assert router.find(Request("POST", "/upload", "", auth, b"abc")).stub is not None
    assert router.find(Request("POST", "/upload", "", auth, b"abcd")).stub is None
    missed = router.find(Request("POST", "/upload", "", (), b"abcd")).near_misses()
    failed = [(c.condition, c.actual) for c in missed[0].result.failed]
    assert failed == [("header Authorization starts with", "<absent>"), ("body length", "4")]


def test_an_unknown_operator_fails_at_compile_time_naming_it() -> None:
    with pytest.raises(ValueError, match=r"query q: unknown operator 'starts_with' \(known: "):
        compile_value(ValueSpec("starts_with", "x"), "query q")
    with pytest.raises(ValueError, match="body: unknown operator 'length'"):
        compile_body(BodySpec("length", 3))
    with pytest.raises(ValueError, match="unknown operator 'nope'"):
        Router([Stub(id="x", pattern=RequestPattern(headers=(("A", ValueSpec("nope", 1)),)),
                     responses=(ResponseSpec(),))])  # fmt: skip


@pytest.mark.usefixtures("starts_with")
def test_a_name_is_registered_once_unless_replaced() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_value_operator("starts_with", _starts_with)
    register_value_operator("starts_with", _starts_with, shown_as="begins with", replace=True)
    assert compile_value(ValueSpec("starts_with", "a"), "q").condition == "q begins with"


def test_a_compiled_matcher_outlives_its_operator() -> None:
    register_value_operator("starts_with", _starts_with)
    matcher = compile_value(ValueSpec("starts_with", "a"), "q")
    unregister_value_operator("starts_with")
    assert matcher.test(["ab"])
    with pytest.raises(ValueError, match="not registered"):
        unregister_value_operator("starts_with")


def test_registry_rejects_empty_names() -> None:
    registry: Registry[int] = Registry("test")
    with pytest.raises(ValueError, match="non-empty"):
        registry.register("", 1)
    registry.register("a", 1)
    assert "a" in registry and registry.names() == ("a",)
