import math
import random
import statistics

import pytest

from apidouble.behaviours.latency import LatencyModel, fit_lognormal
from apidouble.model import Latency


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * len(ordered))]


@pytest.mark.parametrize(
    ("config", "distribution"),
    [
        (100, "fixed"),
        ({"ms": 5}, "fixed"),
        ({"distribution": "fixed", "ms": 5}, "fixed"),
        ({"min_ms": 1, "max_ms": 9}, "uniform"),
        ({"distribution": "normal", "mean_ms": 100, "stddev_ms": 10}, "normal"),
        ({"distribution": "lognormal", "median_ms": 80, "sigma": 0.5, "max_ms": 900}, "lognormal"),
        ({"p50_ms": 100, "p95_ms": 250}, "lognormal"),
        ({"p50_ms": 100, "p99_ms": 400, "max_ms": 1000}, "lognormal"),
        ({"distribution": "percentiles", "p50_ms": 100, "p95_ms": 250, "p99_ms": 400}, "lognormal"),
    ],
)
def test_builds(config: object, distribution: str) -> None:
    model = LatencyModel.from_config(config)  # type: ignore[arg-type]
    assert model.distribution == distribution
    assert model.sample(random.Random(1)) >= 0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("100", "milliseconds or a mapping"),
        (True, "milliseconds or a mapping"),
        (-5, "finite number >= 0"),
        ({}, "latency needs ms"),
        ({"distribution": "pareto", "ms": 1}, "must be one of"),
        ({"distribution": "normal", "mean_ms": 100}, "needs stddev_ms"),
        ({"min_ms": 10}, "needs max_ms"),
        ({"min_ms": 10, "max_ms": 5}, "above max_ms"),
        ({"ms": 5, "jitter": 2}, "unknown key"),
        ({"ms": "fast"}, "must be a number"),
        ({"distribution": "lognormal", "median_ms": 0, "sigma": 1}, "median_ms > 0"),
        ({"p50_ms": 100}, "p95_ms or p99_ms"),
        ({"p50_ms": 100, "p95_ms": 90}, "must be below p95_ms"),
        ({"p50_ms": 100, "p95_ms": 300, "p99_ms": 200}, "p95_ms .300. must be below p99_ms"),
        ({"p50_ms": 0, "p95_ms": 300}, "must be > 0"),
    ],
)
def test_refuses(config: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LatencyModel.from_config(config)  # type: ignore[arg-type]


def test_fixed_draws_nothing() -> None:
    rng = random.Random(3)
    state = rng.getstate()
    assert LatencyModel.from_config(250).sample(rng) == 0.25
    assert rng.getstate() == state


def test_uniform_stays_in_range() -> None:
    model = LatencyModel.from_config({"min_ms": 50, "max_ms": 70})
    rng = random.Random(5)
    samples = [model.sample(rng) for _ in range(2000)]
    assert 0.05 <= min(samples) and max(samples) <= 0.07


def test_normal_clamps_at_zero_and_max() -> None:
    model = LatencyModel.from_config(
        {"distribution": "normal", "mean_ms": 10, "stddev_ms": 50, "max_ms": 60}
    )
    rng = random.Random(9)
    samples = [model.sample(rng) for _ in range(5000)]
    assert min(samples) == 0.0 and max(samples) == 0.06
    assert statistics.median(samples) == pytest.approx(0.01, abs=0.003)


def test_lognormal_median_and_cap() -> None:
    model = LatencyModel.from_config(
        {"distribution": "lognormal", "median_ms": 80, "sigma": 1.0, "max_ms": 500}
    )
    rng = random.Random(11)
    samples = [model.sample(rng) for _ in range(20_000)]
    assert statistics.median(samples) == pytest.approx(0.08, rel=0.05)
    assert max(samples) == 0.5


@pytest.mark.parametrize(
    "targets",
    [
        {"p50_ms": 100, "p95_ms": 250, "p99_ms": 400},
        {"p50_ms": 20, "p95_ms": 60, "p99_ms": 110},
        {"p50_ms": 300, "p95_ms": 900},
        {"p50_ms": 50, "p99_ms": 500},
    ],
)
def test_percentile_fit_lands_within_ten_percent(targets: dict[str, float]) -> None:
    """20k samples with a fixed seed: every sampled percentile within 10% of its target."""
    model = LatencyModel.from_config(targets)
    rng = random.Random(2024)
    samples_ms = [model.sample(rng) * 1000 for _ in range(20_000)]
    for name, q in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        if name in targets:
            assert quantile(samples_ms, q) == pytest.approx(targets[name], rel=0.10), name
            assert model.percentile_ms(q) == pytest.approx(targets[name], rel=0.10), name


def test_fit_is_exact_for_one_target_and_least_squares_for_two() -> None:
    mu, sigma = fit_lognormal(100, {0.95: 100 * math.exp(0.5 * 1.6448536)})
    assert mu == pytest.approx(math.log(100)) and sigma == pytest.approx(0.5)
    _, compromise = fit_lognormal(100, {0.95: 250, 0.99: 400})
    only_p95, only_p99 = math.log(2.5) / 1.6448536, math.log(4) / 2.3263479
    assert only_p95 < compromise < only_p99  # between the two exact fits


def test_percentile_helper_for_each_distribution() -> None:
    assert LatencyModel.from_config(40).percentile_ms(0.9) == 40
    assert LatencyModel.from_config({"min_ms": 0, "max_ms": 100}).percentile_ms(0.9) == 90
    normal = LatencyModel.from_config({"distribution": "normal", "mean_ms": 10, "stddev_ms": 1})
    assert normal.percentile_ms(0.5) == pytest.approx(10)


@pytest.mark.parametrize(
    "config",
    [
        5,
        {"min_ms": 1, "max_ms": 3},
        {"distribution": "normal", "mean_ms": 100, "stddev_ms": 10, "max_ms": 150},
        {"distribution": "lognormal", "median_ms": 80, "sigma": 0.5},
        {"p50_ms": 100, "p95_ms": 250, "max_ms": 2000},
    ],
)
def test_round_trips_through_the_model_latency(config: object) -> None:
    model = LatencyModel.from_config(config)  # type: ignore[arg-type]
    again = LatencyModel.from_latency(model.to_latency())
    assert again.distribution == model.distribution
    assert again.a == pytest.approx(model.a) and again.b == pytest.approx(model.b)
    assert again.cap_ms == model.cap_ms


def test_same_seed_same_delays() -> None:
    model = LatencyModel.from_config({"p50_ms": 100, "p95_ms": 250, "p99_ms": 400})
    first = [model.sample(random.Random(7)) for _ in range(1)]
    a, b = random.Random(7), random.Random(7)
    assert [model.sample(a) for _ in range(100)] == [model.sample(b) for _ in range(100)]
    assert first[0] == model.sample(random.Random(7))


def test_a_compiled_latency_model_is_what_responses_sample() -> None:
    assert LatencyModel.from_latency(Latency("fixed", {"ms": 100})).sample(random.Random(0)) == 0.1
    uniform = LatencyModel.from_latency(Latency("uniform", {"min_ms": 10, "max_ms": 20}))
    assert 0.01 <= uniform.sample(random.Random(0)) <= 0.02
    with pytest.raises(ValueError, match="must be one of"):
        LatencyModel.from_latency(Latency("weird", {}))
