"""Server-Sent Events (``sse:``) over real sockets: framing, pacing, resuming, faults.

Read with httpx's streaming client (line by line, as a browser's EventSource parses) and
with a raw socket where the wire itself is the point (chunking, a cut connection).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import ConfigError, MockServer

TIMEOUT = 5.0
PLAIN_TYPE = "text/event-stream; charset=utf-8"
TOKENS = ["Hel", "lo", " there"]
ENDPOINTS: list[dict[str, Any]] = [
    {
        "name": "chat",
        "method": "POST",
        "path": "/v1/chat/completions",
        "sse": {
            "every_ms": 10,
            "events": [
                *(
                    {
                        "data": {
                            "object": "chat.completion.chunk",
                            "choices": [{"index": 0, "delta": {"content": t}}],
                        }
                    }
                    for t in TOKENS
                ),
                {"data": "[DONE]"},
            ],
        },
    },  # fmt: skip
    {
        "name": "fields",
        "path": "/fields/{room}",
        "headers": {"X-Stream": "yes"},
        "sse": {
            "events": [
                {"event": "greeting", "id": "a-{{ index }}", "retry": 1500, "data": "one\ntwo"},
                {"comment": "just a comment"},
                {"data": {"room": "{{ request.params.room }}", "n": "{{ index }}"}},
            ]
        },
    },
    {
        "name": "ticks",
        "path": "/ticks",
        "sse": {
            "repeat": "forever",
            "every_ms": 20,
            "events": [{"event": "tick", "id": "{{ index }}", "data": {"n": "{{ index }}"}}],
        },
    },
    {
        "name": "paced",
        "path": "/paced",
        "sse": {"repeat": 3, "every_ms": 300, "events": [{"data": "x"}]},
    },
    {
        "name": "slow",
        "path": "/slow",
        "sse": {"keepalive_ms": 50, "events": [{"data": "late", "delay_ms": 260}]},
    },
    {
        "name": "dropped",
        "path": "/dropped",
        "sse": {"repeat": 5, "drop_after": 2, "events": [{"data": "d{{ index }}"}]},
    },
    {
        "name": "late head",
        "path": "/late",
        "latency_ms": 150,
        "sse": {"events": [{"data": "after the wait"}]},
    },
]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS) as server:
        yield server


def events(lines: Iterator[str], limit: int = 50) -> list[dict[str, Any]]:
    """Parse a stream as EventSource does: fields until a blank line; comments kept."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if current:
                found.append(current)
                current = {}
                if len(found) >= limit:
                    break
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            current.setdefault("comments", []).append(value)
        elif name == "data":
            current["data"] = f"{current['data']}\n{value}" if "data" in current else value
        else:
            current[name] = value
    return found


def test_an_openai_style_token_stream(mock: MockServer) -> None:
    with httpx.stream("POST", mock.url + "/v1/chat/completions", timeout=TIMEOUT) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert answer.headers["cache-control"] == "no-cache"
        got = events(answer.iter_lines())
    assert got[-1] == {"data": "[DONE]"}
    chunks = [json.loads(e["data"]) for e in got[:-1]]
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == TOKENS
    assert got[0]["data"].startswith('{"object":"chat.completion.chunk"')  # compact JSON


def test_every_field_framed_and_templated(mock: MockServer) -> None:
    with httpx.stream("GET", mock.url + "/fields/blue", timeout=TIMEOUT) as answer:
        assert answer.headers["x-stream"] == "yes"
        got = events(answer.iter_lines())
    assert got[0] == {"event": "greeting", "id": "a-0", "retry": "1500", "data": "one\ntwo"}
    assert got[1] == {"comments": ["just a comment"]}
    assert json.loads(got[2]["data"]) == {"room": "blue", "n": 2}


def test_the_wire_is_chunked_and_ends_cleanly(mock: MockServer) -> None:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /paced HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        wire = _read_all(sock)
    head, _, body = wire.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body.endswith(b"0\r\n\r\n")
    assert body.count(b"data: x\n\n") == 3


def test_events_are_paced(mock: MockServer) -> None:
    with httpx.stream("GET", mock.url + "/paced", timeout=TIMEOUT) as answer:
        started = time.monotonic()  # the head is in: the first event must not wait 300 ms
        arrivals = []
        for line in answer.iter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 3
    assert arrivals[0] < 0.25  # the first event goes at once
    assert arrivals[2] - arrivals[0] >= 0.55  # two waits of 300 ms, give or take the clock


def test_forever_until_the_client_leaves_and_the_server_goes_on(mock: MockServer) -> None:
    with httpx.stream("GET", mock.url + "/ticks", timeout=TIMEOUT) as answer:
        got = events(answer.iter_lines(), limit=4)
    assert [e["id"] for e in got] == ["0", "1", "2", "3"]
    _wait_for(lambda: _open_connections(mock) == 0)  # the stream stopped with its client
    assert httpx.get(mock.url + "/fields/r", timeout=TIMEOUT).status_code == 200


def test_last_event_id_resumes_after_that_event(mock: MockServer) -> None:
    headers = {"Last-Event-ID": "6"}
    with httpx.stream("GET", mock.url + "/ticks", headers=headers, timeout=TIMEOUT) as answer:
        got = events(answer.iter_lines(), limit=2)
    assert [e["id"] for e in got] == ["7", "8"]
    unknown = {"Last-Event-ID": "nope"}
    with httpx.stream("GET", mock.url + "/ticks", headers=unknown, timeout=TIMEOUT) as answer:
        assert events(answer.iter_lines(), limit=1)[0]["id"] == "0"  # not found: from the start


def test_keep_alive_comments_during_a_long_wait(mock: MockServer) -> None:
    with httpx.stream("GET", mock.url + "/slow", timeout=TIMEOUT) as answer:
        got = events(answer.iter_lines())
    keepalives = [e for e in got if e.get("comments") == ["keep-alive"]]
    assert len(keepalives) >= 3 and got[-1] == {"data": "late"}


def test_drop_after_cuts_the_connection_mid_stream(mock: MockServer) -> None:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /dropped HTTP/1.1\r\nHost: x\r\n\r\n")
        wire = _read_all(sock)
    assert wire.count(b"data: d") == 2 and b"data: d1\n" in wire
    assert not wire.endswith(b"0\r\n\r\n")  # no last chunk: the client sees a cut


def test_latency_delays_the_head(mock: MockServer) -> None:
    started = time.monotonic()
    with httpx.stream("GET", mock.url + "/late", timeout=TIMEOUT) as answer:
        assert time.monotonic() - started >= 0.14
        assert events(answer.iter_lines()) == [{"data": "after the wait"}]


def test_head_gets_the_head_only_and_the_journal_has_every_stream(mock: MockServer) -> None:
    mock.requests.clear()
    answer = httpx.head(mock.url + "/paced", timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["content-type"].startswith("text/event-stream")
    with httpx.stream("GET", mock.url + "/paced", timeout=TIMEOUT) as answer:
        assert len(events(answer.iter_lines())) == 3
    entries = mock.requests.find(path="/paced")
    assert sorted((e["method"], e["stub"], e["status"]) for e in entries) == [
        ("GET", "paced", 200),
        ("HEAD", "paced", 200),
    ]
    assert all(e["response"]["headers"][0] == ["content-type", PLAIN_TYPE] for e in entries)


def test_a_templated_status_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text(
        json.dumps({"endpoints": [{"path": "/s", "status": "{{ 200 }}", "sse": {"events": [{}]}}]})
    )
    with pytest.raises(ConfigError, match="cannot be templates"):
        MockServer(config)


def test_a_bad_event_template_names_its_place(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    endpoint = {"path": "/s", "sse": {"events": [{"data": "ok"}, {"id": "{{ nothing }}"}]}}
    config.write_text(json.dumps({"endpoints": [endpoint]}))
    with pytest.raises(ConfigError, match=r"/endpoints/0/sse/events/1/id.*nothing"):
        MockServer(config)


def test_sse_and_a_body_together_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    both = {"path": "/s", "response": "x", "sse": {"events": [{"data": "y"}]}}
    config.write_text(json.dumps({"endpoints": [both]}))
    with pytest.raises(ConfigError, match="use only one of"):
        MockServer(config)


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (bounded by the socket's timeout)."""
    chunks = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _open_connections(mock: MockServer) -> float:
    text = httpx.get(mock.url + "/__admin/metrics", timeout=TIMEOUT).text
    line = next(x for x in text.splitlines() if x.startswith("apidouble_connections_open "))
    return float(line.split()[1]) - 1  # less the scrape's own connection


def _wait_for(done: Any, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
