"""Trouble for one GraphQL operation: an ``operations:`` stub's latency, failure rate,
rate limit and fault, decided each time the stub answers.

``fault`` and ``failure.fault`` take the endpoints' shape (``behaviours.faults``) and
rule: ``fault`` breaks the connection every time the stub answers, or only when it fails
if it has a ``failure_rate``; ``failure.fault`` only when it fails.

The endpoint's own behaviours (``latency_ms``, ``auth``) act on the HTTP exchange, which
may carry a batch; these act on one operation. Built once at load time; a stub without
any has none (``None``), so the service does not consult it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..behaviours.faults import FaultPlan, FaultSpec
from ..behaviours.latency import LatencyModel
from ..behaviours.ratelimit import RateDecision, RateLimiter
from ..model import Request

__all__ = ["DEFAULT_FAILURE", "OperationTrouble", "Verdict"]

DEFAULT_FAILURE: tuple[Mapping[str, Any], ...] = (
    {"message": "simulated failure", "extensions": {"code": "INTERNAL_SERVER_ERROR"}},
)
"""What a failed operation answers when its stub's ``failure`` gives no ``errors``."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What happens to one operation: a wait first, then a failure or a refusal (or
    neither: the stub answers as written); a fault breaks the connection instead."""

    delay_s: float = 0.0
    failed: bool = False
    refused: RateDecision | None = None
    fault: FaultPlan | None = None

    def facts(self) -> dict[str, Any]:
        """What the journal says of it (nothing when the stub answered in time)."""
        facts: dict[str, Any] = {}
        if self.delay_s:
            facts["latency_s"] = round(self.delay_s, 6)
        if self.refused is not None:
            facts["rate_limited"] = True
        elif self.failed:
            facts["failure"] = True
        if self.fault is not None:
            facts["fault"] = self.fault.describe()
        return facts


CALM = Verdict()


@dataclass(frozen=True, slots=True)
class OperationTrouble:
    """One stub's latency, failure rate (with what a failure answers) and rate limit."""

    latency: LatencyModel | None = None
    failure_rate: float = 0.0
    failure_errors: tuple[Mapping[str, Any], ...] = DEFAULT_FAILURE
    failure_status: int | None = None
    """The HTTP status of a failed single operation (None: 200, as GraphQL servers do)."""
    limiter: RateLimiter | None = None
    fault: FaultSpec | None = None
    fault_always: bool = False
    """The fault breaks every answer (``fault`` without a failure rate), not failures only."""

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> OperationTrouble | None:
        """An ``operations:`` entry's trouble keys; None when it has none. A ValueError
        names what is wrong."""
        latency = None
        if (spec := entry.get("latency")) is not None:
            latency = LatencyModel.from_config({k: v for k, v in spec.items() if v is not None})
        elif entry.get("latency_ms") is not None:
            latency = LatencyModel.from_config(entry["latency_ms"])
        rate = float(entry.get("failure_rate") or 0.0)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, got {rate!r}")
        failure: Mapping[str, Any] = entry.get("failure") or {}
        errors: Sequence[Mapping[str, Any]] = failure.get("errors") or DEFAULT_FAILURE
        limiter = None
        if (limit := entry.get("rate_limit")) is not None:
            limiter = RateLimiter.from_config({k: v for k, v in limit.items() if v is not None})
        fault, always = None, False
        if (given := entry.get("fault")) is not None:
            fault, always = FaultSpec.from_config(given), not rate
        elif (given := failure.get("fault")) is not None:
            fault = FaultSpec.from_config(given)
        if latency is None and not rate and limiter is None and fault is None:
            return None
        return cls(
            latency,
            rate,
            tuple(dict(error) for error in errors),
            failure.get("status"),
            limiter,
            fault,
            always,
        )

    def decide(self, request: Request | None, rng: random.Random) -> Verdict:
        """This time's verdict; one draw of ``rng`` per configured random part. Without
        a request (a bare service) the limit counts every caller as one."""
        delay = self.latency.sample(rng) if self.latency is not None else 0.0
        if self.limiter is not None:
            decision = self.limiter.check(request or _NOBODY, time.monotonic())
            if not decision.allowed:
                return Verdict(delay, refused=decision)
        failed = self.failure_rate > 0.0 and rng.random() < self.failure_rate
        fault = None
        if self.fault is not None and (self.fault_always or failed):
            fault = self.fault.plan(rng)
        return Verdict(delay, failed=failed, fault=fault)

    def refusal(self, decision: RateDecision) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
        """A rate-limited operation's body and the HTTP headers that say when to retry."""
        assert self.limiter is not None
        limiter = self.limiter
        wait = round(decision.retry_after_s, 3)
        message = f"rate limit exceeded: {limiter.requests} per {limiter.per_s:g}s"
        error = {"message": message, "extensions": {"code": "RATE_LIMITED", "retryAfter": wait}}
        return {"errors": [error]}, tuple(limiter.headers(decision))

    def failure(self) -> dict[str, Any]:
        """A failed operation's body: no data, the failure's errors."""
        return {"errors": [dict(error) for error in self.failure_errors], "data": None}


_NOBODY = Request("POST", "/", "", ())
