"""How many examples each fuzz target runs.

``make test`` runs every target with its own small budget, derandomized (the same
inputs on every run, so CI is deterministic) and with no per-example deadline (a slow
shared machine must not fail a test; the properties bound time themselves). A long run
sets ``APIDOUBLE_FUZZ_EXAMPLES`` (examples per target): then inputs are drawn afresh
each run and a failure prints the ``@reproduce_failure`` blob that replays it::

    APIDOUBLE_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest -p no:cacheprovider \\
        --timeout 0 -x tests/fuzz
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["LONG_RUN", "budget"]

LONG_RUN = int(os.environ.get("APIDOUBLE_FUZZ_EXAMPLES", "0") or 0)
"""Examples per target for a long run; 0 in ``make test``."""
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def budget(examples: int) -> settings:
    """Settings for one target: ``examples`` in ``make test``, ``LONG_RUN`` in a long run."""
    return settings(
        max_examples=LONG_RUN or examples,
        deadline=None,
        derandomize=not LONG_RUN,
        database=None,
        suppress_health_check=_QUIET,
        print_blob=True,
    )
