"""Near misses without explaining every stub: an index built at load time picks them.

A 404 explains the request against a few stubs, not all of them, so one client probing
unknown paths cannot stall the event loop. Three steps, each bounded:

1. **Gather** (index lookups, C-speed counting): stubs that share a literal segment
   with the request at the same position count twice; stubs whose literal there is
   close to the request's (neighbours in sorted and reverse-sorted order: long shared
   prefixes or suffixes, what ``paths.similarity`` rewards) once; stubs with as many
   segments once. The best ``POOL`` by that count stay, plus stubs no segment indexes
   (regex paths, no path, all-variable templates).
2. **Bound**: for each, a lower bound of ``explain``'s distance from the method, the
   literal segments, the segment count and each condition's test (a failed one costs
   at least its floor); variable segments count 0.
   It repeats ``explain``'s float operations minus some non-negative terms, so it is
   never above the real distance, not even by rounding.
3. **Explain** in bound order and stop once the next bound cannot beat the k-th best
   (distance, rank), or after ``EXPLAINED`` calls.

Within the pool the top k are exactly ``explain_all``'s; a router of at most
``EXPLAIN_ALL_UP_TO`` stubs explains them all.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from apidouble.matching.index import Entry
from apidouble.matching.paths import path_segments, similarity
from apidouble.matching.pattern import METHOD_WEIGHT, PATH_WEIGHT
from apidouble.matching.result import MatchResult
from apidouble.model import Request, Stub

EXPLAIN_ALL_UP_TO = 64
POOL = 128
ALWAYS = 32
EXPLAINED = 64
SCAN_UP_TO = 2048
"""Distinct literals at one position graded one by one; past that, sorted neighbours."""
WINDOW = 32
"""Sorted neighbours looked at on each side, by prefix and by suffix, past SCAN_UP_TO."""
FUZZY_STUBS = 48
"""Similar literals are taken, most similar first, until they cover this many stubs."""
FUZZY_VALUES = 256
"""At most this many similar literals per segment, ties included."""
FUZZY_CACHE = 1024
UNDER = 64
"""Stubs taken from under the request's longest shared literal prefix."""
FIRST = 16
"""Stubs taken per method from the head of the winning order."""
EXACT_WEIGHT = 4
"""What a shared literal (or segment count) adds to a stub's score; a similar one adds
1 to 3, by similarity."""


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A stub that did not match, with how far the request was from it."""

    stub: Stub
    result: MatchResult


class _Bounded:
    """What the bound needs of one entry, flattened at load time."""

    __slots__ = ("entry", "literals", "count", "rest", "kind", "weights", "conditions",
                 "condition_weights")  # fmt: skip

    def __init__(self, entry: Entry) -> None:
        pattern = entry.pattern
        path = pattern.path
        self.entry = entry
        self.literals: tuple[tuple[int, str], ...] = ()
        self.count = 0
        self.rest = False
        if path is None:
            self.kind = _NO_PATH
        elif path.shape is None:
            self.kind = _REGEX
        else:
            self.kind = _SHAPED
            shape = path.shape
            self.literals = tuple((j, t) for j, t in enumerate(shape.literals) if t is not None)
            self.count = len(shape.literals)
            self.rest = shape.rest
        weights = 0.0  # summed in explain's order, so the float is the same
        if pattern.methods:
            weights += METHOD_WEIGHT
        if path is not None:
            weights += PATH_WEIGHT
        self.condition_weights = pattern.condition_weights
        for weight in self.condition_weights:
            weights += weight
        self.weights = weights
        self.conditions = pattern.condition_count > 0


_SHAPED, _REGEX, _NO_PATH = 0, 1, 2


class NearIndex:
    """Picks and ranks the near misses of a request; build once per router."""

    __slots__ = ("_entries", "_bounded", "_postings", "_by_count", "_rest_by_count",
                 "_always", "_sorted", "_reversed", "_head_via_get", "_fuzzy", "_under",
                 "_first")  # fmt: skip

    def __init__(self, entries: Sequence[Entry], head_via_get: bool) -> None:
        self._entries = tuple(entries)  # in rank order: entry.rank is its position
        self._head_via_get = head_via_get
        self._bounded = tuple(_Bounded(entry) for entry in self._entries)
        postings: dict[tuple[int, str], list[int]] = {}
        by_count: dict[int, list[int]] = {}
        rest_by_count: dict[int, list[int]] = {}
        always: list[int] = []
        for rank, bounded in enumerate(self._bounded):
            if bounded.kind != _SHAPED or not bounded.literals:
                always.append(rank)
                continue
            for position, text in bounded.literals:
                postings.setdefault((position, text), []).append(rank)
            counts = rest_by_count if bounded.rest else by_count
            counts.setdefault(bounded.count, []).append(rank)
        under: dict[str, list[int]] = {}
        first: dict[str, list[int]] = {}
        for rank, bounded in enumerate(self._bounded):
            prefix = ""
            for expected, (position, text) in enumerate(bounded.literals):
                if position != expected:
                    break
                prefix = f"{prefix}/{text}"
                under.setdefault(prefix, []).append(rank)
            for method in bounded.entry.pattern.methods or ("",):
                found = first.setdefault(method, [])
                if len(found) < FIRST:
                    found.append(rank)
        self._under = {key: tuple(found[:UNDER]) for key, found in under.items()}
        self._first = {key: tuple(found) for key, found in first.items()}
        self._postings = {key: tuple(found) for key, found in postings.items()}
        self._by_count = {key: tuple(found) for key, found in by_count.items()}
        self._rest_by_count = {key: tuple(found) for key, found in rest_by_count.items()}
        self._always = tuple(always[:ALWAYS])
        values: dict[int, set[str]] = {}
        for position, text in self._postings:
            values.setdefault(position, set()).add(text)
        self._sorted = {j: sorted(texts) for j, texts in values.items()}
        self._reversed = {j: sorted(t[::-1] for t in texts) for j, texts in values.items()}
        self._fuzzy: dict[tuple[int, str], tuple[tuple[str, int], ...]] = {}

    def explain_all(self, request: Request) -> list[NearMiss]:
        """Every stub's graded result, nearest first (then by rank)."""
        head = self._head_via_get
        results = [(entry.pattern.explain(request, head), entry) for entry in self._entries]
        results.sort(key=lambda item: (item[0].distance, item[1].rank))
        return [NearMiss(entry.stub, result) for result, entry in results]

    def near_misses(self, request: Request, need: int = 3) -> list[NearMiss]:
        """The nearest stubs, nearest first: the first ``need`` are ``explain_all``'s
        when they are in the pool; more may follow, also in order."""
        if len(self._entries) <= EXPLAIN_ALL_UP_TO:
            return self.explain_all(request)
        path = request.path
        values: list[str] | None = None
        floor = 1.0  # the path distance of every template when no segment can be read
        if path.startswith("/"):
            values = path_segments(path)
            if "%" in path and any("/" in value for value in values):
                values, floor = None, 0.0  # an encoded "/": the literal test splits otherwise
        bounds = self._bounds(request, values, floor, self._pool(values, request.method))
        best: list[tuple[float, int, MatchResult]] = []
        head = self._head_via_get
        for explained, (bound, rank) in enumerate(bounds):
            if len(best) >= need and (bound, rank) > best[need - 1][:2]:
                break
            if explained >= EXPLAINED:
                break
            result = self._entries[rank].pattern.explain(request, head)
            bisect.insort(best, (result.distance, rank, result))
        return [NearMiss(self._entries[rank].stub, result) for _, rank, result in best]

    def _pool(self, values: list[str] | None, method: str) -> list[int]:
        """Ranks of the stubs worth bounding: the best by shared segments, and the
        stubs no segment indexes."""
        counts: Counter[int] = Counter()
        if values is not None:
            postings = self._postings
            for position, value in enumerate(values):
                found = postings.get((position, value))
                if found is not None:
                    for _ in range(EXACT_WEIGHT):
                        counts.update(found)
                for text, weight in self._closest(position, value):
                    for _ in range(weight):
                        counts.update(postings[(position, text)])
            n = len(values)
            for _ in range(EXACT_WEIGHT):
                counts.update(self._by_count.get(n, ()))
            for count, found in self._rest_by_count.items():
                if count <= n:
                    for _ in range(EXACT_WEIGHT):
                        counts.update(found)
        pool = [*self._always, *self._neighbours(values, method)]
        if len(counts) > POOL:
            cut = sorted(counts.values(), reverse=True)[POOL - 1]
            best = [rank for rank, score in counts.items() if score > cut]
            tied = sorted(rank for rank, score in counts.items() if score == cut)
            pool.extend(best)
            pool.extend(tied[: POOL - len(best)])
        else:
            pool.extend(counts)
        if len(pool) < POOL:  # little in common: the first stubs in the winning order too
            pool.extend(range(min(POOL, len(self._entries))))
        return list(dict.fromkeys(pool))

    def _neighbours(self, values: list[str] | None, method: str) -> list[int]:
        """The first stubs under the request's longest shared literal prefix, and the
        first ones for its method: the nearest when the segments say little."""
        found = list(self._first.get(method, ()))
        found.extend(self._first.get("", ()))
        if values is not None:
            under = self._under
            prefix = ""
            deepest: tuple[int, ...] = ()
            for value in values:
                prefix = f"{prefix}/{value}"
                bucket = under.get(prefix)
                if bucket is None:
                    break
                deepest = bucket
            found.extend(deepest)
        return found

    def _closest(self, position: int, value: str) -> tuple[tuple[str, int], ...]:
        """The other literal values at ``position`` most similar to ``value`` (sharing a
        prefix or suffix), enough of them for ``FUZZY_STUBS`` stubs; cached, as probes
        repeat their segments."""
        key = (position, value)
        found = self._fuzzy.get(key)
        if found is None:
            found = self._fuzzy[key] = self._rank_closest(position, value)
            if len(self._fuzzy) > FUZZY_CACHE:
                del self._fuzzy[next(iter(self._fuzzy))]
        return found

    def _rank_closest(self, position: int, value: str) -> tuple[tuple[str, int], ...]:
        """(literal, weight): the weight grows with the similarity, below an exact one."""
        texts = self._sorted.get(position)
        if not texts:
            return ()
        if len(texts) > SCAN_UP_TO:  # too many to grade: sorted neighbours only
            near: set[str] = set()
            at = bisect.bisect_left(texts, value)
            near.update(texts[max(at - WINDOW, 0) : at + WINDOW])
            backwards = self._reversed[position]
            at = bisect.bisect_left(backwards, value[::-1])
            near.update(t[::-1] for t in backwards[max(at - WINDOW, 0) : at + WINDOW])
            texts = sorted(near)
        graded = sorted(
            (-similarity(text, value), text) for text in texts if text != value and text
        )
        postings = self._postings
        chosen: list[tuple[str, int]] = []
        stubs = 0
        last = 0.0
        for score, text in graded:
            if score == 0.0 or (stubs >= FUZZY_STUBS and score != last):
                break
            chosen.append((text, max(1, round(-score * (EXACT_WEIGHT - 1)))))
            stubs += len(postings[(position, text)])
            last = score
            if len(chosen) >= FUZZY_VALUES:
                break
        return tuple(chosen)

    def _bounds(
        self, request: Request, values: list[str] | None, floor: float, pool: list[int]
    ) -> list[tuple[float, int]]:
        """(lower bound, rank) per pooled stub, in the order to explain them."""
        method = request.method
        head = self._head_via_get
        path = request.path
        costs: dict[tuple[int, str], float] = {}
        bounds: list[tuple[float, int]] = []
        for rank in pool:
            bounded = self._bounded[rank]
            total = 0.0
            if not bounded.entry.pattern.answers(method, head):
                total += METHOD_WEIGHT * 1.0
            if bounded.kind == _SHAPED:
                bound = floor if values is None else _path_bound(bounded, values, costs)
                total += PATH_WEIGHT * bound
            elif bounded.kind == _REGEX:
                found = bounded.entry.pattern.test_path(path)
                total += PATH_WEIGHT * (0.0 if found is not None else 1.0)
            if bounded.conditions:
                bounds_of = bounded.entry.pattern.condition_bounds(request)
                for weight, bound in zip(bounded.condition_weights, bounds_of, strict=True):
                    total += weight * bound
            bounds.append((total / bounded.weights if bounded.weights else 0.0, rank))
        bounds.sort()
        return bounds


def _path_bound(bounded: _Bounded, values: list[str], costs: dict[tuple[int, str], float]) -> float:
    """The path distance ``explain`` gives, less the failures of variable segments."""
    n = len(values)
    count = bounded.count
    extra = n - count
    absorbed = bounded.rest and extra >= 0
    cost = 0.0 if absorbed else float(abs(extra))
    for position, text in bounded.literals:
        if position >= n:
            break
        value = values[position]
        if value != text:
            key = (position, text)
            found = costs.get(key)
            if found is None:
                found = costs[key] = 1.0 - similarity(text, value) / 2
            cost += found
    if cost == 0.0:
        return 0.0
    grade = cost / max(count if absorbed else max(count, n), 1)
    return min(1.0, max(grade, 0.01))
