"""The transport's own refusals: a full listener's 503, and every refusal counted by
reason in ``apidouble_refused_total`` (over a real ``MockServer``)."""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack

import httpx
import pytest

from apidouble import MockServer

ENDPOINTS = [{"path": "/ping", "response": {"ok": True}}]


def refused(mock: MockServer) -> dict[str, float]:
    """``apidouble_refused_total`` by reason, read over a new connection."""
    text = httpx.get(mock.url + "/__admin/metrics").text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith('apidouble_refused_total{reason="'):
            name, value = line.split()
            found[name.split('"')[1]] = float(value)
    return found


def held(mock: MockServer) -> socket.socket:
    """A keep-alive connection that has had an answer (so the server holds it)."""
    conn = socket.create_connection(("127.0.0.1", mock.port), timeout=5)
    conn.sendall(b"GET /ping HTTP/1.1\r\nhost: x\r\n\r\n")
    assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    return conn


def read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_one_connection_past_the_limit_gets_503_and_is_closed() -> None:
    with MockServer(endpoints=ENDPOINTS, max_connections=3) as mock, ExitStack() as open_:
        kept = [open_.enter_context(held(mock)) for _ in range(3)]
        extra = open_.enter_context(socket.create_connection(("127.0.0.1", mock.port), 5))
        head, _, body = read_all(extra).partition(b"\r\n\r\n")  # unasked, then the close
        assert head.startswith(b"HTTP/1.1 503 ")
        assert b"retry-after: 1" in head.lower() and b"connection: close" in head.lower()
        assert body == b'{"error":"too many connections"}'
        kept.pop().close()
        server = mock._runtime.server
        deadline = time.monotonic() + 5
        while server is not None and server.connections >= 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert refused(mock) == {"connections": 1.0}  # served: a place was free again


def test_refusals_are_counted_by_reason() -> None:
    with MockServer(endpoints=ENDPOINTS, max_body_bytes=100, max_header_bytes=1024) as mock:
        assert refused(mock) == {}
        sent = [
            b"POST /ping HTTP/1.1\r\nhost: x\r\ncontent-length: 101\r\n\r\n",
            b"GET /ping HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 2000 + b"\r\n\r\n",
            b"GET /ping HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
        ]
        statuses = []
        for data in sent:
            with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as conn:
                conn.sendall(data)
                statuses.append(read_all(conn)[9:12])
        assert statuses == [b"413", b"431", b"400"]
        assert refused(mock) == {"body_size": 1.0, "head_size": 1.0, "malformed": 1.0}


def test_an_http2_refusal_is_counted_too() -> None:
    pytest.importorskip("h2")
    with MockServer(endpoints=ENDPOINTS, max_body_bytes=100) as mock:
        with httpx.Client(http1=False, http2=True) as client:
            answer = client.post(mock.url + "/ping", content=b"x" * 500)
        assert (answer.http_version, answer.status_code) == ("HTTP/2", 413)
        assert refused(mock) == {"body_size": 1.0}


@pytest.mark.parametrize(
    ("method", "sent", "status"),
    [
        ("HEAD", "content-length: 999999999999\r\n", 413),
        ("HEAD", "x-big: " + "a" * 70_000 + "\r\n", 431),
        ("HEAD", "content-length: 1\r\ntransfer-encoding: chunked\r\n", 400),
        ("GET", "content-length: 999999999999\r\n", 413),
    ],
)
def test_a_refused_head_has_no_body(method: str, sent: str, status: int) -> None:
    """RFC 9110 §9.3.2: no content in an answer to HEAD, a refusal's included, once its
    method was read; the same refusal to GET keeps its body."""
    with MockServer(endpoints=ENDPOINTS) as mock:
        with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as conn:
            conn.sendall(f"{method} /ping HTTP/1.1\r\nhost: x\r\n{sent}\r\n".encode())
            head, _, body = read_all(conn).partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"connection: close" in head.lower()
    assert (body == b"") == (method == "HEAD"), body
