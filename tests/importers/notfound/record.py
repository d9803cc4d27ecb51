"""Record WireMock's own "Request was not matched" reports into recorded.json.

Run by hand when cases change (needs Java and the WireMock 3.13.2 jar):

    .venv/bin/python tests/importers/notfound/record.py [--port 18170]

Each case is a few mappings (written as files into a temp root, loaded with
``POST /__admin/mappings/reset``) and one request sent with httpx; the 404 body is saved
as WireMock wrote it. The tests replay the file without Java.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.compat.wiremock.peers import find_jar

JAR = find_jar() or Path("wiremock-standalone-3.13.2.jar")  # scripts/peers/wiremock.sh
OUT = Path(__file__).with_name("recorded.json")

Case = dict[str, Any]
CASES: list[Case] = []
LONG = "A stub with a rather long name that goes on and on so that WireMock has to wrap it"
BOUNDARY = "b0undary"


def case(
    name: str,
    stubs: list[dict[str, Any]],
    method: str = "GET",
    url: str = "/thing",
    headers: list[tuple[str, str]] | None = None,
    body: str | bytes = b"",
    scenario: str | None = None,
) -> None:
    """``stubs``: request patterns, or whole mappings when they hold a "request" key."""
    mappings = [stub if "request" in stub else {"request": stub} for stub in stubs]
    for mapping in mappings:
        mapping.setdefault("response", {"status": 200})
    CASES.append(
        {
            "name": name,
            "mappings": mappings,
            "send": {
                "method": method,
                "url": url,
                "headers": headers or [],
                "body_b64": base64.b64encode(
                    body.encode() if isinstance(body, str) else body
                ).decode(),
            },
            "scenario_state": scenario,
        }
    )


def multipart(*parts: tuple[list[tuple[str, str]], str]) -> bytes:
    lines = []
    for headers, content in parts:
        lines.append(f"--{BOUNDARY}")
        lines.extend(f"{name}: {value}" for name, value in headers)
        lines.append("")
        lines.append(content)
    lines.append(f"--{BOUNDARY}--")
    lines.append("")
    return "\r\n".join(lines).encode()


def part(name: str, content: str, *extra: tuple[str, str]) -> tuple[list[tuple[str, str]], str]:
    return [("Content-Disposition", f'form-data; name="{name}"'), *extra], content


MULTIPART = [("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")]
FORM = [("Content-Type", "application/x-www-form-urlencoded")]
JSON = [("Content-Type", "application/json")]


def define() -> None:
    # URL forms
    case("url wrong", [{"method": "GET", "url": "/thing"}], url="/thin")
    case("url with query", [{"method": "GET", "url": "/thing?a=1"}], url="/thing?a=2")
    case("urlPath", [{"method": "GET", "urlPath": "/thing"}], url="/thong?x=1")
    case("urlPattern", [{"method": "GET", "urlPattern": "/thing/[0-9]+"}], url="/thing/abc")
    case(
        "urlPattern question mark", [{"method": "GET", "urlPattern": "/?q=correct"}], url="/q=wrong"
    )
    case("urlPattern no slash", [{"method": "GET", "urlPattern": "thing?query=value"}])
    case(
        "urlPathPattern",
        [{"method": "GET", "urlPathPattern": "/th[a-z]+/\\d+"}],
        url="/thing/x?y=1",
    )
    case("no url", [{"method": "POST"}])
    case("url matches method wrong", [{"method": "POST", "url": "/thing"}])
    case("method ANY", [{"method": "ANY", "url": "/thing"}], method="DELETE", url="/other")
    case("method lower", [{"method": "PUT", "url": "/thing"}], method="PATCH")
    case(
        "url template",
        [{"method": "GET", "urlPathTemplate": "/contacts/{contactId}"}],
        url="/contracts/12345",
    )
    case(
        "path parameter wrong",
        [
            {
                "method": "GET",
                "urlPathTemplate": "/contacts/{contactId}",
                "pathParameters": {"contactId": {"equalTo": "123"}},
            }
        ],
        url="/contacts/345",
    )
    case(
        "path parameters two",
        [
            {
                "method": "GET",
                "urlPathTemplate": "/a/{x}/b/{y}",
                "pathParameters": {"x": {"matches": "[0-9]+"}, "y": {"doesNotContain": "z"}},
            }
        ],
        url="/a/12/b/zz",
    )
    case(
        "path parameter and header",
        [
            {
                "method": "GET",
                "urlPathTemplate": "/contacts/{contactId}",
                "headers": {"Authorization": {"equalTo": "Token 456"}},
                "pathParameters": {"contactId": {"equalTo": "123"}},
            }
        ],
        url="/contacts/123",
        headers=[("Authorization", "Token 789")],
    )
    # headers
    case(
        "headers mixed",
        [
            {
                "name": "The post stub with a really long name that ought to wrap and let us"
                " see exactly how that looks when it is done",
                "request": {
                    "method": "POST",
                    "url": "/thing",
                    "headers": {
                        "X-My-Header": {"contains": "correct value"},
                        "Accept": {"matches": "text/plain.*"},
                    },
                    "bodyPatterns": [{"equalToJson": '{"thing": {"stuff": [1, 2, 3]}}'}],
                },
            }
        ],
        method="POST",
        url="/thin",
        headers=[("X-My-Header", "wrong value"), ("Accept", "text/plain"), *JSON],
        body='{"thing": {"nothing": {}}}',
    )
    case(
        "header missing",
        [{"method": "POST", "url": "/thing", "headers": {"X-My-Header": {"equalTo": "v"}}}],
        method="POST",
    )
    case(
        "header ops",
        [
            {
                "method": "GET",
                "url": "/thing",
                "headers": {
                    "X-A": {"doesNotMatch": "a.*"},
                    "X-B": {"equalTo": "b", "caseInsensitive": True},
                    "X-C": {"absent": True},
                    "X-D": {"doesNotContain": "dd"},
                    "X-E": {"anything": "x"},
                },
            }
        ],
        headers=[("X-A", "abc"), ("X-B", "B"), ("X-C", "here"), ("X-D", "xddx")],
    )
    case(
        "header multi valued",
        [{"method": "GET", "url": "/thing", "headers": {"X-M": {"equalTo": "two"}}}],
        headers=[("X-M", "one"), ("X-M", "three")],
    )
    case(
        "header hasExactly",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "headers": {
                    "q": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}, {"equalTo": "3"}]}
                },
            }
        ],
        headers=[("q", "1")],
    )
    case(
        "header includes multi",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "headers": {"q": {"includes": [{"equalTo": "1"}, {"contains": "2"}]}},
            }
        ],
        headers=[("q", "1"), ("q", "3")],
    )
    case(
        "basic auth",
        [
            {
                "method": "GET",
                "url": "/thing",
                "basicAuthCredentials": {"username": "user", "password": "pass"},
            }
        ],
        headers=[("Authorization", "Basic d3Jvbmc6d3Jvbmc=")],
    )
    case(
        "basic auth missing",
        [
            {
                "method": "GET",
                "url": "/thing",
                "headers": {"X-A": {"equalTo": "a"}},
                "basicAuthCredentials": {"username": "user", "password": "pass"},
            }
        ],
    )
    case(
        "logical or",
        [
            {
                "method": "GET",
                "urlPath": "/or",
                "headers": {"X-Maybe": {"or": [{"equalTo": "one"}, {"absent": True}]}},
            }
        ],
        url="/or",
        headers=[("X-Maybe", "wrong")],
    )
    case(
        "logical and",
        [
            {
                "method": "GET",
                "urlPath": "/and",
                "headers": {"X-Both": {"and": [{"contains": "a"}, {"matches": "[a-c]+"}]}},
            }
        ],
        url="/and",
        headers=[("X-Both", "abz")],
    )
    case(
        "not and dates",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "headers": {
                    "X-Not": {"not": {"equalTo": "n"}},
                    "X-Date": {"before": "2020-01-01T00:00:00Z"},
                },
            }
        ],
        headers=[("X-Not", "n"), ("X-Date", "2021-06-01T00:00:00Z")],
    )
    # query
    case(
        "query",
        [
            {
                "name": "Query params diff",
                "request": {
                    "method": "GET",
                    "urlPath": "/thing",
                    "queryParameters": {
                        "one": {"equalTo": "1"},
                        "two": {"contains": "two things"},
                        "three": {"matches": "[a-z]{5}"},
                    },
                },
            }
        ],
        url="/thing?one=2&two=wrong%20things&three=abcde",
    )
    case(
        "query missing",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "queryParameters": {"one": {"equalTo": "1"}, "two": {"absent": True}},
            }
        ],
        url="/thing?two=2",
    )
    case(
        "query multi valued",
        [{"method": "GET", "urlPath": "/thing", "queryParameters": {"q": {"equalTo": "2"}}}],
        url="/thing?q=1&q=3",
    )
    case(
        "query includes",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "queryParameters": {
                    "q": {"includes": [{"equalTo": "1"}, {"equalTo": "2"}, {"equalTo": "3"}]}
                },
            }
        ],
        url="/thing?q=1",
    )
    case(
        "query hasExactly",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "queryParameters": {"q": {"hasExactly": [{"equalTo": "1"}, {"equalTo": "2"}]}},
            }
        ],
        url="/thing?q=1&q=2&q=3",
    )
    # cookies
    case(
        "cookies",
        [
            {
                "name": "Cookie diff",
                "request": {
                    "method": "POST",
                    "url": "/thing",
                    "cookies": {
                        "Cookie_1": {"contains": "one value"},
                        "Second_Cookie": {"matches": "cookie two value [0-9]*"},
                    },
                },
            }
        ],
        method="POST",
        headers=[("Cookie", "Cookie_1=zero value; Second_Cookie=cookie two value 123")],
    )
    case(
        "cookie missing",
        [{"method": "GET", "url": "/thing", "cookies": {"session": {"equalTo": "abc"}}}],
        headers=[("Cookie", "other=1")],
    )
    # form
    case(
        "form",
        [
            {
                "name": "Form diff",
                "request": {
                    "method": "PUT",
                    "urlPath": "/thing",
                    "formParameters": {
                        "one": {"equalTo": "1"},
                        "two": {"contains": "two things"},
                        "three": {"matches": "[a-z]{5}"},
                    },
                },
            }
        ],
        method="PUT",
        headers=FORM,
        body="one=2&two=wrong+things&three=abcde",
    )
    case(
        "form missing",
        [{"method": "POST", "urlPath": "/thing", "formParameters": {"a": {"equalTo": "1"}}}],
        method="POST",
        headers=FORM,
        body="b=2",
    )
    # bodies
    case(
        "equalToJson",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"equalToJson": {"id": 1, "tags": ["a", "b"], "nested": {"k": "v"}}}
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body='{"id":2,"tags":["a"],"nested":{"k":"w","extra":[1,2,{"z":null}]}}',
    )
    case(
        "equalToJson string",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"equalToJson": '{"a": 1.50, "b": true}', "ignoreExtraElements": True}
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body='{"a": 2}',
    )
    case(
        "equalToJson body not json",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"equalToJson": {"a": 1}}]}],
        method="POST",
        body="not json at all",
    )
    case(
        "equalToJson matches url wrong",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"equalToJson": {"a": 1}}]}],
        method="POST",
        url="/thong",
        headers=JSON,
        body='{"a": 1}',
    )
    case(
        "body equalTo",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"equalTo": "hello"}]}],
        method="POST",
        body="goodbye",
    )
    case(
        "body contains and matches",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [{"contains": "needle"}, {"matches": "^h.*"}],
            }
        ],
        method="POST",
        body="haystack",
    )
    case(
        "body empty",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"contains": "x"}]}],
        method="POST",
    )
    case(
        "jsonpath",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"matchesJsonPath": "$..seven"}]}],
        method="POST",
        headers=JSON,
        body='{"one": {"two": {"three": "x"}}}',
    )
    case(
        "jsonpath submatch",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesJsonPath": {"expression": "$.accountNum", "equalTo": "1234"}}
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body='{"accountNum": "9999", "other": 1}',
    )
    case(
        "jsonpath body not json",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesJsonPath": {"expression": "$.accountNum", "equalTo": "1234"}}
                ],
            }
        ],
        method="POST",
        body="not json",
    )
    case(
        "jsonpath no body",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesJsonPath": {"expression": "$.accountNum", "equalTo": "1234"}}
                ],
            }
        ],
        method="POST",
    )
    case(
        "jsonpath one matches one not",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [{"matchesJsonPath": "$.a"}, {"matchesJsonPath": "$.b"}],
            }
        ],
        method="POST",
        url="/thin",
        headers=JSON,
        body='{"a": 1}',
    )
    case(
        "json schema",
        [
            {
                "name": "JSON schema stub",
                "request": {
                    "method": "POST",
                    "url": "/thing",
                    "bodyPatterns": [
                        {
                            "matchesJsonSchema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "tag": {"type": "string"},
                                },
                            }
                        }
                    ],
                },
            }
        ],
        method="POST",
        headers=JSON,
        body='{\n  "handle": "Rex"\n}',
    )
    case(
        "xpath submatch",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesXPath": {"expression": "//thing/text()", "equalTo": "two"}}
                ],
            }
        ],
        method="POST",
        headers=[("Content-Type", "application/xml")],
        body="<stuff><thing>one</thing></stuff>",
    )
    case(
        "xpath plain",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"matchesXPath": "//missing"}]}],
        method="POST",
        headers=[("Content-Type", "application/xml")],
        body="<stuff><thing>one</thing><other a='1'/></stuff>",
    )
    case(
        "equalToXml",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [{"equalToXml": "<a><b>1</b><c x='y'/></a>"}],
            }
        ],
        method="POST",
        headers=[("Content-Type", "application/xml")],
        body="<a><b>2</b></a>",
    )
    case(
        "binaryEqualTo",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"binaryEqualTo": "AQID"}]}],
        method="POST",
        body=b"\x01\x02\x04",
    )
    # multipart
    case(
        "multipart",
        [
            {
                "name": "Multipart request body stub",
                "request": {
                    "method": "POST",
                    "url": "/thing",
                    "multipartPatterns": [
                        {
                            "matchingType": "ANY",
                            "headers": {
                                "Content-Disposition": {"contains": 'name="part_one"'},
                                "X-My-Stuff": {"contains": "stuff_parts"},
                            },
                            "bodyPatterns": [{"matches": "Some expected text.*"}],
                        },
                        {
                            "headers": {"X-More": {"contains": "stuff_parts"}},
                            "bodyPatterns": [{"equalTo": "Correct body"}],
                        },
                    ],
                },
            }
        ],
        method="POST",
        headers=MULTIPART,
        body=multipart(
            part("part_one", "Wrong body", ("X-My-Stuff", "wrong value")),
            part("part_two", "Correct body"),
        ),
    )
    case(
        "multipart not multipart",
        [
            {
                "method": "POST",
                "url": "/thing",
                "multipartPatterns": [{"bodyPatterns": [{"equalTo": "x"}]}],
            }
        ],
        method="POST",
        body="plain",
    )
    case(
        "multipart ALL",
        [
            {
                "method": "POST",
                "url": "/thing",
                "multipartPatterns": [
                    {
                        "matchingType": "ALL",
                        "headers": {"Content-Type": {"equalTo": "text/plain"}},
                    }
                ],
            }
        ],
        method="POST",
        headers=MULTIPART,
        body=multipart(part("a", "1", ("Content-Type", "text/plain")), part("b", "2")),
    )
    # scenarios
    scenario_stub = {
        "scenarioName": "thing states",
        "requiredScenarioState": "first",
        "request": {"method": "POST", "url": "/thing"},
    }
    case("scenario state", [scenario_stub], method="POST", scenario="Started")
    case(
        "scenario state and url",
        [{**scenario_stub, "name": "Scenario stub"}],
        method="POST",
        url="/thin",
        scenario="Started",
    )
    # wrapping
    case(
        "long url",
        [{"method": "GET", "url": "/" + "segment/" * 12 + "end"}],
        url="/" + "segment/" * 12 + "other",
    )
    case(
        "long header value",
        [
            {
                "method": "GET",
                "url": "/thing",
                "headers": {
                    "X-Long-Header-Name-That-Keeps-Going": {"equalTo": ("word " * 20).strip()}
                },
            }
        ],
        headers=[("X-Long-Header-Name-That-Keeps-Going", ("other " * 15).strip())],
    )
    case(
        "long unbroken value",
        [{"method": "GET", "url": "/thing", "headers": {"X-Token": {"equalTo": "x" * 130}}}],
        headers=[("X-Token", "y" * 70)],
    )
    case("long name", [{"name": LONG, "request": {"method": "GET", "url": "/thing"}}], url="/x")
    case(
        "long json",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"equalToJson": {"description": "word " * 15, "list": list(range(30))}}
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body=json.dumps({"description": "other " * 12, "list": [1, 2]}),
    )
    # several stubs: which one is closest
    case(
        "closest of two by url",
        [
            {"name": "first", "request": {"method": "GET", "url": "/alpha"}},
            {"name": "second", "request": {"method": "GET", "url": "/thing"}},
        ],
        url="/thingy",
    )
    case(
        "closest of two by method",
        [
            {"name": "get one", "request": {"method": "GET", "url": "/thing"}},
            {"name": "post one", "request": {"method": "POST", "url": "/thing"}},
        ],
        method="PUT",
    )
    case(
        "closest of three by header",
        [
            {"name": "no headers", "request": {"method": "GET", "url": "/other"}},
            {
                "name": "two headers",
                "request": {
                    "method": "GET",
                    "url": "/thing",
                    "headers": {"A": {"equalTo": "1"}, "B": {"equalTo": "2"}},
                },
            },
            {
                "name": "one header",
                "request": {"method": "GET", "url": "/thing", "headers": {"A": {"equalTo": "x"}}},
            },
        ],
        headers=[("A", "1"), ("B", "3")],
    )
    case(
        "closest of two body vs url",
        [
            {
                "name": "body",
                "request": {
                    "method": "POST",
                    "url": "/thing",
                    "bodyPatterns": [{"equalTo": "abc"}],
                },
            },
            {"name": "url", "request": {"method": "POST", "url": "/thin"}},
        ],
        method="POST",
        body="abd",
    )

    # quirks and details
    case(
        "scenario state matches url wrong",
        [{**scenario_stub, "requiredScenarioState": "Started"}],
        method="POST",
        url="/thin",
        scenario="Started",
    )
    case(
        "scenario without required state",
        [
            {
                "scenarioName": "s",
                "newScenarioState": "next",
                "request": {"method": "GET", "url": "/thing"},
            }
        ],
        url="/x",
    )
    case(
        "header absent and absent",
        [
            {
                "method": "GET",
                "url": "/thing",
                "headers": {"X-None": {"absent": True}, "X-A": {"equalTo": "a"}},
            }
        ],
        headers=[("X-A", "b")],
    )
    case(
        "header name case",
        [{"method": "GET", "url": "/thing", "headers": {"X-My-Header": {"equalTo": "v"}}}],
        headers=[("x-my-header", "w")],
    )
    case(
        "urlPattern matching with question mark",
        [{"method": "GET", "urlPattern": "/thing?", "headers": {"X-A": {"equalTo": "a"}}}],
    )
    case(
        "urlPattern matching without slash",
        [{"method": "GET", "urlPattern": ".*thing", "headers": {"X-A": {"equalTo": "a"}}}],
    )
    case("urlPathPattern question mark", [{"method": "GET", "urlPathPattern": "/a?b"}])
    case("urlPattern escaped question mark", [{"method": "GET", "urlPattern": "/thing\\?a=1"}])
    case(
        "url template wrong with parameters",
        [
            {
                "method": "GET",
                "urlPathTemplate": "/contacts/{contactId}/{other}",
                "pathParameters": {"other": {"equalTo": "x"}},
            }
        ],
        url="/contacts/1",
    )
    case(
        "path parameters partly given",
        [
            {
                "method": "GET",
                "urlPathTemplate": "/contacts/{contactId}/{other}",
                "pathParameters": {"other": {"equalTo": "x"}},
                "headers": {"X-A": {"equalTo": "a"}},
            }
        ],
        url="/contacts/1/x",
    )
    case(
        "body equalTo equal url wrong",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [{"equalTo": "same"}, {"contains": "am"}],
            }
        ],
        method="POST",
        url="/thin",
        body="same",
    )
    case(
        "jsonpath selects array",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesJsonPath": {"expression": "$.items[*].id", "equalTo": "3"}},
                    {"matchesJsonPath": {"expression": "$.one", "equalTo": "x"}},
                    {"matchesJsonPath": {"expression": "$.obj", "contains": "zz"}},
                    {"matchesJsonPath": {"expression": "$.num", "equalTo": "2"}},
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body='{"items": [{"id": 1}, {"id": 2}], "one": ["y"], "obj": {"k": [1, 2]}, "num": 1.50}',
    )
    case(
        "jsonpath missing path",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [{"matchesJsonPath": {"expression": "$.nope", "equalTo": "x"}}],
            }
        ],
        method="POST",
        headers=JSON,
        body='{"a": 1}',
    )
    case(
        "xpath selects several",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesXPath": {"expression": "//item/text()", "equalTo": "c"}},
                    {"matchesXPath": {"expression": "//list", "contains": "zz"}},
                ],
            }
        ],
        method="POST",
        headers=[("Content-Type", "application/xml")],
        body="<list><item>a</item><item>b</item></list>",
    )
    case(
        "json numbers and strings",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {
                        "equalToJson": (
                            '{"n": 1.50, "e": 1e5, "big": 12345678901234567890,'
                            ' "s": "\\u00e9\\"\\\\/\\n\\t", "f": false, "z": null}'
                        )
                    }
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body=(
            '{"n": 2.50, "e": 2E+5, "d": 10000000.0, "s": "caf\\u00e9 \\u0001",'
            ' "l": [[], {}, [1, [2]]]}'
        ),
    )
    case(
        "equalToJson options",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [{"equalToJson": [3, 1, 2], "ignoreArrayOrder": True}],
            }
        ],
        method="POST",
        headers=JSON,
        body="[1, 2]",
    )
    case(
        "json schema as string",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {"matchesJsonSchema": '{"type": "array", "items": {"type": "integer"}}'}
                ],
            }
        ],
        method="POST",
        headers=JSON,
        body='["a"]',
    )
    case(
        "equalToXml nested",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {
                        "equalToXml": (
                            '<?xml version="1.0"?><r xmlns:p="urn:p">'
                            '<p:a k="1">t &amp; u</p:a><b><c/><d>x</d></b></r>'
                        )
                    }
                ],
            }
        ],
        method="POST",
        headers=[("Content-Type", "application/xml")],
        body="<r>\n  <b>  <c/>\n</b><e>y</e></r>",
    )
    case(
        "equalToXml body not xml",
        [{"method": "POST", "url": "/thing", "bodyPatterns": [{"equalToXml": "<a/>"}]}],
        method="POST",
        body="nope",
    )
    case(
        "multipart named pattern",
        [
            {
                "method": "POST",
                "url": "/thing",
                "multipartPatterns": [
                    {
                        "name": "part_one",
                        "headers": {
                            "Content-Disposition": {"contains": 'name="part_one"'},
                            "X-H": {"equalTo": "h"},
                        },
                        "bodyPatterns": [{"contains": "body"}],
                    }
                ],
            }
        ],
        method="POST",
        headers=MULTIPART,
        body=multipart(part("part_one", "some body")),
    )
    case(
        "multipart json part",
        [
            {
                "method": "POST",
                "url": "/thing",
                "multipartPatterns": [{"bodyPatterns": [{"equalToJson": {"a": 1}}]}],
            }
        ],
        method="POST",
        headers=MULTIPART,
        body=multipart(part("j", '{"a":2}', ("Content-Type", "application/json"))),
    )
    case(
        "cookie absent",
        [
            {
                "method": "GET",
                "url": "/thing",
                "cookies": {"c": {"absent": True}, "d": {"doesNotMatch": "x.*"}},
            }
        ],
        headers=[("Cookie", "c=1; d=xy")],
    )
    case(
        "query encoded and negated",
        [
            {
                "method": "GET",
                "urlPath": "/thing",
                "queryParameters": {
                    "a": {"doesNotContain": "b c"},
                    "e": {"equalTo": "x", "caseInsensitive": True},
                },
            }
        ],
        url="/thing?a=b+c&e=X",
    )
    case(
        "form multi valued",
        [
            {
                "method": "POST",
                "urlPath": "/thing",
                "formParameters": {"a": {"hasExactly": [{"equalTo": "1"}]}},
            }
        ],
        method="POST",
        headers=FORM,
        body="a=1&a=2",
    )
    case(
        "nested logic",
        [
            {
                "method": "GET",
                "url": "/thing",
                "headers": {
                    "X-L": {
                        "not": {
                            "or": [
                                {"equalTo": "a"},
                                {"and": [{"contains": "b"}, {"matches": "b."}]},
                            ]
                        }
                    }
                },
            }
        ],
        headers=[("X-L", "bc")],
    )
    case(
        "date offsets",
        [
            {
                "method": "GET",
                "url": "/thing",
                "headers": {
                    "X-D": {"after": "now +1 days"},
                    "X-E": {
                        "equalToDateTime": "2021-06-01T00:00:00Z",
                        "truncateExpected": "first day of month",
                    },
                },
            }
        ],
        headers=[("X-D", "2020-01-01T00:00:00Z"), ("X-E", "2021-06-02T00:00:00Z")],
    )
    case(
        "long word in name",
        [{"name": "x" * 70 + " tail", "request": {"method": "GET", "url": "/thing"}}],
        url="/t",
    )
    case(
        "long text body",
        [
            {
                "method": "POST",
                "url": "/thing",
                "bodyPatterns": [
                    {
                        "equalTo": "alpha beta gamma delta " * 5
                        + "\n  indented line that is long enough to need wrapping, truly it is"
                    }
                ],
            }
        ],
        method="POST",
        body=("one two three four five six seven eight nine ten " * 3).strip(),
    )
    case(
        "everything wrong",
        [
            {
                "name": "Every part",
                "request": {
                    "method": "PUT",
                    "urlPath": "/thing",
                    "headers": {"X-A": {"equalTo": "a"}},
                    "queryParameters": {"q": {"equalTo": "1"}},
                    "cookies": {"c": {"equalTo": "1"}},
                    "bodyPatterns": [{"contains": "x"}],
                },
            }
        ],
        method="POST",
        url="/other?q=2",
        headers=[("X-A", "b"), ("Cookie", "c=2")],
        body="y",
    )
    case(
        "closest of three mixed",
        [
            {"name": "path only", "request": {"method": "GET", "urlPath": "/thing/one"}},
            {
                "name": "method and header",
                "request": {"method": "POST", "url": "/else", "headers": {"A": {"equalTo": "1"}}},
            },
            {
                "name": "query",
                "request": {
                    "method": "POST",
                    "urlPath": "/thing",
                    "queryParameters": {"a": {"equalTo": "1"}},
                },
            },
        ],
        method="POST",
        url="/thing?a=2",
        headers=[("A", "1")],
    )
    case("no stubs", [])


def wait_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.get("/__admin/health")
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("WireMock did not start")


def record(port: int) -> list[Case]:
    with tempfile.TemporaryDirectory() as root:
        mappings = Path(root, "mappings")
        mappings.mkdir()
        Path(root, "__files").mkdir()
        proc = subprocess.Popen(
            ["java", "-jar", str(JAR), "--port", str(port), "--bind-address", "127.0.0.1",
             "--disable-banner", "--root-dir", root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                wait_up(client)
                return [run_case(client, mappings, item) for item in CASES]
        finally:
            proc.terminate()
            proc.wait(10)


def run_case(client: httpx.Client, mappings: Path, item: Case) -> Case:
    for old in mappings.iterdir():
        old.unlink()
    for index, mapping in enumerate(item["mappings"]):
        Path(mappings, f"m{index}.json").write_text(json.dumps(mapping, indent=2))
    client.post("/__admin/mappings/reset").raise_for_status()
    client.post("/__admin/scenarios/reset").raise_for_status()
    send = item["send"]
    body = base64.b64decode(send["body_b64"])
    sent = client.build_request(
        send["method"], send["url"], headers=send["headers"], content=body or None
    )
    answer = client.send(sent)
    if answer.status_code != 404:
        raise SystemExit(f"{item['name']}: expected 404, got {answer.status_code}")
    item = dict(item)
    item["request"] = {
        "method": send["method"],
        "target": sent.url.raw_path.decode(),
        "headers": [[k.decode(), v.decode()] for k, v in sent.headers.raw],
        "body_b64": send["body_b64"],
    }
    del item["send"]
    item["content_type"] = answer.headers.get("content-type")
    item["report"] = answer.text
    return item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18170)
    args = parser.parse_args()
    define()
    recorded = record(args.port)
    OUT.write_text(json.dumps({"wiremock": "3.13.2", "cases": recorded}, indent=1) + "\n")
    print(f"{len(recorded)} cases -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
