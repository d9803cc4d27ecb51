"""Replayable chaos: the same seed gives the same latencies, failures and faults."""

import random

from apidouble.behaviours.decision import Decision
from apidouble.behaviours.faults import FaultSpec
from apidouble.behaviours.flaky import FlakyPattern
from apidouble.behaviours.latency import LatencyModel

from .factories import FakeClock, req


def serve(seed: int, n: int = 300) -> list[str]:
    """What an engine would do per request: flaky check, fault or latency, in one RNG."""
    rng = random.Random(seed)
    clock = FakeClock(0.0)
    flaky = FlakyPattern.from_config(
        {"failure_rate": 0.2, "outage": {"every": "30s", "for": "3s"}}, rng=rng, clock=clock
    )
    latency = LatencyModel.from_config({"p50_ms": 80, "p95_ms": 300})
    fault = FaultSpec.from_config({"type": "random_data_then_close", "bytes": 8})
    headers = []
    for i in range(n):
        now = clock.advance(0.25)
        decision = Decision()
        decision.failure = flaky.reason(req(), now)
        if decision.failure is not None and i % 2:
            decision.fault = fault.plan(rng)
        decision.latency_s = latency.sample(rng)
        headers.append(decision.header_value() + repr(decision.fault and decision.fault.data))
    return headers


def test_same_seed_same_story() -> None:
    assert serve(1234) == serve(1234)


def test_different_seed_different_story() -> None:
    assert serve(1234) != serve(4321)


def test_the_story_has_every_kind_of_trouble() -> None:
    story = " ".join(serve(1234))
    for word in ("failure=outage", "failure=failure_rate", "fault=random_data", "latency_ms="):
        assert word in story
