"""A stub's trouble, compiled once at load time from its config keys.

The config layer checks the shape of ``latency``, the flaky keys, ``fault``,
``rate_limit``, ``cache``, ``cors``, ``dribble`` and ``bandwidth_kbps``; this module
turns them into the decision objects the engine consults per request. ValueErrors name
the key, so the caller can report them with the stub's file and line.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..outcome import Response
from .caching import CachePolicy, ResponseCache
from .cors import CorsPolicy
from .durations import parse_duration
from .faults import FaultSpec
from .flaky import FLAKY_KEYS, FlakyPattern
from .latency import LatencyModel
from .pacing import Step, bandwidth_plan, dribble_plan
from .ratelimit import REFUSAL_KEYS, RateLimiter

Clock = Callable[[], float]


@dataclass(slots=True)
class Trouble:
    """Everything a stub may do besides answering plainly; None where not configured."""

    latency: LatencyModel | None = None
    flaky: FlakyPattern | None = None
    fault: FaultSpec | None = None
    """Without a flaky rule: every request gets this fault. With one: failures do."""
    rate_limit: RateLimiter | None = None
    refusal: Mapping[str, Any] | None = None
    cache: CachePolicy | None = None
    server_cache: ResponseCache[Response] | None = None
    cors: CorsPolicy | None = None
    dribble: tuple[int, float] | None = None
    bandwidth_kbps: float | None = None
    inert: bool = True
    """Nothing configured: the engine skips every check (set by ``compile_trouble``)."""

    def pacing(self, body_len: int) -> tuple[Step, ...]:
        """The slices a body of this size leaves in; empty means all at once."""
        if self.dribble is not None:
            return tuple(dribble_plan(body_len, *self.dribble))
        if self.bandwidth_kbps is not None:
            return tuple(bandwidth_plan(body_len, self.bandwidth_kbps))
        return ()

    def is_inert(self) -> bool:
        """True when nothing is configured (computed once, kept in ``inert``)."""
        return all(
            value is None
            for value in (
                self.latency,
                self.flaky,
                self.fault,
                self.rate_limit,
                self.cache,
                self.server_cache,
                self.cors,
                self.dribble,
                self.bandwidth_kbps,
            )
        )


def compile_trouble(config: Mapping[str, Any], rng: random.Random, clock: Clock) -> Trouble:
    """Build a stub's ``Trouble``; raises ValueError prefixed with the offending key."""
    trouble = Trouble()
    if (latency := config.get("latency")) is not None:
        trouble.latency = _keyed("latency", lambda: LatencyModel.from_config(latency))
    flaky = {key: config[key] for key in FLAKY_KEYS if config.get(key) not in (None, 0)}
    if flaky.keys() - {"per_client"}:
        trouble.flaky = _keyed(
            "failure", lambda: FlakyPattern.from_config(flaky, rng=rng, clock=clock)
        )
    if (fault := config.get("fault")) is not None:
        trouble.fault = _keyed("fault", lambda: FaultSpec.from_config(fault))
    if (limit := config.get("rate_limit")) is not None:
        trouble.rate_limit = _keyed("rate_limit", lambda: RateLimiter.from_config(limit))
        refusal = {key: limit[key] for key in REFUSAL_KEYS if key in limit}
        trouble.refusal = refusal or None
    if (cache := config.get("cache")) is not None:
        _compile_cache(trouble, cache)
    if (cors := config.get("cors")) is not None:
        trouble.cors = _keyed("cors", lambda: CorsPolicy.from_config(cors))
    if (dribble := config.get("dribble")) is not None:
        trouble.dribble = _keyed("dribble", lambda: _dribble(dribble))
    if (kbps := config.get("bandwidth_kbps")) is not None:
        if trouble.dribble is not None:
            raise ValueError("dribble and bandwidth_kbps: choose one way to pace the body")
        if isinstance(kbps, bool) or not isinstance(kbps, int | float) or kbps <= 0:
            raise ValueError(f"bandwidth_kbps must be a number above 0, got {kbps!r}")
        trouble.bandwidth_kbps = float(kbps)
    trouble.inert = trouble.is_inert()
    return trouble


def _compile_cache(trouble: Trouble, cache: Any) -> None:
    if cache is True:
        cache = {}
    if not isinstance(cache, Mapping):
        raise ValueError(f"cache must be true or a mapping, got {cache!r}")
    settings = dict(cache)
    server = settings.pop("server", None)
    if settings or server is None:
        trouble.cache = _keyed("cache", lambda: CachePolicy.build(**settings))
    if server is not None:
        if not isinstance(server, Mapping):
            raise ValueError(f"cache.server must be a mapping, got {server!r}")
        ttl = parse_duration(server.get("ttl", 30), "cache.server.ttl")
        key = server.get("key", ["path", "query"])
        entries = server.get("max_entries", 1000)
        trouble.server_cache = _keyed(
            "cache.server", lambda: ResponseCache[Response](ttl, key, entries)
        )


def _dribble(config: Any) -> tuple[int, float]:
    if not isinstance(config, Mapping) or set(config) - {"chunks", "over_ms"}:
        raise ValueError(f"dribble takes {{chunks, over_ms}}, got {config!r}")
    chunks = config.get("chunks", 10)
    over_ms = config.get("over_ms", 1000)
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise ValueError(f"dribble.chunks must be a whole number >= 1, got {chunks!r}")
    if isinstance(over_ms, bool) or not isinstance(over_ms, int | float) or over_ms < 0:
        raise ValueError(f"dribble.over_ms must be a number >= 0, got {over_ms!r}")
    return chunks, float(over_ms)


def _keyed(key: str, build: Callable[[], Any]) -> Any:
    try:
        return build()
    except (TypeError, ValueError) as exc:
        message = str(exc)
        raise ValueError(message if message.startswith(key) else f"{key}: {message}") from exc
