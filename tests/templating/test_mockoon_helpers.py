"""``templating: mockoon``: Mockoon's Handlebars helpers, rendered directly (each helper)
and served over HTTP through the whole pipeline (loader, router, path parameters)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from apidouble.model import Request
from apidouble.templating import TemplateEnvironment
from apidouble.templating.handlebars import MOCKOON_HELPERS, compile_handlebars
from apidouble.testing import MockServer

BODY = json.dumps({"user": {"name": "Ada", "tags": ["a", "b"]}, "n": 3, "a.b": "dot"})
REQUEST = Request(
    "POST",
    "/users/7",
    "q=1&list=x&list=y&word=Hello",
    (
        ("Host", "example.test:8080"),
        ("Content-Type", "application/json"),
        ("X-Trace", "abc"),
        ("Cookie", "session=s1"),
    ),
    BODY.encode(),
    client=("10.1.2.3", 5555),
)


def render(source: str, env: TemplateEnvironment | None = None) -> str:
    env = env or TemplateEnvironment(3)
    template = compile_handlebars(env, source, MOCKOON_HELPERS)
    result = template.run(env.context_maker(template.names)(REQUEST, {"id": "7"}))
    assert isinstance(result, str)
    return result


CASES: list[tuple[str, str]] = [
    # request
    ("{{urlParam 'id'}}", "7"),
    ("{{queryParam 'q'}}", "1"),
    ("{{queryParam 'list'}}", '["x","y"]'),
    ("{{queryParam 'none' 'dflt'}}", "dflt"),
    ("{{#each (queryParamRaw 'list')}}[{{this}}]{{/each}}", "[x][y]"),
    ("{{body 'user.name'}}", "Ada"),
    ("{{body 'user.tags'}}", '["a","b"]'),
    ("{{body 'user.tags.1'}}", "b"),
    ("{{body '$.user.name'}}", "Ada"),
    ("{{body 'a\\.b'}}", "dot"),
    ("{{body 'missing' 'none'}}", "none"),
    ("{{body}}", BODY),
    ("{{#each (bodyRaw 'user.tags')}}<{{this}}>{{/each}}", "<a><b>"),
    ("{{bodyRaw 'n'}}", "3"),
    ("{{header 'x-trace'}}", "abc"),
    ("{{header 'X-None' 'd'}}", "d"),
    ("{{cookie 'session'}}", "s1"),
    ("{{cookie 'nope' 'd'}}", "d"),
    ("{{method}}", "POST"),
    ("{{hostname}}", "example.test"),
    ("{{ip}}", "10.1.2.3"),
    ("{{baseUrl}}", "http://example.test:8080"),
    # numbers and logic
    ("{{add 1 2 '3'}}", "6"),
    ("{{add 1 'x' 2}}", "3"),
    ("{{subtract 10 3 2}}", "5"),
    ("{{multiply 2 3 4}}", "24"),
    ("{{divide 10 4}}", "2.5"),
    ("{{divide 10 0}}", "10"),
    ("{{modulo 10 3}}", "1"),
    ("{{modulo 10 0}}", ""),
    ("{{ceil 1.2}}", "2"),
    ("{{floor 1.8}}", "1"),
    ("{{round 2.5}}", "3"),
    ("{{toFixed 1.005 2}}", "1.00"),
    ("{{toFixed 3.14159 2}}", "3.14"),
    ("{{eq 1 1}}", "true"),
    ("{{eq '1' 1}}", "false"),
    ("{{#if (eq (queryParam 'q') '1')}}yes{{else}}no{{/if}}", "yes"),
    ("{{gt 10 9}}", "true"),
    ("{{gt '10' '9'}}", "true"),
    ("{{gte 2 2}}", "true"),
    ("{{lt 1 'x'}}", "false"),
    ("{{lte 3 2}}", "false"),
    ("{{and true 1 'x'}}", "true"),
    ("{{or false 0 ''}}", "false"),
    ("{{not false}}", "true"),
    # text and arrays
    ("{{includes 'hello' 'ell'}}", "true"),
    ("{{len 'abcd'}}", "4"),
    ("{{len (array 1 2 3)}}", "3"),
    ("{{concat 'a' 1 'b'}}", "a1b"),
    ("{{join (array 'a' 'b')}}", "a, b"),
    ("{{join (array 'a' 'b') '-'}}", "a-b"),
    ("{{#each (split 'a b c')}}[{{this}}]{{/each}}", "[a][b][c]"),
    ("{{#each (split 'a,b' ',')}}[{{this}}]{{/each}}", "[a][b]"),
    ("{{lowercase 'AbC'}}", "abc"),
    ("{{uppercase (queryParam 'word')}}", "HELLO"),
    ("{{padStart '7' 3 '0'}}", "007"),
    ("{{padEnd 'ab' 4 '.'}}", "ab.."),
    ("{{substr 'abcdef' 1 3}}", "bcd"),
    ("{{replace 'a-b-c' '-' '+'}}", "a+b-c"),
    ("{{replaceAll 'a-b-c' '-' '+'}}", "a+b+c"),
    ("{{indexOf 'abcabc' 'c' 3}}", "5"),
    ("{{stringify (jsonParse '{\"a\":[1]}')}}", '{\n  "a": [\n    1\n  ]\n}'),
    ("{{jsonParse 'not json'}}", ""),
    ("{{stringify (object a=1 b='x')}}", '{\n  "a": 1,\n  "b": "x"\n}'),
    ("{{#each (sort (array 3 1 2))}}{{this}}{{/each}}", "123"),
    ("{{#each (sort (array 'b' 'a') 'desc')}}{{this}}{{/each}}", "ba"),
    ("{{#each (slice (array 1 2 3 4) 1 3)}}{{this}}{{/each}}", "23"),
    ("{{#each (reverse (array 1 2 3))}}{{this}}{{/each}}", "321"),
    (
        '{{#each (filter (jsonParse \'[{"t":1},{"t":2},{"t":1}]\') (object t=1))}}x{{/each}}',
        "xx",
    ),
    (
        '{{#with (find (jsonParse \'[{"t":1,"n":"a"},{"t":2,"n":"b"}]\') (object t=2))}}'
        "{{n}}{{/with}}",
        "b",
    ),
    (
        "{{#each (sortBy (jsonParse '[{\"k\":2},{\"k\":1}]') 'k')}}{{k}}{{/each}}",
        "12",
    ),
    ("{{parseInt '42px'}}", "42"),
    ("{{stringify (objectMerge (object a=1) (object b=2))}}", '{\n  "a": 1,\n  "b": 2\n}'),
    # values
    ("{{base64 'hello'}}", "aGVsbG8="),
    ("{{#base64}}hi {{urlParam 'id'}}{{/base64}}", "aGkgNw=="),
    ("{{base64Decode 'aGVsbG8='}}", "hello"),
    ("{{base64url 'a?b>'}}", "YT9iPg"),
    ("{{base64urlDecode 'YT9iPg'}}", "a?b>"),
    ("{{setVar 'v' (urlParam 'id')}}[{{getVar 'v'}}]", "[7]"),
    ("{{getVar 'unset'}}", ""),
    ("{{dateFormat '2024-02-03T04:05:06Z' 'yyyy/MM/dd HH:mm:ss'}}", "2024/02/03 04:05:06"),
    ("{{isValidDate '2024-02-03'}}", "true"),
    ("{{isValidDate 'soon'}}", "false"),
    ("{{dateTimeShift date='2024-01-31T00:00:00Z' months=1 format='yyyy-MM-dd'}}", "2024-03-02"),
    (
        "{{dateTimeShift date='2024-01-01T10:00:00Z' days=2 hours=3 format=\"yyyy-MM-dd'T'HH\"}}",
        "2024-01-03T13",
    ),
    ("{{newline}}", "\n"),
    ("{{dateTimeShift days=99999999999 format='yyyy'}}", "Invalid Date"),
    ("{{toFixed (jsonParse '1e309') 2}}", "Infinity"),
    (
        "{{#switch (urlParam 'id')}}{{#case '6'}}six{{/case}}{{#case '7'}}seven{{/case}}"
        "{{#case '7'}}again{{/case}}{{#default}}other{{/default}}{{/switch}}",
        "seven",
    ),
    ("{{#switch 'x'}}{{#case 'y'}}y{{/case}}{{#default}}other{{/default}}{{/switch}}", "other"),
    ("{{#switch 7}}{{#case '7'}}text{{/case}}{{#case 7}}number{{/case}}{{/switch}}", "number"),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_helper(source: str, expected: str) -> None:
    assert render(source) == expected


RANDOM_CASES: list[tuple[str, str]] = [
    ("{{int 5 9}}", r"[5-9]"),
    ("{{int}}", r"\d+"),
    ("{{float 1 2}}", r"1(\.\d+)?|2"),
    ("{{boolean}}", r"true|false"),
    ("{{uuid}}", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("{{guid}}", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("{{objectId}}", r"[0-9a-f]{24}"),
    ("{{oneOf (array 'x' 'y')}}", r"x|y"),
    ("{{oneOf (array 'x' 'y') true}}", r'"x"|"y"'),
    ("{{someOf (array 'x' 'y' 'z') 1 2 true}}", r'\["[xyz]"(,"[xyz]")?\]'),
    ("{{date '2020-01-01' '2020-12-31' 'yyyy'}}", r"2020"),
    ("{{time '10:00' '11:00' 'HH'}}", r"10|11"),
    ("{{now 'yyyy'}}", r"\d{4}"),
    ("{{now}}", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"),
]


@pytest.mark.parametrize(("source", "pattern"), RANDOM_CASES, ids=[c[0] for c in RANDOM_CASES])
def test_random_and_clock_helpers(source: str, pattern: str) -> None:
    for _ in range(5):
        assert re.fullmatch(pattern, render(source)), render(source)


def test_random_values_repeat_with_the_seed() -> None:
    source = "{{int 0 1000000}} {{uuid}} {{oneOf (array 1 2 3 4 5 6 7 8)}}"
    assert render(source, TemplateEnvironment(11)) == render(source, TemplateEnvironment(11))


def test_now_is_the_responses_moment() -> None:
    env = TemplateEnvironment(3)
    template = compile_handlebars(env, "{{now 'yyyy-MM-dd HH:mm'}}", MOCKOON_HELPERS)
    ctx = env.context_maker(template.names)(REQUEST, {})
    moment = ctx["now"].moment
    assert isinstance(moment, datetime)
    assert template.run(ctx) == moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def test_unknown_helper_is_a_load_error() -> None:
    with pytest.raises(ValueError, match="could not find helper: 'nohelper'"):
        compile_handlebars(TemplateEnvironment(), "{{nohelper 1}}", MOCKOON_HELPERS)


def test_the_wiremock_set_is_unchanged() -> None:
    """``handlebars`` keeps WireMock's helpers: Mockoon's ``urlParam`` is not one."""
    with pytest.raises(ValueError, match="urlParam"):
        compile_handlebars(TemplateEnvironment(), "{{urlParam 'id'}}")


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    endpoints: list[dict[str, Any]] = [
        {
            "method": "POST",
            "path": "/users/{id}",
            "templating": "mockoon",
            "headers": {"X-Id": "{{urlParam 'id'}}"},
            "response": '{"id": {{urlParam \'id\'}}, "name": "{{body \'user.name\'}}",'
            ' "q": "{{queryParam \'q\'}}", "trace": "{{header \'X-Trace\'}}",'
            ' "method": "{{method}}", "sum": {{add (bodyRaw \'n\') 2}},'
            " \"big\": {{#if (gt (bodyRaw 'n') 2)}}true{{else}}false{{/if}},"
            ' "first": "{{faker \'person.firstName\'}}", "n": {{faker \'number.int\' max=9}},'
            ' "tags": [{{#each (bodyRaw \'user.tags\')}}"{{uppercase this}}"'
            "{{#unless @last}},{{/unless}}{{/each}}]}",
        },
        {"path": "/jinja", "response": {"v": "{{ 1 + 1 }}"}},
        {"path": "/hb", "templating": "handlebars", "response": "{{request.path.[0]}}"},
        {"path": "/plain", "templating": "mockoon", "response": {"static": True}},
    ]
    with MockServer(endpoints=endpoints) as running:
        yield running


def test_served_over_http(server: MockServer) -> None:
    body = {"user": {"name": "Ada", "tags": ["a", "b"]}, "n": 3}
    answer = httpx.post(
        f"{server.url}/users/42?q=yes", json=body, headers={"X-Trace": "t-1"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.headers["x-id"] == "42"
    data = answer.json()
    assert {k: data[k] for k in ("id", "name", "q", "trace", "method", "sum", "big", "tags")} == {
        "id": 42,
        "name": "Ada",
        "q": "yes",
        "trace": "t-1",
        "method": "POST",
        "sum": 5,
        "big": True,
        "tags": ["A", "B"],
    }
    assert isinstance(data["first"], str) and data["first"]
    assert isinstance(data["n"], int) and 0 <= data["n"] <= 9


def test_other_engines_unchanged(server: MockServer) -> None:
    assert httpx.get(f"{server.url}/jinja", timeout=10).json() == {"v": 2}
    assert httpx.get(f"{server.url}/hb", timeout=10).text == "hb"
    assert httpx.get(f"{server.url}/plain", timeout=10).json() == {"static": True}


def test_unknown_faker_name_fails_at_load() -> None:
    endpoints = [{"path": "/x", "templating": "mockoon", "response": "{{faker 'person.nope'}}"}]
    with pytest.raises(Exception, match="person.nope"):
        with MockServer(endpoints=endpoints):
            pass


def test_json_path_and_object_path() -> None:
    assert render("{{jsonPath (bodyRaw) '$.user.name'}}") == "Ada"
    assert render("{{objectPath (bodyRaw) 'user.tags.0'}}") == "a"
    assert render("{{objectPath (bodyRaw) 'user.none' 'd'}}") == "d"
