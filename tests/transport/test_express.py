"""The express lane (``apidouble.express``): which stubs it answers, and that its answers
and journal entries are the ones the general path gives."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.express import express_routes

STATIC = {"name": "static", "path": "/static", "response": {"id": 1, "name": "Ada"}}
HEAD = b"GET /static HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n"


def routes_for(*endpoints: dict[str, Any], **server: Any) -> dict[tuple[bytes, bytes], str]:
    loaded = load_data({"endpoints": list(endpoints), **server})
    found = express_routes(compile_config(loaded.stubs, seed=1, server=loaded.server))
    return {(m, t): r.stub.label or "" for m, table in found.items() for t, r in table.items()}


def test_a_static_stub_on_a_literal_path_is_an_express_route() -> None:
    assert routes_for(STATIC) == {(b"GET", b"/static"): "static"}


def test_a_route_is_keyed_by_the_target_as_the_transport_decodes_it() -> None:
    """Targets are decoded as latin-1; a percent escape never meets a key (it is decoded
    by the router), and a path latin-1 cannot spell never matches a request anyway."""
    cafe = {**STATIC, "path": "/café"}
    assert routes_for(cafe) == {(b"GET", "/café".encode("latin-1")): "static"}
    assert routes_for({**STATIC, "path": "/ĉ"}) == {}


@pytest.mark.parametrize(
    "extra",
    [
        {"match": {"headers": {"X-Client": "bench"}}},
        {"match": {"query": {"kind": "gold"}}},
        {"response": {"at": "{{ now() }}"}},
        {"latency_ms": 5},
        {"failure_rate": 0.5},
        {"rate_limit": {"requests": 5, "per": "1s"}},
        {"path": "/users/{id}"},
        {"path": "/__mine"},
        {"method": "HEAD"},
        {"scenario": {"name": "flow", "when": "started", "then": "done"}},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_anything_the_engine_must_decide_stays_off_the_lane(extra: dict[str, Any]) -> None:
    assert routes_for({**STATIC, **extra}) == {}


def test_a_template_outranking_the_literal_keeps_it_off_the_lane() -> None:
    template = {"name": "any", "path": "/{name}", "priority": 1, "response": {"t": True}}
    assert routes_for({**STATIC, "priority": 5}, template) == {}


@pytest.mark.parametrize(
    "server",
    [{"cors": True}, {"rate_limit": {"requests": 5, "per": "1s"}}, {"debug_headers": True}],
    ids=lambda server: next(iter(server)),
)
def test_server_wide_behaviour_empties_the_lane(server: dict[str, Any]) -> None:
    assert routes_for(STATIC, **server) == {}


def test_install_rebuilds_the_lane() -> None:
    loaded = load_data({"endpoints": [STATIC]})
    engine = Engine(compile_config(loaded.stubs, seed=1))
    assert b"/static" in engine.express.routes[b"GET"]
    moved = load_data({"endpoints": [{**STATIC, "path": "/moved"}]})
    engine.install(compile_config(moved.stubs, seed=1))
    assert list(engine.express.routes[b"GET"]) == [b"/moved"]


def exchange(port: int, reads: list[bytes]) -> bytes:
    """Send ``reads`` one by one (a pause between them), return one whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for read in reads:
            sock.sendall(read)
            time.sleep(0.05)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def comparable(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry less what differs between any two exchanges (number, times)."""
    return {k: v for k, v in entry.items() if k not in ("id", "time", "received_at", "duration_ms")}


def test_express_and_general_paths_answer_and_journal_alike() -> None:
    with MockServer(endpoints=[STATIC]) as mock:
        assert mock._runtime.engine.express.routes[b"GET"][b"/static"].stub.label == "static"
        express = exchange(mock.port, [HEAD])  # one read: the whole-head path's lane
        general = exchange(mock.port, [HEAD[:20], HEAD[20:]])  # split: the full parser's
        entries = mock.requests.all()
    assert express == general
    assert express.startswith(b"HTTP/1.1 200 OK\r\n")
    assert len(entries) == 2
    newer, older = entries
    assert set(newer) == set(older)
    assert comparable(newer) == comparable(older)
    assert older["stub"] == "static" and older["status"] == 200
    assert older["headers"] == [["Host", "127.0.0.1"], ["User-Agent", "raw"], ["Accept", "*/*"]]
    assert older["response"]["body"] == '{"id":1,"name":"Ada"}'


def test_a_listener_sees_express_exchanges() -> None:
    seen: list[tuple[str, str | None, int]] = []
    with MockServer(endpoints=[STATIC]) as mock:
        stop = mock._runtime.journal.listen(
            lambda event: seen.append(
                (event.request.path, event.request.header("accept"), event.status)
            )
        )
        exchange(mock.port, [HEAD])
        stop()
    assert seen == [("/static", "*/*", 200)]


def test_a_journal_keeping_nothing_still_counts_express_exchanges() -> None:
    with MockServer(endpoints=[STATIC], request_journal=False) as mock:
        for _ in range(3):
            assert httpx.get(mock.url + "/static").status_code == 200
            exchange(mock.port, [HEAD])
        assert mock.requests.count(stub="static") == 6
        assert len(mock.requests) == 0


def test_a_reload_changes_what_the_lane_answers(tmp_path: Any) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text("endpoints:\n  - {path: /static, response: {v: 1}}\n")
    with MockServer(config, watch=False) as mock:
        assert exchange(mock.port, [HEAD]).endswith(b'{"v":1}')
        config.write_text("endpoints:\n  - {path: /static, response: {v: 2}}\n")
        mock.reload()
        assert exchange(mock.port, [HEAD]).endswith(b'{"v":2}')
