"""Verification: count the journal's requests against an expectation, and explain a
shortfall with the kept requests nearest to what was expected.

The shape is WireMock's ``verify``: an expected pattern, an expected count, and on
failure an ``AssertionError`` that says what was expected, what was counted, and lists
the near misses (the closest kept requests, each with the checks that failed). The
grading is the router's (``MatchResult``, path 10, method 3, every other condition 1),
so the nearest request here is the one a 404 would have called nearest; the WireMock
near-miss routes (``nearmiss_journal``) rank kept requests with ``nearest_entries`` too.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .journal import Journal
from .journal_query import BodyJsonPath, BodySelection
from .matching.paths import similarity
from .matching.pattern import (
    CONDITION_WEIGHT,
    METHOD_WEIGHT,
    PATH_WEIGHT,
    CompiledPattern,
    compile_pattern,
)
from .matching.result import EXACT, Check, MatchResult
from .model import Request, RequestPattern

NEAR_MISSES = 3
"""How many near misses a failure lists (WireMock's and the 404 report's number)."""

Entry = dict[str, Any]
"""A journal entry as ``Journal.find`` gives it (``journal_entries.parse``)."""


@dataclass(frozen=True, slots=True)
class Times:
    """How many matching requests are expected: ``at_least`` .. ``at_most`` (inclusive)."""

    at_least: int = 1
    at_most: int | None = None

    @classmethod
    def of(
        cls, times: int | None = None, at_least: int | None = None, at_most: int | None = None
    ) -> Times:
        """``times`` exactly, or a bound or two; at least once when nothing is given."""
        for name, value in (("times", times), ("at_least", at_least), ("at_most", at_most)):
            if value is not None and (isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        if times is not None:
            if at_least is not None or at_most is not None:
                raise ValueError("give times, or at_least and/or at_most, not both")
            return cls(times, times)
        if at_least is not None and at_most is not None and at_least > at_most:
            raise ValueError(f"at_least ({at_least}) is above at_most ({at_most})")
        if at_least is None:
            at_least = 0 if at_most is not None else 1
        return cls(at_least, at_most)

    def holds(self, count: int) -> bool:
        return count >= self.at_least and (self.at_most is None or count <= self.at_most)

    @property
    def last(self) -> int:
        """The number ``describe`` ends with (what the noun after it agrees with)."""
        return self.at_least if self.at_most is None else self.at_most

    def describe(self) -> str:
        low, high = self.at_least, self.at_most
        if high is None:
            return f"at least {low}"
        if low == high:
            return f"exactly {low}"
        return f"at most {high}" if low == 0 else f"between {low} and {high}"


class Expectation:
    """The conditions of ``RequestLog.find``, compiled once, with a grader for near misses."""

    def __init__(
        self,
        method: str | None = None,
        path: str | None = None,
        stub: str | None = None,
        status: int | None = None,
        *,
        unmatched: bool | None = None,
        pattern: RequestPattern | CompiledPattern | None = None,
        since: float | None = None,
        body_jsonpath: BodyJsonPath | None = None,
    ) -> None:
        self.method = method.upper() if method else None
        self.path = path
        self.stub = stub
        self.status = status
        self.unmatched = unmatched
        self.pattern = compile_pattern(pattern) if isinstance(pattern, RequestPattern) else pattern
        self.since = since
        self.body = BodySelection(body_jsonpath) if body_jsonpath is not None else None
        self.conditions: dict[str, Any] = {
            name: value
            for name, value in (
                ("method", self.method),
                ("path", path),
                ("stub", stub),
                ("status", status),
                ("unmatched", unmatched),
                ("pattern", self.pattern),
                ("since", since),
                ("body_jsonpath", body_jsonpath),
            )
            if value is not None
        }
        """The keyword arguments ``Journal.find`` and ``Journal.count`` take."""

    def count(self, journal: Journal) -> int:
        """Matching exchanges; exact (evicted ones included) when only ``stub`` is given."""
        return journal.count(**self.conditions)

    def find(self, journal: Journal, limit: int | None = None) -> list[Entry]:
        return journal.find(**self.conditions, limit=limit)

    def grade(self, entry: Entry) -> MatchResult:
        """How far a kept request is from the expectation, every condition checked."""
        weighted: list[tuple[float, MatchResult]] = []
        if self.method is not None:
            check = Check("method", entry["method"] == self.method, self.method, entry["method"])
            weighted.append((METHOD_WEIGHT, MatchResult.of(check)))
        if self.path is not None:
            got = entry["path"]
            check = Check("path", got == self.path, self.path, got)
            weighted.append((PATH_WEIGHT, MatchResult.of(check, 1.0 - similarity(self.path, got))))
        if self.stub is not None:
            passed = self.stub in (entry["stub"], entry["stub_id"])
            shown = entry["stub"] or "<unmatched>"
            weighted.append((CONDITION_WEIGHT, _of("stub", passed, self.stub, shown)))
        if self.status is not None:
            passed = entry["status"] == self.status
            weighted.append((CONDITION_WEIGHT, _of("status", passed, self.status, entry["status"])))
        if self.unmatched is not None:
            matched = entry["stub_id"] is not None
            want, got = (
                ("unmatched" if self.unmatched else "matched"),
                ("matched" if matched else "unmatched"),
            )
            weighted.append((CONDITION_WEIGHT, _of("stub", want == got, want, got)))
        if self.since is not None:
            passed = entry["time"] >= self.since
            weighted.append(
                (CONDITION_WEIGHT, _of("received", passed, f">= {self.since}", entry["time"]))
            )
        if self.pattern is not None:
            explained = self.pattern.explain(entry_request(entry))
            weighted.append((PATH_WEIGHT + METHOD_WEIGHT, explained))
        if self.body is not None:
            for check in self.body.explain(entry_body(entry)):
                weighted.append((CONDITION_WEIGHT, MatchResult.of(check)))
        return MatchResult.aggregate(weighted) if weighted else EXACT

    def describe(self) -> str:
        """The expected pattern in one line: ``POST /orders (status 201, body $.id)``."""
        head = f"{self.method or 'ANY'} {self.path or '*'}"
        extra = []
        if self.stub is not None:
            extra.append(f"stub {self.stub!r}")
        if self.status is not None:
            extra.append(f"status {self.status}")
        if self.unmatched is not None:
            extra.append("unmatched" if self.unmatched else "matched by a stub")
        if self.since is not None:
            extra.append(f"received since {self.since}")
        if self.pattern is not None:
            extra.append(f"pattern {self.pattern!r}")
        if self.body is not None:
            extra.append(self.body.describe())
        return f"{head} ({', '.join(extra)})" if extra else head


def _of(condition: str, passed: bool, expected: object, actual: object) -> MatchResult:
    return MatchResult.of(Check(condition, passed, str(expected), str(actual)))


def entry_body(entry: Mapping[str, Any]) -> bytes:
    """A kept entry's request body as bytes (capped, as the journal kept it)."""
    text = entry.get("body", "")
    if entry.get("body_encoding") == "base64":
        return base64.b64decode(text)
    return str(text).encode("utf-8")


def entry_request(entry: Mapping[str, Any]) -> Request:
    """A kept entry as a ``model.Request``, for compiled patterns to explain."""
    headers = tuple((str(name), str(value)) for name, value in entry["headers"])
    client = entry.get("client")
    peer = (client, 0) if client else None
    return Request(
        entry["method"], entry["path"], entry["query"] or "", headers, entry_body(entry), peer
    )


def nearest_entries(
    entries: Iterable[Entry],
    grade: Callable[[Entry], MatchResult],
    limit: int = NEAR_MISSES,
    *,
    misses_only: bool = False,
) -> list[tuple[Entry, MatchResult]]:
    """The ``limit`` entries nearest by ``grade``, nearest first; ties keep the order given
    (newest first, as the journal lists them). ``misses_only`` leaves out full matches."""
    graded = [(entry, grade(entry)) for entry in entries]
    if misses_only:
        graded = [(entry, result) for entry, result in graded if result.failed]
    graded.sort(key=lambda item: item[1].distance)
    return graded[:limit]


class VerificationError(AssertionError):
    """A verification failed; the message lists the near misses. ``counted`` and
    ``near_misses`` are there for tests that inspect them."""

    def __init__(
        self, message: str, counted: int, near_misses: Sequence[tuple[Entry, MatchResult]]
    ) -> None:
        super().__init__(message)
        self.counted = counted
        self.near_misses = list(near_misses)


def verify(journal: Journal, expectation: Expectation, times: Times) -> int:
    """The count when it is as expected; ``VerificationError`` otherwise."""
    counted = expectation.count(journal)
    if times.holds(counted):
        return counted
    raise failure(journal, expectation, times, counted)


def failure(
    journal: Journal, expectation: Expectation, times: Times, counted: int
) -> VerificationError:
    """The error for ``counted`` requests where ``times`` were expected."""
    noun = "request" if times.last == 1 else "requests"
    lines = [
        f"Expected {times.describe()} {noun} matching {expectation.describe()}, "
        f"but counted {counted}."
    ]
    kept = len(journal)
    gone = journal.evicted()
    if gone:
        lines.append(f"({gone} evicted from the journal; near misses come from the {kept} kept.)")
    near: list[tuple[Entry, MatchResult]] = []
    if counted < times.at_least:
        near = nearest_entries(journal.newest(), expectation.grade, misses_only=True)
        if near:
            lines.append(f"Near misses (the closest of {kept} kept requests):")
            lines.extend(_shown(entry, result) for entry, result in near)
        else:
            lines.append("No other requests were kept." if kept else "No requests were kept.")
    else:
        found = expectation.find(journal, NEAR_MISSES)
        lines.append(f"Matching requests (newest first, {len(found)} shown):")
        lines.extend(_shown(entry, None) for entry in found)
    return VerificationError("\n".join(lines), counted, near)


def _shown(entry: Entry, result: MatchResult | None) -> str:
    target = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
    by = f"stub {entry['stub']}" if entry["stub_id"] is not None else "unmatched"
    line = f"  - {entry['method']} {target} -> {entry['status']} ({by})"
    if result is None:
        return line
    parts = [f"{line}, distance {result.distance:.3f}"]
    for check in result.failed:
        parts.append(f"      {check.condition}: expected {check.expected}, got {check.actual}")
    return "\n".join(parts)
