"""A pattern's conditions tested on the head's bytes give what ``test_conditions`` gives."""

from __future__ import annotations

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from apidouble.matching.headtest import head_test
from apidouble.matching.pattern import compile_pattern
from apidouble.model import Request, RequestPattern, ValueSpec
from apidouble.transport.heads import HeadOnly
from apidouble.transport.http1 import split_target

NAMES = ("kind", "tag", "x-client", "X-Client", "accept", "")
VALUES = ("gold", "Gold", "go", "", " gold ", "g%6Fld", "a+b", "é")

specs = st.builds(
    ValueSpec,
    op=st.sampled_from(("equals", "contains", "regex", "present", "one_of")),
    expected=st.sampled_from(("gold", "go", "^g.*d$", "")),
    case_insensitive=st.booleans(),
    negate=st.booleans(),
).map(lambda spec: _fit(spec))


def _fit(spec: ValueSpec) -> ValueSpec:
    if spec.op == "present":
        return ValueSpec("present", True, negate=spec.negate)
    if spec.op == "one_of":
        return ValueSpec("one_of", [spec.expected, "x"], spec.case_insensitive, spec.negate)
    return spec


conditions = st.lists(st.tuples(st.sampled_from(NAMES[:5]), specs), max_size=3).map(tuple)
pairs = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES)), max_size=4)


def _head(target: str, headers: list[tuple[str, str]]) -> tuple[bytes, str] | None:
    """The head as sent and its query string as the transport reads it, when the strict
    parser takes it whole (else the lane never sees it)."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers if name)
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n".encode()
    whole = HeadOnly()
    try:
        url = whole.feed(head)
    finally:
        whole.close()
    return None if url is None else (head, split_target(url)[1])


GOLD = (("kind", ValueSpec("equals", "gold")),)
BENCH = (("X-Client", ValueSpec("equals", "bench", case_insensitive=True)),)


@settings(max_examples=400, deadline=None)
@example(GOLD, (), False, [("kind", "g%6Fld")], [])
@example(GOLD, (), False, [("kind", "go+ld")], [])
@example(GOLD, (), False, [("tag", "x"), ("kind", "gold")], [])
@example((), BENCH, False, [], [("x-client", "other"), ("X-CLIENT", " BENCH ")])
@example((), BENCH, True, [("kind", "gold")], [("X-Client", "bench")])
@given(
    queries=conditions,
    headers=conditions,
    no_query=st.booleans(),
    sent_query=pairs,
    sent_headers=pairs,
)
def test_head_test_agrees_with_test_conditions(
    queries: tuple[tuple[str, ValueSpec], ...],
    headers: tuple[tuple[str, ValueSpec], ...],
    no_query: bool,
    sent_query: list[tuple[str, str]],
    sent_headers: list[tuple[str, str]],
) -> None:
    compiled = compile_pattern(
        RequestPattern(path="/search", query=queries, headers=headers, no_query=no_query)
    )
    tested = head_test(compiled)
    assert tested is not None
    query = "&".join(f"{name}={value}" if value else name for name, value in sent_query)
    sent = _head("/search" + (f"?{query}" if query else ""), sent_headers)
    assume(sent is not None)
    assert sent is not None
    head, query = sent
    request = Request("GET", "/search", query, (), b"", None, "1.1", None, head, True)
    assert tested(head, query) == compiled.test_conditions(request)


def test_a_cookie_condition_gets_no_head_test() -> None:
    pattern = RequestPattern(path="/", cookies=(("session", ValueSpec("present", True)),))
    assert head_test(compile_pattern(pattern)) is None
