"""Rate limits: at most ``requests`` per ``per`` seconds for each client key.

The window is a *sliding log*: each key keeps the times of its admitted requests in the
last ``per`` seconds (a deque of at most ``requests`` entries), so the limit is exact at
any instant and ``Retry-After`` is exactly when the oldest entry leaves the window. The
two-bucket approximation would use O(1) memory per key but admits bursts of up to twice
the limit across a bucket edge, which a test of client back-off would trip over. Memory
is bounded instead by capping the number of keys (least recently used dropped) so that
keys times ``requests`` stays under ``MAX_TIMESTAMPS``. Refused requests are not logged:
a client that keeps hammering gets back in as soon as the window slides.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Request
from ..state.memory import MAX_TIMESTAMPS, MemorySpace
from ..state.store import StateSpace
from .durations import parse_duration
from .keys import DEFAULT_MAX_KEYS, KeyFunc, compile_key

REFUSAL_KEYS = frozenset({"status", "response", "headers", "content_type"})
"""``rate_limit:`` keys that describe the refusal; the loader turns them into a response."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    """One check's verdict and the numbers the headers and the journal report.

    ``reset_s`` is when a slot next frees (the oldest request leaves the window);
    ``retry_after_s`` is the same wait when refused, 0 when allowed.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_s: float
    retry_after_s: float = 0.0
    key: str = ""
    """The client key the request was counted under."""
    stamp: float = 0.0
    """When it was logged: ``RateLimiter.release`` takes it back with this."""


class RateLimiter:
    """A sliding-log limiter; ``check`` admits (and logs) or refuses one request.

    The logs live in a ``StateSpace`` (given, or a private one), so a reload that keeps
    the stub keeps every client's window.
    """

    __slots__ = ("requests", "per_s", "key", "_key", "_space")

    def __init__(
        self,
        requests: int,
        per_s: float,
        key: str | None = "global",
        *,
        max_keys: int = 0,
        space: StateSpace | None = None,
    ) -> None:
        if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
            raise ValueError(f"rate_limit.requests must be a whole number >= 1, got {requests!r}")
        if not math.isfinite(per_s) or per_s <= 0:
            raise ValueError(f"rate_limit.per must be a duration above 0, got {per_s!r}")
        self.requests = requests
        self.per_s = per_s
        self.key = key or "global"
        self._key: KeyFunc = compile_key(key)
        self._space: StateSpace = (
            space if space is not None else MemorySpace(max_keys or key_bound(requests))
        )

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> RateLimiter:
        """``{requests, per, key}``; refusal keys (status, response…) are left to the loader."""
        if unknown := sorted(config.keys() - {"requests", "per", "key"} - REFUSAL_KEYS):
            raise ValueError(
                f"unknown rate_limit key(s): {', '.join(unknown)} (it takes requests, per, "
                "key, and status/response/headers for the refusal)"
            )
        if "requests" not in config or "per" not in config:
            raise ValueError("rate_limit needs requests and per, e.g. {requests: 10, per: 1s}")
        key = config.get("key", "global")
        if not isinstance(key, str):
            raise ValueError(
                f"rate_limit.key must be a string like 'header:X-Api-Key', got {key!r}"
            )
        requests = config["requests"]
        if isinstance(requests, bool) or not isinstance(requests, int):
            raise ValueError(f"rate_limit.requests must be a whole number >= 1, got {requests!r}")
        return cls(requests, parse_duration(config["per"], "rate_limit.per"), key)

    def bind(self, space: StateSpace) -> RateLimiter:
        """The same limits, keeping their windows in ``space``."""
        return RateLimiter(self.requests, self.per_s, self.key, space=space)

    @property
    def space(self) -> StateSpace:
        """Where the windows are kept."""
        return self._space

    def check(self, request: Request, now: float) -> RateDecision:
        """Admit and log the request if the window has room, else refuse it."""
        key = self._key(request)
        admitted, used, frees_at = self._space.admit(key, now, self.requests, self.per_s)
        wait = frees_at - now
        if admitted:
            return RateDecision(True, self.requests, self.requests - used, wait, 0.0, key, now)
        return RateDecision(False, self.requests, 0, wait, wait, key)

    def release(self, decision: RateDecision) -> None:
        """Take back an admission (a narrower limit refused the request after all), so
        refused requests never use up an allowance."""
        if decision.allowed:
            self._space.release(decision.key, decision.stamp)

    def headers(self, decision: RateDecision) -> list[tuple[str, str]]:
        """``RateLimit-Limit/Remaining/Reset`` (whole seconds, rounded up) and, when
        refused, ``Retry-After``: the IETF draft fields plus the classic one."""
        reset = str(_whole(decision.reset_s))
        found = [
            ("RateLimit-Limit", str(decision.limit)),
            ("RateLimit-Remaining", str(decision.remaining)),
            ("RateLimit-Reset", reset),
        ]
        if not decision.allowed:
            found.append(("Retry-After", str(_whole(decision.retry_after_s))))
        return found

    def reset(self) -> None:
        """Forget every client's history (a reset from the admin API)."""
        self._space.clear()


def key_bound(requests: int) -> int:
    """How many client keys a limiter of ``requests`` per window may remember, so that
    keys times requests stays under ``MAX_TIMESTAMPS``."""
    return max(1, min(DEFAULT_MAX_KEYS, MAX_TIMESTAMPS // requests))


def default_body(decision: RateDecision) -> dict[str, Any]:
    """The JSON body of a 429 when the config gives none."""
    return {
        "error": "rate limit exceeded",
        "status": 429,
        "limit": decision.limit,
        "retry_after_s": _whole(decision.retry_after_s),
    }


def default_body_bytes(decision: RateDecision) -> bytes:
    """``default_body`` encoded, ready for ``Response.build``."""
    return json.dumps(default_body(decision), separators=(",", ":")).encode()


def _whole(seconds: float) -> int:
    """Seconds for a header: rounded up (never early), at least 1 when something waits."""
    return max(1, math.ceil(seconds - 1e-9)) if seconds > 0 else 0
