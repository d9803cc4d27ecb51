"""Response delays: validated into a ``LatencyModel`` at load time, sampled at serve time.

Sampling draws from the injected ``random.Random`` only (never the global one), so a
seeded server repeats the same delays in the same order. Nothing here sleeps: the
transport waits the sampled seconds out without blocking anything else.

Forms (every number in milliseconds)::

    latency_ms: 100                                   # fixed
    latency: {ms: 100}                                # fixed
    latency: {min_ms: 50, max_ms: 200}                # uniform
    latency: {distribution: normal, mean_ms: 100, stddev_ms: 20, max_ms: 300}
    latency: {distribution: lognormal, median_ms: 80, sigma: 0.5, max_ms: 2000}
    latency: {p50_ms: 100, p95_ms: 250, p99_ms: 400}  # lognormal fitted to percentiles

``max_ms`` clamps (it does not resample), so the RNG is drawn exactly once per sample
and a replay stays aligned whatever the values drawn.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

from ..model import Latency

Distribution = str
"""One of ``fixed``, ``uniform``, ``normal``, ``lognormal`` (percentiles compile to it)."""

_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # distribution: (required keys, optional keys)
    "fixed": (frozenset({"ms"}), frozenset()),
    "uniform": (frozenset({"min_ms", "max_ms"}), frozenset()),
    "normal": (frozenset({"mean_ms", "stddev_ms"}), frozenset({"max_ms"})),
    "lognormal": (frozenset({"median_ms", "sigma"}), frozenset({"max_ms"})),
    "percentiles": (frozenset({"p50_ms"}), frozenset({"p95_ms", "p99_ms", "max_ms"})),
}
_PERCENTILES = {"p95_ms": 0.95, "p99_ms": 0.99}


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """A validated delay distribution; ``sample`` returns seconds.

    Lognormal parameters are kept as ``mu``/``sigma`` of the underlying normal (in log
    milliseconds); ``a``/``b`` are the distribution's two numbers in milliseconds (ms and
    0, min and max, or mean and standard deviation); ``cap_ms`` is ``max_ms`` or infinity.
    """

    distribution: Distribution
    a: float = 0.0
    b: float = 0.0
    cap_ms: float = math.inf

    @classmethod
    def from_config(cls, config: float | Mapping[str, object]) -> LatencyModel:
        """Validate ``latency_ms: N`` or a ``latency:`` mapping; ValueError says what is wrong."""
        if isinstance(config, bool) or not isinstance(config, int | float | Mapping):
            raise ValueError(f"latency must be milliseconds or a mapping, got {config!r}")
        if not isinstance(config, Mapping):
            return cls("fixed", _ms("latency_ms", config))
        params = dict(config)
        distribution = params.pop("distribution", None) or _infer(params)
        if distribution not in _KEYS:
            names = ", ".join(sorted(_KEYS))
            raise ValueError(f"latency distribution must be one of {names}, got {distribution!r}")
        required, optional = _KEYS[str(distribution)]
        if missing := sorted(required - params.keys()):
            raise ValueError(f"a {distribution} latency needs {', '.join(missing)}")
        if unknown := sorted(params.keys() - required - optional):
            allowed = ", ".join(sorted(required | optional))
            raise ValueError(
                f"unknown key(s) {', '.join(unknown)} for a {distribution} latency "
                f"(it takes {allowed})"
            )
        values = {name: _ms(name, value) for name, value in params.items()}
        return _build(str(distribution), values)

    @classmethod
    def from_latency(cls, latency: Latency) -> LatencyModel:
        """The model for the frozen ``model.Latency`` the loader stores on stubs."""
        return cls.from_config({"distribution": latency.distribution, **latency.params})

    def to_latency(self) -> Latency:
        """The canonical ``model.Latency`` (percentiles become the fitted lognormal)."""
        cap = {} if math.isinf(self.cap_ms) else {"max_ms": self.cap_ms}
        match self.distribution:
            case "fixed":
                return Latency("fixed", {"ms": self.a})
            case "uniform":
                return Latency("uniform", {"min_ms": self.a, "max_ms": self.b})
            case "normal":
                return Latency("normal", {"mean_ms": self.a, "stddev_ms": self.b, **cap})
        return Latency("lognormal", {"median_ms": math.exp(self.a), "sigma": self.b, **cap})

    def sample(self, rng: random.Random) -> float:
        """One delay in seconds; exactly one RNG draw unless the delay is fixed."""
        match self.distribution:
            case "fixed":
                return self.a / 1000.0
            case "uniform":
                ms = rng.uniform(self.a, self.b)
            case "normal":
                ms = rng.normalvariate(self.a, self.b)
            case _:
                ms = rng.lognormvariate(self.a, self.b)
        return min(max(ms, 0.0), self.cap_ms) / 1000.0

    def percentile_ms(self, q: float) -> float:
        """The model's ``q`` quantile (0 < q < 1) in milliseconds, before clamping."""
        match self.distribution:
            case "fixed":
                return self.a
            case "uniform":
                return self.a + (self.b - self.a) * q
            case "normal":
                return max(0.0, self.a + self.b * NormalDist().inv_cdf(q))
        return math.exp(self.a + self.b * NormalDist().inv_cdf(q))


def fit_lognormal(p50_ms: float, targets: Mapping[float, float]) -> tuple[float, float]:
    """``(mu, sigma)`` of a lognormal with median ``p50_ms`` closest to ``{q: ms}`` targets.

    ``mu = ln p50`` pins the median. Each target says ``ln(p_q / p50) = sigma * z_q``, with
    ``z_q`` the standard normal quantile; sigma is their least-squares solution in log
    space, ``sum(z * y) / sum(z * z)``. With one target that is exact; with p95 and p99 it
    is the compromise, exact when the targets are themselves lognormal.
    """
    mu = math.log(p50_ms)
    z = {q: NormalDist().inv_cdf(q) for q in targets}
    num = sum(z[q] * math.log(ms / p50_ms) for q, ms in targets.items())
    return mu, num / sum(zq * zq for zq in z.values())


def _infer(params: Mapping[str, object]) -> str:
    """The distribution a mapping without ``distribution:`` means, by its keys."""
    if "p50_ms" in params:
        return "percentiles"
    if "min_ms" in params:
        return "uniform"
    if "ms" in params:
        return "fixed"
    raise ValueError(
        "latency needs ms, min_ms/max_ms, p50_ms/p95_ms/p99_ms, or a distribution "
        "(uniform, normal, lognormal)"
    )


def _ms(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"latency {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"latency {name} must be a finite number >= 0, got {value!r}")
    return number


def _build(distribution: str, v: Mapping[str, float]) -> LatencyModel:
    cap = v.get("max_ms", math.inf)
    match distribution:
        case "fixed":
            return LatencyModel("fixed", v["ms"])
        case "uniform":
            if v["min_ms"] > v["max_ms"]:
                raise ValueError(f"latency min_ms ({v['min_ms']:g}) is above max_ms ({cap:g})")
            return LatencyModel("uniform", v["min_ms"], v["max_ms"])
        case "normal":
            return LatencyModel("normal", v["mean_ms"], v["stddev_ms"], cap)
        case "lognormal":
            if v["median_ms"] <= 0:
                raise ValueError("a lognormal latency needs median_ms > 0")
            return LatencyModel("lognormal", math.log(v["median_ms"]), v["sigma"], cap)
    return _fit(v, cap)


def _fit(v: Mapping[str, float], cap: float) -> LatencyModel:
    targets = {q: v[name] for name, q in _PERCENTILES.items() if name in v}
    if not targets:
        raise ValueError("a percentile latency needs p95_ms or p99_ms besides p50_ms")
    order = [("p50_ms", v["p50_ms"])] + [(n, v[n]) for n in _PERCENTILES if n in v]
    for (low_name, low), (high_name, high) in zip(order, order[1:], strict=False):
        if not 0 < low < high:
            raise ValueError(
                f"latency percentiles must be > 0 and increase: {low_name} ({low:g}) "
                f"must be below {high_name} ({high:g})"
            )
    mu, sigma = fit_lognormal(v["p50_ms"], targets)
    return LatencyModel("lognormal", mu, sigma, cap)
