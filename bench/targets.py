"""The targets ``make bench ARGS=--check`` holds apidouble to, as pure functions.

``evaluate(figures)`` takes what one run measured (medians, same run) and returns one
``Verdict`` per target: PASS, FAIL, or N/A when the figure is missing or was measured
too small to tell (fewer connections, stubs or requests than the target names).
``exit_code`` is 0 only when every target passes: a target not measured is not met.
``table`` renders the verdicts with the rates and ratios behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

STATIC_VS_NGINX = 0.5
STATIC_VS_BARE = 0.6
P99_VS_NGINX = 1.5
CONDITIONS_VS_NGINX = 0.4
TEMPLATED_VS_NGINX = 0.25
NOTFOUND_VS_NGINX = 0.1
FLOOD_KEEPS = 0.5
RSS_MB = 150.0
MEMORY_REQUESTS = 1_000_000
IDLE_CONNECTIONS = 10_000
IDLE_KB = 8.0
"""The bound on what one idle keep-alive connection costs the server: 10,000 in 80 MB
(measured 4.2 KB on 2026-12-01)."""
IDLE_KEEPS = 0.8
LOAD_STUBS = 10_000
LOAD_S = 3.0
RELOAD_S = 0.5
JWT_VS_STATIC = 0.8
"""A static stub that demands a bearer JWT keeps this share of the open one's rate (the
open one requested with the same token, so the ratio is the check's cost alone)."""

PASS, FAIL, NA = "PASS", "FAIL", "N/A"


@dataclass
class Figures:
    """What one ``--check`` run measured; None where it was not measured."""

    nginx_rps: float | None = None
    nginx_p99_ms: float | None = None
    bare_rps: float | None = None
    bare_p99_ms: float | None = None
    static_rps: float | None = None
    static_p99_ms: float | None = None
    wiremock_rps: float | None = None
    """The same static stub, served from a WireMock root (a mapping with ``url``)."""
    wiremock_p99_ms: float | None = None
    conditions_rps: float | None = None
    conditions_p99_ms: float | None = None
    templated_rps: float | None = None
    templated_p99_ms: float | None = None
    notfound_rps: float | None = None
    notfound_p99_ms: float | None = None
    flood_quiet_rps: float | None = None
    """The static stub on the 1,000-stub server, alone, just before the flood."""
    flood_rps: float | None = None
    flood_p99_ms: float | None = None
    memory_rss_mb: float | None = None
    memory_requests: int | None = None
    idle_wanted: int | None = None
    idle_held: int | None = None
    idle_kb: float | None = None
    """Server RSS growth per connection when they opened, in KB (1,024 bytes)."""
    idle_quiet_rps: float | None = None
    idle_rps: float | None = None
    idle_p99_ms: float | None = None
    addon_rps: float | None = None
    """A static stub with one trivial ``response`` hook (reported, no target)."""
    addon_p99_ms: float | None = None
    jwt_rps: float | None = None
    """The same static stub behind ``auth: {jwt: ...}``, with a valid token every request."""
    jwt_p99_ms: float | None = None
    jwt_open_rps: float | None = None
    """The open static stub, requested with the same Authorization header."""
    jwt_open_p99_ms: float | None = None
    load_stubs: int | None = None
    load_s: float | None = None
    reload_s: float | None = None


@dataclass(frozen=True)
class Verdict:
    scenario: str
    target: str
    status: str
    value: str
    """What was measured against the target, for the table."""
    rps: float | None = None
    p99_ms: float | None = None


def _status(ok: bool) -> str:
    return PASS if ok else FAIL


def _ratio(
    scenario: str,
    rps: float | None,
    p99: float | None,
    reference: float | None,
    floor: float,
    against: str,
) -> Verdict:
    target = f"≥ {floor:g} × {against}"
    if rps is None or not reference:
        return Verdict(scenario, target, NA, "not measured", rps, p99)
    ratio = rps / reference
    return Verdict(scenario, target, _status(ratio >= floor), f"{ratio:.2f}×", rps, p99)


def _at_most(
    scenario: str, target: str, value: float | None, limit: float, unit: str, enough: bool
) -> Verdict:
    if value is None:
        return Verdict(scenario, target, NA, "not measured")
    shown = f"{value:,.2f} {unit}"
    verdict = Verdict(scenario, target, _status(value <= limit), shown)
    return verdict if enough else _too_small(verdict)


def _too_small(verdict: Verdict) -> Verdict:
    """A measured verdict downgraded to N/A: the run was smaller than the target names."""
    if verdict.status == NA:
        return verdict
    return replace(verdict, status=NA, value=f"{verdict.value} (measured too small to tell)")


def evaluate(f: Figures) -> dict[str, Verdict]:
    """One verdict per target (the speed issue's, and the auth issue's JWT-protected stub),
    by a short name, in the order of the table."""
    made = {
        "static/nginx": _ratio(
            "static stub", f.static_rps, f.static_p99_ms, f.nginx_rps, STATIC_VS_NGINX, "nginx"
        ),
        "static/bare": _ratio(
            "static stub", f.static_rps, f.static_p99_ms, f.bare_rps, STATIC_VS_BARE, "bare"
        ),
    }
    p99_target = f"p99 ≤ {P99_VS_NGINX:g} × nginx p99"
    if f.static_p99_ms is None or f.nginx_p99_ms is None:
        made["static/p99"] = Verdict("static stub", p99_target, NA, "not measured")
    else:
        limit = P99_VS_NGINX * f.nginx_p99_ms
        made["static/p99"] = Verdict(
            "static stub",
            p99_target,
            _status(f.static_p99_ms <= limit),
            f"{f.static_p99_ms:.2f} ms vs {limit:.2f} ms",
            f.static_rps,
            f.static_p99_ms,
        )
    made["wiremock/bare"] = _ratio(
        "static stub, WireMock mapping",
        f.wiremock_rps,
        f.wiremock_p99_ms,
        f.bare_rps,
        STATIC_VS_BARE,
        "bare",
    )
    made["conditions"] = _ratio(
        "header + query condition",
        f.conditions_rps,
        f.conditions_p99_ms,
        f.nginx_rps,
        CONDITIONS_VS_NGINX,
        "nginx",
    )
    made["templated"] = _ratio(
        "templated ~2 KB",
        f.templated_rps,
        f.templated_p99_ms,
        f.nginx_rps,
        TEMPLATED_VS_NGINX,
        "nginx",
    )
    made["jwt"] = _ratio(
        "JWT-protected static stub",
        f.jwt_rps,
        f.jwt_p99_ms,
        f.jwt_open_rps,
        JWT_VS_STATIC,
        "the open one, same request",
    )
    made["notfound"] = _ratio(
        "404 at 1,000 stubs",
        f.notfound_rps,
        f.notfound_p99_ms,
        f.nginx_rps,
        NOTFOUND_VS_NGINX,
        "nginx",
    )
    made["flood"] = _ratio(
        "static beside a 404 flood",
        f.flood_rps,
        f.flood_p99_ms,
        f.flood_quiet_rps,
        FLOOD_KEEPS,
        "its quiet rate",
    )
    requests = f.memory_requests or 0
    over = f.memory_rss_mb is not None and f.memory_rss_mb > RSS_MB
    rss = _at_most(
        "memory, journal on",
        f"RSS ≤ {RSS_MB:g} MB after 1 M requests",
        f.memory_rss_mb,
        RSS_MB,
        "MB",
        requests >= MEMORY_REQUESTS or over,  # over budget early is over budget
    )
    made["memory"] = replace(rss, value=f"{rss.value} after {requests:,} requests")
    made.update(_idle(f))
    enough_stubs = (f.load_stubs or 0) >= LOAD_STUBS
    made["load"] = _at_most(
        "load time",
        f"{LOAD_STUBS:,} stubs serving ≤ {LOAD_S:g} s",
        f.load_s,
        LOAD_S,
        "s",
        enough_stubs,
    )
    made["reload"] = _at_most(
        "hot reload",
        f"one file edited, served ≤ {RELOAD_S:g} s",
        f.reload_s,
        RELOAD_S,
        "s",
        enough_stubs,
    )
    return made


def _idle(f: Figures) -> dict[str, Verdict]:
    scenario = "idle keep-alive connections"
    wanted = f.idle_wanted or 0
    enough = wanted >= IDLE_CONNECTIONS
    held_target = f"{IDLE_CONNECTIONS:,} held"
    if f.idle_held is None:
        held = Verdict(scenario, held_target, NA, "not measured")
    else:
        lost = f.idle_held < wanted  # a connection dropped is a failure at any count
        held = Verdict(scenario, held_target, _status(not lost), f"{f.idle_held:,} of {wanted:,}")
        if not lost and not enough:
            held = _too_small(held)
    cost = _at_most(scenario, f"≤ {IDLE_KB:g} KB per connection", f.idle_kb, IDLE_KB, "KB", enough)
    keeps = _ratio(
        scenario, f.idle_rps, f.idle_p99_ms, f.idle_quiet_rps, IDLE_KEEPS, "neighbour's quiet rate"
    )
    return {
        "idle/held": held,
        "idle/cost": cost,
        "idle/neighbour": keeps if enough else _too_small(keeps),
    }


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """0 when every target passes, else 1."""
    statuses = [verdict.status for verdict in verdicts]
    return 0 if statuses and all(status == PASS for status in statuses) else 1


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _times(value: float | None, reference: float | None) -> str:
    return "—" if value is None or not reference else f"{value / reference:.2f}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} ms"


def table(figures: Figures, verdicts: Sequence[Verdict]) -> str:
    """A Markdown table: the two references, then one row per target."""
    nginx, bare = figures.nginx_rps, figures.bare_rps
    lines = [
        "| scenario | req/s | × nginx | × bare | p99 | target | result |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name, rps, p99 in (
        ("nginx, 1 worker (reference)", nginx, figures.nginx_p99_ms),
        ("bare server (reference)", bare, figures.bare_p99_ms),
    ):
        lines.append(
            f"| {name} | {_rate(rps)} | {_times(rps, nginx)} | {_times(rps, bare)} "
            f"| {_ms(p99)} | — | — |"
        )
    for v in verdicts:
        lines.append(
            f"| {v.scenario} | {_rate(v.rps)} | {_times(v.rps, nginx)} | {_times(v.rps, bare)} "
            f"| {_ms(v.p99_ms)} | {v.target} | **{v.status}** {v.value} |"
        )
    if figures.addon_rps is not None:
        rps, static = figures.addon_rps, figures.static_rps
        cost = f"{rps / static:.2f} × the static stub" if static else "—"
        lines.append(
            f"| static stub + one trivial `response` hook | {_rate(rps)} | {_times(rps, nginx)} "
            f"| {_times(rps, bare)} | {_ms(figures.addon_p99_ms)} | reported | {cost} |"
        )
    if figures.jwt_open_rps is not None:
        rps = figures.jwt_open_rps
        lines.append(
            f"| static stub, open, with the same bearer header | {_rate(rps)} "
            f"| {_times(rps, nginx)} | {_times(rps, bare)} | {_ms(figures.jwt_open_p99_ms)} "
            "| reference of the JWT row | — |"
        )
    return "\n".join(lines)
