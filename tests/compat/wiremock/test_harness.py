"""The harness itself: a wrong answer must show up as a difference, a fault as its class."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .compare import compare
from .wire import Probe, send

REPORT = "\n  Request was not matched\n  =======================\n"


def answer(status: int = 200, body: str = "ok", **headers: str) -> dict[str, Any]:
    return {
        "outcome": "ok",
        "status": status,
        "headers": [[k.replace("_", "-"), v] for k, v in headers.items()],
        "body": body,
        "elapsed_ms": 5,
    }


PROBE = Probe(name="p", method="GET", url="/")


@pytest.mark.parametrize(
    ("expected", "actual", "difference"),
    [
        (answer(), answer(), None),
        (answer(201), answer(200), "status"),
        (answer(Content_Type="text/plain"), answer(), "header content-type"),
        (answer(X_A="1"), answer(X_A="2"), "header x-a"),
        (answer(X_A="1"), answer(X_A="1", X_Ours="extra"), None),
        (answer(Date="Mon"), answer(Date="Tue"), None),
        (answer(body="a"), answer(body="b"), "body"),
        (answer(body='{"a": 1, "b": 2}'), answer(body='{"b":2,"a":1}'), None),
        (answer(body="[1, 2]"), answer(body="[2, 1]"), "body"),
        ({"outcome": "reset"}, {"outcome": "empty"}, "outcome"),
        ({"outcome": "reset"}, {"outcome": "reset"}, None),
        (answer(404, REPORT), answer(200, REPORT), "status"),
        (answer(404, REPORT), answer(404, "{}"), None),
    ],
)
def test_compare_finds_what_differs(
    expected: dict[str, Any], actual: dict[str, Any], difference: str | None
) -> None:
    verdict = compare("case", PROBE, expected, actual, set())
    if difference is None:
        assert verdict.agrees, verdict.differences
    else:
        assert any(d.startswith(difference) for d in verdict.differences), verdict.differences


def test_unmatched_report_is_its_own_category() -> None:
    same = compare("c", PROBE, answer(404, REPORT), answer(404, REPORT), set())
    other = compare("c", PROBE, answer(404, REPORT), answer(404, "no stub"), set())
    matched = compare("c", PROBE, answer(200, "x"), answer(200, "x"), set())
    assert (same.report, other.report, matched.report) == (True, False, None)
    assert same.agrees and other.agrees


def test_ignored_header_counts_when_a_stub_sets_it() -> None:
    verdict = compare("c", PROBE, answer(Vary="Origin"), answer(), {"vary"})
    assert not verdict.agrees


def test_normalise_rules_and_delays() -> None:
    probe = Probe(name="p", method="GET", url="/", normalise=((r"\d{4}", "<n>"),))
    assert compare("c", probe, answer(body="id 1234"), answer(body="id 9876"), set()).agrees
    slow = Probe(name="p", method="GET", url="/", min_elapsed_ms=100)
    fast = compare("c", slow, {**answer(), "elapsed_ms": 150}, answer(), set())
    assert fast.differences == ["apidouble answered in 5 ms, before the delay"]


def test_status_only_probe_ignores_the_body() -> None:
    probe = Probe(name="p", method="GET", url="/", compare=("status",))
    assert compare("c", probe, answer(403, "<html>jetty</html>"), answer(403, "{}"), set()).agrees
    assert not compare("c", probe, answer(403), answer(404), set()).agrees


def test_refusal_is_a_difference() -> None:
    verdict = compare("c", PROBE, answer(), {"refused": "ConfigError: x"}, set())
    assert verdict.differences == ["apidouble refused the root: ConfigError: x"]


Reply = Callable[[socket.socket], None]


def _reset(sock: socket.socket) -> None:
    """Close with a zero linger: the peer gets a RST, not a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _partial_then_reset(sock: socket.socket) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    _reset(sock)


REPLIES: dict[str, Reply] = {
    "ok": lambda s: s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nhi"),
    "empty": lambda s: None,
    "reset": _reset,
    "garbage": lambda s: s.sendall(b"lskdu018973t09sylgasjkfg1][]'./.sdlv"),
    "malformed-body": lambda s: s.sendall(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-a-chunk\r\n"
    ),
    "reset-mid-body": lambda s: _partial_then_reset(s),
}


@pytest.fixture
def raw_server() -> Iterator[Callable[[Reply], int]]:
    """A socket server that answers one canned way: the shapes WireMock's faults take."""
    servers: list[socketserver.TCPServer] = []

    def start(reply: Reply) -> int:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.recv(65536)
                reply(self.request)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("shape", sorted(REPLIES))
def test_send_classifies_each_shape(raw_server: Callable[[Reply], int], shape: str) -> None:
    port = raw_server(REPLIES[shape])
    got = send("127.0.0.1", port, PROBE)
    assert got["outcome"] == shape
    if shape == "ok":
        assert (got["status"], got["body"], ["X-A", "1"] in got["headers"]) == (200, "hi", True)
