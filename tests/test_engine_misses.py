"""Near-miss reports are kept per distinct request, per config generation."""

from __future__ import annotations

import json

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.model import Request
from apidouble.outcome import Respond


def _engine(*paths: str) -> Engine:
    endpoints = [{"path": p, "match": {"headers": {"X-Key": "k"}}} for p in paths]
    return Engine(compile_config(load_data({"endpoints": endpoints}).stubs))


def _report(engine: Engine, *headers: tuple[str, str], body: bytes = b"") -> Respond:
    outcome = engine.handle(Request("GET", "/orders", headers=headers, body=body))
    assert isinstance(outcome, Respond)
    return outcome


def test_the_same_request_reuses_its_report_and_another_gets_its_own() -> None:
    engine = _engine("/orders", "/users")
    first = _report(engine)
    assert _report(engine).response is first.response  # kept
    other = _report(engine, ("X-Key", "wrong"))
    assert other.response is not first.response
    checks = json.loads(other.response.body)["near_misses"][0]["checks"]
    assert any(check.get("actual") == "wrong" for check in checks)


def test_a_reload_starts_with_no_kept_reports() -> None:
    engine = _engine("/orders")
    first = _report(engine)
    engine.install(_engine("/orders", "/other").config)
    assert _report(engine).response is not first.response


def test_large_bodies_are_not_kept() -> None:
    engine = _engine("/orders")
    big = b"x" * 5000
    assert _report(engine, body=big).response is not _report(engine, body=big).response
