"""The router: every stub compiled and indexed at load time; ``find`` only looks up.

Index, per method (a method no stub names uses the ANY-only table):

- ``prefixed``: the literal prefix of a template or wildcard path (its static segments
  before the first variable; "" for regex and path-less stubs) -> those stubs. A request
  path looks up each of its segment-aligned prefixes: one dict lookup per segment, so
  the cost follows the depth of the path, not the number of stubs;
- ``literal``: exact decoded path -> the stubs with that literal path, merged at build
  time with every template that could also match it (a template may outrank a literal
  by priority).

Every list is sorted at build time by the winning order: lowest ``priority`` (None
after any number), then most specific path, then file order. ``find`` takes one list
and returns its first full match, so a literal path with no further conditions costs a
couple of dict lookups, whatever the stub count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apidouble.matching.paths import Params, decode
from apidouble.matching.pattern import CompiledPattern, compile_pattern
from apidouble.matching.result import MatchResult
from apidouble.model import Request, Stub


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A stub that did not match, with how far the request was from it."""

    stub: Stub
    result: MatchResult


class _Entry:
    """A stub, its compiled pattern and its rank in the winning order (lower wins).

    ``literal`` entries are only found under their own path, so their path needs no test;
    ``conditions`` is None when the pattern has nothing beyond method and path.
    """

    __slots__ = ("stub", "pattern", "rank", "literal", "conditions")

    def __init__(self, stub: Stub, pattern: CompiledPattern, rank: int) -> None:
        self.stub = stub
        self.pattern = pattern
        self.rank = rank
        self.literal = pattern.path is not None and pattern.path.literal is not None
        self.conditions = pattern.test_conditions if pattern.has_conditions else None


class _Table:
    """The index for one method."""

    __slots__ = ("literal", "prefixed")

    def __init__(self, entries: list[_Entry]) -> None:
        literal: dict[str, list[_Entry]] = {}
        prefixed: dict[str, list[_Entry]] = {}
        for entry in entries:  # already in rank order
            path = entry.pattern.path
            if path is not None and path.literal is not None:
                literal.setdefault(path.literal, []).append(entry)
            else:
                prefix = path.literal_prefix if path is not None and not path.is_regex else ""
                prefixed.setdefault(prefix, []).append(entry)
        self.prefixed = {key: tuple(found) for key, found in prefixed.items()}
        self.literal = {
            key: _merge([tuple(found), *self._buckets(key)]) for key, found in literal.items()
        }

    def _buckets(self, path: str) -> list[tuple[_Entry, ...]]:
        """The non-literal entries whose literal prefix is a prefix of ``path``."""
        prefixed = self.prefixed
        return [bucket for key in _prefixes(path) if (bucket := prefixed.get(key))]

    def templates(self, path: str) -> tuple[_Entry, ...]:
        """The non-literal candidates for a (decoded) path, in rank order."""
        buckets = self._buckets(path)
        if len(buckets) == 1:
            return buckets[0]
        return _merge(buckets)


def _prefixes(path: str) -> list[str]:
    """ "" and every segment-aligned prefix of ``path``, the whole path included."""
    found = [""]
    index = path.find("/", 1)
    while index > 0:
        found.append(path[:index])
        index = path.find("/", index + 1)
    found.append(path)
    return found


def _merge(buckets: list[tuple[_Entry, ...]]) -> tuple[_Entry, ...]:
    if not buckets:
        return ()
    return tuple(sorted((entry for bucket in buckets for entry in bucket), key=_rank))


def _rank(entry: _Entry) -> int:
    return entry.rank


class RouteMatch:
    """What ``Router.find`` found: the winning stub and its params, or why nothing won."""

    __slots__ = ("stub", "params", "_router", "_request", "_near_misses")

    def __init__(self, stub: Stub | None, params: Params, router: Router, request: Request) -> None:
        self.stub = stub
        self.params = params
        self._router = router
        self._request = request
        self._near_misses: list[NearMiss] | None = None

    @property
    def matched(self) -> bool:
        """Whether a stub matched."""
        return self.stub is not None

    def near_misses(self, limit: int = 3) -> list[NearMiss]:
        """The closest stubs, nearest first; empty when a stub matched. Computed once."""
        if self.stub is not None:
            return []
        if self._near_misses is None:
            self._near_misses = self._router.explain_all(self._request)
        return self._near_misses[:limit]

    def allowed_methods(self) -> frozenset[str]:
        """Methods of stubs that match everything but the method: the 405 ``Allow`` set."""
        if self.stub is not None:
            return frozenset()
        return self._router.allowed_methods(self._request)

    def __repr__(self) -> str:
        label = self.stub.label if self.stub else None
        return f"RouteMatch(stub={label!r}, params={self.params!r})"


class Router:
    """All stubs, compiled and indexed once at load time; swap a new one in on reload."""

    __slots__ = ("stubs", "_entries", "_tables", "_any")

    def __init__(self, stubs: Sequence[Stub]) -> None:
        self.stubs: tuple[Stub, ...] = tuple(stubs)
        compiled = [(stub, compile_pattern(stub.pattern)) for stub in self.stubs]
        compiled.sort(key=lambda item: _sort_key(item[0], item[1]))
        self._entries = tuple(_Entry(s, p, rank) for rank, (s, p) in enumerate(compiled))
        methods = {m for entry in self._entries for m in entry.pattern.methods}
        self._tables = {
            method: _Table([e for e in self._entries if e.pattern.test_method(method)])
            for method in methods
        }
        self._any = _Table([e for e in self._entries if not e.pattern.methods])

    def find(self, request: Request) -> RouteMatch:
        """The best full match: the first in the winning order among the candidates."""
        table = self._tables.get(request.method, self._any)
        path = request.path
        key = decode(path) if "%" in path else path
        candidates = table.literal.get(key)
        if candidates is None:
            candidates = table.templates(key)
        for entry in candidates:
            found = {} if entry.literal else entry.pattern.test_path(path)
            if found is not None and (entry.conditions is None or entry.conditions(request)):
                return RouteMatch(entry.stub, found, self, request)
        return RouteMatch(None, {}, self, request)

    def explain_all(self, request: Request) -> list[NearMiss]:
        """Every stub's graded result for this request, nearest first (then by rank)."""
        results = [(entry.pattern.explain(request), entry) for entry in self._entries]
        results.sort(key=lambda item: (item[0].distance, item[1].rank))
        return [NearMiss(entry.stub, result) for result, entry in results]

    def methods_for_path(self, path: str) -> list[tuple[Stub, frozenset[str]]]:
        """Stubs whose path matches (conditions aside) with their methods (empty: any).

        For CORS preflights, which carry none of the real request's headers or body.
        """
        return [
            (entry.stub, entry.pattern.methods)
            for entry in self._entries
            if entry.pattern.test_path(path) is not None
        ]

    def allowed_methods(self, request: Request) -> frozenset[str]:
        """Methods of the stubs whose path and conditions match this request."""
        allowed: set[str] = set()
        for entry in self._entries:
            pattern = entry.pattern
            if (
                pattern.methods
                and not pattern.methods <= allowed
                and pattern.test_path(request.path) is not None
                and pattern.test_conditions(request)
            ):
                allowed |= pattern.methods
        return frozenset(allowed)


def _sort_key(stub: Stub, pattern: CompiledPattern) -> tuple[int, int, tuple[int, ...], int]:
    if stub.priority is None:
        return (1, 0, pattern.specificity, stub.order)
    return (0, stub.priority, pattern.specificity, stub.order)
