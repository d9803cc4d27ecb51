"""The path index the router looks candidates up in, built once at load time.

One ``Table`` per method (and a few more, see ``router``):

- ``prefixed``: the literal prefix of a template or wildcard path (its static segments
  before the first variable; "" for regex and path-less stubs) -> those stubs. A request
  path looks up each of its segment-aligned prefixes: one dict lookup per segment, so
  the cost follows the depth of the path, not the number of stubs;
- ``literal``: exact decoded path -> the stubs with that literal path, merged at build
  time with every template that could also match it (a template may outrank a literal
  by priority).

Every list is in the winning order (``Entry.rank``), so the first full match wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from apidouble.matching.pattern import CompiledPattern
from apidouble.model import Request, Stub

if TYPE_CHECKING:
    from .router import RouteMatch


class Entry:
    """A stub, its compiled pattern and its rank in the winning order (lower wins).

    ``literal`` entries are only found under their own path, so their path needs no test;
    ``conditions`` is None when the pattern has nothing beyond method and path.
    """

    __slots__ = ("stub", "pattern", "rank", "literal", "conditions", "hit", "bare")

    def __init__(self, stub: Stub, pattern: CompiledPattern, rank: int) -> None:
        self.hit: RouteMatch | None = None
        """For a literal path with no conditions: the one ``RouteMatch`` it ever gives
        (set by the router), so the common lookup allocates nothing."""
        self.stub = stub
        self.pattern = pattern
        self.rank = rank
        self.literal = pattern.path is not None and pattern.path.literal is not None
        self.conditions: Callable[[Request], bool] | None = (
            pattern.test_conditions if pattern.has_conditions else None
        )
        self.bare = self.literal and pattern.pattern.no_query and pattern.condition_count == 1
        """A literal path whose one condition is "no query string": a request without
        one needs no test (see ``Table.bare``)."""


class Table:
    """The index over some entries (those of one method, say)."""

    __slots__ = ("literal", "bare", "full", "split", "prefixed")

    def __init__(self, entries: Iterable[Entry]) -> None:
        literal: dict[str, list[Entry]] = {}
        prefixed: dict[str, list[Entry]] = {}
        for entry in entries:  # already in rank order
            path = entry.pattern.path
            if path is not None and path.literal is not None:
                literal.setdefault(path.literal, []).append(entry)
            else:
                prefix = path.literal_prefix if path is not None and not path.is_regex else ""
                prefixed.setdefault(prefix, []).append(entry)
        self.prefixed = {key: tuple(found) for key, found in prefixed.items()}
        self.full = {
            key: merge([tuple(found), *self._buckets(key)]) for key, found in literal.items()
        }
        """Exact decoded path -> every candidate (for lookups that test each, and for a
        percent-encoded request path, which templates and regexes see as received)."""
        self.bare = {
            key: tuple(e for e in found if e.literal or e.pattern.test_path(key) is not None)
            for key, found in self.full.items()
        }
        """The same for a plain request path without a query string, less the templates and
        regexes that cannot match that path (decided here, once: a newer regex stub
        does not make a literal one test it on every request); ``Entry.hit`` of the first
        one answers the request."""
        self.split = any(e.pattern.pattern.no_query for found in literal.values() for e in found)
        self.literal = self.bare
        """The same for a request with a query string: entries that require none left out,
        so a ``bare`` entry's ``hit`` is never taken for such a request."""
        if self.split:
            kept = {key: tuple(e for e in found if not e.pattern.pattern.no_query)
                    for key, found in self.bare.items()}  # fmt: skip
            self.literal = {key: found for key, found in kept.items() if found}

    def _buckets(self, path: str) -> list[tuple[Entry, ...]]:
        """The non-literal entries whose literal prefix is a prefix of ``path``."""
        prefixed = self.prefixed
        return [bucket for key in _prefixes(path) if (bucket := prefixed.get(key))]

    def templates(self, path: str) -> tuple[Entry, ...]:
        """The non-literal candidates for a (decoded) path, in rank order: ``_buckets``
        walked inline (it runs on every request for a templated path), and the usual
        single bucket returned as it is."""
        prefixed = self.prefixed
        found = prefixed.get("")
        more: list[tuple[Entry, ...]] | None = None
        index = path.find("/", 1)
        while True:
            bucket = prefixed.get(path if index < 0 else path[:index])
            if bucket:
                if not found:
                    found = bucket
                elif more is None:
                    more = [found, bucket]
                else:
                    more.append(bucket)
            if index < 0:
                break
            index = path.find("/", index + 1)
        if more is not None:
            return merge(more)
        return found or ()

    def lookup(self, key: str) -> tuple[Entry, ...]:
        """Every candidate for a decoded path, in rank order; test each before use."""
        found = self.full.get(key)
        return self.templates(key) if found is None else found


def _prefixes(path: str) -> list[str]:
    """ "" and every segment-aligned prefix of ``path``, the whole path included."""
    found = [""]
    index = path.find("/", 1)
    while index > 0:
        found.append(path[:index])
        index = path.find("/", index + 1)
    found.append(path)
    return found


def merge(buckets: list[tuple[Entry, ...]]) -> tuple[Entry, ...]:
    """Several rank-ordered buckets as one rank-ordered tuple."""
    if not buckets:
        return ()
    return tuple(sorted((entry for bucket in buckets for entry in bucket), key=_rank))


def _rank(entry: Entry) -> int:
    return entry.rank
