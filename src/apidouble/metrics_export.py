"""``GET /__admin/metrics``: the server's counts as Prometheus text, built when scraped.

A custom collector reads the plain numbers ``metrics.Counters`` holds, the journal and
the open connections at scrape time, so serving a request never calls
prometheus-client. Each server has its own ``CollectorRegistry`` (never the global
one): two servers in one process report apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from .engine import Engine
from .metrics import BUCKETS, Key
from .model import Request
from .openapi.regexbound import timeouts as timeouts_of_regexes
from .outcome import Outcome, Respond, Response
from .templating.limits import limits_hit

METRICS_PATH = "/__admin/metrics"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""The classic text format (``text/plain; version=0.0.4; charset=utf-8``)."""

_LE = (*(f"{bound:g}" for bound in BUCKETS), "+Inf")


class ServerCollector:
    """One server's metric families, from its engine's counters and journal."""

    def __init__(
        self,
        engine: Engine,
        connections: Callable[[], int],
        refused: Callable[[], Mapping[str, int]] = dict,
    ) -> None:
        self.engine = engine
        self.connections = connections
        self.refused = refused
        """The transport's refusals by reason (``transport.replies.REFUSALS``)."""
        """Evictions counted before the journal's last clear (its own count restarts)."""

    def collect(self) -> Iterator[Metric]:
        counters = self.engine.counters
        totals = {key: cell.hits for key, cell in counters.requests.copy().items()}
        yield _requests(totals)
        served = sum(totals.values())
        general = sum(counters.duration)
        yield _histogram(
            "apidouble_request_duration_seconds",
            "Our own time per exchange: arrival to answer, less any injected delay. "
            "Static stubs served from the express lane count in the lowest bucket.",
            counters.duration,
            counters.duration_sum,
            served - general,
        )
        yield _histogram(
            "apidouble_response_delay_seconds",
            "Latency injected before answering (0 for most stubs: the lowest bucket).",
            counters.delay,
            counters.delay_sum,
            served - sum(counters.delay),
        )
        yield _by_stub(
            "apidouble_failures_injected", "Injected failures, by stub.", counters.failures
        )
        faults = CounterMetricFamily(
            "apidouble_faults",
            "Connection faults carried out, by stub and fault.",
            labels=["stub", "fault"],
        )
        for (stub, fault), value in sorted(counters.faults.copy().items()):
            faults.add_metric([stub, fault], value)
        yield faults
        yield _by_stub(
            "apidouble_rate_limited",
            "Requests refused by a rate limit (the stub's or the server's), by stub.",
            counters.rate_limited,
        )
        drift = CounterMetricFamily(
            "apidouble_openapi_drift",
            "Proxied answers that did not fit their spec operation, by operation.",
            labels=["operation"],
        )
        for operation, value in sorted(counters.drift.copy().items()):
            drift.add_metric([operation], value)
        yield drift
        yield from self._journal()
        yield CounterMetricFamily(
            "apidouble_reloads",
            "Reloads of the config files, failed ones included.",
            value=counters.reloads,
        )
        yield CounterMetricFamily(
            "apidouble_reload_errors",
            "Reloads that failed (the last good config kept serving).",
            value=counters.reload_errors,
        )
        yield GaugeMetricFamily(
            "apidouble_connections_open", "HTTP connections open now.", value=self.connections()
        )
        refusals = CounterMetricFamily(
            "apidouble_refused",
            "Requests and connections the transport refused before any stub saw them, by"
            " reason: malformed (400), timeout (408), body_size (413), head_size (431),"
            " connections (503, the listener at --max-connections).",
            labels=("reason",),
        )
        for reason, count in sorted(self.refused().items()):
            refusals.add_metric((reason,), count)
        yield refusals
        yield GaugeMetricFamily(
            "apidouble_stubs", "Stubs served now.", value=len(self.engine.config.stubs)
        )
        yield from _limits()
        tasks = _tasks()
        if tasks is not None:
            yield GaugeMetricFamily(
                "apidouble_tasks",
                "Event-loop tasks alive now (answers in flight, streams, watchers): flat"
                " under steady load, or something leaks.",
                value=tasks,
            )

    def _journal(self) -> Iterator[Metric]:
        journal = self.engine.journal
        yield GaugeMetricFamily(
            "apidouble_journal_entries", "Entries the journal keeps.", value=len(journal)
        )
        yield GaugeMetricFamily(
            "apidouble_journal_bytes",
            "Memory the journal's entries take, as counted against its budget.",
            value=journal.size_bytes,
        )
        yield CounterMetricFamily(
            "apidouble_journal_evicted",
            "Entries the journal dropped to stay within its limits.",
            value=journal.evicted_total,
        )


PATTERN_LABEL_CHARS = 100
"""A pattern is its own label, cut to this (patterns given up on are config, so few)."""


def _limits() -> Iterator[Metric]:
    """The resource limits' refusals. They are counted per process, not per server (a
    pattern or a template may be shared by servers in one process), so two servers in
    one process show the same numbers here."""
    timeouts = CounterMetricFamily(
        "apidouble_regex_timeouts",
        "Times a matcher, spec or template regex gave up on a value past its time bound"
        " (the value counted as not matching), by pattern; per process.",
        labels=["pattern"],
    )
    by_label: dict[str, int] = {}
    for pattern, count in timeouts_of_regexes().items():
        label = pattern[:PATTERN_LABEL_CHARS]
        by_label[label] = by_label.get(label, 0) + count
    for label, count in sorted(by_label.items()):
        timeouts.add_metric([label], count)
    yield timeouts
    limits = CounterMetricFamily(
        "apidouble_template_limits",
        "Template renders refused by a limit (render_time, render_size), answered with a"
        " 500 template error; per process.",
        labels=["limit"],
    )
    for limit, count in sorted(limits_hit().items()):
        limits.add_metric([limit], count)
    yield limits


def _requests(totals: dict[Key, int]) -> Metric:
    family = CounterMetricFamily(
        "apidouble_requests",
        "Exchanges served and journaled, by stub (empty: unmatched), method and status.",
        labels=["stub", "method", "status"],
    )
    for (stub, method, status), value in sorted(totals.items()):
        if value:
            family.add_metric([stub, method, str(status)], value)
    return family


def _histogram(name: str, help_: str, buckets: list[int], total: float, lowest: int) -> Metric:
    """Cumulative buckets from per-bucket counts, with ``lowest`` more in the first."""
    counts = list(buckets)
    counts[0] += lowest
    running = 0
    cumulative: list[tuple[str, float]] = []
    for le, count in zip(_LE, counts, strict=True):
        running += count
        cumulative.append((le, running))
    return HistogramMetricFamily(name, help_, buckets=cumulative, sum_value=total)


def _by_stub(name: str, help_: str, counts: dict[str, int]) -> Metric:
    family = CounterMetricFamily(name, help_, labels=["stub"])
    for stub, value in sorted(counts.copy().items()):
        family.add_metric([stub], value)
    return family


class MetricsRoute:
    """The control route: a private registry holding one ``ServerCollector``."""

    def __init__(self, collector: ServerCollector) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(collector)

    def text(self) -> bytes:
        return generate_latest(self.registry)

    def __call__(self, request: Request) -> Outcome:
        headers = [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")]
        return Respond(Response.build(200, headers, self.text()))


def _tasks() -> int | None:
    """Tasks of the loop scraping (the serving one); None off any loop."""
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:
        return None
