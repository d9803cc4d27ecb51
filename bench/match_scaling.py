"""Matching cost with 10 stubs vs 1,000: the router index must keep it flat.

Builds both configs through the real loader and compiler, then times ``Router.find``
for requests that hit the LAST stub of the file (the worst case for a linear scan),
for literal paths and for ``{param}`` templates. Prints a table; exits 1 when 1,000
stubs cost 1.5x or more of 10 stubs.

    .venv/bin/python bench/match_scaling.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.model import Request

LIMIT = 1.5


def endpoints(count: int, kind: str) -> list[dict[str, object]]:
    """``count`` stubs over distinct resources, like a large real API."""
    made: list[dict[str, object]] = []
    for n in range(count):
        path = f"/api/v1/resource{n}/items" if kind == "literal" else f"/api/v1/resource{n}/{{id}}"
        made.append({"name": f"s{n}", "method": "GET", "path": path, "response": {"n": n}})
    return made


def time_lookup(count: int, kind: str, repeat: int, number: int) -> float:
    """Best-of-``repeat`` nanoseconds per ``find`` for a request to the last stub."""
    loaded = load_data({"endpoints": endpoints(count, kind)})
    router = compile_config(loaded.stubs).router
    last = count - 1
    path = f"/api/v1/resource{last}/items" if kind == "literal" else f"/api/v1/resource{last}/42"
    request = Request("GET", path)
    assert router.find(request).stub is not None, "the benchmark request must match"
    runs = timeit.repeat(lambda: router.find(request), repeat=repeat, number=number)
    return min(runs) / number * 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    repeat, number = (3, 2_000) if args.quick else (7, 50_000)
    worst = 0.0
    print(f"{'paths':<10}{'10 stubs':>12}{'1,000 stubs':>14}{'ratio':>8}")
    for kind in ("literal", "template"):
        small = statistics.median(time_lookup(10, kind, repeat, number) for _ in range(3))
        large = statistics.median(time_lookup(1000, kind, repeat, number) for _ in range(3))
        ratio = large / small
        worst = max(worst, ratio)
        print(f"{kind:<10}{small:>10.0f}ns{large:>12.0f}ns{ratio:>8.2f}")
    verdict = "ok" if worst < LIMIT else "TOO SLOW"
    print(f"worst ratio {worst:.2f} (limit {LIMIT}): {verdict}")
    return 0 if worst < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
