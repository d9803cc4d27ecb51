"""Record what the real WireMock answers for each matcher case, into wiremock_cases.json.

Run by hand when cases change (needs Java and the WireMock jar):

    .venv/bin/python tests/matching/record_wiremock_matchers.py [--port 18120]

Each case is one mapping (WireMock's request-pattern fragment) and one request; a 200
means WireMock matched, a 404 that it did not. The tests replay the file without Java.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.compat.wiremock.peers import find_jar

RECORDED_AT = 0.0
JAR = find_jar() or Path("wiremock-standalone-3.13.2.jar")  # scripts/peers/wiremock.sh
OUT = Path(__file__).with_name("wiremock_cases.json")

Case = dict[str, Any]
CASES: list[Case] = []
NS_DOC = '<s:env xmlns:s="urn:s"><s:body><m:op xmlns:m="urn:m">v</m:op></s:body></s:env>'


def case(name: str, pattern: dict[str, Any], request: dict[str, Any]) -> None:
    CASES.append({"name": name, "pattern": pattern, "request": request})


def value_case(name: str, where: str, matcher: dict[str, Any], values: list[str] | None) -> None:
    """A matcher on header/query/cookie ``X``; ``values`` None = absent."""
    request: dict[str, Any] = {"headers": [], "query": ""}
    key = {"header": "headers", "query": "queryParameters", "cookie": "cookies"}[where]
    if values is not None:
        if where == "header":
            request["headers"] = [["X", v] for v in values]
        elif where == "query":
            request["query"] = "&".join(f"x={quote(v, safe='')}" for v in values)
        else:
            request["headers"] = [["Cookie", "; ".join(f"x={v}" for v in values)]]
    case(f"{where}: {name}", {key: {"x" if where != "header" else "X": matcher}}, request)


def values(name: str, matcher: dict[str, Any], *tries: list[str] | None) -> None:
    for i, tried in enumerate(tries):
        value_case(f"{name} #{i} {tried!r}", "header", matcher, tried)


def body_case(name: str, matcher: dict[str, Any], body: str | bytes, ctype: str = "") -> None:
    request: dict[str, Any] = {"headers": [["Content-Type", ctype]] if ctype else [], "query": ""}
    if isinstance(body, bytes):
        request["body_b64"] = base64.b64encode(body).decode()
    else:
        request["body"] = body
    case(f"body: {name}", {"bodyPatterns": [matcher]}, request)


def bodies(name: str, matcher: dict[str, Any], *tries: str) -> None:
    for i, tried in enumerate(tries):
        body_case(f"{name} #{i} {tried[:40]!r}", matcher, tried)


def define_value_cases() -> None:
    # Native operators as WireMock spells them, with absence and several values.
    values("equalTo", {"equalTo": "abc"}, ["abc"], ["ABC"], None, ["x", "abc"])
    values("equalTo ci", {"equalTo": "abc", "caseInsensitive": True}, ["ABC"], ["abd"])
    values("contains", {"contains": "bc"}, ["abcd"], ["ab"], None)
    values("doesNotContain", {"doesNotContain": "bc"}, ["abcd"], ["ab"], None, ["ab", "abc"])
    values("matches", {"matches": "[0-9]+"}, ["123"], ["12a"], None, ["a", "1"])
    values("doesNotMatch", {"doesNotMatch": "[0-9]+"}, ["123"], ["12a"], None, ["a", "1"])
    values("absent", {"absent": True}, None, ["x"])
    for where in ("query", "cookie"):
        for name, matcher in (
            ("doesNotMatch", {"doesNotMatch": "[0-9]+"}),
            ("doesNotContain", {"doesNotContain": "b"}),
            ("not", {"not": {"equalTo": "b"}}),
        ):
            value_case(f"{name} absent", where, matcher, None)
            value_case(f"{name} hit", where, matcher, ["b"])
            value_case(f"{name} miss", where, matcher, ["a"])
    value_case("doesNotMatch multi", "query", {"doesNotMatch": "[0-9]+"}, ["a", "1"])

    # Logic.
    both = {"and": [{"contains": "a"}, {"contains": "b"}]}
    values("and", both, ["ab"], ["a"], None, ["a", "b"])
    either = {"or": [{"equalTo": "x"}, {"equalTo": "y"}]}
    values("or", either, ["x"], ["y"], ["z"], None)
    values("or absent", {"or": [{"equalTo": "x"}, {"absent": True}]}, ["x"], ["z"], None)
    values("not", {"not": {"equalTo": "x"}}, ["x"], ["y"], None, ["x", "y"], ["y", "x"])
    values("not contains", {"not": {"contains": "x"}}, ["axb"], ["ab"])
    values("not absent", {"not": {"absent": True}}, ["x"], None)
    values("and not", {"and": [{"matches": "[a-z]+"}, {"not": {"equalTo": "no"}}]}, ["yes"], ["no"])

    # Multi-valued.
    exactly = {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}
    includes = {"includes": [{"equalTo": "1"}, {"equalTo": "2"}]}
    for where in ("query", "header"):
        for name, matcher in (("hasExactly", exactly), ("includes", includes)):
            for tried in (["1", "2"], ["2", "1"], ["1"], ["1", "2", "3"], None, ["1", "1", "2"]):
                value_case(f"{name} {tried!r}", where, matcher, tried)
    value_case("hasExactly regex", "query", {"hasExactly": [{"matches": "[0-9]"}]}, ["1", "2"])
    value_case("includes regex", "query", {"includes": [{"matches": "[0-9]"}]}, ["a", "2"])
    value_case("includes contains", "query", {"includes": [{"contains": "b"}]}, ["abc", "x"])

    # Date and time.
    at = "2021-06-14T12:13:14Z"
    values(
        "equalToDateTime",
        {"equalToDateTime": at},
        [at],
        ["2021-06-14T12:13:15Z"],
        ["2021-06-14T14:13:14+02:00"],
        ["2021-06-14T12:13:14"],
        ["2021-06-14T12:13:14.000Z"],
        ["2021-06-14"],
        ["Mon, 14 Jun 2021 12:13:14 GMT"],
        ["1623672794"],
        ["1623672794000"],
        ["not a date"],
        None,
        ["x", at],
        ["2021-06-14T12:13:14.5Z"],
        ["2021-06-14 12:13:14"],
        ["2021-06-14T12:13:14+0000"],
        ["2021-06-14T12:13:14[UTC]"],
        ["2021-06-14T12:13:14Z[Europe/London]"],
    )
    values(
        "equalToDateTime local",
        {"equalToDateTime": "2021-06-14T12:13:14"},
        ["2021-06-14T12:13:14"],
        ["2021-06-14T12:13:14Z"],
        ["2021-06-14T14:13:14+02:00"],
    )
    values(
        "equalToDateTime date",
        {"equalToDateTime": "2021-06-14"},
        ["2021-06-14"],
        ["2021-06-14T00:00:00Z"],
        ["2021-06-14T00:00:00"],
    )
    values(
        "equalToDateTime zoned expected",
        {"equalToDateTime": "2021-06-14T12:13:14+02:00"},
        ["2021-06-14T10:13:14Z"],
        ["2021-06-14T12:13:14Z"],
    )
    values(
        "before",
        {"before": at},
        ["2021-06-13T12:13:14Z"],
        ["2021-06-15T12:13:14Z"],
        [at],
        ["2021-06-14T13:13:14+02:00"],
        ["2021-06-14"],
        None,
        ["junk"],
    )
    values("after", {"after": at}, ["2021-06-15T00:00:00Z"], ["2021-06-13T00:00:00Z"], [at])
    values("before now", {"before": "now"}, ["2001-01-01T00:00:00Z"], ["2100-01-01T00:00:00Z"])
    values("after now", {"after": "now"}, ["2001-01-01T00:00:00Z"], ["2100-01-01T00:00:00Z"])
    values("after now -1 months", {"after": "now -1 months"}, ["2100-01-01T00:00:00Z"])
    values(
        "before now +3 days",
        {"before": "now +3 days"},
        ["2001-01-01T00:00:00Z"],
        ["2100-01-01T00:00:00Z"],
    )
    values("before now + 30 years", {"before": "now +300 years"}, ["2100-01-01T00:00:00Z"])
    values("after now -30 years", {"after": "now -300 years"}, ["2001-01-01T00:00:00Z"])
    values("equalToDateTime now", {"equalToDateTime": "now"}, ["2001-01-01T00:00:00Z"])
    values(
        "before offset",
        {"before": at, "expectedOffset": 3, "expectedOffsetUnit": "days"},
        ["2021-06-16T00:00:00Z"],
        ["2021-06-18T00:00:00Z"],
    )
    values(
        "after offset negative",
        {"after": at, "expectedOffset": -2, "expectedOffsetUnit": "hours"},
        ["2021-06-14T11:00:00Z"],
        ["2021-06-14T10:00:00Z"],
    )
    values(
        "equal offset months",
        {
            "equalToDateTime": "2021-01-31T00:00:00Z",
            "expectedOffset": 1,
            "expectedOffsetUnit": "months",
        },
        ["2021-02-28T00:00:00Z"],
        ["2021-03-03T00:00:00Z"],
    )
    values(
        "before now offset",
        {"before": "now", "expectedOffset": 200, "expectedOffsetUnit": "years"},
        ["2100-01-01T00:00:00Z"],
    )
    values(
        "actualFormat",
        {"equalToDateTime": "2021-06-14T00:00:00Z", "actualFormat": "dd/MM/yyyy"},
        ["14/06/2021"],
        ["15/06/2021"],
        ["2021-06-14T00:00:00Z"],
    )
    values(
        "actualFormat time",
        {"equalToDateTime": "2021-06-14T12:13:14Z", "actualFormat": "yyyy-MM-dd HH:mm:ss"},
        ["2021-06-14 12:13:14"],
        ["2021-06-14 12:13:15"],
    )
    values(
        "actualFormat before",
        {"before": "2021-06-14T00:00:00Z", "actualFormat": "dd/MM/yyyy"},
        ["13/06/2021"],
        ["15/06/2021"],
    )
    values(
        "actualFormat epoch",
        {"equalToDateTime": at, "actualFormat": "unix"},
        ["1623672794"],
        ["1623672795"],
    )
    values(
        "actualFormat epoch ms",
        {"equalToDateTime": at, "actualFormat": "epoch"},
        ["1623672794000"],
        ["1623672794"],
    )
    values(
        "truncateExpected first day of month",
        {"equalToDateTime": at, "truncateExpected": "first day of month"},
        ["2021-06-01T00:00:00Z"],
        [at],
    )
    values(
        "truncateActual first hour of day",
        {"equalToDateTime": "2021-06-14T00:00:00Z", "truncateActual": "first hour of day"},
        [at],
        ["2021-06-15T01:00:00Z"],
    )
    values(
        "truncate both minute",
        {
            "equalToDateTime": at,
            "truncateExpected": "first minute of hour",
            "truncateActual": "first minute of hour",
        },
        ["2021-06-14T12:59:00Z"],
        ["2021-06-14T13:00:00Z"],
    )
    values(
        "truncate first day of year",
        {"equalToDateTime": "2021-01-01T00:00:00Z", "truncateActual": "first day of year"},
        ["2021-12-31T23:00:00Z"],
        ["2022-01-01T00:00:00Z"],
    )
    values(
        "truncate last day of month",
        {"equalToDateTime": "2021-02-28T00:00:00Z", "truncateActual": "last day of month"},
        ["2021-02-03T10:00:00Z"],
        ["2021-03-03T10:00:00Z"],
    )
    values(
        "truncate first day of next month",
        {"equalToDateTime": "2021-03-01T00:00:00Z", "truncateActual": "first day of next month"},
        ["2021-02-03T10:00:00Z"],
    )
    values(
        "truncate first day of next year",
        {"equalToDateTime": "2022-01-01T00:00:00Z", "truncateActual": "first day of next year"},
        ["2021-02-03T10:00:00Z"],
    )
    values(
        "truncate last day of year",
        {"equalToDateTime": "2021-12-31T00:00:00Z", "truncateActual": "last day of year"},
        ["2021-02-03T10:00:00Z"],
    )
    values(
        "truncate first second of minute",
        {"equalToDateTime": "2021-06-14T12:13:00Z", "truncateActual": "first second of minute"},
        [at],
    )
    values(
        "truncation then offset",
        {
            "equalToDateTime": "2021-06-01T00:00:00Z",
            "expectedOffset": 1,
            "expectedOffsetUnit": "days",
            "truncateExpected": "first day of month",
        },
        ["2021-06-02T00:00:00Z"],
        ["2021-06-01T00:00:00Z"],
    )
    values(
        "applyTruncationLast",
        {
            "equalToDateTime": "2021-06-30T00:00:00Z",
            "expectedOffset": 1,
            "expectedOffsetUnit": "days",
            "truncateExpected": "first day of month",
            "applyTruncationLast": True,
        },
        ["2021-07-01T00:00:00Z"],
        ["2021-06-01T00:00:00Z"],
    )
    values(
        "datetime in query",
        {"before": at},
        ["2021-06-13T12:13:14Z"],
    )
    value_case("before in query", "query", {"before": at}, ["2021-06-13T12:13:14Z"])
    value_case("before in query miss", "query", {"before": at}, ["2021-06-15T12:13:14Z"])
    value_case(
        "datetime multi", "query", {"before": at}, ["2021-06-15T12:13:14Z", "2020-01-01T00:00:00Z"]
    )

    # JSON, XML and binary on a single value.
    values(
        "equalToJson header",
        {"equalToJson": '{"a": 1, "b": [1, 2]}'},
        ['{"a":1,"b":[1,2]}'],
        ['{"b":[1,2],"a":1}'],
        ['{"a":1}'],
        ["nope"],
        None,
    )
    values(
        "equalToJson header extra",
        {"equalToJson": '{"a": 1}', "ignoreExtraElements": True},
        ['{"a":1,"c":3}'],
        ['{"a":2,"c":3}'],
    )
    values(
        "equalToXml header",
        {"equalToXml": "<a><b>1</b></a>"},
        ["<a><b>1</b></a>"],
        ["<a><b>2</b></a>"],
    )
    values(
        "matchesXPath header",
        {"matchesXPath": "/a/b"},
        ["<a><b>1</b></a>"],
        ["<a><c/></a>"],
        ["nope"],
    )
    body_case(
        "xpath unprefixed with namespaces",
        {"matchesXPath": "/env/body", "xPathNamespaces": {"a": "urn:s"}},
        NS_DOC,
    )
    body_case(
        "xpath prefixed partial namespaces",
        {"matchesXPath": "/a:env/body", "xPathNamespaces": {"a": "urn:s"}},
        NS_DOC,
    )
    body_case(
        "jsonpath $.eo absent",
        {"matchesJsonPath": {"expression": "$.eo", "absent": True}},
        '{"eo":{}}',
    )
    body_case(
        "jsonpath nested arrays",
        {"matchesJsonPath": {"expression": "$.x", "equalTo": "[ 1, 2 ]"}},
        '{"x":[[1,2],[3]]}',
    )
    body_case(
        "jsonpath obj pretty",
        {
            "matchesJsonPath": {
                "expression": "$.o",
                "equalTo": (
                    '{\n  "k" : "v",\n  "m" : [ 1, 2.5, null, {\n    "a" : true\n  } ],'
                    '\n  "e" : { },\n  "l" : [ ]\n}'
                ),
            }
        },
        '{"o":{"k":"v","m":[1,2.5,null,{"a":true}],"e":{},"l":[]}}',
    )
    body_case(
        "jsonpath list of objects",
        {"matchesJsonPath": {"expression": "$.o", "equalTo": '{\n  "k" : 1\n}'}},
        '{"o":[{"k":1},{"k":2}]}',
    )
    body_case(
        "jsonpath exp small",
        {"matchesJsonPath": {"expression": "$.v", "equalTo": "1.0E-5"}},
        '{"v":0.00001}',
    )
    body_case(
        "jsonpath exp mid",
        {"matchesJsonPath": {"expression": "$.v", "equalTo": "1234567.5"}},
        '{"v":1234567.5}',
    )
    body_case(
        "jsonpath exp big",
        {"matchesJsonPath": {"expression": "$.v", "equalTo": "1.23456789E8"}},
        '{"v":123456789.0}',
    )
    body_case(
        "jsonpath filter gives scalar list",
        {"matchesJsonPath": {"expression": "$.list[?(@ > 1)]", "equalTo": "2"}},
        '{"list":[1,2]}',
    )
    body_case(
        "jsonpath list of objects java",
        {"matchesJsonPath": {"expression": "$.o", "equalTo": "{k=1}"}},
        '{"o":[{"k":1},{"k":2}]}',
    )
    body_case(
        "jsonpath nested arrays java",
        {"matchesJsonPath": {"expression": "$.x", "equalTo": "[1, 2]"}},
        '{"x":[[1,2],[3]]}',
    )
    value_case(
        "datetime multi header",
        "header",
        {"before": "2021-06-14T12:13:14Z"},
        ["2021-06-15T12:13:14Z", "2020-01-01T00:00:00Z"],
    )
    value_case(
        "datetime multi first",
        "query",
        {"before": "2021-06-14T12:13:14Z"},
        ["2020-01-01T00:00:00Z", "2021-06-15T12:13:14Z"],
    )
    value_case("equalTo multi query", "query", {"equalTo": "b"}, ["a", "b"])
    value_case("contains multi query", "query", {"contains": "b"}, ["a", "b"])
    define_now_cases()


def define_now_cases() -> None:
    """Cases relative to the moment of recording; the tests replay them at that moment."""
    now = datetime.now(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    first = day.replace(day=1)
    tomorrow = day + timedelta(days=1)
    values(
        "now truncateExpected month",
        {"equalToDateTime": "now", "truncateExpected": "first day of month"},
        [stamp(first)],
        [stamp(day + timedelta(hours=1))],
    )
    values(
        "now truncateExpected day",
        {"equalToDateTime": "now", "truncateExpected": "first hour of day"},
        [stamp(day)],
        [stamp(tomorrow)],
    )
    values(
        "now offset truncate",
        {
            "equalToDateTime": "now",
            "expectedOffset": 1,
            "expectedOffsetUnit": "days",
            "truncateExpected": "first hour of day",
        },
        [stamp(tomorrow)],
        [stamp(day)],
    )
    values(
        "now +1 days truncate",
        {"equalToDateTime": "now +1 days", "truncateExpected": "first hour of day"},
        [stamp(tomorrow)],
        [stamp(day)],
    )
    values(
        "now offset truncate last",
        {
            "equalToDateTime": "now",
            "expectedOffset": 1,
            "expectedOffsetUnit": "days",
            "truncateExpected": "first hour of day",
            "applyTruncationLast": True,
        },
        [stamp(tomorrow)],
        [stamp(day)],
    )
    values(
        "now truncate both",
        {
            "equalToDateTime": "now",
            "truncateExpected": "first hour of day",
            "truncateActual": "first hour of day",
        },
        [stamp(day + timedelta(hours=5))],
        [stamp(tomorrow + timedelta(hours=5))],
    )
    values(
        "before now -1 days",
        {"before": "now -1 days"},
        [stamp(now - timedelta(days=2))],
        [stamp(now - timedelta(hours=12))],
    )
    values(
        "after now -1 days",
        {"after": "now -1 days"},
        [stamp(now - timedelta(hours=12))],
        [stamp(now - timedelta(days=2))],
    )
    values(
        "before now +2 hours",
        {"before": "now +2 hours"},
        [stamp(now + timedelta(hours=1))],
        [stamp(now + timedelta(hours=3))],
    )
    values(
        "after now offset -5 minutes",
        {"after": "now", "expectedOffset": -5, "expectedOffsetUnit": "minutes"},
        [stamp(now - timedelta(minutes=2))],
        [stamp(now - timedelta(minutes=9))],
    )
    values(
        "before now 1 weeks",
        {"before": "now +1 weeks"},
        [stamp(now + timedelta(days=6))],
        [stamp(now + timedelta(days=8))],
    )
    values(
        "local now", {"before": "now"}, [(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")]
    )


def define_json_cases() -> None:
    def eq(expected: Any, **flags: Any) -> dict[str, Any]:
        return {"equalToJson": expected, **flags}

    doc = '{"a": 1, "b": [1, 2, 3], "c": {"d": "x"}}'
    bodies(
        "equalToJson exact",
        eq(doc),
        '{"a":1,"b":[1,2,3],"c":{"d":"x"}}',
        '{"c":{"d":"x"},"b":[1,2,3],"a":1}',
        '{"a":1,"b":[3,2,1],"c":{"d":"x"}}',
        '{"a":1,"b":[1,2,3],"c":{"d":"x"},"e":0}',
        '{"a":1,"b":[1,2,3]}',
        '{"a":1.0,"b":[1,2,3],"c":{"d":"x"}}',
        '{"a":"1","b":[1,2,3],"c":{"d":"x"}}',
        "not json",
        "",
        '{"a":1,"b":[1,2,3],"c":{"d":"x"}',
    )
    bodies("equalToJson object expected", eq({"a": 1, "b": None}), '{"a":1,"b":null}', '{"a":1}')
    bodies(
        "equalToJson ignoreArrayOrder",
        eq(doc, ignoreArrayOrder=True),
        '{"a":1,"b":[3,1,2],"c":{"d":"x"}}',
        '{"a":1,"b":[3,1],"c":{"d":"x"}}',
    )
    bodies(
        "equalToJson ignoreExtraElements",
        eq(doc, ignoreExtraElements=True),
        '{"a":1,"b":[1,2,3],"c":{"d":"x","e":1},"f":2}',
        '{"a":1,"b":[1,2,3,4],"c":{"d":"x"}}',
        '{"a":1,"c":{"d":"x"}}',
    )
    bodies(
        "equalToJson both",
        eq('{"b":[{"x":1},{"y":2}]}', ignoreArrayOrder=True, ignoreExtraElements=True),
        '{"b":[{"y":2,"z":0},{"x":1}],"q":1}',
        '{"b":[{"y":3},{"x":1}]}',
    )
    bodies("equalToJson array root", eq("[1, 2]"), "[1,2]", "[2,1]", "[1,2,3]")
    bodies("equalToJson scalar", eq("1"), "1", "1.0", "2")
    bodies("equalToJson null", eq("null"), "null", "{}")
    bodies("equalToJson number precision", eq('{"n": 1.50}'), '{"n":1.5}', '{"n":1.5000001}')
    bodies(
        "equalToJson big number",
        eq('{"n": 12345678901234567890}'),
        '{"n":12345678901234567890}',
        '{"n":12345678901234567891}',
    )
    bodies("equalToJson true vs 1", eq('{"n": true}'), '{"n":1}', '{"n":true}')
    bodies(
        "equalToJson nested arrays order", eq("[[1,2],[3]]", ignoreArrayOrder=True), "[[3],[2,1]]"
    )
    bodies("equalToJson empty", eq("{}"), "{}", '{"a":1}', "[]")
    bodies("equalToJson empty extra", eq("{}", ignoreExtraElements=True), '{"a":1}', "[]")
    bodies(
        "equalToJson duplicates order", eq("[1,1,2]", ignoreArrayOrder=True), "[1,2,1]", "[1,2,2]"
    )
    placeholders = {
        "any-string": '"${json-unit.any-string}"',
        "any-number": '"${json-unit.any-number}"',
        "any-boolean": '"${json-unit.any-boolean}"',
        "ignore": '"${json-unit.ignore}"',
        "regex": '"${json-unit.regex}[A-Z]+"',
        "hash ignore": '"#{json-unit.ignore}"',
        "hash any-string": '"#{json-unit.any-string}"',
    }
    for name, text in placeholders.items():
        bodies(
            f"placeholder {name}",
            eq('{"v": ' + text + ', "k": 1}'),
            '{"v":"ABC","k":1}',
            '{"v":12,"k":1}',
            '{"v":true,"k":1}',
            '{"v":null,"k":1}',
            '{"v":{"o":1},"k":1}',
            '{"k":1}',
            '{"v":"abc","k":1}',
        )
    bodies(
        "placeholder ignore-element",
        eq('[1, "${json-unit.ignore-element}", 3]'),
        "[1,2,3]",
        "[1,3]",
        "[1,2,3,4]",
    )
    bodies("placeholder in key position", eq('{"${json-unit.ignore}": 1}'), '{"x":1}')
    bodies("placeholder root ignore", eq('"${json-unit.ignore}"'), '{"x":1}', "not json")
    bodies(
        "placeholder any-number float",
        eq('{"v":"${json-unit.any-number}"}'),
        '{"v":1.5}',
        '{"v":"1"}',
    )
    bodies(
        "placeholder regex no match",
        eq('{"v":"${json-unit.regex}[0-9]{3}"}'),
        '{"v":"123"}',
        '{"v":"1234"}',
        '{"v":123}',
    )
    bodies(
        "placeholder plain text",
        eq('{"v":"${json-unit.any-strin}"}'),
        '{"v":"x"}',
        '{"v":"${json-unit.any-strin}"}',
    )


def define_jsonpath_cases() -> None:
    doc = json.dumps(
        {
            "name": "n",
            "n": 1,
            "f": 1.5,
            "t": True,
            "z": None,
            "empty": [],
            "eo": {},
            "list": [1, 2],
            "obj": {"k": "v", "m": 2},
            "things": [{"name": "RequiredThing", "id": 1}, {"name": "Other", "id": 2}],
        }
    )

    def jp(expression: str, **sub: Any) -> dict[str, Any]:
        if not sub:
            return {"matchesJsonPath": expression}
        return {"matchesJsonPath": {"expression": expression, **sub}}

    for expression in (
        "$.name",
        "$.missing",
        "$.z",
        "$.empty",
        "$.eo",
        "$.list",
        "$.things[?(@.name == 'RequiredThing')]",
        "$.things[?(@.name == 'Nothing')]",
        "$.things[?(@.id > 1)]",
        "$.list[?(@ == 2)]",
        "$[?(@.n == 1)]",
        "$[?(@.list.size() == 2)]",
        "$[?(@.list.size() == 3)]",
        "$.things[0].name",
        "$.things[5]",
        "$..name",
        "$..nothing",
        "$.list.length()",
        "$.t",
        "$[?(@.t == true)]",
        "$.name[0]",
    ):
        body_case(f"jsonpath {expression}", jp(expression), doc)
    body_case("jsonpath not json", jp("$.a"), "not json")
    body_case("jsonpath empty body", jp("$.a"), "")
    body_case("jsonpath root array", jp("$[0]"), "[1]")
    body_case("jsonpath root empty array", jp("$[0]"), "[]")
    body_case("jsonpath array filter root", jp("$[?(@.a == 1)]"), '[{"a":1},{"a":2}]')
    body_case("jsonpath array filter root miss", jp("$[?(@.a == 3)]"), '[{"a":1},{"a":2}]')

    for expression, sub in (
        ("$.name", {"equalTo": "n"}),
        ("$.name", {"equalTo": "N"}),
        ("$.n", {"equalTo": "1"}),
        ("$.f", {"equalTo": "1.5"}),
        ("$.t", {"equalTo": "true"}),
        ("$.z", {"equalTo": "null"}),
        ("$.z", {"absent": True}),
        ("$.missing", {"absent": True}),
        ("$.name", {"absent": True}),
        ("$.empty", {"absent": True}),
        ("$.empty", {"equalTo": "[]"}),
        ("$.eo", {"equalTo": "{}"}),
        ("$.list", {"equalTo": "[1,2]"}),
        ("$.list", {"equalTo": "[ 1, 2 ]"}),
        ("$.list", {"contains": "2"}),
        ("$.list", {"matches": "\\[1,2\\]"}),
        ("$.obj", {"equalTo": '{"k":"v","m":2}'}),
        ("$.obj", {"contains": '"k":"v"'}),
        ("$.obj", {"equalToJson": '{"m": 2, "k": "v"}'}),
        ("$.obj", {"equalToJson": '{"k": "v"}', "ignoreExtraElements": True}),
        ("$.obj", {"equalToJson": '{"k": "v"}'}),
        ("$.list", {"equalToJson": "[2,1]", "ignoreArrayOrder": True}),
        (
            "$.things[?(@.name == 'RequiredThing')]",
            {"equalToJson": '[{"name": "RequiredThing", "id": 1}]'},
        ),
        ("$.things[?(@.name == 'RequiredThing')].id", {"equalTo": "1"}),
        ("$.things[*].name", {"equalTo": "Other"}),
        ("$.things[*].name", {"contains": "Required"}),
        ("$.things[*].name", {"equalTo": '["RequiredThing","Other"]'}),
        ("$..name", {"equalTo": "n"}),
        ("$.missing", {"equalTo": "x"}),
        ("$.missing", {"doesNotMatch": "x"}),
        ("$.name", {"doesNotMatch": "x"}),
        ("$.name", {"matches": "[a-z]"}),
        ("$.name", {"or": [{"equalTo": "q"}, {"equalTo": "n"}]}),
        ("$.name", {"not": {"equalTo": "n"}}),
        ("$.things", {"contains": "Other"}),
        ("$.f", {"equalToJson": "1.5"}),
        ("$.n", {"equalToJson": "1"}),
        ("$.name", {"equalToJson": '"n"'}),
        ("$.list.length()", {"equalTo": "2"}),
        ("$.name", {"equalTo": "n", "caseInsensitive": True}),
    ):
        body_case(f"jsonpath {expression} {json.dumps(sub)}", jp(expression, **sub), doc)
    body_case("jsonpath float render", jp("$.v", equalTo="1.0"), '{"v":1.0}')
    body_case("jsonpath float render 2", jp("$.v", equalTo="1"), '{"v":1.0}')
    body_case("jsonpath unicode", jp("$.v", equalTo="é"), '{"v":"é"}')
    body_case(
        "jsonpath nested obj text",
        jp("$.v", equalTo='{"a":[1,{"b":null}]}'),
        '{"v":{"a":[1,{"b":null}]}}',
    )
    body_case("jsonpath string with quote", jp("$.v", equalTo='say "hi"'), '{"v":"say \\"hi\\""}')
    body_case(
        "jsonpath big int", jp("$.v", equalTo="12345678901234567890"), '{"v":12345678901234567890}'
    )
    body_case("jsonpath exp", jp("$.v", equalTo="1.0E10"), '{"v":1e10}')
    body_case("jsonpath exp 2", jp("$.v", equalTo="10000000000"), '{"v":1e10}')


def define_xml_cases() -> None:
    def eqx(xml: str, **flags: Any) -> dict[str, Any]:
        return {"equalToXml": xml, **flags}

    bodies(
        "equalToXml",
        eqx('<a x="1" y="2"><b>t</b><c/></a>'),
        '<a x="1" y="2"><b>t</b><c/></a>',
        '<a y="2" x="1"><b>t</b><c></c></a>',
        '<a x="1" y="2">\n  <b>t</b>\n  <c/>\n</a>',
        '<a x="1" y="2"><c/><b>t</b></a>',
        '<a x="1"><b>t</b><c/></a>',
        '<a x="1" y="2"><b>u</b><c/></a>',
        '<a x="1" y="2"><b> t </b><c/></a>',
        '<a x="1" y="2"><b>t</b><c/><d/></a>',
        '<?xml version="1.0" encoding="UTF-8"?><a x="1" y="2"><b>t</b><c/></a>',
        "<a><b>",
        "not xml",
        "",
        '<a x="1" y="2"><!-- c --><b>t</b><c/></a>',
        '<a x="1" y="2"><b><![CDATA[t]]></b><c/></a>',
    )
    bodies(
        "equalToXml namespaces",
        eqx('<p:a xmlns:p="urn:x"><p:b>1</p:b></p:a>'),
        '<q:a xmlns:q="urn:x"><q:b>1</q:b></q:a>',
        '<a xmlns="urn:x"><b>1</b></a>',
        '<p:a xmlns:p="urn:y"><p:b>1</p:b></p:a>',
        "<a><b>1</b></a>",
    )
    bodies(
        "equalToXml placeholders",
        eqx("<a><b>${xmlunit.ignore}</b><c>1</c></a>", enablePlaceholders=True),
        "<a><b>anything</b><c>1</c></a>",
        "<a><b/><c>1</c></a>",
        "<a><b>x</b><c>2</c></a>",
    )
    bodies(
        "equalToXml placeholders off",
        eqx("<a><b>${xmlunit.ignore}</b></a>"),
        "<a><b>anything</b></a>",
        "<a><b>${xmlunit.ignore}</b></a>",
    )
    bodies(
        "equalToXml isNumber",
        eqx("<a><b>${xmlunit.isNumber}</b></a>", enablePlaceholders=True),
        "<a><b>12.5</b></a>",
        "<a><b>x</b></a>",
    )
    bodies(
        "equalToXml custom delimiters",
        eqx(
            "<a><b>[[xmlunit.ignore]]</b></a>",
            enablePlaceholders=True,
            placeholderOpeningDelimiterRegex="\\[\\[",
            placeholderClosingDelimiterRegex="]]",
        ),
        "<a><b>zz</b></a>",
    )
    bodies(
        "equalToXml exempted",
        eqx("<a><b>1</b></a>", exemptedComparisons=["NAMESPACE_URI", "NAMESPACE_PREFIX"]),
        '<a xmlns="urn:z"><b>1</b></a>',
        "<a><b>2</b></a>",
    )
    bodies(
        "equalToXml exempted child order",
        eqx("<a><b>1</b><c>2</c></a>", exemptedComparisons=["CHILD_NODELIST_SEQUENCE"]),
        "<a><c>2</c><b>1</b></a>",
    )
    bodies(
        "equalToXml exempted element tag",
        eqx("<a><b>1</b></a>", exemptedComparisons=["ELEMENT_TAG_NAME"]),
        "<a><q>1</q></a>",
    )
    bodies(
        "equalToXml exempted attribute value",
        eqx('<a x="1"/>', exemptedComparisons=["ATTR_VALUE"]),
        '<a x="2"/>',
        '<a y="2"/>',
    )
    bodies(
        "equalToXml exempted text",
        eqx("<a>1</a>", exemptedComparisons=["TEXT_VALUE"]),
        "<a>2</a>",
    )
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'
    )
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;&x;&x;&x;">'
        '<!ENTITY z "&y;&y;&y;&y;&y;">]><a>&z;</a>'
    )
    bodies("equalToXml external entity", eqx("<a>root:x:0:0</a>"), hostile)
    bodies("equalToXml entity bomb", eqx("<a>x</a>"), bomb)
    bodies("equalToXml doctype", eqx("<a>1</a>"), "<!DOCTYPE a><a>1</a>")

    doc = (
        '<root><item id="1" kind="a">one</item><item id="2">two</item>'
        "<empty/><n>  5 </n><nested><x>1</x><x>2</x></nested></root>"
    )

    def xp(expression: str, **extra: Any) -> dict[str, Any]:
        if not extra:
            return {"matchesXPath": expression}
        return {"matchesXPath": {"expression": expression, **extra}}

    for expression in (
        "/root/item",
        "/root/missing",
        "//item[@id='2']",
        "//item[@id='3']",
        "/root/item[1]/@kind",
        "/root/item[2]/@kind",
        "//empty",
        "count(//item) = 2",
        "count(//item) = 3",
        "//item[text()='two']",
        "/root/nested/x[2]",
        "//x[. = '2']",
        "/root/item/text()",
        "/root/empty/text()",
        "//item[contains(., 'ne')]",
        "//*[local-name()='n']",
        "/root/n = 5",
        "boolean(/root/none)",
        "/root/@missing",
        "//item[last()]",
        "//item[position() > 1]",
        "//item[@id='1' and @kind='a']",
        "//item[@id='9' or @kind='a']",
        "//item[not(@kind)]",
        "/root/item[starts-with(., 't')]",
        "string-length(/root/item[1]) = 3",
        "name(/*) = 'root'",
        "/root/*[2]",
        "//nested/x[. > 1]",
    ):
        body_case(f"xpath {expression}", xp(expression), doc)
    body_case("xpath not xml", xp("/a"), "not xml")
    body_case("xpath empty body", xp("/a"), "")
    body_case("xpath hostile", xp("/a"), hostile)
    for expression, sub in (
        ("/root/item[1]", {"equalTo": "one"}),
        ("/root/item[1]", {"equalTo": "two"}),
        ("/root/item", {"equalTo": "two"}),
        ("/root/item", {"equalTo": "one"}),
        ("/root/item/@id", {"equalTo": "2"}),
        ("/root/item[1]/@kind", {"equalTo": "a"}),
        ("/root/n", {"equalTo": "  5 "}),
        ("/root/n", {"equalTo": "5"}),
        ("/root/nested", {"equalTo": "12"}),
        ("/root/nested", {"contains": "<x>"}),
        ("/root/nested", {"equalToXml": "<nested><x>1</x><x>2</x></nested>"}),
        ("/root/empty", {"equalTo": ""}),
        ("/root/missing", {"absent": True}),
        ("/root/item", {"absent": True}),
        ("/root/missing", {"equalTo": ""}),
        ("count(//item)", {"equalTo": "2"}),
        ("count(//item)", {"equalTo": "2.0"}),
        ("/root/item[1]/text()", {"equalTo": "one"}),
        ("name(/*)", {"equalTo": "root"}),
        ("//item[@id='2']", {"matches": "t.o"}),
        ("/root/item", {"doesNotMatch": "one"}),
        ("/root/item", {"or": [{"equalTo": "x"}, {"equalTo": "two"}]}),
        ("string(/root/item[2])", {"equalTo": "two"}),
        ("/root/n = 5", {"equalTo": "true"}),
    ):
        body_case(f"xpath {expression} {json.dumps(sub)}", xp(expression, **sub), doc)
    ns_doc = NS_DOC
    body_case(
        "xpath namespaces",
        {**xp("/a:env/a:body/b:op"), "xPathNamespaces": {"a": "urn:s", "b": "urn:m"}},
        ns_doc,
    )
    body_case(
        "xpath namespaces wrong uri", {**xp("/a:env"), "xPathNamespaces": {"a": "urn:zz"}}, ns_doc
    )
    body_case("xpath no namespaces given", xp("/env/body/op"), ns_doc)
    body_case("xpath unprefixed on prefixed", xp("/s:env/s:body"), ns_doc)
    body_case("xpath local-name", xp("//*[local-name()='op']"), ns_doc)
    body_case(
        "xpath namespaces sub",
        {**xp("//b:op", equalTo="v"), "xPathNamespaces": {"b": "urn:m"}},
        ns_doc,
    )
    body_case("xpath default ns element", xp("/a/b"), '<a xmlns="urn:d"><b>1</b></a>')


def define_other_body_cases() -> None:
    raw = bytes(range(256))
    b64 = base64.b64encode(raw).decode()
    body_case("binaryEqualTo", {"binaryEqualTo": b64}, raw)
    body_case("binaryEqualTo miss", {"binaryEqualTo": b64}, raw[:-1])
    body_case("binaryEqualTo empty", {"binaryEqualTo": ""}, b"")
    body_case("binaryEqualTo text", {"binaryEqualTo": base64.b64encode(b"hi").decode()}, "hi")
    body_case("binaryEqualTo text miss", {"binaryEqualTo": base64.b64encode(b"hi").decode()}, "hi ")

    form = "application/x-www-form-urlencoded"
    for name, matcher, body in (
        ("equalTo", {"a": {"equalTo": "1"}}, "a=1&b=2"),
        ("equalTo miss", {"a": {"equalTo": "1"}}, "a=2&b=2"),
        ("absent", {"c": {"absent": True}}, "a=1"),
        ("absent present", {"a": {"absent": True}}, "a=1"),
        ("encoded", {"a": {"equalTo": "x y&z"}}, "a=x+y%26z"),
        ("encoded pct20", {"a": {"equalTo": "x y"}}, "a=x%20y"),
        ("multi any", {"a": {"equalTo": "2"}}, "a=1&a=2"),
        ("hasExactly", {"a": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}}, "a=1&a=2"),
        ("includes miss", {"a": {"includes": [{"equalTo": "3"}]}}, "a=1&a=2"),
        ("two", {"a": {"equalTo": "1"}, "b": {"matches": "[0-9]"}}, "a=1&b=2"),
        ("missing", {"a": {"equalTo": "1"}}, "b=1"),
        ("doesNotMatch absent", {"a": {"doesNotMatch": "1"}}, "b=1"),
        ("empty value", {"a": {"equalTo": ""}}, "a=&b=1"),
        ("no equals", {"a": {"equalTo": ""}}, "a&b=1"),
    ):
        case(
            f"form: {name}",
            {"method": "POST", "formParameters": matcher},
            {"headers": [["Content-Type", form]], "query": "", "body": body, "method": "POST"},
        )
    case(
        "form: wrong content type",
        {"method": "POST", "formParameters": {"a": {"equalTo": "1"}}},
        {"headers": [["Content-Type", "text/plain"]], "query": "", "body": "a=1", "method": "POST"},
    )
    case(
        "form: with charset",
        {"method": "POST", "formParameters": {"a": {"equalTo": "1"}}},
        {
            "headers": [["Content-Type", form + "; charset=UTF-8"]],
            "query": "",
            "body": "a=1",
            "method": "POST",
        },
    )
    case(
        "form: no content type",
        {"method": "POST", "formParameters": {"a": {"equalTo": "1"}}},
        {"headers": [], "query": "", "body": "a=1", "method": "POST"},
    )

    def part(name: str, body: str, ctype: str = "", filename: str = "") -> str:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"Content-Disposition: {disposition}\r\n"
        if ctype:
            head += f"Content-Type: {ctype}\r\n"
        return f"--BND\r\n{head}\r\n{body}\r\n"

    two = (
        part("meta", '{"k": 1}', "application/json")
        + part("file", "hello", "text/plain", "a.txt")
        + "--BND--\r\n"
    )
    mixed_two = two
    name_is = {"Content-Disposition": {"contains": 'name="file"'}}
    for name, patterns, body, ctype in (
        ("any name", [{"matchingType": "ANY", "headers": name_is}], two, "multipart/form-data"),
        (
            "any name body",
            [{"matchingType": "ANY", "headers": name_is, "bodyPatterns": [{"equalTo": "hello"}]}],
            two,
            "multipart/form-data",
        ),
        (
            "any name body miss",
            [{"matchingType": "ANY", "headers": name_is, "bodyPatterns": [{"equalTo": "bye"}]}],
            two,
            "multipart/form-data",
        ),
        ("all name", [{"matchingType": "ALL", "headers": name_is}], two, "multipart/form-data"),
        (
            "all content-disposition",
            [
                {
                    "matchingType": "ALL",
                    "headers": {"Content-Disposition": {"contains": "form-data"}},
                }
            ],
            two,
            "multipart/form-data",
        ),
        (
            "any json body",
            [{"matchingType": "ANY", "bodyPatterns": [{"equalToJson": '{"k":1}'}]}],
            two,
            "multipart/form-data",
        ),
        (
            "all json body",
            [{"matchingType": "ALL", "bodyPatterns": [{"equalToJson": '{"k":1}'}]}],
            two,
            "multipart/form-data",
        ),
        (
            "any content type",
            [{"matchingType": "ANY", "headers": {"Content-Type": {"equalTo": "text/plain"}}}],
            two,
            "multipart/form-data",
        ),
        (
            "any missing header",
            [{"matchingType": "ANY", "headers": {"X-Nope": {"equalTo": "1"}}}],
            two,
            "multipart/form-data",
        ),
        (
            "any absent header",
            [{"matchingType": "ANY", "headers": {"X-Nope": {"absent": True}}}],
            two,
            "multipart/form-data",
        ),
        (
            "two patterns",
            [
                {"matchingType": "ANY", "headers": name_is},
                {"matchingType": "ANY", "bodyPatterns": [{"contains": "k"}]},
            ],
            two,
            "multipart/form-data",
        ),
        (
            "two patterns miss",
            [
                {"matchingType": "ANY", "headers": name_is},
                {"matchingType": "ANY", "bodyPatterns": [{"contains": "zz"}]},
            ],
            two,
            "multipart/form-data",
        ),
        (
            "mixed",
            [{"matchingType": "ANY", "bodyPatterns": [{"equalTo": "hello"}]}],
            mixed_two,
            "multipart/mixed",
        ),
        (
            "related",
            [{"matchingType": "ANY", "bodyPatterns": [{"equalTo": "hello"}]}],
            mixed_two,
            "multipart/related",
        ),
        (
            "not multipart",
            [{"matchingType": "ANY", "bodyPatterns": [{"equalTo": "hello"}]}],
            "hello",
            "text/plain",
        ),
        (
            "broken",
            [{"matchingType": "ANY", "bodyPatterns": [{"equalTo": "hello"}]}],
            "--BND\r\nno end",
            "multipart/form-data",
        ),
        ("default type", [{"headers": name_is}], two, "multipart/form-data"),
        (
            "any body contains",
            [{"matchingType": "ANY", "bodyPatterns": [{"contains": "ell"}]}],
            two,
            "multipart/form-data",
        ),
        (
            "any body regex",
            [{"matchingType": "ANY", "bodyPatterns": [{"matches": "h.*o"}]}],
            two,
            "multipart/form-data",
        ),
        ("empty pattern", [{"matchingType": "ANY"}], two, "multipart/form-data"),
        ("all empty pattern", [{"matchingType": "ALL"}], two, "multipart/form-data"),
        (
            "binary equal",
            [
                {
                    "matchingType": "ANY",
                    "bodyPatterns": [{"binaryEqualTo": base64.b64encode(b"hello").decode()}],
                }
            ],
            two,
            "multipart/form-data",
        ),
    ):
        case(
            f"multipart: {name}",
            {"method": "POST", "multipartPatterns": patterns},
            {
                "headers": [["Content-Type", f"{ctype}; boundary=BND"]],
                "query": "",
                "body": body,
                "method": "POST",
            },
        )


def start(port: int, root: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            "java",
            "-jar",
            str(JAR),
            "--port",
            str(port),
            "--bind-address",
            "127.0.0.1",
            "--disable-banner",
            "--root-dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/__admin/health").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("WireMock did not start")


def run(port: int, only: str | None) -> None:
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "mappings").mkdir()
        process = start(port, Path(root))
        try:
            with httpx.Client(base_url=base, timeout=10) as client:
                for one in CASES:
                    if only and only not in one["name"]:
                        continue
                    one["matched"] = record(client, one)
        finally:
            process.kill()
            process.wait()


def record(client: httpx.Client, one: Case) -> bool | None:
    client.delete("/__admin/mappings")
    request = {"urlPath": "/t", "method": "ANY", **one["pattern"]}
    mapping = {"request": request, "response": {"status": 200}}
    added = client.post("/__admin/mappings", json=mapping)
    if added.status_code != 201:
        one["rejected"] = added.text[:300]
        return None
    sent = one["request"]
    content = (
        base64.b64decode(sent["body_b64"]) if "body_b64" in sent else sent.get("body", "").encode()
    )
    url = "/t" + (f"?{sent['query']}" if sent["query"] else "")
    answer = client.request(
        sent.get("method", "POST"),
        url,
        headers=[tuple(h) for h in sent["headers"]],
        content=content,
    )
    if answer.status_code not in (200, 404):
        one["status"] = answer.status_code
    return answer.status_code == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18120)
    parser.add_argument("--only", help="record only cases whose name contains this, print them")
    args = parser.parse_args()
    global RECORDED_AT
    RECORDED_AT = time.time()
    define_value_cases()
    define_json_cases()
    define_jsonpath_cases()
    define_xml_cases()
    define_other_body_cases()
    names = [one["name"] for one in CASES]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise SystemExit(f"duplicate case names: {sorted(duplicates)}")
    run(args.port, args.only)
    if args.only:
        for one in CASES:
            if "matched" in one:
                print(one["matched"], one["name"], one.get("rejected", ""), one.get("status", ""))
        return
    OUT.write_text(
        json.dumps(
            {"wiremock": "3.13.2", "recorded_at": RECORDED_AT, "cases": CASES},
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"{len(CASES)} cases -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
