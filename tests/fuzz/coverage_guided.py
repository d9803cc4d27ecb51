"""Coverage-guided runs of the fuzz targets with atheris (libFuzzer), for ``make fuzz``.

Hypothesis draws inputs from each target's grammar; here libFuzzer chooses the bytes
Hypothesis draws from, keeping those that reach new branches of ``apidouble`` (its
modules are instrumented as they are imported). The property is the target's own: the
test body runs as in ``make test``, through Hypothesis' ``fuzz_one_input``.

Only targets whose every argument is drawn can run this way: the ones that take a
served ``MockServer`` (HTTP/1.1, HTTP/2, WebSocket, the issuer) get their servers from
pytest fixtures, so they stay with ``make fuzz``'s plain Hypothesis runs::

    .venv/bin/python -m tests.fuzz.coverage_guided --list
    .venv/bin/python -m tests.fuzz.coverage_guided test_body_regex -max_total_time=600

Arguments after the target go to libFuzzer (``-max_total_time``, ``-runs``,
``-artifact_prefix``...). A failing input is written where ``-artifact_prefix`` says
(``crash-<sha1>``); ``-runs=1 FILE`` replays it.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

MODULES = tuple(
    f"tests.fuzz.test_{name}"
    for name in ("config", "importers", "matchers", "schemas", "templates")
)
"""The target modules whose targets need no fixture; ``APIDOUBLE_FUZZ_GUIDED_MODULES``
(comma-separated) names others, as the driver's own test does."""


def _modules() -> Iterator[ModuleType]:
    names = os.environ.get("APIDOUBLE_FUZZ_GUIDED_MODULES")
    for name in names.split(",") if names else MODULES:
        yield importlib.import_module(name)


def targets(modules: Iterator[ModuleType]) -> dict[str, Callable[[bytes], Any]]:
    """Each Hypothesis target with no fixture argument, by its test's name."""
    found: dict[str, Callable[[bytes], Any]] = {}
    for module in modules:
        for name, test in vars(module).items():
            hypothesis = getattr(test, "hypothesis", None)
            if not name.startswith("test_") or hypothesis is None:
                continue
            if inspect.signature(test).parameters:  # left for pytest to fill: fixtures
                continue
            found[name] = hypothesis.fuzz_one_input
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        print("atheris is not installed (scripts/fuzz.sh --atheris installs it)", file=sys.stderr)
        return 2
    with atheris.instrument_imports(include=["apidouble"]):
        found = targets(_modules())
    if argv[1] == "--list":
        print("\n".join(sorted(found)))
        return 0
    name = argv[1]
    if name not in found:
        print(f"{name}: no such fixture-free target; --list names them", file=sys.stderr)
        return 2
    atheris.Setup([argv[0], *argv[2:]], found[name])
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
