"""Templated vs static: a ~2 KB JSON response served in-process, requests per second.

Builds two engines through the real loader and compiler: one whose body has a path
parameter, ``date`` and ``uuid`` in it (typed slots and a slot inside a larger string),
and one with the same body written out statically. Times ``Engine.handle(request)``,
which returns the response already encoded (status line, headers, body bytes), so
encoding is included. Prints both rates and the ratio; exits 1 below ``LIMIT``.

    .venv/bin/python bench/template_rate.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from typing import Any

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.model import Request
from apidouble.outcome import Respond

LIMIT = 0.60


def body(templated: bool) -> dict[str, Any]:
    """A realistic ~2 KB order document; three leaves are templates when ``templated``."""
    items = [
        {
            "sku": f"SKU-{n:05d}",
            "name": f"Widget model {n} with a longer descriptive name",
            "price": round(9.99 + n, 2),
            "quantity": n % 4 + 1,
            "tags": ["hardware", "tools", f"batch-{n % 3}"],
            "in_stock": n % 2 == 0,
        }
        for n in range(10)
    ]
    return {
        "id": "{{ request.params.id }}" if templated else "42",
        "self": "/api/orders/{{ request.params.id }}" if templated else "/api/orders/42",
        "created": "{{ date }}" if templated else "2026-01-01",
        "trace": "{{ uuid }}" if templated else "6f1c2c1e-8a4b-4d53-9b1a-3f2e5d6c7b8a",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "tier": "gold"},
        "items": items,
        "currency": "EUR",
        "notes": None,
    }


def make_engine(templated: bool) -> Engine:
    endpoint = {"name": "order", "path": "/api/orders/{id}", "response": body(templated)}
    loaded = load_data({"endpoints": [endpoint]})
    return Engine(compile_config(loaded.stubs, seed=1))


def rate(engine: Engine, repeat: int, number: int) -> float:
    """Best-of-``repeat`` requests per second for ``engine.handle``."""
    request = Request("GET", "/api/orders/42")
    handle = engine.handle

    def once() -> None:
        outcome = handle(request)
        assert isinstance(outcome, Respond)

    runs = timeit.repeat(once, repeat=repeat, number=number)
    return number / min(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    repeat, number = (3, 2_000) if args.quick else (7, 20_000)
    static, templated = make_engine(False), make_engine(True)
    sample = templated.handle(Request("GET", "/api/orders/42"))
    assert isinstance(sample, Respond)
    size = len(sample.response.body)
    json.loads(sample.response.body)  # the templated body is valid JSON
    static_rates, templated_rates = [], []
    for _ in range(5):  # interleaved, so drift in machine load hits both alike
        static_rates.append(rate(static, repeat, number))
        templated_rates.append(rate(templated, repeat, number))
    static_rate, templated_rate = (
        statistics.median(static_rates),
        statistics.median(templated_rates),
    )
    ratio = templated_rate / static_rate
    print(f"body {size} bytes")
    print(f"static    {static_rate:>12,.0f} req/s  ({1e6 / static_rate:.2f} us/req)")
    print(f"templated {templated_rate:>12,.0f} req/s  ({1e6 / templated_rate:.2f} us/req)")
    verdict = "ok" if ratio >= LIMIT else "TOO SLOW"
    print(f"ratio {ratio:.2f} (limit {LIMIT}): {verdict}")
    return 0 if ratio >= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
