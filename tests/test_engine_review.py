"""Engine defects found in review at 38be7d4, each pinned without a server."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from apidouble.behaviours.spec import build_behaviours
from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.model import RequestPattern, ResponseSpec, Stub
from apidouble.outcome import Fail, Outcome, Respond

SRC = Path(__file__).resolve().parents[1] / "src" / "apidouble"


def engine(*endpoints: dict[str, Any], **server: Any) -> Engine:
    loaded = load_data({"endpoints": list(endpoints)})
    return Engine(compile_config(loaded.stubs, seed=1, server=server))


def call(target: Engine, method: str, path: str, *headers: tuple[str, str]) -> Outcome:
    from apidouble.model import Request

    outcome = target.handle(Request(method, path, headers=headers, client=("10.0.0.1", 5)))
    assert isinstance(outcome, Respond | Fail)
    target.served(outcome, 0.001)
    return outcome


def respond(outcome: Outcome) -> Respond:
    assert isinstance(outcome, Respond)
    return outcome


def header(outcome: Outcome, name: str) -> str | None:
    for line in respond(outcome).response.head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.lower() == name.lower():
            return value.strip()
    return None


def test_a_python_stub_failure_rate_is_honoured() -> None:
    stub = Stub(
        "s",
        RequestPattern(frozenset({"GET"}), "/x"),
        (ResponseSpec(200, body_kind="text", body="ok"),),
        failure_rate=1.0,
    )
    target = Engine(compile_config([stub], seed=1))
    assert respond(call(target, "GET", "/x")).response.status == 500


def test_a_failure_fault_without_a_rate_never_faults() -> None:
    stub = Stub(
        "s",
        RequestPattern(frozenset({"GET"}), "/x"),
        (ResponseSpec(200, body_kind="text", body="ok"),),
        behaviours=build_behaviours({"failure_fault": "connection_reset"}),
    )
    target = Engine(compile_config([stub], seed=1))
    assert [respond(call(target, "GET", "/x")).response.status for _ in range(5)] == [200] * 5


def test_a_top_level_fault_faults_every_request() -> None:
    target = engine({"path": "/x", "fault": "connection_reset"})
    assert all(isinstance(call(target, "GET", "/x"), Fail) for _ in range(3))


def test_the_server_wide_refusal_keeps_its_content_type() -> None:
    limit = {"requests": 1, "per": "1m", "response": "slow down", "content_type": "text/x-slow"}
    target = engine({"path": "/x", "response": "ok"}, rate_limit=limit)
    call(target, "GET", "/x")
    refused = call(target, "GET", "/x")
    assert respond(refused).response.status == 429
    assert header(refused, "content-type") == "text/x-slow"


def test_only_the_method_differs_gives_405_with_allow_and_the_report() -> None:
    target = engine(
        {"path": "/items", "method": ["GET", "POST"], "response": []},
        {"path": "/other", "response": "o"},
    )
    answer = respond(call(target, "DELETE", "/items"))
    assert answer.response.status == 405
    assert header(answer, "allow") == "GET, HEAD, POST"  # HEAD goes wherever GET does
    report = json.loads(answer.response.body)
    assert report["near_misses"][0]["stub"] == "GET|POST /items"
    assert respond(call(target, "DELETE", "/nowhere")).response.status == 404


def test_an_any_method_stub_never_gives_405() -> None:
    target = engine({"path": "/any", "method": "ANY", "match": {"query": {"a": "1"}}})
    assert respond(call(target, "DELETE", "/any")).response.status == 404


def test_server_wide_rate_decisions_are_recorded_and_sent() -> None:
    target = engine(
        {"name": "e", "path": "/e", "response": "ok"},
        rate_limit={"requests": 1, "per": "10s"},
        debug_headers=True,
    )
    first = call(target, "GET", "/e")
    assert "rate=0/1" in (header(first, "x-apidouble-decision") or "")
    refused = call(target, "GET", "/e")
    assert "refused" in (header(refused, "x-apidouble-decision") or "")
    entry = target.journal.newest(1)[0]
    assert entry["status"] == 429 and entry["stub"] == "e"
    assert entry["decision"]["rate_limit"]["allowed"] is False


def test_a_plain_stub_decision_reads_none() -> None:
    target = engine({"path": "/p", "response": "ok"}, debug_headers=True)
    assert header(call(target, "GET", "/p"), "x-apidouble-decision") == "none"


def test_refused_by_an_endpoint_does_not_use_the_server_allowance() -> None:
    target = engine(
        {"path": "/e", "response": "e", "rate_limit": {"requests": 1, "per": "10s"}},
        {"path": "/f", "response": "f"},
        rate_limit={"requests": 3, "per": "10s"},
    )
    statuses = [respond(call(target, "GET", "/e")).response.status for _ in range(3)]
    assert statuses == [200, 429, 429]
    after = [respond(call(target, "GET", "/f")).response.status for _ in range(3)]
    assert after == [200, 200, 429]  # the two refusals left 2 of the 3 allowed


def test_a_404_to_a_cross_origin_request_carries_cors_and_the_decision() -> None:
    target = engine({"path": "/x"}, cors=True, debug_headers=True)
    missed = call(target, "GET", "/nope", ("Origin", "https://app.example"))
    assert respond(missed).response.status == 404
    assert header(missed, "access-control-allow-origin") == "*"
    assert header(missed, "x-apidouble-decision") == "none"


def test_a_preflight_follows_the_endpoints_narrower_policy() -> None:
    narrow = {"origins": ["https://app.example"], "credentials": True, "max_age": 600}
    target = engine({"path": "/x", "method": "POST", "cors": narrow}, cors=True)
    asked = (
        ("Origin", "https://app.example"),
        ("Access-Control-Request-Method", "POST"),
    )
    answer = call(target, "OPTIONS", "/x", *asked)
    assert respond(answer).response.status == 204
    assert header(answer, "access-control-allow-origin") == "https://app.example"
    assert header(answer, "access-control-allow-credentials") == "true"
    assert header(answer, "access-control-max-age") == "600"


def test_the_engine_imports_nothing_from_admin_or_transport() -> None:
    tree = ast.parse((SRC / "engine.py").read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in imported if m.startswith(("admin", "transport", ".admin"))}
    assert all("admin" not in module and "transport" not in module for module in imported)
