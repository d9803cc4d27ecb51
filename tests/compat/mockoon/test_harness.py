"""What the harness keeps of an answer, and what it counts as the same answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.mockoon.answers import body_summary, declared_headers, shape
from tests.compat.mockoon.compare import differences, same_shape


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": "x"}, {"a": "string", "b": "number"}),
        ([{"a": 1}, {"a": 2.5}, {"a": None}], [{"a": "null|number"}]),
        ([{"a": []}, {"a": [1], "b": True}], [{"a": ["number"], "b": "boolean"}]),
        ([True, "s"], ["boolean|string"]),
        ([], []),
    ],
)
def test_shape_keeps_types_and_keys(value: Any, expected: Any) -> None:
    assert shape(value) == expected


@pytest.mark.parametrize(
    ("expected", "got", "same"),
    [
        ({"a": ["number"]}, {"a": []}, True),
        ({"a": []}, {"a": ["string"]}, True),
        ({"a": ["number"]}, {"a": ["string"]}, False),
        ({"a": "string"}, {"a": "string", "b": "string"}, False),
        ("string", ["string"], False),
    ],
)
def test_an_empty_list_stands_for_any_list(expected: Any, got: Any, same: bool) -> None:
    assert same_shape(expected, got) is same


def test_body_summary_kinds() -> None:
    assert body_summary(b"  ") == {"kind": "empty"}
    assert body_summary(b"<pre>Cannot GET /x</pre>") == {"kind": "unmatched"}
    assert body_summary(b"plain")["kind"] == "text"
    same = body_summary(b'{"a": 1, "b": [2]}')
    assert same == body_summary(b'{"b":[2],"a":1}')  # canonical: spacing and order aside
    assert same["shape"] == {"a": "number", "b": ["number"]}
    big = body_summary(("{" + ",".join(f'"k{i}": 1' for i in range(30)) + "}").encode())
    assert set(big["shape"]) == {"sha256"}


def test_declared_headers_leave_out_type_framing_and_clock() -> None:
    env = {
        "headers": [{"key": "X-A", "value": "1"}, {"key": "Content-Type", "value": "t"}],
        "routes": [
            {
                "responses": [
                    {"headers": [{"key": "Date", "value": "d"}, {"key": "ETag", "value": "e"}]}
                ]
            }
        ],
    }
    assert declared_headers(env) == ["etag", "x-a"]


def _answer(
    status: int = 200, body: bytes = b'{"a": 1}', headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "status": status,
        "content_type": "application/json",
        "headers": headers or {},
        "body": body_summary(body),
    }


_ENV = {
    "routes": [
        {
            "uuid": "plain-1",
            "responses": [{"body": "{}", "headers": [{"key": "X-T", "value": "{{now}}"}]}],
        },
        {"uuid": "faker-1", "responses": [{"body": "{{faker 'x'}}"}]},
    ]
}


@pytest.mark.parametrize(
    ("route", "got", "agrees"),
    [
        ("plain", _answer(), True),
        ("plain", _answer(body=b'{"a": 2}'), False),  # not a template: the value counts
        ("faker", _answer(body=b'{"a": 2}'), True),  # a template: the shape counts
        ("faker", _answer(body=b'{"a": "2"}'), False),
        ("plain", _answer(status=201), False),
        ("plain", _answer(headers={"x-t": "later"}), True),  # a templated header: present
        ("plain", _answer(headers={"x-t": "now", "x-other": "1"}), False),
    ],
)
def test_differences(route: str, got: dict[str, Any], agrees: bool) -> None:
    case = {"id": route, "kind": "route", "route": route}
    expected = _answer(headers={"x-t": "now"}) if got["headers"].get("x-t") else _answer()
    assert (differences(case, expected, got, _ENV) == []) is agrees


def test_unmatched_cases_compare_the_status_only() -> None:
    case = {"id": "unmatched/path", "kind": "unmatched", "route": ""}
    page = _answer(404, b"<pre>Cannot GET /x</pre>")
    assert differences(case, page, _answer(404), _ENV) == []
    assert differences(case, page, _answer(405), _ENV) == ["status: mockoon 404, apidouble 405"]
    assert differences(case, {"error": "ReadTimeout"}, _answer(404), _ENV)
