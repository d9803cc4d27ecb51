"""A stub's behaviours as typed, validated specs: built once at load time, no state.

The loader turns an endpoint's behaviour keys into one ``Behaviours`` (raising a
ValueError that names the key), and that object rides on the ``Stub``. Compiling a
stub binds each spec to its state (``behaviours.trouble``), so nothing is validated
twice and a reload can rebind unchanged specs to the state they had.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .caching import CachePolicy, ResponseCache, compile_cache_key
from .cors import CorsPolicy
from .durations import parse_duration
from .faults import FaultSpec
from .flaky import FLAKY_KEYS, FlakySpec
from .pacing import Step, bandwidth_plan, dribble_plan
from .ratelimit import REFUSAL_KEYS, RateLimiter

FaultWhen = Literal["always", "failure"]


@dataclass(frozen=True, slots=True)
class RateLimitSpec:
    """``rate_limit:``: the limit, and how a refusal answers (None: the default 429)."""

    requests: int
    per_s: float
    key: str = "global"
    refusal: Mapping[str, Any] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RateLimitSpec:
        limiter = RateLimiter.from_config(config)
        refusal = {key: config[key] for key in REFUSAL_KEYS if key in config}
        return cls(limiter.requests, limiter.per_s, limiter.key, refusal or None)

    def limiter(self, space: Any = None) -> RateLimiter:
        """A limiter keeping its windows in ``space`` (a private one when None)."""
        return RateLimiter(self.requests, self.per_s, self.key, space=space)

    @property
    def state_key(self) -> str:
        """What the windows depend on: a changed refusal keeps them, a changed limit not."""
        return f"{self.requests}/{self.per_s}/{self.key}"


@dataclass(frozen=True, slots=True)
class ServerCacheSpec:
    """``cache: {server: ...}``: rendered responses kept for ``ttl_s`` under a request key."""

    ttl_s: float
    key: tuple[str, ...] = ("path", "query")
    max_entries: int = 1000

    def cache(self, space: Any = None) -> ResponseCache[Any]:
        return ResponseCache(self.ttl_s, self.key, self.max_entries, space=space)


@dataclass(frozen=True, slots=True)
class Pacing:
    """A slow body: ``dribble`` (chunks, over_ms) or a ``bandwidth_kbps`` cap."""

    dribble: tuple[int, float] | None = None
    bandwidth_kbps: float | None = None

    def plan(self, body_len: int) -> tuple[Step, ...]:
        """The slices a body of this size leaves in; empty means all at once."""
        if self.dribble is not None:
            return tuple(dribble_plan(body_len, *self.dribble))
        if self.bandwidth_kbps is not None:
            return tuple(bandwidth_plan(body_len, self.bandwidth_kbps))
        return ()


@dataclass(frozen=True, slots=True)
class Behaviours:
    """Everything a stub may do besides answering plainly; None where not configured.

    ``scenario`` and ``auth`` are reserved for the state and auth capabilities;
    ``metadata`` is free-form (WireMock's ``metadata``); ``config`` keeps the settings as
    the user gave them, so a stub serialises back to config unchanged.
    """

    flaky: FlakySpec | None = None
    fault: FaultSpec | None = None
    fault_when: FaultWhen = "always"
    """``always``: every request faults (failures only, when a flaky rule exists);
    ``failure``: only requests a flaky rule or ``failure_rate`` fails (``failure.fault``)."""
    rate_limit: RateLimitSpec | None = None
    cache: CachePolicy | None = None
    server_cache: ServerCacheSpec | None = None
    cors: CorsPolicy | None = None
    pacing: Pacing | None = None
    scenario: Any = None
    auth: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inert(self) -> bool:
        """Nothing configured that the engine must consult per request."""
        return (
            self.flaky is None
            and self.fault is None
            and self.rate_limit is None
            and self.cache is None
            and self.server_cache is None
            and self.cors is None
            and self.pacing is None
        )


NO_BEHAVIOURS = Behaviours()

BEHAVIOUR_KEYS = frozenset(
    {*FLAKY_KEYS, "fault", "failure_fault", "rate_limit", "cache", "cors", "dribble"}
    | {"bandwidth_kbps", "metadata"}
)
"""The config keys ``build_behaviours`` reads (``failure_fault`` is ``failure.fault``)."""


def build_behaviours(config: Mapping[str, Any]) -> Behaviours:
    """Validate an endpoint's behaviour keys into ``Behaviours``; a ValueError names the key.

    ``failure_rate`` is read for the flaky rule (a stub also carries it on its own); a
    ``fault`` given under ``failure`` arrives as ``failure_fault`` and faults failures only.
    """
    if unknown := sorted(config.keys() - BEHAVIOUR_KEYS):
        raise ValueError(f"unknown behaviour key(s): {', '.join(unknown)}")
    flaky_keys = {key: config[key] for key in FLAKY_KEYS if config.get(key) not in (None, 0)}
    flaky = _keyed("failure", lambda: FlakySpec.from_config(flaky_keys)) if flaky_keys else None
    if flaky is not None and not flaky.active and flaky.per_client is None:
        flaky = None
    fault: FaultSpec | None = None
    when: FaultWhen = "always"
    if (always := config.get("fault")) is not None:
        fault = _keyed("fault", lambda: FaultSpec.from_config(always))
    elif (on_failure := config.get("failure_fault")) is not None:
        fault, when = _keyed("failure", lambda: FaultSpec.from_config(on_failure)), "failure"
    rate = None
    if (limit := config.get("rate_limit")) is not None:
        rate = _keyed("rate_limit", lambda: RateLimitSpec.from_config(limit))
    cache, server_cache = None, None
    if (settings := config.get("cache")) is not None:
        cache, server_cache = _cache(settings)
    cors = None
    if (policy := config.get("cors")) is not None:
        cors = _keyed("cors", lambda: CorsPolicy.from_config(policy))
    return Behaviours(
        flaky=flaky,
        fault=fault,
        fault_when=when,
        rate_limit=rate,
        cache=cache,
        server_cache=server_cache,
        cors=cors,
        pacing=_pacing(config.get("dribble"), config.get("bandwidth_kbps")),
        metadata=dict(config.get("metadata") or {}),
        config=dict(config),
    )


def fingerprint(*parts: object) -> str:
    """A short, stable digest of settings, to name the state they own."""
    text = "\x1f".join(repr(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def space_name(owner: str, kind: str, *depends: object) -> str:
    """The state-store space of one behaviour of ``owner`` (a stub id, or ``server``):
    the same name exactly when the settings the state depends on are the same."""
    return f"{owner}/{kind}/{fingerprint(*depends)}"


def _cache(settings: Any) -> tuple[CachePolicy | None, ServerCacheSpec | None]:
    if settings is True:
        settings = {}
    if not isinstance(settings, Mapping):
        raise ValueError(f"cache must be true or a mapping, got {settings!r}")
    client = dict(settings)
    server = client.pop("server", None)
    policy = None
    if client or server is None:
        policy = _keyed("cache", lambda: CachePolicy.build(**client))
    spec = None
    if server is not None:
        if not isinstance(server, Mapping):
            raise ValueError(f"cache.server must be a mapping, got {server!r}")
        ttl = parse_duration(server.get("ttl", 30), "cache.server.ttl")
        key = tuple(server.get("key", ["path", "query"]))
        entries = server.get("max_entries", 1000)
        spec = _keyed("cache.server", lambda: _server_cache(ttl, key, entries))
    return policy, spec


def _server_cache(ttl: float, key: tuple[str, ...], entries: Any) -> ServerCacheSpec:
    if ttl <= 0 or isinstance(entries, bool) or not isinstance(entries, int) or entries < 1:
        raise ValueError("cache.server needs ttl > 0 and max_entries >= 1")
    compile_cache_key(key)
    return ServerCacheSpec(ttl, key, entries)


def _pacing(dribble: Any, kbps: Any) -> Pacing | None:
    if dribble is not None and kbps is not None:
        raise ValueError("dribble and bandwidth_kbps: choose one way to pace the body")
    if dribble is not None:
        return Pacing(dribble=_keyed("dribble", lambda: _dribble(dribble)))
    if kbps is not None:
        if isinstance(kbps, bool) or not isinstance(kbps, int | float) or kbps <= 0:
            raise ValueError(f"bandwidth_kbps must be a number above 0, got {kbps!r}")
        return Pacing(bandwidth_kbps=float(kbps))
    return None


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
