import random

import pytest

from apidouble.behaviours.flaky import FlakyPattern, Outage
from apidouble.state.memory import MemorySpace

from .factories import FakeClock, req


def pattern(clock: FakeClock | None = None, seed: int = 1, **config: object) -> FlakyPattern:
    return build(config, clock, seed)


def build(config: dict[str, object], clock: FakeClock | None = None, seed: int = 1) -> FlakyPattern:
    return FlakyPattern.from_config(config, rng=random.Random(seed))


def run(p: FlakyPattern, n: int, **request: object) -> list[bool]:
    return [p.decide(req(**request), 0.0 + 1000) for _ in range(n)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, [False] * 6),
        ({"fail_first": 2}, [True, True, False, False, False, False]),
        ({"fail_first": 0}, [False] * 6),
        ({"fail_every": 3}, [False, False, True, False, False, True]),
        ({"fail_every": 1}, [True] * 6),
        ({"failure_rate": 1.0}, [True] * 6),
        ({"failure_rate": 0}, [False] * 6),
        ({"fail_first": 1, "fail_every": 2}, [True, True, False, True, False, True]),
    ],
)
def test_count_patterns(config: dict[str, object], expected: list[bool]) -> None:
    assert run(build(config), len(expected)) == expected


def test_a_retrying_client_gets_through_on_the_third_try() -> None:
    p = pattern(fail_first=2)
    attempts: list[str | None] = []
    while not attempts or attempts[-1] is not None:
        assert len(attempts) < 10, "the client never got through"
        attempts.append(p.reason(req(), 1000.0))
    assert attempts == ["fail_first", "fail_first", None]  # success on the third try
    assert not p.decide(req(), 1000.0)  # and stays healthy


def test_per_client_counters() -> None:
    p = pattern(fail_first=1, per_client="header:X-Client")
    assert run(p, 2, headers={"x-client": "a"}) == [True, False]
    assert run(p, 2, headers={"x-client": "b"}) == [True, False]
    shared = pattern(fail_first=1)
    assert run(shared, 1, headers={"x-client": "a"}) == [True]
    assert run(shared, 1, headers={"x-client": "b"}) == [False]


def test_per_client_memory_is_bounded() -> None:
    p = FlakyPattern(rng=random.Random(0), fail_first=1, per_client="ip", max_keys=3)
    for n in range(100):
        assert p.decide(req(ip=f"10.0.0.{n}"), 1000.0)
    assert isinstance(p.space, MemorySpace) and p.space.known_keys() == 3
    assert p.decide(req(ip="10.0.0.0"), 1000.0)  # forgotten: the pattern starts over


def test_outage_seen_by_a_circuit_breaker() -> None:
    """A breaker polling every 5s sees healthy, down 60-70s, healthy, down 120-130s."""
    clock = FakeClock(500.0)
    p = pattern(clock, outage={"every": "60s", "for": "10s"})
    seen = {}
    for t in range(0, 140, 5):
        seen[t] = p.decide(req(), clock.now + t)
    down = [t for t, failed in seen.items() if failed]
    assert down == [60, 65, 120, 125]
    # the breaker's view: it opens at 60, half-open probes fail until 70, then close
    state, transitions = "closed", []
    for t, failed in seen.items():
        new = "open" if failed else "closed"
        if new != state:
            transitions.append((t, new))
            state = new
    assert transitions == [(60, "open"), (70, "closed"), (120, "open"), (130, "closed")]


def test_outage_per_client_starts_at_first_request() -> None:
    clock = FakeClock(0.0)
    p = pattern(clock, outage={"every": 10, "for": 2}, per_client="ip")
    assert not p.decide(req(ip="a"), 0.0)
    assert p.decide(req(ip="a"), 10.5)
    assert not p.decide(req(ip="b"), 10.5)  # b's clock started now
    assert p.decide(req(ip="b"), 20.6)


def test_outage_active() -> None:
    outage = Outage(60, 10)
    assert [outage.active(t) for t in (0, 59.9, 60, 69.9, 70, 120, 131)] == [
        False, False, True, True, False, True, False,
    ]  # fmt: skip


def test_reset_starts_over() -> None:
    clock = FakeClock(0.0)
    p = pattern(clock, fail_first=1, outage={"every": 10, "for": 5})
    assert p.decide(req(), 0.0) and not p.decide(req(), 1.0)
    assert p.decide(req(), 11.0)
    clock.advance(11.0)
    p.reset()
    assert p.reason(req(), 11.0) == "fail_first"
    assert p.reason(req(), 12.0) is None  # the outage clock restarted at 11


def test_failure_rate_is_seeded() -> None:
    a = run(pattern(seed=42, failure_rate=0.3), 200)
    b = run(pattern(seed=42, failure_rate=0.3), 200)
    c = run(pattern(seed=43, failure_rate=0.3), 200)
    assert a == b and a != c
    assert 30 < sum(a) < 90


def test_deterministic_rules_do_not_draw() -> None:
    rng = random.Random(5)
    state = rng.getstate()
    p = FlakyPattern.from_config({"fail_first": 3, "failure_rate": 0.5}, rng=rng)
    assert run(p, 3) == [True] * 3
    assert rng.getstate() == state


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"fail_frist": 2}, "unknown flaky key"),
        ({"fail_first": -1}, "fail_first must be a whole number"),
        ({"fail_every": 1.5}, "fail_every must be a whole number"),
        ({"fail_first": True}, "fail_first must be a whole number"),
        ({"failure_rate": 2}, "between 0 and 1"),
        ({"failure_rate": "often"}, "between 0 and 1"),
        ({"outage": {"every": "60s"}}, "exactly every and for"),
        ({"outage": {"every": "10s", "for": "10s"}}, "below outage.every"),
        ({"outage": {"every": "10s", "for": "0s"}}, "above 0"),
        ({"outage": {"every": "soon", "for": "1s"}}, "outage.every must be a duration"),
        ({"per_client": 3}, "per_client must be a string"),
        ({"per_client": "body"}, "ip, header:NAME"),
    ],
)
def test_refuses(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(config)


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError):
        FlakyPattern(rng=random.Random(), fail_first=-1)
    with pytest.raises(ValueError):
        FlakyPattern(rng=random.Random(), failure_rate=1.5)
    p = pattern(per_client="global", fail_first=1)
    assert p.per_client is None
