"""The record of the trouble decided for one request, for the journal and a debug header.

The engine fills a ``Decision`` as it decides (latency, failure, fault, rate limit,
cache) and keeps it on the ``ServeEvent``. ``as_dict`` is what the journal stores;
``header_value`` is the compact ``X-Apidouble-Decision`` sent when ``debug_headers`` is
on, so a client log alone explains (and with ``--seed``, replays) what happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from .faults import FaultPlan
from .ratelimit import RateDecision

DECISION_HEADER = "X-Apidouble-Decision"

CacheState = Literal["hit", "miss", "not_modified"]
_UNSAFE = re.compile(r"[^\x21-\x7e]|[;=,]")


@dataclass(slots=True)
class Decision:
    """What was decided for one request; None means "not applicable", not "no"."""

    latency_s: float | None = None
    failure: str | None = None
    """Why the stub answered with its failure: ``fail_first``, ``outage``, ``failure_rate``…"""
    fault: FaultPlan | None = None
    rate_limit: RateDecision | None = None
    cache: CacheState | None = None
    pacing_s: float | None = None
    """How long a dribbled or bandwidth-capped body takes to send."""
    auth: dict[str, Any] | None = None
    """Who the stub's ``auth`` admitted (``Admission.as_dict``); for the journal only."""
    graphql: list[dict[str, Any]] | None = None
    """A GraphQL endpoint's operations: name, variables, the stub that answered."""
    llm: dict[str, Any] | None = None
    """An LLM preset's exchange: the conversation read, the rule that answered, usage."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, only what was decided (the journal keeps it per exchange)."""
        found: dict[str, Any] = {}
        if self.latency_s is not None:
            found["latency_ms"] = round(self.latency_s * 1000.0, 3)
        if self.failure is not None:
            found["failure"] = self.failure
        if self.fault is not None:
            found["fault"] = self.fault.name
            if self.fault.hold_s:
                found["fault_hold_s"] = self.fault.hold_s
            if self.fault.data:
                found["fault_bytes"] = len(self.fault.data)
        if self.rate_limit is not None:
            rate = self.rate_limit
            found["rate_limit"] = {
                "allowed": rate.allowed,
                "limit": rate.limit,
                "remaining": rate.remaining,
                "reset_s": round(rate.reset_s, 3),
            }
        if self.cache is not None:
            found["cache"] = self.cache
        if self.pacing_s is not None:
            found["pacing_ms"] = round(self.pacing_s * 1000.0, 3)
        if self.auth is not None:
            found["auth"] = self.auth
        if self.graphql is not None:
            found["graphql"] = self.graphql
        if self.llm is not None:
            found["llm"] = self.llm
        return found

    def header_value(self) -> str:
        """``latency_ms=123.4; failure=outage; rate=0/10; cache=hit`` (ASCII, one line)."""
        parts: list[str] = []
        if self.latency_s is not None:
            parts.append(f"latency_ms={self.latency_s * 1000.0:.1f}")
        if self.failure is not None:
            parts.append(f"failure={_token(self.failure)}")
        if self.fault is not None:
            parts.append(f"fault={_token(self.fault.describe())}")
        if self.rate_limit is not None:
            rate = self.rate_limit
            verdict = "" if rate.allowed else " refused"
            parts.append(f"rate={rate.remaining}/{rate.limit}{verdict}".replace(" ", "-"))
        if self.cache is not None:
            parts.append(f"cache={self.cache}")
        if self.pacing_s is not None:
            parts.append(f"pacing_ms={self.pacing_s * 1000.0:.1f}")
        return "; ".join(parts) or "none"


def _token(text: str) -> str:
    """Keep a value header-safe and unambiguous: no spaces, separators or control bytes."""
    return _UNSAFE.sub("_", text)
