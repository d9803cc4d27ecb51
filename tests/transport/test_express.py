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


GOLD = {
    "name": "gold",
    "path": "/search",
    "match": {"headers": {"X-Client": "bench"}, "query": {"kind": "gold"}},
    "response": {"tier": "gold"},
}
SILVER = {"name": "silver", "path": "/search", "match": {"query": {"kind": "silver"}},
          "response": {"tier": "silver"}}  # fmt: skip


def guards_for(
    *endpoints: dict[str, Any], **server: Any
) -> dict[tuple[bytes, str, bool], list[str]]:
    """(method, path, with a query string) -> the labels of its guarded candidates."""
    loaded = load_data({"endpoints": list(endpoints), **server})
    lane = Engine(compile_config(loaded.stubs, seed=1, server=loaded.server)).express
    found: dict[tuple[bytes, str, bool], list[str]] = {}
    for with_query, guards in ((False, lane.guards), (True, lane.query_guards)):
        for method, table in guards.items():
            for path, candidates in table.items():
                labels = [route.stub.label or "" for _, route in candidates]
                found[(method, path, with_query)] = labels
    return found


def test_ready_stubs_with_conditions_on_a_literal_path_are_guarded() -> None:
    assert guards_for(GOLD, SILVER) == {
        (b"GET", "/search", False): ["gold", "silver"],
        (b"GET", "/search", True): ["gold", "silver"],
    }


def test_a_stub_without_conditions_ends_the_candidates() -> None:
    """It always answers: a query string does not stop it, and nothing after it is tried."""
    fallback = {"name": "fallback", "path": "/search", "response": {"tier": "none"}}
    later = {**SILVER, "name": "later"}
    assert guards_for(GOLD, fallback, later) == {
        (b"GET", "/search", False): ["gold", "fallback"],
        (b"GET", "/search", True): ["gold", "fallback"],
    }
    # without a query string the routes table answers it; with one, the guards do
    assert guards_for(STATIC) == {(b"GET", "/static", True): ["static"]}


@pytest.mark.parametrize(
    "extra",
    [
        {"response": {"at": "{{ now() }}"}},
        {"latency_ms": 5},
        {"path": "/{page}"},
        {"scenario": {"name": "flow", "when": "started", "then": "done"}},
        {"rate_limit": {"requests": 5, "per": "1s"}},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_a_candidate_the_engine_must_decide_keeps_its_path_unguarded(
    extra: dict[str, Any],
) -> None:
    assert guards_for(GOLD, {**SILVER, **extra}) == {}


def test_server_wide_behaviour_empties_the_guards() -> None:
    assert guards_for(GOLD, cors=True) == {}


def head_guards_for(*endpoints: dict[str, Any]) -> dict[tuple[bytes, bytes, bool], list[str]]:
    """Like ``guards_for``, for the candidates tested on the head as received."""
    loaded = load_data({"endpoints": list(endpoints)})
    lane = Engine(compile_config(loaded.stubs, seed=1, server=loaded.server)).express
    found: dict[tuple[bytes, bytes, bool], list[str]] = {}
    for with_query, guards in ((False, lane.head_guards), (True, lane.head_query_guards)):
        for method, table in guards.items():
            for path, candidates in table.items():
                labels = [route.stub.label or "" for _, route in candidates]
                found[(method, path, with_query)] = labels
    return found


def test_header_and_query_conditions_are_tested_on_the_head() -> None:
    assert head_guards_for(GOLD, SILVER) == {
        (b"GET", b"/search", False): ["gold", "silver"],
        (b"GET", b"/search", True): ["gold", "silver"],
    }


@pytest.mark.parametrize(
    "match",
    [{"cookies": {"session": "abc"}}, {"body": {"contains": "x"}}],
    ids=lambda match: next(iter(match)),
)
def test_a_candidate_reading_more_than_the_head_keeps_the_request_path(
    match: dict[str, Any],
) -> None:
    other = {**SILVER, "match": {**SILVER["match"], **match}}  # type: ignore[dict-item]
    assert guards_for(GOLD, other) != {}
    assert head_guards_for(GOLD, other) == {}


def send(port: int, target: str, *headers: str) -> bytes:
    lines = "".join(f"{line}\r\n" for line in headers)
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        answer = b""
        while not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def split_send(port: int, target: str, *headers: str) -> bytes:
    """The same request in two reads: the full parser's path, never the lane."""
    lines = "".join(f"{line}\r\n" for line in headers)
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n".encode()
    return exchange(port, [head[:10], head[10:]])


@pytest.mark.parametrize(
    ("target", "headers", "answer"),
    [
        ("/search?kind=gold", ["X-Client: bench"], b'{"tier":"gold"}'),
        ("/search?kind=gold", ["x-client:  bench "], b'{"tier":"gold"}'),
        ("/search?kind=silver", ["X-Client: bench"], b'{"tier":"silver"}'),
        ("/search?kind=silver&kind=gold", [], b'{"tier":"silver"}'),
        ("/search?kind=gold", ["X-Client: other"], b"404"),
        ("/search?kind=gold", [], b"404"),
        ("/search", ["X-Client: bench"], b"404"),
        ("/search?kind=g%6Fld", ["X-Client: bench"], b'{"tier":"gold"}'),
        ("/search?kind=gold+", ["X-Client: bench"], b"404"),
        ("/search?kind=gold#top", ["X-Client: bench"], b'{"tier":"gold"}'),
        ("/search?kind=gold", ["X-Client: other", "X-Client: bench"], b'{"tier":"gold"}'),
        ("/search?=gold&kind", ["X-Client: bench"], b"404"),
    ],
)
def test_guarded_answers_and_journal_entries_are_the_general_paths(
    target: str, headers: list[str], answer: bytes
) -> None:
    with MockServer(endpoints=[GOLD, SILVER]) as mock:
        fast = send(mock.port, target, *headers)
        slow = split_send(mock.port, target, *headers)
        newer, older = mock.requests.all()
    if answer == b"404":
        assert fast.startswith(b"HTTP/1.1 404 ")
    else:
        assert fast.startswith(b"HTTP/1.1 200 OK\r\n") and fast.endswith(answer)
    assert fast == slow
    assert comparable(newer) == comparable(older)
    assert older["query"] == target.partition("?")[2].partition("#")[0]


def test_guarded_exchanges_count_in_their_stubs_cell() -> None:
    with MockServer(endpoints=[GOLD, SILVER]) as mock:
        send(mock.port, "/search?kind=silver")
        split_send(mock.port, "/search?kind=silver")
        assert mock.requests.count(stub="silver") == 2
        metrics = httpx.get(mock.url + "/__admin/metrics").text
    assert 'stub="silver"' in metrics
    line = next(x for x in metrics.splitlines() if 'stub="silver"' in x and "_total" in x)
    assert line.endswith(" 2.0")
