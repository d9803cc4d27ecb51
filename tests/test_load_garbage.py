"""A reload leaves no cyclic garbage behind: the served generation, once replaced, is freed
by reference counting alone.

The CLI freezes what each load builds (``watch.collector_paused(freeze=True)``), so the
collector never walks a big config again; frozen objects are only ever freed by
reference counting. A reference cycle anywhere in a compiled config would therefore
leak one generation per reload. These tests build generations of a config that uses
most kinds of stub and look for our objects among what only the collector could free.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from apidouble.state.memory import MemoryStore
from apidouble.watch import Reloader

NATIVE = {
    "endpoints": [
        {"name": "static", "path": "/static", "response": {"ok": True}},
        {
            "name": "templated",
            "path": "/users/{id}",
            "response": {"id": "{{ request.params.id | int }}", "at": "{{ date }}"},
        },
        {
            "name": "conditions",
            "method": "POST",
            "path": "/search",
            "match": {"headers": {"X-Team": "blue"}, "query": {"q": {"contains": "a"}}},
            "response": "found {{ request.query.q }}",
            "status": 201,
        },
        {
            "name": "sequence",
            "path": "/seq",
            "mode": "sequence",
            "responses": [{"response": {"n": 1}}, {"response": {"n": 2}}],
        },
        {
            "name": "slow",
            "path": "/slow",
            "latency_ms": 5,
            "status": 503,
            "response": "slow",
        },
        {"name": "regex", "path_regex": "^/files/.*$", "response": "file"},
    ]
}

WIREMOCK = {
    "mappings": [
        {
            "request": {"method": "GET", "urlPathPattern": "/wm/[a-z]+"},
            "response": {
                "status": 200,
                "body": "{{request.path}}",
                "transformers": ["response-template"],
            },
        },
        {
            "scenarioName": "flow",
            "requiredScenarioState": "Started",
            "request": {"method": "GET", "url": "/wm-state"},
            "response": {"status": 200, "body": "first"},
        },
    ]
}


def _write(folder: Path, marker: str) -> None:
    native = json.loads(json.dumps(NATIVE))
    native["endpoints"][0]["response"] = {"ok": True, "marker": marker}
    (folder / "stubs.json").write_text(json.dumps(native))
    (folder / "wiremock.json").write_text(json.dumps(WIREMOCK))


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector off (the test collects by hand) and everything else collected first,
    so what the test finds unreachable is what the reload left."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.set_debug(0)
    gc.garbage.clear()
    if was_enabled:
        gc.enable()


def _ours_unreachable() -> list[str]:
    """The type names of our objects that only the collector can free (it keeps them in
    ``gc.garbage`` for inspection instead of freeing them)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    found = sorted(
        {
            type(thing).__qualname__
            for thing in gc.garbage
            if getattr(type(thing), "__module__", "").startswith("apidouble")
        }
    )
    gc.set_debug(0)
    gc.garbage.clear()
    return found


def test_a_replaced_generation_is_freed_by_reference_counting(
    tmp_path: Path, collector: None
) -> None:
    _write(tmp_path, "first")
    reloader = Reloader([tmp_path], lambda config: None, lambda error: None, store=MemoryStore())
    reloader.load_now()
    for number in range(3):  # the first reload replaces the first load; later ones, reloads
        _write(tmp_path, f"edit-{number}")
        base, config = reloader._build()
        reloader.composer.commit(config, base=base)
        del base, config
    assert reloader.served is not None
    assert _ours_unreachable() == []


def test_the_check_sees_a_cycle_when_there_is_one(tmp_path: Path, collector: None) -> None:
    """The probe itself: a generation kept alive only by a cycle through it is found."""
    _write(tmp_path, "first")
    reloader = Reloader([tmp_path], lambda config: None, lambda error: None, store=MemoryStore())
    served = reloader.load_now()
    cycle: list[object] = [served]
    cycle.append(cycle)
    _write(tmp_path, "edit")
    base, config = reloader._build()
    reloader.composer.commit(config, base=base)
    del served, cycle, base, config
    assert "CompiledConfig" in _ours_unreachable()
