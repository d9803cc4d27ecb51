"""h2c on the plain HTTP port: a cleartext connection whose first bytes are the HTTP/2
preface is served by ``http2_h2c.take_over``, and one that asks for ``Upgrade: h2c`` by
``http2_h2c.H2cUpgrade``, with the same stubs and journal; ``--no-http2`` keeps both
HTTP/1.1."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from h2.errors import ErrorCodes

from apidouble import MockServer
from apidouble.transport.http2_h2c import PREFACE

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
