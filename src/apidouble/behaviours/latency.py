"""Sample a response delay; the transport waits it out without blocking anything else."""

from __future__ import annotations

import random

from ..model import Latency


def sample_seconds(latency: Latency | None, rng: random.Random) -> float:
    """The delay for one response, in seconds (0 when there is no latency)."""
    if latency is None:
        return 0.0
    if latency.distribution == "fixed":
        return max(0.0, latency.params.get("ms", 0.0)) / 1000.0
    if latency.distribution == "uniform":
        low = latency.params.get("min_ms", 0.0)
        return max(0.0, rng.uniform(low, latency.params.get("max_ms", low))) / 1000.0
    raise ValueError(f"unknown latency distribution {latency.distribution!r}")
