import random

import pytest

from apidouble.behaviours.faults import (
    DEFAULT_RANDOM_BYTES,
    DEFAULT_TIMEOUT_S,
    FAULT_NAMES,
    MALFORMED_CHUNK,
    FaultPlan,
    FaultSpec,
)


def test_names() -> None:
    assert FAULT_NAMES == (
        "connection_reset",
        "empty_response",
        "malformed_chunk",
        "random_data_then_close",
        "timeout",
    )


@pytest.mark.parametrize(
    ("config", "plan"),
    [
        ("connection_reset", FaultPlan("connection_reset", reset=True)),
        ("empty_response", FaultPlan("empty_response")),
        ("malformed_chunk", FaultPlan("malformed_chunk", MALFORMED_CHUNK)),
        ("timeout", FaultPlan("timeout", hold_s=DEFAULT_TIMEOUT_S)),
        ({"type": "timeout", "after": "500ms"}, FaultPlan("timeout", hold_s=0.5)),
        ({"type": "empty_response"}, FaultPlan("empty_response")),
    ],
)
def test_plans(config: object, plan: FaultPlan) -> None:
    assert FaultSpec.from_config(config).plan(random.Random(0)) == plan  # type: ignore[arg-type]


def test_random_data_replays_with_the_seed() -> None:
    spec = FaultSpec.from_config({"type": "random_data_then_close", "bytes": 64})
    a, b = random.Random(9), random.Random(9)
    first = [spec.plan(a).data for _ in range(3)]
    assert first == [spec.plan(b).data for _ in range(3)]
    assert all(len(d) == 64 for d in first) and len(set(first)) == 3
    default = FaultSpec.from_config("random_data_then_close").plan(random.Random(1))
    assert len(default.data) == DEFAULT_RANDOM_BYTES and not default.reset


def test_other_faults_draw_nothing() -> None:
    rng = random.Random(3)
    state = rng.getstate()
    for name in ("connection_reset", "empty_response", "malformed_chunk", "timeout"):
        FaultSpec.from_config(name).plan(rng)
    assert rng.getstate() == state


def test_malformed_chunk_is_a_chunked_head_with_a_bad_size() -> None:
    head, _, rest = MALFORMED_CHUNK.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    size = rest.split(b"\r\n")[0]
    with pytest.raises(ValueError):
        int(size, 16)


@pytest.mark.parametrize(
    ("plan", "text"),
    [
        (FaultPlan("timeout", hold_s=30), "timeout(30s)"),
        (FaultPlan("random_data_then_close", b"abc"), "random_data_then_close(3B)"),
        (FaultPlan("connection_reset", reset=True), "connection_reset"),
    ],
)
def test_describe(plan: FaultPlan, text: str) -> None:
    assert plan.describe() == text


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("connection_rest", "fault must be one of connection_reset"),
        ({"bytes": 3}, "mapping with type"),
        (5, "mapping with type"),
        ({"type": "timeout", "bytes": 3}, "it takes only after"),
        ({"type": "connection_reset", "after": 3}, "it takes no options"),
        ({"type": "random_data_then_close", "bytes": 0}, "whole number 1-"),
        ({"type": "random_data_then_close", "bytes": 1 << 30}, "whole number 1-"),
        ({"type": "timeout", "after": "0s"}, "above 0"),
        ({"type": "timeout", "after": "2h"}, "at most 1h"),
        ({"type": "timeout", "after": "forever"}, "fault.after must be a duration"),
    ],
)
def test_refuses(config: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultSpec.from_config(config)  # type: ignore[arg-type]
