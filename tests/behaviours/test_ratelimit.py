import json

import pytest

from apidouble.behaviours.ratelimit import (
    RateDecision,
    RateLimiter,
    default_body,
    default_body_bytes,
)
from apidouble.state.memory import MemorySpace

from .factories import FakeClock, req


def test_sliding_window_with_a_fake_clock() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(3, 10.0)
    seen = []
    for t in (0, 1, 2, 3, 9.9, 10, 10.5, 11, 12, 13):
        clock.now = t
        d = limiter.check(req(), clock())
        seen.append((t, d.allowed, d.remaining, round(d.reset_s, 3)))
    assert seen == [
        (0, True, 2, 10.0),
        (1, True, 1, 9.0),
        (2, True, 0, 8.0),
        (3, False, 0, 7.0),  # full: the 0s request leaves at 10s
        (9.9, False, 0, 0.1),
        (10, True, 0, 1.0),  # 0s left the window; 1s is now the oldest
        (10.5, False, 0, 0.5),
        (11, True, 0, 1.0),
        (12, True, 0, 8.0),  # refused requests were never logged
        (13, False, 0, 7.0),
    ]


def test_no_burst_across_a_boundary() -> None:
    """Unlike fixed windows, 2x the limit never passes around a window edge."""
    limiter = RateLimiter(5, 1.0)
    allowed = sum(limiter.check(req(), 0.99 + i * 0.001).allowed for i in range(10))
    allowed += sum(limiter.check(req(), 1.01 + i * 0.001).allowed for i in range(10))
    assert allowed == 5


@pytest.mark.parametrize(
    ("key", "first", "second", "separate"),
    [
        ("ip", {"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}, True),
        ("ip", {"ip": "1.1.1.1"}, {"ip": "1.1.1.1"}, False),
        (
            "header:X-Api-Key",
            {"headers": {"X-Api-Key": "a"}},
            {"headers": {"x-api-key": "b"}},
            True,
        ),
        ("query:token", {"query": "token=a"}, {"query": "token=b"}, True),
        ("global", {"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}, False),
    ],
)
def test_keys(
    key: str, first: dict[str, object], second: dict[str, object], separate: bool
) -> None:
    limiter = RateLimiter.from_config({"requests": 1, "per": "1m", "key": key})
    assert limiter.check(req(**first), 0.0).allowed  # type: ignore[arg-type]
    assert limiter.check(req(**second), 0.0).allowed is separate  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("decision", "headers"),
    [
        (
            RateDecision(True, 10, 9, 0.2),
            [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "9"), ("RateLimit-Reset", "1")],
        ),
        (
            RateDecision(False, 10, 0, 7.2, 7.2),
            [
                ("RateLimit-Limit", "10"),
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", "8"),
                ("Retry-After", "8"),
            ],
        ),
        (
            RateDecision(False, 1, 0, 2.0, 2.0),
            [
                ("RateLimit-Limit", "1"),
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", "2"),
                ("Retry-After", "2"),
            ],
        ),
    ],
)
def test_headers(decision: RateDecision, headers: list[tuple[str, str]]) -> None:
    assert RateLimiter(10, 1.0).headers(decision) == headers


def test_default_body() -> None:
    refused = RateDecision(False, 10, 0, 0.3, 0.3)
    assert default_body(refused) == {
        "error": "rate limit exceeded",
        "status": 429,
        "limit": 10,
        "retry_after_s": 1,
    }
    assert json.loads(default_body_bytes(refused)) == default_body(refused)


def test_key_store_is_bounded() -> None:
    limiter = RateLimiter(1, 60.0, "ip", max_keys=50)
    for n in range(1000):
        limiter.check(req(ip=f"ip{n}"), 0.0)
    assert isinstance(limiter.space, MemorySpace) and limiter.space.window_keys() == 50
    big = RateLimiter(100_000, 1.0, "ip").space
    # keys x requests <= 1M
    assert isinstance(big, MemorySpace) and big.window_capacity(100_000) == 10


def test_reset() -> None:
    limiter = RateLimiter(1, 60.0)
    assert limiter.check(req(), 0.0).allowed and not limiter.check(req(), 1.0).allowed
    limiter.reset()
    assert limiter.check(req(), 2.0).allowed


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"requests": 10}, "needs requests and per"),
        ({"requests": 0, "per": "1s"}, "whole number >= 1"),
        ({"requests": 2.5, "per": "1s"}, "whole number >= 1"),
        ({"requests": True, "per": "1s"}, "whole number >= 1"),
        ({"requests": 1, "per": "0s"}, "above 0"),
        ({"requests": 1, "per": "soon"}, "rate_limit.per must be a duration"),
        ({"requests": 1, "per": 1, "key": "body"}, "ip, header:NAME"),
        ({"requests": 1, "per": 1, "key": 5}, "must be a string"),
        ({"requests": 1, "per": 1, "burst": 5}, "unknown rate_limit key"),
    ],
)
def test_refuses(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimiter.from_config(config)


def test_refusal_keys_are_left_to_the_loader() -> None:
    config = {"requests": 1, "per": 1, "status": 503, "response": {"slow": "down"}}
    assert RateLimiter.from_config(config).requests == 1
