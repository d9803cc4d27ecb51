"""A stub's trouble bound to its state: what the engine consults per request.

``Behaviours`` (``spec.py``) are the validated settings; ``compile_trouble`` binds the
stateful ones (flaky counters, rate-limit windows, the server cache) to spaces of the
``StateStore``, named from the stub's stable id and the settings they depend on. A
reload that keeps a stub's settings therefore keeps its state.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..outcome import Response
from ..state.store import StateStore
from .caching import CachePolicy, ResponseCache
from .cors import CorsPolicy
from .faults import FaultSpec
from .flaky import FlakyPattern, FlakySpec
from .keys import DEFAULT_MAX_KEYS
from .pacing import Step
from .ratelimit import RateLimiter, key_bound
from .spec import Behaviours, Pacing, space_name


@dataclass(slots=True)
class Trouble:
    """Everything a stub may do besides answering plainly; None where not configured."""

    flaky: FlakyPattern | None = None
    fault: FaultSpec | None = None
    fault_always: bool = False
    """Every request faults (a ``fault`` with no flaky rule to say which)."""
    rate_limit: RateLimiter | None = None
    refusal: Mapping[str, Any] | None = None
    cache: CachePolicy | None = None
    server_cache: ResponseCache[Response] | None = None
    cors: CorsPolicy | None = None
    pacing_spec: Pacing | None = None
    inert: bool = True
    """Nothing configured: the engine skips every check."""
    state_names: tuple[str, ...] = ()
    """The store spaces this trouble uses (the rest may be dropped on reload)."""

    def pacing(self, body_len: int) -> tuple[Step, ...]:
        """The slices a body of this size leaves in; empty means all at once."""
        return self.pacing_spec.plan(body_len) if self.pacing_spec is not None else ()


NO_TROUBLE = Trouble()


def compile_trouble(
    spec: Behaviours,
    rng: random.Random,
    *,
    stub_id: str = "",
    failure_rate: float = 0.0,
    store: StateStore | None = None,
    content: str = "",
) -> Trouble:
    """Bind a stub's behaviours to their state. ``failure_rate`` is the stub's own
    (``Stub.failure_rate``; a ValueError when it is not a probability); ``content``
    fingerprints the responses, so a server cache never outlives them."""
    flaky_spec = spec.flaky
    if failure_rate and (flaky_spec is None or flaky_spec.failure_rate != failure_rate):
        flaky_spec = (
            replace(flaky_spec, failure_rate=failure_rate)
            if flaky_spec is not None
            else FlakySpec(failure_rate=failure_rate)
        )
    if flaky_spec is not None and not flaky_spec.active:
        flaky_spec = None
    if spec.inert and flaky_spec is None:
        return NO_TROUBLE
    names: list[str] = []

    def space(kind: str, depends: object, max_keys: int) -> Any:
        if store is None:
            return None
        name = space_name(stub_id, kind, depends)
        names.append(name)
        return store.space(name, max_keys)

    flaky = None
    if flaky_spec is not None:
        keys = DEFAULT_MAX_KEYS if flaky_spec.per_client else 1
        flaky = FlakyPattern(rng=rng, spec=flaky_spec, space=space("flaky", flaky_spec, keys))
    limiter = None
    if spec.rate_limit is not None:
        rate = spec.rate_limit
        limiter = rate.limiter(space("rate", rate.state_key, key_bound(rate.requests)))
    server_cache = None
    if spec.server_cache is not None:
        cached = spec.server_cache
        server_cache = cached.cache(space("cache", (cached, content), cached.max_entries))
    fault_always = spec.fault is not None and spec.fault_when == "always" and flaky is None
    return Trouble(
        flaky=flaky,
        fault=spec.fault if (fault_always or flaky is not None) else None,
        fault_always=fault_always,
        rate_limit=limiter,
        refusal=spec.rate_limit.refusal if spec.rate_limit else None,
        cache=spec.cache,
        server_cache=server_cache,
        cors=spec.cors,
        pacing_spec=spec.pacing,
        inert=False,
        state_names=tuple(names),
    )
