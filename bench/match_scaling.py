"""Matching cost with 10 stubs vs 1,000: the router index must keep it flat.

Builds both configs through the real loader and compiler, then times ``Router.find``
for requests that hit the LAST stub of the file (the worst case for a linear scan),
for literal paths and for ``{param}`` templates, 10 and 1,000 stubs interleaved, the
best of many short runs each (a shared machine only ever adds time). Prints a table;
exits 1 when 1,000 stubs cost 1.5x or more of 10 stubs.

    .venv/bin/python bench/match_scaling.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable

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


def lookup(count: int, kind: str) -> Callable[[], object]:
    """``Router.find`` for a request to the last of ``count`` stubs, ready to time."""
    loaded = load_data({"endpoints": endpoints(count, kind)})
    router = compile_config(loaded.stubs).router
    last = count - 1
    path = f"/api/v1/resource{last}/items" if kind == "literal" else f"/api/v1/resource{last}/42"
    request = Request("GET", path)
    assert router.find(request).stub is not None, "the benchmark request must match"
    return lambda: router.find(request)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    rounds, number = (15, 1_000) if args.quick else (21, 20_000)
    worst = 0.0
    print(f"{'paths':<10}{'10 stubs':>12}{'1,000 stubs':>14}{'ratio':>8}")
    for kind in ("literal", "template"):
        small, large = lookup(10, kind), lookup(1000, kind)
        best = {10: float("inf"), 1000: float("inf")}
        for _ in range(rounds):  # interleaved, best of each: noise only ever adds time
            best[10] = min(best[10], timeit.timeit(small, number=number) / number * 1e9)
            best[1000] = min(best[1000], timeit.timeit(large, number=number) / number * 1e9)
        ratio = best[1000] / best[10]
        worst = max(worst, ratio)
        print(f"{kind:<10}{best[10]:>10.0f}ns{best[1000]:>12.0f}ns{ratio:>8.2f}")
    verdict = "ok" if worst < LIMIT else "TOO SLOW"
    print(f"worst ratio {worst:.2f} (limit {LIMIT}): {verdict}")
    return 0 if worst < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
