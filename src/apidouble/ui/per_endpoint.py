"""The live stream's per-endpoint breakdown: what each stub answered in one stats period,
by status class, and how many of those were errors.

Read from the engine's ``Counters`` (exchanges by stub label, method and status since
start), as the status classes are, so it is exact at any load and costs the serving path
nothing: each stats event diffs two snapshots. An event names the ``MAX_ENDPOINTS``
busiest endpoints of its period at most and folds the rest into ``other``, so its size
stays bounded however many stubs a config has.
"""

from __future__ import annotations

from typing import Any

from ..metrics import Counters

MAX_ENDPOINTS = 50
"""Endpoints named in one stats event at most; the rest are summed in its ``other``."""
ERROR_CLASSES = ("5xx", "fault")
"""What counts as an error: a server error answered, or a fault (nothing answered)."""

Totals = dict[tuple[str, str], int]
"""Exchanges since start by (stub label, status class); ``""`` is unmatched requests."""


def status_class(status: int) -> str:
    """``2xx``... for a status, ``fault`` for 0 (the connection was broken, no answer)."""
    return f"{status // 100}xx" if status else "fault"


def totals(counters: Counters) -> Totals:
    """The counters summed by (stub label, status class)."""
    found: Totals = {}
    for (label, _method, status), cell in list(counters.requests.items()):
        key = (label, status_class(status))
        found[key] = found.get(key, 0) + cell.hits
    return found


def by_class(since_start: Totals) -> dict[str, int]:
    """Exchanges since start by status class alone."""
    found: dict[str, int] = {}
    for (_label, kind), count in since_start.items():
        found[kind] = found.get(kind, 0) + count
    return found


def _errors(status: dict[str, int]) -> int:
    return sum(status.get(kind, 0) for kind in ERROR_CLASSES)


def breakdown(
    now: Totals, before: Totals, cap: int = MAX_ENDPOINTS
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The endpoints that answered between two snapshots, busiest first (``cap`` at
    most: ``{"stub": label, "status": {class: n}, "errors": n}``), and the others summed
    (``{"endpoints": n, "status": ..., "errors": n}``, None when none was folded)."""
    moved: dict[str, dict[str, int]] = {}
    for key, count in now.items():
        step = count - before.get(key, 0)
        if step > 0:
            label, kind = key
            moved.setdefault(label, {})[kind] = step
    ranked = sorted(moved, key=lambda label: (-sum(moved[label].values()), label))
    shown = [
        {"stub": label, "status": moved[label], "errors": _errors(moved[label])}
        for label in ranked[:cap]
    ]
    folded = ranked[cap:]
    if not folded:
        return shown, None
    summed: dict[str, int] = {}
    for label in folded:
        for kind, count in moved[label].items():
            summed[kind] = summed.get(kind, 0) + count
    return shown, {"endpoints": len(folded), "status": summed, "errors": _errors(summed)}
