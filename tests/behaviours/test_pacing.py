import pytest

from apidouble.behaviours.pacing import (
    MAX_STEPS,
    Step,
    bandwidth_plan,
    dribble_plan,
    plan_duration_s,
)


def covers(plan: list[Step], body_len: int) -> bool:
    offset = 0
    for step in plan:
        if step.offset != offset or step.size < 1:
            return False
        offset += step.size
    return offset == body_len


@pytest.mark.parametrize(
    ("body_len", "chunks", "over_ms", "sizes", "delays"),
    [
        (10, 2, 1000, [5, 5], [0.0, 1.0]),
        (10, 3, 1000, [4, 3, 3], [0.0, 0.5, 0.5]),
        (10, 1, 1000, [10], [1.0]),
        (1, 3, 1000, [1], [1.0]),
        (3, 5, 800, [1, 1, 1], [0.0, 0.4, 0.4]),
        (0, 4, 1000, [], []),
        (8, 4, 0, [2, 2, 2, 2], [0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_dribble(
    body_len: int, chunks: int, over_ms: float, sizes: list[int], delays: list[float]
) -> None:
    plan = dribble_plan(body_len, chunks, over_ms)
    assert [s.size for s in plan] == sizes
    assert [s.delay_s for s in plan] == pytest.approx(delays)
    assert covers(plan, body_len)
    if plan:
        assert plan_duration_s(plan) == pytest.approx(over_ms / 1000)


def test_dribble_caps_the_number_of_steps() -> None:
    plan = dribble_plan(10**7, 10**6, 1000)
    assert len(plan) == MAX_STEPS and covers(plan, 10**7)


@pytest.mark.parametrize(
    ("args", "message"),
    [((10, 0, 100), "chunks must be at least 1"), ((10, 2, -1), "over_ms")],
)
def test_dribble_refuses(args: tuple[int, int, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dribble_plan(*args)


@pytest.mark.parametrize(
    ("body_len", "kbps", "steps", "total_s"),
    [
        (1000, 8, 20, 1.0),  # 8 kbps = 1000 B/s: 50 B per 50 ms tick
        (125, 1, 18, 1.0),  # 125 B/s: 6.25 B per tick, rounded up to 7
        (10, 1000, 1, 0.00008),  # fits in one tick
        (0, 10, 0, 0.0),
    ],
)
def test_bandwidth(body_len: int, kbps: float, steps: int, total_s: float) -> None:
    plan = bandwidth_plan(body_len, kbps)
    assert covers(plan, body_len)
    assert plan_duration_s(plan) == pytest.approx(total_s)
    assert len(plan) == steps


def test_bandwidth_ticks_and_step_cap() -> None:
    plan = bandwidth_plan(1000, 8)  # 1000 B/s, 50 ms ticks -> 50 B slices
    assert {s.size for s in plan} == {50} and len(plan) == 20
    assert all(s.delay_s == pytest.approx(0.05) for s in plan)
    huge = bandwidth_plan(10**8, 0.01)
    assert len(huge) <= MAX_STEPS and covers(huge, 10**8)


@pytest.mark.parametrize("kbps", [0, -1, float("inf"), float("nan")])
def test_bandwidth_refuses(kbps: float) -> None:
    with pytest.raises(ValueError, match="bandwidth_kbps"):
        bandwidth_plan(10, kbps)
