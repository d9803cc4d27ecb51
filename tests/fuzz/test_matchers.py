"""Matchers on hostile expectations and requests: regexes (values, bodies, paths),
JSONPath (native and WireMock's ``matchesJsonPath``) and JSON Schema, each loaded as
an endpoint and asked by the ``Engine``.

Property: the endpoint loads or is refused with a ``ConfigError`` naming it; a request
is answered 200 (matched) or 404 (not, with near misses), never a 5xx and never an
exception, within ``MATCH_BOUND_S``. Catastrophic regexes run with a time bound
(``openapi/regexbound.py``); ``path_regex`` and JSONPath filters are still unbounded,
pinned by an ``xfail`` with their inputs.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.errors import ConfigError
from apidouble.model import Request
from apidouble.openapi.regexbound import MATCH_TIMEOUT, risky, timeouts
from apidouble.outcome import Respond

from .bounded import START_MARGIN_S, run_bounded
from .budget import budget
from .known import known_gap
from .matcher_grammar import bodies, json_schemas, jsonpaths, safe_regexes, texts

MATCH_BOUND_S = 1.0
"""CPU seconds for loading one endpoint and asking it once, with the collector off. CPU,
not wall time: what a catastrophic pattern costs is CPU, and a machine shared with
other runs stretched the wall clock past 1 s (up to 7.6 s) for inputs that took
milliseconds when replayed. The collector off: one example of a long run took 1.1 s
of CPU once and milliseconds replayed, most likely a full collection of the run's heap
(Hypothesis keeps what it tried), which is not the matcher's cost."""
ANSWERS = {200, 404}


def ask(endpoint: dict[str, Any], request: Request) -> int | None:
    """The status ``request`` gets from a server with just ``endpoint``; None when the
    endpoint is refused at load time (with a ConfigError that names it)."""
    endpoint = {"name": "fuzz", "response": "hit", **endpoint}
    gc.disable()
    started = time.process_time()
    try:
        engine = Engine(compile_config(load_data({"endpoints": [endpoint]}).stubs, seed=1))
        outcome = engine.handle(request)
        elapsed = time.process_time() - started
    except ConfigError as error:
        assert all(p.stub == "fuzz" for p in error.problems), error
        return None
    except BaseException as error:  # a pyo3 panic is a BaseException: see known.py
        gap = known_gap(error)
        if gap is None:
            raise
        event(f"known gap: {gap.name}")
        return None
    finally:
        gc.enable()
    assert isinstance(outcome, Respond), outcome
    assert outcome.response.status in ANSWERS, outcome.response.body
    assert elapsed < MATCH_BOUND_S, f"took {elapsed:.2f} s"
    return outcome.response.status


def post(body: bytes, path: str = "/m", query: str = "", headers: Any = ()) -> Request:
    return Request("POST", path, query, (("Content-Type", "application/json"), *headers), body)


@budget(150)
@given(
    pattern=safe_regexes(),
    value=texts,
    where=st.sampled_from(["query", "headers", "cookies"]),
    case_insensitive=st.booleans(),
    negate=st.booleans(),
)
def test_value_regex(
    pattern: str, value: str, where: str, case_insensitive: bool, negate: bool
) -> None:
    matcher = {"regex": pattern, "case_insensitive": case_insensitive, "not": negate}
    quoted = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in value if ord(c) < 128)
    headers = {"query": (), "headers": (("X-V", quoted),), "cookies": (("Cookie", f"v={quoted}"),)}
    name = "X-V" if where == "headers" else "v"
    status = ask(
        {"method": "POST", "path": "/m", "match": {where: {name: matcher}}},
        post(b"", query=f"v={quoted}", headers=headers[where]),
    )
    assert status in (None, 200, 404)


@budget(100)
@given(pattern=safe_regexes(), body=bodies())
def test_body_regex(pattern: str, body: bytes) -> None:
    ask({"method": "POST", "path": "/m", "match": {"body": {"regex": pattern}}}, post(body))


@budget(100)
@given(pattern=safe_regexes(), path=texts)
def test_path_regex(pattern: str, path: str) -> None:
    target = "/" + "".join(c if c.isalnum() or c in "/-._~" else "%25" for c in path)
    ask({"method": "POST", "path_regex": "/" + pattern}, post(b"", path=target))


@budget(200)
@given(
    expression=jsonpaths(),
    body=bodies(),
    check=st.one_of(
        st.none(),
        st.builds(lambda v: {"equals": v}, texts),
        st.builds(lambda v: {"contains": v}, texts),
        st.builds(lambda p: {"regex": p}, safe_regexes()),
        st.builds(lambda b: {"present": b}, st.booleans()),
    ),
)
def test_jsonpath(expression: str, body: bytes, check: dict[str, Any] | None) -> None:
    spec: dict[str, Any] = {"jsonpath": expression}
    if check is not None:
        spec.update(check)
    ask({"method": "POST", "path": "/m", "match": {"body": spec}}, post(body))


@budget(100)
@given(expression=jsonpaths(), body=bodies())
def test_wiremock_jsonpath(expression: str, body: bytes) -> None:
    fragment = {"bodyPatterns": [{"matchesJsonPath": expression}]}
    ask({"method": "POST", "path": "/m", "match": {"wiremock": fragment}}, post(body))


@budget(200)
@given(schema=json_schemas(), body=bodies())
def test_json_schema(schema: Any, body: bytes) -> None:
    ask({"method": "POST", "path": "/m", "match": {"body": {"schema": schema}}}, post(body))


@budget(100)
@given(schema=json_schemas(), body=bodies())
def test_wiremock_json_schema(schema: Any, body: bytes) -> None:
    fragment = {"bodyPatterns": [{"matchesJsonSchema": schema}]}
    ask({"method": "POST", "path": "/m", "match": {"wiremock": fragment}}, post(body))


def test_a_matcher_can_hit_and_miss() -> None:
    """The property's two answers both happen: the harness is not always 404."""
    endpoint = {"method": "POST", "path": "/m", "match": {"body": {"jsonpath": "$.a"}}}
    assert ask(endpoint, post(b'{"a": 1}')) == 200
    assert ask(endpoint, post(b'{"b": 1}')) == 404


# --- catastrophic regexes: bounded in the matchers, open in paths and JSONPath filters ----

MATCH_CHILD = """
import json as _json
from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.model import Request
endpoint = _json.loads(sys.argv[1])
engine = Engine(compile_config(load_data({"endpoints": [endpoint]}).stubs, seed=1))
query, body = sys.argv[2], sys.argv[3].encode()
request = Request("POST", sys.argv[4], query, (("Content-Type", "application/json"),), body)
started = time.monotonic()
report(status=engine.handle(request).response.status)
"""
EVIL = "a" * 40 + "!"


def match_in_child(
    endpoint: dict[str, Any], query: str = "", body: str = "", path: str = "/m"
) -> None:
    import json

    endpoint = {"name": "evil", "response": "hit", "method": "POST", **endpoint}
    outcome = run_bounded(
        MATCH_CHILD,
        json.dumps(endpoint),
        query,
        body,
        path,
        timeout_s=MATCH_BOUND_S + START_MARGIN_S,
    )
    assert not outcome.get("killed"), "still matching when stopped"
    assert "crashed" not in outcome, outcome
    assert outcome["seconds"] < MATCH_BOUND_S and outcome["status"] in ANSWERS, outcome


@pytest.mark.parametrize(
    ("endpoint", "query", "body", "path"),
    [
        pytest.param({"path": "/m", "match": {"query": {"q": {"regex": "(a+)+$"}}}},
                     f"q={EVIL}", "", "/m", id="query-regex"),
        pytest.param({"path": "/m", "match": {"headers": {"X-Q": {"regex": "(a|aa)+$"}}}},
                     "", "", "/m", id="header-regex-no-value"),
        pytest.param({"path": "/m", "match": {"query": {"q": {"regex": "(a|aa)+$",
                                                                "case_insensitive": True}}}},
                     f"q={EVIL}", "", "/m", id="query-regex-any-case"),
        pytest.param({"path": "/m", "match": {"query": {"q": {"regex": "(a|aa)+$", "not": True}}}},
                     f"q={EVIL}", "", "/m", id="query-regex-negated"),
        pytest.param({"path": "/m", "match": {"body": {"regex": "(a|aa)+$"}}},
                     "", EVIL, "/m", id="body-regex"),
        pytest.param({"path": "/m", "match": {"body": {"regex": ".*.*.*.*.*x"}}},
                     "", "a" * 5000, "/m", id="body-regex-polynomial"),
        pytest.param({"path": "/m", "match": {"body": {"jsonpath": "$.a", "regex": "(a+)+$"}}},
                     "", '{"a": "' + EVIL + '"}', "/m", id="jsonpath-then-regex"),
        pytest.param({"path": "/m", "match": {"body": {"schema": {"pattern": "^(a+)+$"}}}},
                     "", '"' + EVIL + '"', "/m", id="schema-pattern"),
        pytest.param({"path": "/m", "match": {"body": {"schema": {"pattern": "^(a|aa)+$"}}}},
                     "", '"' + EVIL + '"', "/m", id="schema-pattern-alternation"),
        pytest.param({"path": "/m", "match": {"wiremock": {"bodyPatterns": [
                         {"matches": "(a|aa)+$"}]}}},
                     "", EVIL, "/m", id="wiremock-matches"),
        pytest.param({"path_regex": "/(a+)+$"}, "", "", "/" + EVIL, id="path-regex"),
        pytest.param({"path_regex": "/(?P<x>a|aa)+$"}, "", "", "/" + EVIL,
                     id="path-regex-named-group"),
        pytest.param({"path": "/m", "match": {"wiremock": {"bodyPatterns": [
                         {"matchesJsonPath": "$[?(@.a =~ /(a|aa)+$/)]"}]}}},
                     "", '[{"a": "' + EVIL + '"}]', "/m", id="wiremock-jsonpath-filter-regex"),
    ],
)  # fmt: skip
def test_catastrophic_regex_is_bounded(
    endpoint: dict[str, Any], query: str, body: str, path: str
) -> None:
    match_in_child(endpoint, query, body, path)


@pytest.mark.parametrize(
    ("endpoint", "query", "body", "path"),
    [
        pytest.param({"path": "/m", "match": {"body": {"jsonpath": "$[?@.a =~ /(a+)+$/]"}}},
                     "", '[{"a": "' + EVIL + '"}]', "/m", id="jsonpath-filter-regex"),
    ],
)  # fmt: skip
def test_catastrophic_regex_outside_the_matchers(
    endpoint: dict[str, Any], query: str, body: str, path: str
) -> None:
    """Found: the native ``jsonpath`` matcher compiled on python-jsonpath's default
    environment, whose ``=~`` ran on ``re``; it compiles with ``matching/jsonpaths.py``
    ``compile_jsonpath`` now, as WireMock's ``matchesJsonPath`` does."""
    match_in_child(endpoint, query, body, path)


def test_bounded_path_regex_and_filters_still_match() -> None:
    """The bound changes nothing for values a risky pattern decides in time: a
    ``path_regex``'s named groups are still params, and ``=~`` is still a full match
    that honours its flags."""
    endpoint = {"path_regex": "/(?P<name>(a|b)+)/x", "response": "{{ request.params.name }}"}
    engine = Engine(compile_config(load_data({"endpoints": [endpoint]}).stubs, seed=1))
    outcome = engine.handle(Request("GET", "/abab/x", "", (), b""))
    assert isinstance(outcome, Respond)
    assert (outcome.response.status, outcome.response.body) == (200, b"abab")
    assert ask({"path_regex": "/(?P<name>(a|b)+)/x"}, Request("GET", "/abc/x", "", (), b"")) == 404
    for expression, hit, miss in [
        ("$[?(@.a =~ /(a|b)+c/)]", '[{"a": "abc"}]', '[{"a": "abcd"}]'),
        ("$[?(@.a =~ /AB+/i)]", '[{"a": "abb"}]', '[{"a": "xabb"}]'),
    ]:
        wiremock = {"wiremock": {"bodyPatterns": [{"matchesJsonPath": expression}]}}
        endpoint = {"method": "POST", "path": "/m", "match": wiremock}
        assert ask(endpoint, post(hit.encode())) == 200, expression
        assert ask(endpoint, post(miss.encode())) == 404, expression


def test_a_bounded_regex_still_matches() -> None:
    """The bound changes nothing for a value a risky pattern decides in time."""
    endpoint = {"method": "POST", "path": "/m", "match": {"body": {"regex": "(a|b)+c.*"}}}
    assert ask(endpoint, post(b"ababcxyz")) == 200
    assert ask(endpoint, post(b"ababxyz")) == 404
    endpoint = {
        "method": "POST",
        "path": "/m",
        "match": {"query": {"q": {"regex": "(A+)+", "case_insensitive": True}}},
    }
    assert ask(endpoint, post(b"", query="q=aaa")) == 200


def test_the_bounded_match_can_pass() -> None:
    """A harmless regex passes the bounded form (the xfails fail for their reason)."""
    match_in_child({"path": "/m", "match": {"query": {"q": {"regex": "a+!"}}}}, f"q={EVIL}")


# --- findings: crashes with their inputs, kept as regression tests ------------------------


def answers(match: dict[str, Any], body: bytes) -> int | None:
    """Like ``ask`` with no tolerance: the regression form of a finding."""
    endpoint = {"name": "fuzz", "response": "hit", "method": "POST", "path": "/m", "match": match}
    try:
        engine = Engine(compile_config(load_data({"endpoints": [endpoint]}).stubs, seed=1))
    except ConfigError:
        return None
    outcome = engine.handle(post(body))
    assert isinstance(outcome, Respond)
    assert outcome.response.status in ANSWERS
    return outcome.response.status


WM = "wiremock"


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"body": {"schema": {"$ref": "#"}}}, id="native"),
        pytest.param({WM: {"bodyPatterns": [{"matchesJsonSchema": {"$ref": "#"}}]}}, id=WM),
        pytest.param({"body": {"schema": {"anyOf": [{"$ref": "#"}]}}}, id="inside-anyOf"),
    ],
)
def test_schema_referring_to_itself(match: dict[str, Any]) -> None:
    answers(match, b"{}")


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"body": {"schema": {"$ref": "#/definitions/nope"}}}, id="native"),
        pytest.param({WM: {"bodyPatterns": [{"matchesJsonSchema": {"$ref": "#/x"}}]}}, id=WM),
    ],
)
def test_schema_with_a_ref_to_nowhere(match: dict[str, Any]) -> None:
    assert answers(match, b"{}") is None, "a $ref to nowhere is a load error"


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"body": {"schema": {"$schema": "https://example.com/x"}}}, id="native"),
        pytest.param({"body": {"schema": {"$schema": 5}}}, id="not-a-string"),
        pytest.param({WM: {"bodyPatterns": [{"matchesJsonSchema": {"$schema": "x:"}}]}}, id=WM),
    ],
)
def test_schema_with_an_unknown_draft(match: dict[str, Any]) -> None:
    """A ``$schema`` naming no draft is a load error (not a silent fall back)."""
    assert answers(match, b"{}") is None


@pytest.mark.parametrize(
    "uri",
    [
        "http://json-schema.org/draft-04/schema#",
        "https://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft/2020-12/schema",
    ],
)
def test_schema_naming_a_known_draft_loads(uri: str) -> None:
    """The drafts ``jsonschema`` knows load, with or without ``#`` and whichever scheme."""
    schema = {"$schema": uri, "type": "object", "required": ["a"]}
    assert answers({"body": {"schema": schema}}, b'{"a": 1}') == 200
    assert answers({"body": {"schema": schema}}, b"{}") == 404


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"body": {"jsonpath": "$[?(@.a =~ /[/)]"}}, id="native"),
        pytest.param({WM: {"bodyPatterns": [{"matchesJsonPath": "$[?(@.a =~ /[/)]"}]}}, id=WM),
    ],
)
def test_jsonpath_filter_with_a_broken_regex(match: dict[str, Any]) -> None:
    answers(match, b"[]")


DEEP_BODY = b"[" * 100_000


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"body": {"jsonpath": "$.a"}}, id="jsonpath"),
        pytest.param({"body": {"schema": {"type": "object"}}}, id="schema"),
        pytest.param({"body": {"json": {"a": 1}}}, id="partial-json"),
    ],
)
def test_body_nested_past_the_recursion_limit(match: dict[str, Any]) -> None:
    assert answers(match, DEEP_BODY) == 404


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"body": {"schema": {"type": "string", "format": "regex"}}}, id="format"),
        pytest.param({"body": {"jsonpath": "$[?match(@.a, '[')]"}}, id="match-function"),
        pytest.param({"body": {"schema": {"type": "bogus"}}}, id="bad-type"),
    ],
)
def test_neighbours_of_the_findings_are_handled(match: dict[str, Any]) -> None:
    """Inputs next to the open findings that are handled today: they must stay so."""
    assert answers(match, b'[{"a": "x"}]') in (None, 404)


def test_a_ref_the_load_time_probes_miss_is_a_miss_at_serve_time() -> None:
    """A ``$ref`` to nowhere under a property only an actual request has: not a 500."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#/definitions/nope"}}}
    assert answers({"body": {"schema": schema}}, b'{"a": 1}') == 404
    assert answers({"body": {"schema": schema}}, b'{"b": 1}') == 200


def test_a_regex_that_gives_up_misses_and_is_counted() -> None:
    """Past ``MATCH_TIMEOUT`` the value does not match (a 404 with near misses, in
    bounded time, asked once more by the report without a second wait) and
    ``timeouts()`` counts it for the metrics."""
    pattern = "(?:)(a|aa)+$"  # its own pattern: the count is process-wide
    endpoint = {"method": "POST", "path": "/m", "match": {"body": {"regex": pattern}}}
    started = time.monotonic()
    assert ask(endpoint, post(EVIL.encode())) == 404
    assert time.monotonic() - started < 4 * MATCH_TIMEOUT + 0.5
    assert timeouts().get(pattern, 0) >= 1


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("Bearer .+", False),
        ("[a-z]+@example\\.com", False),
        ("a{2,5}", False),
        ("(a+)+$", True),
        ("(a|aa)*", True),
        ("(x)\\1", True),
        (".*Bearer.*", True),
        ("a{2,}b+", True),
    ],
)
def test_which_patterns_run_bounded(pattern: str, expected: bool) -> None:
    """Nested quantifiers, alternation under a quantifier, backreferences and two
    unbounded quantifiers run on ``regex`` with the bound; the rest on ``re``. A search
    (a schema ``pattern``) with any unbounded quantifier is bounded too."""
    assert risky(pattern) is expected
    assert risky(pattern, searching=True) is (expected or pattern != "a{2,5}")


def test_a_schema_pattern_searching_a_long_string_is_bounded() -> None:
    """``re.search('[ab]*x', 'a' * 10**5)`` is quadratic: about 12 s. Bounded: at once."""
    endpoint = {"path": "/m", "match": {"body": {"schema": {"pattern": "[ab]*x"}}}}
    match_in_child(endpoint, body='"' + "a" * 100_000 + '"')


@pytest.mark.parametrize(
    ("match", "body", "status"),
    [
        pytest.param({"body": {"jsonpath": "$[0]"}}, b'"["', 404, id="bracket"),
        pytest.param({"body": {"jsonpath": "$[0]"}}, b'"[1]"', 404, id="list-text"),
        pytest.param({"body": {"jsonpath": "$", "equals": "[1]"}}, b'"[1]"', 200, id="root"),
        pytest.param({WM: {"bodyPatterns": [{"matchesJsonPath": "$[0]"}]}}, b'"[1]"', 404, id=WM),
        pytest.param(
            {WM: {"bodyPatterns": [{"matchesJsonPath": "$.a"}]}}, b'"{"', 404, id="wm-brace"
        ),
    ],
)
def test_a_body_that_is_a_json_string(match: dict[str, Any], body: bytes, status: int) -> None:
    """Found by a 10-minute run: python-jsonpath takes a ``str`` for JSON text, so the
    body ``"["`` (a JSON string) was parsed again and ``JSONDecodeError`` escaped the
    matcher, a 500; ``"[1]"`` was read as the list ``[1]``. A string has no members."""
    assert answers(match, body) == status
