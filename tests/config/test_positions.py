"""Pointer -> line maps for YAML and JSON, including text PyYAML cannot read as JSON."""

from __future__ import annotations

import json

import pytest

from apidouble.config.positions import JsonLines, SyntaxProblem, line_of, parse, pointer

JSON_TEXT = (
    '{\n\t"a": {\n\t\t"b\\/c": [1,\n\t\t\t"x\\"y\\/z",\n\t\t\t{"d": "\\u00e9"}]},\n\t"e": 1e5\n}'
)


def test_json_with_tabs_and_escapes() -> None:
    parsed = parse(JSON_TEXT, as_json=True)
    assert parsed.data == json.loads(JSON_TEXT)
    assert "/nowhere" not in parsed.lines  # a miss completes the map
    assert parsed.lines == {
        "": 1,
        "/a": 2,
        "/a/b~1c": 3,
        "/a/b~1c/0": 3,
        "/a/b~1c/1": 4,
        "/a/b~1c/2": 5,
        "/a/b~1c/2/d": 5,
        "/e": 6,
    }


def test_json_lines_below_the_shallow_levels_are_found_when_asked() -> None:
    text = '{"endpoints": [\n {"name": "a",\n  "response": {"x": [1,\n 2]}}]}'
    lines = parse(text, as_json=True).lines
    assert isinstance(lines, JsonLines)
    assert "/endpoints/0/response/x" not in dict(lines)  # not scanned yet
    assert dict(lines)["/endpoints/0/name"] == 2  # the stubs' own keys are
    assert line_of(lines, "/endpoints/0/response/x/1") == 4
    assert dict(lines)["/endpoints/0/response/x/0"] == 3


def test_yaml_lines_use_keys_and_items() -> None:
    text = "top:\n  list:\n    - a\n    - k: v\n      m:\n        n: 1\n  'x/y': 2\n"
    parsed = parse(text, as_json=False)
    assert parsed.lines == {
        "": 1,
        "/top": 1,
        "/top/list": 2,
        "/top/list/0": 3,
        "/top/list/1": 4,
        "/top/list/1/k": 4,
        "/top/list/1/m": 5,
        "/top/list/1/m/n": 6,
        "/top/x~1y": 7,
    }


def test_yaml_anchors_and_merge_keys() -> None:
    text = "base: &b {a: 1}\nuse:\n  <<: *b\n  c: 2\nalias: *b\n"
    parsed = parse(text, as_json=False)
    assert parsed.data["use"] == {"a": 1, "c": 2}
    assert parsed.lines["/use/a"] == 1  # a merged key points where its value is defined
    assert parsed.lines["/use/c"] == 4
    assert line_of(parsed.lines, "/alias/a") == 5  # an alias points to where it is used


@pytest.mark.parametrize(
    ("text", "as_json", "line"),
    [
        ('{"a": 1,\n "b": }', True, 2),
        ("[1, 2", True, 1),
        ("a: 1\nb: [1\n", False, 3),
        ("a: 1\n  b: 2\n", False, 2),
        ("---\na: 1\n---\nb: 2\n", False, 3),
    ],
)
def test_syntax_errors_have_lines(text: str, as_json: bool, line: int) -> None:
    with pytest.raises(SyntaxProblem) as caught:
        parse(text, as_json=as_json)
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("parts", "expected"),
    [((), ""), (("a", 0), "/a/0"), (("a/b", "c~d"), "/a~1b/c~0d")],
)
def test_pointer_escaping(parts: tuple[str | int, ...], expected: str) -> None:
    assert pointer(*parts) == expected


def test_line_of_walks_up_to_an_ancestor() -> None:
    lines = {"": 1, "/a": 2}
    assert line_of(lines, "/a/b/c") == 2
    assert line_of({}, "/a") is None


def test_syntax_problems_are_apidouble_errors() -> None:
    from apidouble.errors import ApidoubleError
    from apidouble.errors import SyntaxProblem as FromErrors

    assert SyntaxProblem is FromErrors and issubclass(SyntaxProblem, ApidoubleError)
    with pytest.raises(ApidoubleError, match="JSON syntax error") as caught:
        parse('{"a": }', as_json=True)
    assert isinstance(caught.value, SyntaxProblem) and caught.value.line == 1
