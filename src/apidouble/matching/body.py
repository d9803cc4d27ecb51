"""Conditions on the request body, compiled once: text, partial JSON, JSONPath, schema.

Semantics (decided here):

- ``equals``: text equality; when the expectation is JSON (a JSON value, or a string
  that parses as JSON) and the body parses too, JSON equality (key order and spacing do
  not matter; ``1`` and ``true`` differ).
- ``contains`` is a substring test; ``regex`` is a full match with ``.`` spanning lines.
- ``json`` is a partial match: every key given must be present and match recursively;
  lists must match element by element, in order, with the same length.
- ``jsonpath``: ``expression`` selects; ``value`` (a ``ValueSpec``) must hold for any
  selected node (strings as-is, other nodes as compact JSON); with no ``value``, the
  expression must select something.
- ``schema``: JSON Schema, the validator class picked from ``$schema`` (one naming no
  known draft is a config error); ``pattern`` runs with ``regexbound``'s time bound.
- ``regex`` that could backtrack badly runs with a time bound (``regexbound``): a body it
  gives up on does not match.

The body is parsed as JSON only when a condition needs it (``Request.json`` caches it).
Operators live in a registry (``register_body_operator``): each is a function that
compiles a ``BodySpec`` into a ``BodyMatcher`` at load time, natives and addons alike.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from apidouble.matching.registry import Registry
from apidouble.matching.result import Check, MatchResult, shown
from apidouble.matching.values import ValueMatcher, compile_value, scalar_text, text_distance
from apidouble.model import INVALID_JSON, BodySpec, Request
from apidouble.openapi.regexbound import bounded_pattern

_NOT_JSON = "<not JSON>"
_MISSING: Any = object()

_log = logging.getLogger("apidouble")


def json_text(value: Any) -> str:
    """Compact JSON, the form a selected node is compared and shown in."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: like ``==`` but ``true`` is not ``1`` and ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    numbers = isinstance(a, int | float) and isinstance(b, int | float)
    return (numbers or type(a) is type(b)) and bool(a == b)


def json_mismatch(expected: Any, actual: Any, where: str = "$") -> str | None:
    """Where a partial JSON match fails (a JSONPath and the value found), or None."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: {shown(json_text(actual))}"
        for key, value in expected.items():
            found = actual.get(key, _MISSING)
            if found is _MISSING:
                return f"{where}.{key}: <absent>"
            problem = json_mismatch(value, found, f"{where}.{key}")
            if problem is not None:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: {shown(json_text(actual))}"
        for index, (item, found) in enumerate(zip(expected, actual, strict=True)):
            problem = json_mismatch(item, found, f"{where}[{index}]")
            if problem is not None:
                return problem
        return None
    return None if json_equal(expected, actual) else f"{where}: {shown(json_text(actual))}"


class BodyMatcher:
    """One compiled ``BodySpec``: ``test`` for the hot path, ``explain`` for reports."""

    __slots__ = ("condition", "expected", "_test", "_actual", "_grade")

    def __init__(
        self,
        condition: str,
        expected: str,
        test: Callable[[Request], bool],
        actual: Callable[[Request], str],
        grade: Callable[[Request], float] | None = None,
    ) -> None:
        self.condition = condition
        self.expected = expected
        self._test = test
        self._actual = actual
        self._grade = grade

    def test(self, request: Request) -> bool:
        """Whether the body satisfies the condition."""
        return self._test(request)

    def explain(self, request: Request) -> MatchResult:
        """The graded result with what was expected and what came in."""
        passed = self._test(request)
        check = Check(self.condition, passed, self.expected, self._actual(request))
        grade = None if passed or self._grade is None else self._grade(request)
        return MatchResult.of(check, grade)


BodyCompiler = Callable[[BodySpec], BodyMatcher]
"""Compiles one ``BodySpec`` at load time; raises ``ValueError`` when it is invalid."""

_OPERATORS: Registry[BodyCompiler] = Registry("body")


def register_body_operator(name: str, compile: BodyCompiler, *, replace: bool = False) -> None:
    """Make ``name`` usable as ``BodySpec.op``."""
    _OPERATORS.register(name, compile, replace=replace)


def unregister_body_operator(name: str) -> None:
    """Remove a body operator (stubs already compiled with it keep it)."""
    _OPERATORS.unregister(name)


def body_operators() -> tuple[str, ...]:
    """The registered body operator names."""
    return _OPERATORS.names()


def compile_body(spec: BodySpec) -> BodyMatcher:
    """Compile one body condition; raise ``ValueError`` on an unknown operator or an
    invalid regex, path or schema."""
    return _OPERATORS.get(spec.op, "body")(spec)


def _shown_text(request: Request) -> str:
    return shown(request.text)


def _equals(spec: BodySpec) -> BodyMatcher:
    expected = spec.expected
    if isinstance(expected, str):
        text = expected
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = _MISSING
    elif isinstance(expected, bytes):
        raise ValueError("body equals: expected text or a JSON value, got bytes")
    else:
        text, parsed = json_text(expected), expected

    def test(request: Request) -> bool:
        if request.text == text:
            return True
        if parsed is _MISSING:
            return False
        body = request.json
        return body is not INVALID_JSON and json_equal(parsed, body)

    def grade(request: Request) -> float:
        return text_distance(text, request.text)

    return BodyMatcher("body equals", shown(text), test, _shown_text, grade)


def _contains(spec: BodySpec) -> BodyMatcher:
    text = scalar_text(spec.expected, "body contains")
    return BodyMatcher("body contains", text, lambda r: text in r.text, _shown_text)


def _regex(spec: BodySpec) -> BodyMatcher:
    pattern = scalar_text(spec.expected, "body regex")
    try:
        compiled = bounded_pattern(pattern, re.DOTALL)
    except (re.error, RecursionError, OverflowError) as error:
        raise ValueError(f"body regex: invalid regex {pattern!r}: {error}") from None
    fullmatch = compiled.fullmatch
    return BodyMatcher("body regex", pattern, lambda r: fullmatch(r.text), _shown_text)


def _partial_json(spec: BodySpec) -> BodyMatcher:
    expected = spec.expected

    def test(request: Request) -> bool:
        body = request.json
        return body is not INVALID_JSON and json_mismatch(expected, body) is None

    def actual(request: Request) -> str:
        body = request.json
        if body is INVALID_JSON:
            return _NOT_JSON
        return json_mismatch(expected, body) or shown(json_text(body))

    return BodyMatcher("body json", shown(json_text(expected)), test, actual)


def _jsonpath(spec: BodySpec) -> BodyMatcher:
    expression, value = spec.expression, spec.value
    if not expression:
        raise ValueError("body jsonpath: an expression is required")
    import jsonpath  # here, not at the top: only configs that use it pay for its import

    from apidouble.matching.jsonpaths import compile_jsonpath, find_in_document  # =~ bounded

    try:
        path = compile_jsonpath(expression)
    except (jsonpath.JSONPathError, re.error) as error:  # re: a filter's =~ /pattern/
        message = str(error).splitlines()[0]
        raise ValueError(f"body jsonpath: invalid expression {expression!r}: {message}") from None
    label = f"body jsonpath {expression}"
    matcher: ValueMatcher | None = None if value is None else compile_value(value, label)

    def select(request: Request) -> list[str] | None:
        body = request.json
        if body is INVALID_JSON:
            return None
        try:
            found = find_in_document(path, body)
        except jsonpath.JSONPathError:
            return []
        return [node if isinstance(node, str) else json_text(node) for node in found]

    if matcher is None:
        return BodyMatcher(
            label,
            "selects something",
            lambda r: bool(select(r)),
            lambda r: _selection_text(r, select(r)),
        )
    checker = matcher

    def explain_actual(request: Request) -> str:
        return _selection_text(request, select(request))

    def grade(request: Request) -> float:
        return checker.explain(select(request)).distance

    return BodyMatcher(
        checker.condition,
        checker.expected,
        lambda r: checker.test(select(r)),
        explain_actual,
        grade,
    )


def _selection_text(request: Request, selected: list[str] | None) -> str:
    if selected is None:
        return _NOT_JSON
    if not selected:
        return "<nothing selected>"
    return shown(selected[0] if len(selected) == 1 else json_text(selected))


_UNUSABLE = (Exception, RecursionError)
"""What validating with a broken schema raises (an unresolvable ``$ref``, one that loops;
the Rust resolver may even panic, which ``_probe`` turns into a problem at load time)."""

_PROBES: tuple[Any, ...] = ({}, [], "", 0, None, True)


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError) or "RecursionError" in str(error):
        return "a $ref leads back to itself"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _probe(validator: Any) -> None:
    """Validate a few values at load time, so a ``$ref`` that loops or resolves nowhere
    is a config error here, not a 500 on every request."""
    for instance in _PROBES:
        try:
            validator.is_valid(instance)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as error:  # noqa: B036 (the resolver's panic is a BaseException)
            raise ValueError(f"body schema: cannot be used: {_reason(error)}") from None


def schema_validator_class(schema: dict[str, Any]) -> Any:
    """The ``jsonschema`` validator class for the draft ``$schema`` names (the latest draft
    when it names none). An unknown metaschema is a ValueError listing the known ones:
    ``jsonschema`` would warn and validate with the latest draft, which may silently
    judge the body by other rules than the author meant. ``http``/``https`` and a
    trailing ``#`` do not matter."""
    drafts = _drafts()
    if "$schema" not in schema:
        return drafts[0][1]
    given = schema["$schema"]
    if isinstance(given, str):
        for uri, cls in drafts:
            if _metaschema_key(uri) == _metaschema_key(given):
                return cls
    choices = ", ".join(uri for uri, _ in reversed(drafts))
    raise ValueError(
        f"$schema {shown(json_text(given))} names no JSON Schema draft this server knows;"
        f" use one of {choices}, or leave $schema out for draft 2020-12"
    )


@functools.cache
def _drafts() -> tuple[tuple[str, Any], ...]:
    """(metaschema URI, validator class) of every draft ``jsonschema`` has, latest first."""
    import jsonschema  # here: only configs that use schemas pay for the import

    classes = (
        jsonschema.Draft202012Validator,
        jsonschema.Draft201909Validator,
        jsonschema.Draft7Validator,
        jsonschema.Draft6Validator,
        jsonschema.Draft4Validator,
        jsonschema.Draft3Validator,
    )
    meta = [cls.META_SCHEMA for cls in classes]
    return tuple(
        (str(m.get("$id", m.get("id", ""))).rstrip("#"), cls)
        for m, cls in zip(meta, classes, strict=True)
    )


def _metaschema_key(uri: str) -> str:
    return uri.strip().rstrip("#").removeprefix("https://").removeprefix("http://")


def _pattern_keyword(validator: Any, pattern: Any, instance: Any, schema: Any) -> Any:
    """``pattern`` as jsonschema checks it, with the time bound of ``regexbound``."""
    import jsonschema.exceptions

    if isinstance(pattern, str) and validator.is_type(instance, "string"):
        try:
            search = bounded_pattern(pattern).search
        except (re.error, RecursionError, OverflowError):
            return  # the metaschema's format check refuses it at load; else no verdict
        if not search(instance):
            yield jsonschema.exceptions.ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _bounded_class(base: Any) -> Any:
    """A draft's validator class whose ``pattern`` runs bounded (made once per draft)."""
    import jsonschema.validators

    return jsonschema.validators.extend(base, {"pattern": _pattern_keyword})  # type: ignore[no-untyped-call]


def _schema(spec: BodySpec) -> BodyMatcher:
    schema = spec.expected
    if not isinstance(schema, dict):
        raise ValueError(f"body schema: expected a JSON Schema object, got {schema!r}")
    import jsonschema.exceptions  # here: only configs that use it pay for its import

    try:
        cls = _bounded_class(schema_validator_class(schema))
    except ValueError as error:
        raise ValueError(f"body schema: {error}") from None
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise ValueError(f"body schema: invalid schema: {error.message}") from None
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    _probe(validator)
    best_match = jsonschema.exceptions.best_match

    def test(request: Request) -> bool:
        body = request.json
        if body is INVALID_JSON:
            return False
        try:
            return bool(validator.is_valid(body))
        except _UNUSABLE as error:  # a $ref the probes did not reach: no match, not a 500
            _log.warning("body schema: cannot validate: %s", _reason(error))
            return False

    def actual(request: Request) -> str:
        body = request.json
        if body is INVALID_JSON:
            return _NOT_JSON
        try:
            error = best_match(validator.iter_errors(body))
        except _UNUSABLE as problem:
            return f"<the schema cannot be used: {_reason(problem)}>"
        if error is None:
            return shown(json_text(body))
        where = error.json_path
        return shown(f"{where}: {error.message}")

    return BodyMatcher("body schema", shown(json_text(schema)), test, actual)


register_body_operator("equals", _equals)
register_body_operator("contains", _contains)
register_body_operator("regex", _regex)
register_body_operator("json", _partial_json)
register_body_operator("jsonpath", _jsonpath)
register_body_operator("schema", _schema)
