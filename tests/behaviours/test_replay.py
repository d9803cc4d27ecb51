"""Replayable chaos: the same seed gives the same latencies, failures and faults.

Through the real engine (no server): a seeded config, a manual clock moved a quarter of a
second per request, and the decision each outcome carries.
"""

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.model import Request
from apidouble.outcome import Fail, Respond
from apidouble.state.clock import ManualClock

ENDPOINTS = [
    {"path": "/flaky", "failure_rate": 0.2, "outage": {"every": "30s", "for": "3s"},
     "latency": {"p50_ms": 80, "p95_ms": 300}},
    {"path": "/broken", "failure_rate": 0.3,
     "fault": {"type": "random_data_then_close", "bytes": 8},
     "latency": {"p50_ms": 80, "p95_ms": 300}},
]  # fmt: skip


def serve(seed: int, n: int = 300) -> list[str]:
    """The story of ``n`` requests, alternating between the two stubs."""
    clock = ManualClock()
    stubs = load_data({"endpoints": ENDPOINTS}).stubs
    engine = Engine(compile_config(stubs, seed=seed, clock=clock, server={"debug_headers": True}))
    story = []
    for i in range(n):
        clock.advance(0.25)
        outcome = engine.handle(Request("GET", "/broken" if i % 2 else "/flaky"))
        assert isinstance(outcome, Respond | Fail) and outcome.event is not None
        engine.served(outcome, 0.0)
        data = outcome.plan.data if isinstance(outcome, Fail) else b""
        story.append(f"{outcome.event.decision} {data!r}")
    return story


def test_same_seed_same_story() -> None:
    assert serve(1234) == serve(1234)


def test_different_seed_different_story() -> None:
    assert serve(1234) != serve(4321)


def test_the_story_has_every_kind_of_trouble() -> None:
    story = " ".join(serve(1234))
    for word in ("'failure': 'outage'", "'failure': 'failure_rate'", "random_data", "latency_ms"):
        assert word in story
