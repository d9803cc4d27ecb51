"""Config models of behaviours ("trouble"): latency, outages, pacing, caching, CORS,
rate limits and scenarios.

They check shape only; the behaviours' own ``from_config`` checks the semantics when the
endpoint converts, so each rule lives in one place.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from apidouble.config.fields import ConfigModel, Duration


class LatencyConfig(BaseModel):
    """A delay distribution; its parameters are checked when the config compiles."""

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["fixed", "uniform", "normal", "lognormal"] | None = Field(
        None, description="How to sample; inferred from the keys when omitted."
    )
    ms: float | None = Field(None, ge=0, description="fixed: the delay in milliseconds.")
    min_ms: float | None = Field(None, ge=0, description="uniform: the shortest delay.")
    max_ms: float | None = Field(None, ge=0, description="uniform: longest; others: a cap.")
    mean_ms: float | None = Field(None, ge=0, description="normal: the mean delay.")
    stddev_ms: float | None = Field(None, ge=0, description="normal: the standard deviation.")
    median_ms: float | None = Field(None, ge=0, description="lognormal: the median delay.")
    sigma: float | None = Field(None, ge=0, description="lognormal: the spread (log space).")
    p50_ms: float | None = Field(None, ge=0, description="Target median (fits a lognormal).")
    p95_ms: float | None = Field(None, ge=0, description="Target 95th percentile.")
    p99_ms: float | None = Field(None, ge=0, description="Target 99th percentile.")


class Outage(ConfigModel):
    """A recurring outage: down for ``for`` at the start of every ``every``."""

    every: Duration = Field(description="The period, e.g. 60s, or seconds.")
    for_: Duration = Field(alias="for", description="How long each outage lasts, e.g. 10s.")


class Dribble(ConfigModel):
    """Send the body in ``chunks`` pieces spread over ``over_ms``."""

    chunks: int = Field(10, ge=1, description="How many pieces.")
    over_ms: float = Field(1000, ge=0, description="Time from the first piece to the last.")


class CacheServer(ConfigModel):
    """A server-side cache of rendered responses."""

    key: list[str] = Field(
        default_factory=lambda: ["path", "query"],
        description="Key parts: method, path, query, body, header:NAME.",
    )
    ttl: Duration = Field("30s", description="How long an entry lives, e.g. 30s, or seconds.")
    max_entries: int = Field(1000, ge=1, description="Most entries kept (LRU).")


class Cache(ConfigModel):
    """HTTP caching: validators, 304s, Cache-Control and Vary."""

    etag: bool = Field(True, description="Send a strong ETag computed from the body.")
    max_age: int | None = Field(None, ge=0, description="Cache-Control max-age (0: no-cache).")
    last_modified: str | None = Field(None, description="Last-Modified date (ISO or HTTP).")
    vary: list[str] = Field(default_factory=list, description="Vary header names.")
    private: bool = Field(False, description="Cache-Control: private.")
    server: CacheServer | None = Field(None, description="Cache rendered responses server-side.")


class Cors(ConfigModel):
    """A CORS policy; ``cors: true`` allows every origin without credentials."""

    origins: list[str] | str = Field("*", description='Allowed origins ("*", or patterns).')
    methods: list[str] | None = Field(None, description="Allowed methods (default: stubbed).")
    headers: list[str] | None = Field(None, description="Allowed request headers (default: any).")
    expose_headers: list[str] = Field(default_factory=list, description="Exposed headers.")
    credentials: bool = Field(False, description="Allow credentials (reflects the Origin).")
    max_age: int | None = Field(None, ge=0, description="Preflight cache time in seconds.")


class RateLimit(ConfigModel):
    """Answer 429 with Retry-After and RateLimit-* past ``requests`` per ``per``."""

    requests: int = Field(gt=0, description="How many requests are allowed per window.")
    per: Duration = Field(description="The window, e.g. 1s, 500ms, 1m, or seconds.")
    key: str = Field(
        "ip", description='What is counted: "ip", "header:NAME", "query:NAME", "global".'
    )
    status: int = Field(429, ge=100, le=599, description="Status of the refusal.")
    response: Any = Field(None, description="Body of the refusal (default: a JSON error).")
    headers: dict[str, str] = Field(default_factory=dict, description="Refusal headers.")
    content_type: str | None = Field(None, description="Content type of the refusal body.")


class Scenario(ConfigModel):
    """A state machine shared by stubs: match only in state ``when``, then move to ``then``."""

    name: str = Field(description="The scenario's name.")
    when: str | None = Field(None, description="Required state (initially Started).")
    then: str | None = Field(None, description="State to move to after answering.")
