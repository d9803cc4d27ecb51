"""Match results: a distance plus the checks behind it, never a bare bool.

The distance (0 = exact match, 1 = nothing in common) lets the router rank near misses
for the 404 report; the checks say, per condition, what was expected and what came in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ABSENT = "<absent>"
"""How a check shows a value the request did not carry."""

_MAX_SHOWN = 200

FAILED_FLOOR = 0.01
"""The smallest distance of a failed check: a miss is never "exact"."""


def shown(text: str) -> str:
    """Shorten a value for a report, so one huge body does not drown the rest."""
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of a pattern, evaluated: the unit of a near-miss report."""

    condition: str
    passed: bool
    expected: str
    actual: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """How far a request is from a pattern (0..1) and the checks that say why."""

    distance: float
    checks: tuple[Check, ...] = ()

    @property
    def matched(self) -> bool:
        """True when every check passed (vacuously true for a pattern with no conditions)."""
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that did not pass, in pattern order."""
        return tuple(check for check in self.checks if not check.passed)

    @classmethod
    def of(cls, check: Check, distance: float | None = None) -> MatchResult:
        """One check; the distance defaults to 0 when it passed and 1 when it failed."""
        if distance is None:
            distance = 0.0 if check.passed else 1.0
        elif check.passed:
            distance = 0.0
        else:
            # A failed check is never "exact", whatever the grading said.
            distance = min(1.0, max(distance, FAILED_FLOOR))
        return cls(distance, (check,))

    @classmethod
    def aggregate(cls, weighted: Iterable[tuple[float, MatchResult]]) -> MatchResult:
        """Weighted mean of the distances; the checks are concatenated in order.

        Weights let the path count for more than one header, as WireMock weighs them, so
        a stub with the right path and a wrong header ranks above one with a wrong path.
        """
        total = 0.0
        weight_sum = 0.0
        checks: list[Check] = []
        for weight, result in weighted:
            total += weight * result.distance
            weight_sum += weight
            checks.extend(result.checks)
        distance = total / weight_sum if weight_sum else 0.0
        return cls(distance, tuple(checks))


EXACT = MatchResult(0.0)
"""The result of a pattern with nothing to check, or a hot-path full match."""
