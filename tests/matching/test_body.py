from typing import Any

import pytest

from apidouble.matching.body import compile_body, json_equal, json_mismatch
from apidouble.model import BodySpec, Request, ValueSpec


def post(body: bytes | str) -> Request:
    data = body.encode() if isinstance(body, str) else body
    return Request("POST", "/", body=data)


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
}


@pytest.mark.parametrize(
    ("spec", "body", "expected"),
    [
        # equals: text, or JSON equality when both parse
        (BodySpec("equals", "hello"), "hello", True),
        (BodySpec("equals", "hello"), "hello ", False),
        (BodySpec("equals", "hello"), "", False),
        (BodySpec("equals", ""), "", True),
        (BodySpec("equals", '{"a": 1, "b": [1, 2]}'), '{"b":[1,2],"a":1}', True),
        (BodySpec("equals", {"a": 1}), '{"a": 1}', True),
        (BodySpec("equals", {"a": 1}), '{"a": 1.0}', True),
        (BodySpec("equals", {"a": 1}), '{"a": true}', False),
        (BodySpec("equals", {"a": 1}), '{"a": 1, "b": 2}', False),
        (BodySpec("equals", {"a": 1}), "{not json", False),
        (BodySpec("equals", [1, 2]), "[2, 1]", False),
        (BodySpec("equals", 1), "1", True),
        (BodySpec("equals", "not {json"), "not {json", True),
        (BodySpec("equals", None), "null", True),
        # contains / regex (full match, . spans lines)
        (BodySpec("contains", "needle"), "hay needle hay", True),
        (BodySpec("contains", "needle"), "haystack", False),
        (BodySpec("regex", r".*id=\d+.*"), "a\nid=42\nb", True),
        (BodySpec("regex", r"id=\d+"), "x id=42", False),
        (BodySpec("regex", r"id=\d+"), "id=42", True),
        # partial JSON
        (BodySpec("json", {"name": "Ada"}), '{"name": "Ada", "age": 36}', True),
        (BodySpec("json", {"name": "Ada"}), '{"name": "Bob"}', False),
        (BodySpec("json", {"name": "Ada"}), '{"age": 36}', False),
        (BodySpec("json", {"user": {"name": "Ada"}}), '{"user": {"name": "Ada", "id": 1}}', True),
        (BodySpec("json", {"tags": ["a", "b"]}), '{"tags": ["a", "b"]}', True),
        (BodySpec("json", {"tags": ["a"]}), '{"tags": ["a", "b"]}', False),
        (BodySpec("json", {"tags": ["b", "a"]}), '{"tags": ["a", "b"]}', False),
        (BodySpec("json", [{"id": 1}]), '[{"id": 1, "x": 2}]', True),
        (BodySpec("json", {"ok": True}), '{"ok": 1}', False),
        (BodySpec("json", {"n": None}), '{"n": null}', True),
        (BodySpec("json", {"n": None}), "{}", False),
        (BodySpec("json", {"a": 1}), "not json", False),
        (BodySpec("json", {"a": 1}), "", False),
        (BodySpec("json", {"a": {"b": 1}}), '{"a": [1]}', False),
        (BodySpec("json", {}), "[]", False),
        # jsonpath, with and without a value
        (BodySpec("jsonpath", expression="$.user.id"), '{"user": {"id": 7}}', True),
        (BodySpec("jsonpath", expression="$.user.id"), '{"user": {}}', False),
        (BodySpec("jsonpath", expression="$.user.id"), "nope", False),
        (
            BodySpec("jsonpath", expression="$.user.id", value=ValueSpec("equals", 7)),
            '{"user": {"id": 7}}',
            True,
        ),
        (
            BodySpec("jsonpath", expression="$.user.id", value=ValueSpec("equals", "7")),
            '{"user": {"id": 8}}',
            False,
        ),
        (
            BodySpec("jsonpath", expression="$.ok", value=ValueSpec("equals", True)),
            '{"ok": true}',
            True,
        ),
        (
            BodySpec("jsonpath", expression="$.items[*].sku", value=ValueSpec("equals", "B")),
            '{"items": [{"sku": "A"}, {"sku": "B"}]}',
            True,
        ),
        (
            BodySpec("jsonpath", expression="$.name", value=ValueSpec("regex", "a.*")),
            '{"name": "ada"}',
            True,
        ),
        (
            BodySpec("jsonpath", expression="$.obj", value=ValueSpec("equals", '{"a":1}')),
            '{"obj": {"a": 1}}',
            True,
        ),
        (
            BodySpec("jsonpath", expression="$.x", value=ValueSpec("present", False)),
            '{"y": 1}',
            True,
        ),
        (
            BodySpec("jsonpath", expression="$.x", value=ValueSpec("equals", "1", negate=True)),
            '{"x": 2}',
            True,
        ),
        # schema
        (BodySpec("schema", SCHEMA), '{"name": "Ada", "age": 3}', True),
        (BodySpec("schema", SCHEMA), '{"age": 3}', False),
        (BodySpec("schema", SCHEMA), '{"name": "Ada", "age": -1}', False),
        (BodySpec("schema", SCHEMA), "not json", False),
        (BodySpec("schema", {"type": "array"}), "[]", True),
    ],
)
def test_body_table(spec: BodySpec, body: str, expected: bool) -> None:
    matcher = compile_body(spec)
    request = post(body)
    assert matcher.test(request) is expected
    result = matcher.explain(request)
    assert result.matched is expected
    assert (result.distance == 0.0) is expected


def test_text_ops_do_not_parse_json() -> None:
    request = post('{"a": 1}')
    compile_body(BodySpec("contains", "a")).test(request)
    compile_body(BodySpec("equals", '{"a": 1}')).test(request)
    assert request._json is not None and not isinstance(request._json, dict)


def test_invalid_utf8_body_is_tolerated() -> None:
    request = post(b"\xff\xfe{")
    assert not compile_body(BodySpec("json", {"a": 1})).test(request)
    assert not compile_body(BodySpec("contains", "x")).test(request)


@pytest.mark.parametrize(
    ("spec", "body", "condition", "expected", "actual"),
    [
        (BodySpec("equals", "abc"), "abd", "body equals", "abc", "abd"),
        (BodySpec("json", {"user": {"name": "Ada"}}), '{"user": {"name": "Bob"}}',
         "body json", '{"user":{"name":"Ada"}}', '$.user.name: "Bob"'),
        (BodySpec("json", {"tags": ["a"]}), '{"tags": []}', "body json", '{"tags":["a"]}',
         "$.tags: []"),
        (BodySpec("json", {"name": "Ada"}), "{}", "body json", '{"name":"Ada"}',
         "$.name: <absent>"),
        (BodySpec("json", {"a": 1}), "oops", "body json", '{"a":1}', "<not JSON>"),
        (BodySpec("jsonpath", expression="$.id"), "{}", "body jsonpath $.id",
         "selects something", "<nothing selected>"),
        (BodySpec("jsonpath", expression="$.id", value=ValueSpec("equals", 1)), '{"id": 2}',
         "body jsonpath $.id equals", "1", "2"),
        (BodySpec("jsonpath", expression="$.t[*]", value=ValueSpec("equals", "z")),
         '{"t": ["a", "b"]}', "body jsonpath $.t[*] equals", "z", '["a","b"]'),
        (BodySpec("jsonpath", expression="$.id"), "oops", "body jsonpath $.id",
         "selects something", "<not JSON>"),
        (BodySpec("schema", SCHEMA), '{"age": 3}', "body schema", None,
         "$: 'name' is a required property"),
        (BodySpec("schema", SCHEMA), "", "body schema", None, "<not JSON>"),
        (BodySpec("regex", "x+"), "y", "body regex", "x+", "y"),
        (BodySpec("contains", "x"), "y", "body contains", "x", "y"),
    ],
)  # fmt: skip
def test_check_texts(
    spec: BodySpec, body: str, condition: str, expected: str | None, actual: str
) -> None:
    (check,) = compile_body(spec).explain(post(body)).checks
    assert not check.passed
    assert check.condition == condition
    if expected is not None:
        assert check.expected == expected
    assert check.actual == actual


def test_near_equals_bodies_are_graded() -> None:
    matcher = compile_body(BodySpec("equals", "hello world"))
    near = matcher.explain(post("hello wrld")).distance
    far = matcher.explain(post("zzz")).distance
    assert 0.0 < near < far <= 1.0


def test_passing_schema_check_shows_the_body() -> None:
    result = compile_body(BodySpec("schema", SCHEMA)).explain(post('{"name":"x"}'))
    assert result.matched
    assert result.checks[0].actual == '{"name":"x"}'


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (BodySpec("regex", "("), "body regex: invalid regex"),
        (BodySpec("jsonpath", expression="$.[["), "body jsonpath: invalid expression"),
        (BodySpec("jsonpath"), "an expression is required"),
        (
            BodySpec("jsonpath", expression="$.a", value=ValueSpec("regex", "(")),
            "invalid regex",
        ),
        (BodySpec("schema", {"type": "nonsense"}), "body schema: invalid schema"),
        (BodySpec("schema", "a string"), "expected a JSON Schema object"),
        (BodySpec("contains", {"a": 1}), "expected a string"),
        (BodySpec("equals", b"raw"), "got bytes"),
        (BodySpec("bogus"), "unknown operator"),  # type: ignore[arg-type]
    ],
)
def test_invalid_specs_raise_value_error(spec: BodySpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_body(spec)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (False, 0, False),
        (True, True, True),
        (None, None, True),
        ("1", 1, False),
        ({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [1, 2, 3], False),
    ],
)
def test_json_equal(a: Any, b: Any, equal: bool) -> None:
    assert json_equal(a, b) is equal
    assert json_equal(b, a) is equal


def test_json_mismatch_reports_list_positions() -> None:
    assert json_mismatch({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == "$.a[1].b: 3"
    assert json_mismatch({"a": 1}, {"a": 1, "z": 0}) is None
