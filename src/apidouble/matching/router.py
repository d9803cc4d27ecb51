"""The router: every stub compiled and indexed at load time; ``find`` only looks up.

Tables (``index.Table``), each sorted at build time by the winning order: lowest
``priority`` (None after any number), then most specific path, then file order.

- one per method a stub names, holding its stubs and the ANY ones; a method no stub
  names uses the ANY-only table;
- with ``head_via_get``, the GET stubs that do not also list HEAD, tried for a HEAD
  request when no stub answers HEAD itself (RFC 9110 9.3.2: HEAD is GET without body);
- one over every stub, for what ignores the method: the 405 ``Allow`` set and the
  methods of a path (CORS preflights).

``find`` takes one list and returns its first full match, so a literal path with no
further conditions costs a couple of dict lookups, whatever the stub count. A miss is
explained by ``near.NearIndex``, which looks at a bounded number of stubs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from apidouble.matching.index import Entry, Table
from apidouble.matching.near import NearIndex, NearMiss
from apidouble.matching.paths import Params, decode
from apidouble.matching.pattern import CompiledPattern, compile_pattern
from apidouble.model import Request, Stub

__all__ = ["NearMiss", "RouteMatch", "Router"]


class RouteMatch:
    """What ``Router.find`` found: the winning stub and its params, or why nothing won.

    ``via_get`` is True when a HEAD request is answered by a GET stub.
    """

    __slots__ = ("stub", "params", "via_get", "_router", "_request", "_near", "_near_need")

    def __init__(
        self,
        stub: Stub | None,
        params: Params,
        router: Router | None,
        request: Request | None,
        via_get: bool = False,
    ) -> None:
        self.stub = stub
        self.params = params
        self.via_get = via_get
        self._router = router
        self._request = request
        self._near: list[NearMiss] | None = None
        self._near_need = 0

    @property
    def matched(self) -> bool:
        """Whether a stub matched."""
        return self.stub is not None

    def near_misses(self, limit: int = 3) -> list[NearMiss]:
        """The closest stubs, nearest first; empty when a stub matched. Computed once
        (again only for a larger ``limit``)."""
        if self.stub is not None or self._request is None or self._router is None:
            return []
        need = max(limit, 3)
        if self._near is None or need > self._near_need:
            self._near = self._router.near_misses(self._request, need)
            self._near_need = need
        return self._near[:limit]

    def allowed_methods(self) -> frozenset[str]:
        """Methods of stubs that match everything but the method: the 405 ``Allow`` set."""
        if self.stub is not None or self._request is None or self._router is None:
            return frozenset()
        return self._router.allowed_methods(self._request)

    def __repr__(self) -> str:
        label = self.stub.label if self.stub else None
        via = ", via_get=True" if self.via_get else ""
        return f"RouteMatch(stub={label!r}, params={self.params!r}{via})"


class Router:
    """All stubs, compiled and indexed once at load time; swap a new one in on reload.

    ``head_via_get``: a HEAD request no stub answers itself (by listing HEAD, or ANY)
    goes to the stub that would answer GET; the 405 ``Allow`` set then lists HEAD
    wherever it lists GET.
    """

    __slots__ = ("stubs", "head_via_get", "_entries", "_tables", "_any", "_head", "_all",
                 "_near")  # fmt: skip

    def __init__(
        self,
        stubs: Sequence[Stub],
        *,
        head_via_get: bool = False,
        patterns: Sequence[CompiledPattern] | None = None,
    ) -> None:
        """``patterns`` are the stubs' patterns already compiled (in the same order), so
        load time compiles each once."""
        self.stubs: tuple[Stub, ...] = tuple(stubs)
        self.head_via_get = head_via_get
        if patterns is None:
            patterns = [compile_pattern(stub.pattern) for stub in self.stubs]
        compiled = list(zip(self.stubs, patterns, strict=True))
        compiled.sort(key=lambda item: _sort_key(item[0], item[1]))
        self._entries = tuple(Entry(s, p, rank) for rank, (s, p) in enumerate(compiled))
        methods = {m for entry in self._entries for m in entry.pattern.methods}
        tables = _Tables()
        self._tables = {
            method: tables.of(e for e in self._entries if e.pattern.test_method(method))
            for method in methods
        }
        self._any = tables.of(e for e in self._entries if not e.pattern.methods)
        self._head: Table | None = None
        if head_via_get:
            self._head = tables.of(e for e in self._entries if _get_only(e))
        self._all = tables.of(self._entries)
        self._near: NearIndex | None = None
        """Built by the first request that misses (``_near_index``): reload time is then
        what matching needs, and a config that never misses never builds it."""
        for entry in self._entries:
            if entry.literal and (entry.conditions is None or entry.bare):
                # No router: a hit never asks it, and a hit holding its router would make
                # every generation a reference cycle, which only a full collection frees.
                entry.hit = RouteMatch(entry.stub, {}, None, None)

    def ready_hits(self) -> Iterator[tuple[str, str, Stub]]:
        """(method, path, stub) wherever ``find`` answers a request of that method for
        that plain path, with no query string, by ``Entry.hit``: whatever the request's
        headers and body, that stub wins (the express lane's candidates)."""
        for method, table in self._tables.items():
            for path, found in table.bare.items():
                if found and found[0].hit is not None:
                    yield method, path, found[0].stub

    def literal_candidates(self) -> Iterator[tuple[str, str, bool, tuple[Entry, ...]]]:
        """(method, path, with_query, entries): for a plain request of that method for that
        literal path, without (``with_query`` False) or with a query string, the entries
        ``find`` tests in that order (the express lane's guarded candidates)."""
        for method, table in self._tables.items():
            for path, found in table.bare.items():
                yield method, path, False, found
            for path, found in table.literal.items():
                yield method, path, True, found

    def find(self, request: Request) -> RouteMatch:
        """The best full match: the first in the winning order among the candidates."""
        table = self._tables.get(request.method, self._any)
        path = request.path
        if "%" in path:
            key = decode(path)
            candidates = table.full.get(key)
        else:
            key = path
            split = table.split and request.query_string
            candidates = (table.literal if split else table.bare).get(key)
        if candidates is None:
            candidates = table.templates(key)
        elif (hit := candidates[0].hit) is not None:
            return hit  # a literal path with nothing more to test wins before anything else
        for entry in candidates:
            found = {} if entry.literal else entry.pattern.test_path(path)
            if found is not None and (entry.conditions is None or entry.conditions(request)):
                return RouteMatch(entry.stub, found, self, request)
        if self._head is not None and request.method == "HEAD":
            for entry, found in _full_matches(self._head.lookup(key), request):
                return RouteMatch(entry.stub, found, self, request, via_get=True)
        return RouteMatch(None, {}, self, request)

    def candidates(self, request: Request) -> Iterator[RouteMatch]:
        """Every full match in the winning order, lazily: ``find`` is the first.

        For an engine that may pass over a stub (a scenario in the wrong state) and take
        the next. For HEAD, the stubs answering HEAD themselves come first, then (with
        ``head_via_get``) the GET ones. When it passes over them all, ``RouteMatch(None,
        {}, router, request)`` gives the near misses.
        """
        path = request.path
        key = decode(path) if "%" in path else path
        table = self._tables.get(request.method, self._any)
        for entry, found in _full_matches(table.lookup(key), request):
            yield RouteMatch(entry.stub, found, self, request)
        if self._head is not None and request.method == "HEAD":
            for entry, found in _full_matches(self._head.lookup(key), request):
                yield RouteMatch(entry.stub, found, self, request, via_get=True)

    def explain_all(self, request: Request) -> list[NearMiss]:
        """Every stub's graded result for this request, nearest first (then by rank).

        The reference for ``near_misses``; a 404 should not pay for it.
        """
        return self._near_index().explain_all(request)

    def near_misses(self, request: Request, need: int = 3) -> list[NearMiss]:
        """The closest stubs, nearest first, from a bounded number of candidates; the
        first ``need`` agree with ``explain_all`` (see ``near``)."""
        return self._near_index().near_misses(request, need)

    def _near_index(self) -> NearIndex:
        near = self._near
        if near is None:
            near = self._near = NearIndex(self._entries, self.head_via_get)
        return near

    def methods_for_path(self, path: str) -> list[tuple[Stub, frozenset[str]]]:
        """Stubs whose path matches (conditions aside) with their methods (empty: any),
        in the winning order.

        For CORS preflights, which carry none of the real request's headers or body.
        """
        key = decode(path) if "%" in path else path
        return [
            (entry.stub, entry.pattern.methods)
            for entry in self._all.lookup(key)
            if entry.literal or entry.pattern.test_path(path) is not None
        ]

    def allowed_methods(self, request: Request) -> frozenset[str]:
        """Methods of the stubs whose path and conditions match this request (ANY stubs
        add none: one that matched would have answered)."""
        path = request.path
        key = decode(path) if "%" in path else path
        allowed: set[str] = set()
        for entry in self._all.lookup(key):
            methods = entry.pattern.methods
            if not methods or methods <= allowed:
                continue
            if not entry.literal and entry.pattern.test_path(path) is None:
                continue
            if entry.conditions is None or entry.conditions(request):
                allowed |= methods
        if self.head_via_get and "GET" in allowed:
            allowed.add("HEAD")
        return frozenset(allowed)


class _Tables:
    """Tables made once per distinct set of entries: when every stub answers GET, the GET
    table, the HEAD fallback's and the one of all stubs are one table, built once."""

    __slots__ = ("_made",)

    def __init__(self) -> None:
        self._made: dict[tuple[int, ...], Table] = {}

    def of(self, entries: Iterable[Entry]) -> Table:
        chosen = tuple(entries)
        key = tuple(entry.rank for entry in chosen)
        table = self._made.get(key)
        if table is None:
            table = self._made[key] = Table(chosen)
        return table


def _full_matches(entries: Sequence[Entry], request: Request) -> Iterator[tuple[Entry, Params]]:
    path = request.path
    for entry in entries:
        found = {} if entry.literal else entry.pattern.test_path(path)
        if found is not None and (entry.conditions is None or entry.conditions(request)):
            yield entry, found


def _get_only(entry: Entry) -> bool:
    """A stub that answers GET but not HEAD itself: the HEAD fallback's candidates
    (WireMock's stubs are not: WireMock answers HEAD only from stubs that name it)."""
    methods = entry.pattern.methods
    return "GET" in methods and "HEAD" not in methods and entry.stub.ordering != "insertion"


def _sort_key(stub: Stub, pattern: CompiledPattern) -> tuple[int, int, tuple[int, ...], int]:
    if stub.ordering == "insertion":  # WireMock: priority, then the newest first
        return (0, 5 if stub.priority is None else stub.priority, (), -stub.order)
    if stub.priority is None:
        return (1, 0, pattern.specificity, stub.order)
    return (0, stub.priority, pattern.specificity, stub.order)
