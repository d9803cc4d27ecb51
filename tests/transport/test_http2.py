"""h2c on the plain HTTP port: a cleartext connection whose first bytes are the HTTP/2
preface is served by ``http2_h2c.take_over``, and one that asks for ``Upgrade: h2c`` by
``http2_h2c.H2cUpgrade``, with the same stubs and journal; ``--no-http2`` keeps both
HTTP/1.1. Shutdown lets HTTP/2 streams finish, and too many streams are refused alone."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from h2.errors import ErrorCodes

from apidouble import MockServer
from apidouble.transport.http2_h2c import PREFACE

from ..fuzz.http2_wire import exchange
from ..tls.h2wire import Wire, frame

ENDPOINTS = [
    {"path": "/ping", "response": {"ok": True}},
    {"path": "/slow", "latency_ms": 300, "response": {"slow": True}},
]


@pytest.fixture
def h2c() -> Iterator[tuple[MockServer, int]]:
    with MockServer(endpoints=ENDPOINTS) as mock:
        yield mock, mock.port


def test_httpx_with_prior_knowledge(h2c: tuple[MockServer, int]) -> None:
    mock, port = h2c
    with httpx.Client(http1=False, http2=True) as client:
        answer = client.get(f"http://127.0.0.1:{port}/ping")
        assert answer.http_version == "HTTP/2" and answer.json() == {"ok": True}
    with httpx.Client() as client:  # HTTP/1.1 on the same listener
        assert client.get(f"http://127.0.0.1:{port}/ping").http_version == "HTTP/1.1"
    notes = [entry.get("notes") for entry in reversed(mock.requests.find(path="/ping"))]
    assert notes == [["h2"], None]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_http2_prior_knowledge(h2c: tuple[MockServer, int]) -> None:
    _, port = h2c
    result = subprocess.run(
        ["curl", "-sS", "--fail", "--http2-prior-knowledge", "-w", "\n%{http_version}",
         f"http://127.0.0.1:{port}/ping"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"ok":true}\n2'


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_upgrades_to_h2c(h2c: tuple[MockServer, int]) -> None:
    mock, port = h2c
    result = subprocess.run(
        ["curl", "-sS", "--fail", "--http2", "-w", "\n%{http_version}",
         f"http://127.0.0.1:{port}/slow", f"http://127.0.0.1:{port}/ping"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"slow":true}\n2{"ok":true}\n2'  # the second on stream 3
    assert [entry["notes"] for entry in mock.requests.find()] == [["h2"], ["h2"]]


def test_streams_and_protocol_errors_over_h2c(h2c: tuple[MockServer, int]) -> None:
    _, port = h2c
    wire = Wire(socket.create_connection(("127.0.0.1", port), timeout=10))
    try:
        slow, fast = wire.get("/slow"), wire.get("/ping")
        assert wire.read(lambda: len(wire.ended) == 2)
        assert wire.ended == [fast, slow]
        assert json.loads(wire.bodies[slow]) == {"slow": True}
        wire.sock.sendall(frame(0, 0, 0, b"x"))  # DATA on stream 0
        assert wire.read(lambda: wire.goaway is not None)
        assert wire.goaway is not None and wire.goaway.error_code == ErrorCodes.PROTOCOL_ERROR
        assert wire.goaway.last_stream_id == fast  # the highest stream it took
    finally:
        wire.close()
    with httpx.Client(http1=False, http2=True) as client:
        assert client.get(f"http://127.0.0.1:{port}/ping").json() == {"ok": True}


def test_no_http2_keeps_the_plain_port_http_1_1() -> None:
    with MockServer(endpoints=ENDPOINTS, http2=False) as mock:
        with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock:
            sock.sendall(PREFACE)
            assert sock.recv(4096).startswith(b"HTTP/1.1 400 ")
        with httpx.Client() as client:
            answer = client.get(
                mock.url + "/ping",
                headers={
                    "Upgrade": "h2c",
                    "HTTP2-Settings": "AAMAAABkAAQAoAAAAAIAAAAA",
                    "Connection": "Upgrade, HTTP2-Settings",
                },
            )
        assert answer.http_version == "HTTP/1.1" and answer.status_code == 200


SLOWER = [*ENDPOINTS, {"path": "/slower", "latency_ms": 800, "response": {"slower": True}}]


def stop_in_background(mock: MockServer) -> threading.Thread:
    """``mock.stop()`` (which waits for the drain) in a thread; returns once the drain
    has begun: the port refuses connections from the same turn of the loop on."""
    stopper = threading.Thread(target=mock.stop)
    stopper.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", mock.port), timeout=1).close()
        except ConnectionRefusedError:
            return stopper
        time.sleep(0.01)
    raise AssertionError("the server still accepts 5 s after stop()")


def test_shutdown_answers_taken_streams_refuses_new_ones_then_goaway() -> None:
    mock = MockServer(endpoints=SLOWER).start()
    wire = Wire(socket.create_connection(("127.0.0.1", mock.port), timeout=10))
    try:
        taken = wire.get("/slower")
        time.sleep(0.15)  # read by the server before it stops
        started = time.monotonic()
        stopper = stop_in_background(mock)
        late = wire.get("/ping")
        assert wire.read(lambda: late in wire.resets and taken in wire.ended)
        assert wire.resets[late] == ErrorCodes.REFUSED_STREAM  # safe to retry elsewhere
        assert json.loads(wire.bodies[taken]) == {"slower": True}
        assert wire.read(lambda: wire.goaway is not None)
        assert wire.goaway is not None and wire.goaway.error_code == ErrorCodes.NO_ERROR
        assert wire.goaway.last_stream_id == taken
        assert not wire.read(lambda: False, timeout=5)  # closed
        stopper.join(10)
        assert time.monotonic() - started < 5  # within the grace, not at its end
        assert not stopper.is_alive()
    finally:
        wire.close()
        mock.stop()


def test_an_httpx_request_in_flight_survives_shutdown() -> None:
    """httpx (h2) fails every open stream on a GOAWAY: it must come after the answer."""
    mock = MockServer(endpoints=SLOWER).start()
    answers: list[httpx.Response] = []

    def ask() -> None:
        with httpx.Client(http1=False, http2=True) as client:
            answers.append(client.get(mock.url + "/slower"))

    asker = threading.Thread(target=ask)
    asker.start()
    time.sleep(0.3)
    mock.stop()
    asker.join(10)
    assert [(a.http_version, a.json()) for a in answers] == [("HTTP/2", {"slower": True})]


def test_an_idle_http2_connection_gets_goaway_at_shutdown() -> None:
    mock = MockServer(endpoints=SLOWER).start()
    wire = Wire(socket.create_connection(("127.0.0.1", mock.port), timeout=10))
    try:
        ping = wire.get("/ping")
        assert wire.read(lambda: ping in wire.ended)
        stopper = stop_in_background(mock)
        assert wire.read(lambda: wire.goaway is not None, timeout=2)
        assert wire.goaway is not None and wire.goaway.error_code == ErrorCodes.NO_ERROR
        stopper.join(10)
    finally:
        wire.close()
        mock.stop()


def open_connections(mock: MockServer) -> float:
    text = httpx.get(mock.url + "/__admin/metrics").text  # one HTTP/1.1 connection
    line = next(x for x in text.splitlines() if x.startswith("apidouble_connections_open "))
    return float(line.split()[1])


def test_http2_connections_are_counted_open(h2c: tuple[MockServer, int]) -> None:
    mock, port = h2c
    assert open_connections(mock) == 1
    wire = Wire(socket.create_connection(("127.0.0.1", port), timeout=10))
    ping = wire.get("/ping")
    assert wire.read(lambda: ping in wire.ended)
    assert open_connections(mock) == 2
    wire.close()
    deadline = time.monotonic() + 5
    while open_connections(mock) != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert open_connections(mock) == 1


SLOW_GET = b"\x82\x86\x04\x05/slow\x01\x04fuzz"
"""``GET /slow`` in HPACK that leaves the dynamic table alone (static indexes, and
literals without indexing), so the same block can open any number of streams."""


def test_a_stream_past_the_concurrent_limit_is_refused_alone(h2c: tuple[MockServer, int]) -> None:
    _, port = h2c
    opened = b"".join(frame(1, 0x5, 2 * n + 1, SLOW_GET) for n in range(101))
    heard = exchange(port, None, opened, 5.0)  # all 101 sent before the first answer
    assert heard.alive and heard.goaway is None, heard
    assert heard.resets == {201: ErrorCodes.REFUSED_STREAM}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_an_h2c_upgraded_stream_finishes_at_shutdown() -> None:
    """``Upgrade: h2c`` hands the transport over as a WebSocket does, but it is drained
    as HTTP/2, not closed at once."""
    mock = MockServer(endpoints=SLOWER).start()
    curl = subprocess.Popen(
        ["curl", "-sS", "--http2", "-w", "\n%{http_version}", mock.url + "/slower"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(0.4)
        mock.stop()
        out, err = curl.communicate(timeout=10)
    finally:
        curl.kill()
        mock.stop()
    assert out == '{"slower":true}\n2', err
