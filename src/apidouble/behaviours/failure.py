"""Failure injection: decide, per request, whether a stub answers with its failure instead."""

from __future__ import annotations

import random

from ..model import ResponseSpec

DEFAULT_FAILURE_STATUS = 500


def default_failure(label: str) -> ResponseSpec:
    """What a stub with ``failure_rate`` and no ``failure:`` answers when it fails."""
    body = {"error": "injected failure", "stub": label, "status": DEFAULT_FAILURE_STATUS}
    return ResponseSpec(status=DEFAULT_FAILURE_STATUS, body_kind="json", body=body)


def should_fail(rate: float, rng: random.Random) -> bool:
    """True with probability ``rate``; no RNG draw at all when the rate is 0 or 1."""
    if rate <= 0.0:
        return False
    return rate >= 1.0 or rng.random() < rate
