"""A pattern's header and query conditions tested on the request's bytes.

The express lane answers a guarded path (a literal path whose stubs test a header or a
query parameter first) with ready bytes. Building a ``Request`` only to test two
values cost more than the rest of such an exchange, so for patterns whose every
condition reads one header, one query parameter or the absence of a query string,
load time makes a ``HeadTest``: the same matchers, fed the values straight from the head
as received (strictly parsed) and the query string. It gives what ``test_conditions``
gives for the same request; a pattern with any other condition gets none and keeps the
``Request`` path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from apidouble.matching.pattern import CompiledPattern
from apidouble.model import head_values, header_needle, query_values

HeadTest = Callable[[bytes, str], bool]
"""``(head, query) -> bool``: ``head`` passed the strict parser, ``query`` is the request
target's query string as ``split_target`` gives it (no fragment)."""

Hit = Callable[[Sequence[str] | None], bool]


def head_test(pattern: CompiledPattern) -> HeadTest | None:
    """The pattern's conditions as a ``HeadTest``; None when one reads something else."""
    reads = pattern.reads
    if reads is None:
        return None
    no_query = False
    queries: list[tuple[str, Hit]] = []
    headers: list[tuple[bytes, Hit]] = []
    for kind, name, matcher in reads:
        if kind == "no query":
            no_query = True
        elif matcher is None:
            return None
        elif kind == "query":
            queries.append((name, matcher.test))
        else:
            headers.append((header_needle(name), matcher.test))
    return _compose(no_query, tuple(queries), tuple(headers))


def _compose(
    no_query: bool, queries: tuple[tuple[str, Hit], ...], headers: tuple[tuple[bytes, Hit], ...]
) -> HeadTest:
    def test(head: bytes, query: str) -> bool:
        if no_query and query:
            return False
        for name, hit in queries:
            if not hit(query_values(query, name)):
                return False
        if headers:
            lowered = head.lower()
            for needle, hit in headers:
                if not hit(head_values(head, lowered, needle) if needle else None):
                    return False
        return True

    return test
