"""Queries by compiled request pattern, received time and limit."""

from __future__ import annotations

import pytest

from apidouble.journal import Journal, JournalLimits
from apidouble.matching.pattern import compile_pattern
from apidouble.model import BodySpec, Request, RequestPattern, ServeEvent, ValueSpec


def sent(
    method: str,
    path: str,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    received: float = 1.0,
    raw: bool = False,
) -> ServeEvent:
    if raw:  # the transport's form: byte pairs, decoded only when read
        encoded = [(name.encode(), value.encode()) for name, value in headers]
        request = Request(method, path, query, (), body, ("10.0.0.1", 1), raw_headers=encoded)
    else:
        request = Request(method, path, query, headers, body, ("10.0.0.1", 1))
    return ServeEvent(request, received, status=200)


@pytest.fixture(params=[False, True], ids=["str-headers", "raw-headers"])
def journal(request: pytest.FixtureRequest) -> Journal:
    raw: bool = request.param
    journal = Journal()
    journal.record(sent("GET", "/users/1", "page=2", (("X-Token", "abc"),), raw=raw))
    journal.record(sent("POST", "/users/1", "", (("Cookie", "s=9"),), b'{"tier": "gold"}', raw=raw))
    journal.record(sent("POST", "/users/2", "", (), b'{"tier": "free"}', 2.0, raw=raw))
    journal.record(sent("GET", "/orders", "page=1", (("x-token", "zzz"),), received=3.0, raw=raw))
    return journal


def paths(entries: list[dict[str, object]]) -> list[object]:
    return [(entry["method"], entry["path"]) for entry in entries]


def test_pattern_by_method_and_path_template(journal: Journal) -> None:
    pattern = RequestPattern(methods=frozenset({"post"}), path="/users/{id}")
    assert paths(journal.find(pattern=pattern)) == [("POST", "/users/2"), ("POST", "/users/1")]
    assert journal.count(pattern=RequestPattern(path_regex="/users/.*")) == 3


def test_pattern_by_header_query_and_cookie(journal: Journal) -> None:
    by_header = RequestPattern(headers=(("x-token", ValueSpec("equals", "abc")),))
    assert paths(journal.find(pattern=by_header)) == [("GET", "/users/1")]
    by_query = RequestPattern(query=(("page", ValueSpec("equals", "1")),))
    assert paths(journal.find(pattern=by_query)) == [("GET", "/orders")]
    by_cookie = RequestPattern(cookies=(("s", ValueSpec("equals", "9")),))
    assert journal.count(pattern=by_cookie) == 1


def test_pattern_by_json_body(journal: Journal) -> None:
    gold = RequestPattern(body=(BodySpec("json", {"tier": "gold"}),))
    assert paths(journal.find(pattern=gold)) == [("POST", "/users/1")]


def test_a_compiled_pattern_is_used_as_is(journal: Journal) -> None:
    compiled = compile_pattern(RequestPattern(methods=frozenset({"GET"})))
    assert journal.count(pattern=compiled) == 2


def test_pattern_combines_with_the_other_conditions(journal: Journal) -> None:
    users = RequestPattern(path="/users/{id}")
    assert paths(journal.find(pattern=users, method="GET")) == [("GET", "/users/1")]
    assert journal.count(pattern=users, since=2.0) == 1


def test_since_is_inclusive_and_limit_takes_the_newest(journal: Journal) -> None:
    assert paths(journal.find(since=2.0)) == [("GET", "/orders"), ("POST", "/users/2")]
    assert paths(journal.find(limit=1)) == [("GET", "/orders")]
    assert paths(journal.find(method="POST", limit=1)) == [("POST", "/users/2")]
    assert journal.find(limit=0) == [] and journal.count(since=9.0) == 0


def test_an_invalid_pattern_is_refused_before_reading(journal: Journal) -> None:
    with pytest.raises(ValueError):
        journal.find(pattern=RequestPattern(path="/a", path_regex="^/a"))


def test_body_patterns_see_the_body_as_kept() -> None:
    journal = Journal(JournalLimits(body_cap_bytes=8))
    journal.record(sent("POST", "/p", body=b"0123456789-tail"))
    assert journal.count(pattern=RequestPattern(body=(BodySpec("contains", "0123"),))) == 1
    assert journal.count(pattern=RequestPattern(body=(BodySpec("contains", "tail"),))) == 0
