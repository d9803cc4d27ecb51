"""Flaky patterns: when a stub fails on purpose, by count, by clock or by chance.

``fail_first: N`` fails a client's first N requests, then succeeds (a retry loop gets
through); ``fail_every: K`` fails every K-th request; ``outage: {every: 60s, for: 10s}``
fails everything for ``for`` at the start of each period after the first (so a server
starts healthy, goes down at 60s until 70s, at 120s until 130s…); ``failure_rate`` fails
at random. Several may be combined: a request fails when any of them says so, the
deterministic ones asked first so the RNG is drawn only when they all pass.

``per_client: "header:X" | "ip" | "query:NAME"`` gives every client its own counters and
its own outage clock (started at its first request); without it, all clients share one
pattern whose outage clock starts at the stub's first request. Client state lives in a
bounded ``StateSpace``, so memory stays bounded however many clients there are, and a
reload that keeps the stub keeps the state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from ..model import Request
from ..state.memory import MemorySpace
from ..state.store import StateSpace
from .durations import parse_duration
from .keys import DEFAULT_MAX_KEYS, KeyFunc, compile_key

FLAKY_KEYS = frozenset({"fail_first", "fail_every", "outage", "failure_rate", "per_client"})
"""The endpoint keys a ``FlakyPattern`` is built from (the loader picks these out)."""


@dataclass(frozen=True, slots=True)
class Outage:
    """Down for ``for_s`` seconds at the start of every ``every_s`` period but the first."""

    every_s: float
    for_s: float

    def active(self, elapsed_s: float) -> bool:
        """Whether ``elapsed_s`` seconds after the origin falls inside an outage."""
        if elapsed_s < self.every_s:
            return False
        return math.fmod(elapsed_s, self.every_s) < self.for_s


@dataclass(frozen=True, slots=True)
class FlakySpec:
    """The validated flaky rules of a stub: plain settings, no state."""

    fail_first: int = 0
    fail_every: int = 0
    outage: Outage | None = None
    failure_rate: float = 0.0
    per_client: str | None = None

    def __post_init__(self) -> None:
        if self.fail_first < 0 or self.fail_every < 0:
            raise ValueError("fail_first and fail_every must be >= 0")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, got {self.failure_rate}")

    @property
    def active(self) -> bool:
        """Whether any rule can fail a request (``per_client`` alone fails nothing)."""
        return bool(self.fail_first or self.fail_every or self.outage or self.failure_rate)

    @property
    def counted(self) -> bool:
        """Whether the rules depend on what came before (a count or an outage clock); a
        plain ``failure_rate`` does not, so it never touches the state store."""
        return bool(self.fail_first or self.fail_every or self.outage)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> FlakySpec:
        """Validate the flaky keys of an endpoint; ValueError says which key is wrong."""
        if unknown := sorted(config.keys() - FLAKY_KEYS):
            raise ValueError(f"unknown flaky key(s): {', '.join(unknown)}")
        outage = config.get("outage")
        per_client = config.get("per_client")
        if per_client is not None and not isinstance(per_client, str):
            raise ValueError(f"per_client must be a string like 'header:X', got {per_client!r}")
        if per_client == "global":
            per_client = None
        if per_client is not None:
            compile_key(per_client)
        return cls(
            fail_first=_count("fail_first", config.get("fail_first", 0)),
            fail_every=_count("fail_every", config.get("fail_every", 0)),
            outage=_outage(outage) if outage is not None else None,
            failure_rate=_rate(config.get("failure_rate", 0.0)),
            per_client=per_client,
        )


class FlakyPattern:
    """Decides, per request, whether the stub answers with its failure.

    The counts and outage clocks live in a ``StateSpace`` (given, or a private one), so a
    reload that keeps the stub keeps where each client is in its pattern.
    """

    __slots__ = ("spec", "_rng", "_key", "_space", "_max_keys")

    def __init__(
        self,
        *,
        rng: random.Random,
        fail_first: int = 0,
        fail_every: int = 0,
        outage: Outage | None = None,
        failure_rate: float = 0.0,
        per_client: str | None = None,
        max_keys: int = DEFAULT_MAX_KEYS,
        space: StateSpace | None = None,
        spec: FlakySpec | None = None,
    ) -> None:
        if spec is None:
            spec = FlakySpec(fail_first, fail_every, outage, failure_rate, per_client)
        self.spec = spec
        self._rng = rng
        self._key: KeyFunc = compile_key(spec.per_client) if spec.per_client else _shared
        self._max_keys = max_keys if spec.per_client else 1
        self._space: StateSpace = space if space is not None else MemorySpace(self._max_keys)

    @classmethod
    def from_config(cls, config: Mapping[str, object], *, rng: random.Random) -> FlakyPattern:
        """Validate the flaky keys of an endpoint; ValueError says which key is wrong."""
        return cls(rng=rng, spec=FlakySpec.from_config(config))

    @property
    def per_client(self) -> str | None:
        """The client key spec, or None when every client shares one pattern."""
        return self.spec.per_client

    @property
    def space(self) -> StateSpace:
        """Where the counts and clocks are kept."""
        return self._space

    def decide(self, request: Request, now: float) -> bool:
        """True when this request must fail (and the request is counted either way)."""
        return self.reason(request, now) is not None

    def reason(self, request: Request, now: float) -> str | None:
        """Which rule fails this request (``fail_first``, ``fail_every``, ``outage``,
        ``failure_rate``), or None; for the decision record and the journal.

        The outage clock of a client (of everyone, without ``per_client``) starts at its
        first request, so a slow start shifts nothing.
        """
        spec = self.spec
        if spec.counted:
            key = self._key(request)
            count = self._space.count(key)
            if count <= spec.fail_first:
                return "fail_first"
            if spec.fail_every and count % spec.fail_every == 0:
                return "fail_every"
            outage = spec.outage
            if outage is not None and outage.active(now - self._space.origin(key, now)):
                return "outage"
        rate = spec.failure_rate
        if rate > 0.0 and (rate >= 1.0 or self._rng.random() < rate):
            return "failure_rate"
        return None

    def reset(self) -> None:
        """Start over: counters and outage clocks."""
        self._space.clear()


def _shared(request: Request) -> str:
    return ""


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def _rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"failure_rate must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"failure_rate must be between 0 and 1, got {value!r}")
    return float(value)


def _outage(value: object) -> Outage:
    if not isinstance(value, Mapping) or set(value) != {"every", "for"}:
        raise ValueError(
            f"outage needs exactly every and for, e.g. {{every: 60s, for: 10s}}, got {value!r}"
        )
    every = parse_duration(value["every"], "outage.every")
    duration = parse_duration(value["for"], "outage.for")
    if not 0 < duration < every:
        raise ValueError(
            f"outage.for ({duration:g}s) must be above 0 and below outage.every ({every:g}s)"
        )
    return Outage(every, duration)
