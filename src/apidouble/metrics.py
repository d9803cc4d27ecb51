"""What the server counts per exchange, kept as plain Python numbers.

Serving a request must not pay for metrics: the engine's ``served`` adds one to the
exchange's ``Cell`` (one dict lookup) and to a list of histogram buckets, the express
lane adds one to its route's cell, and nothing else happens until someone scrapes
``/__admin/metrics`` (``metrics_export`` turns these numbers into Prometheus families
then). One ``Counters`` lives as long as its engine, across every installed config:
counts reset when the process restarts, never on a reload or a journal clear
(Prometheus counter semantics).

Requests are counted by (stub label, method, status); the label is the journal's
``stub`` (the stub's name, or its method and path), ``""`` for unmatched requests.
"""

from __future__ import annotations

from typing import Any

BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Upper bounds (seconds) of both histograms, fixed for the process. ``bisect_left``
into this tuple gives an observation's bucket (``len(BUCKETS)`` is +Inf)."""

Key = tuple[str, str, int]
"""(stub label, method, status)."""


class Cell:
    """The count of one (stub label, method, status). Express routes hold theirs: routes
    are rebuilt on every install, and the new route counts on where the old one stopped
    (a request still served from the old table counts in the same cell)."""

    __slots__ = ("hits",)

    def __init__(self) -> None:
        self.hits = 0


class Counters:
    """Every per-exchange count of one engine, plus the reloads of its runtime.

    Written by the event loop's thread (``cell`` may also run on a thread that installs
    a config); readers copy a dict before walking it.
    """

    __slots__ = (
        "requests",
        "duration",
        "duration_sum",
        "delay",
        "delay_sum",
        "failures",
        "faults",
        "rate_limited",
        "drift",
        "reloads",
        "reload_errors",
    )

    def __init__(self) -> None:
        self.requests: dict[Key, Cell] = {}
        """Every exchange, the general path's and the express lane's."""
        self.duration = [0] * (len(BUCKETS) + 1)
        """General-path exchanges per ``elapsed_s`` bucket (not cumulative); the express
        lane's are the rest of ``requests``, all in the lowest bucket."""
        self.duration_sum = 0.0
        self.delay = [0] * (len(BUCKETS) + 1)
        """Exchanges served with a delay, per bucket. Undelayed ones are not observed
        here: the collector puts every other exchange in the lowest bucket."""
        self.delay_sum = 0.0
        self.failures: dict[str, int] = {}
        self.faults: dict[tuple[str, str], int] = {}
        self.rate_limited: dict[str, int] = {}
        self.drift: dict[str, int] = {}
        """Proxied answers that departed from their spec operation (``--validate-responses``),
        by operation."""
        self.reloads = 0
        """Reloads attempted (by request or on a file change), failed ones included."""
        self.reload_errors = 0

    def cell(self, key: Key) -> Cell:
        """The count for ``key``, made on first use (by routes at load time, possibly on
        another thread: ``setdefault`` keeps one cell per key)."""
        cell = self.requests.get(key)
        if cell is None:
            cell = self.requests.setdefault(key, Cell())
        return cell

    def trouble(self, label: str, decision: dict[str, Any]) -> None:
        """Count what a non-empty decision says went wrong for stub ``label``: an injected
        failure, a fault, a refusal by a rate limit (the journal's ``decision`` keys)."""
        if "failure" in decision:
            self.failures[label] = self.failures.get(label, 0) + 1
        fault = decision.get("fault")
        if fault is not None:
            key = (label, str(fault))
            self.faults[key] = self.faults.get(key, 0) + 1
        rate = decision.get("rate_limit")
        if rate is not None and not rate.get("allowed", True):
            self.rate_limited[label] = self.rate_limited.get(label, 0) + 1
        drift = decision.get("drift")
        if drift is not None:
            operation = str(drift.get("operation", ""))
            self.drift[operation] = self.drift.get(operation, 0) + 1

    def reloaded(self, failed: bool) -> None:
        """One reload finished (the reloader's report)."""
        self.reloads += 1
        if failed:
            self.reload_errors += 1
