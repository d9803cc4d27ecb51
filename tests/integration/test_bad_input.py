"""Hostile and broken input against the full server: a clear 4xx, never a crash or a hang."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from apidouble import ConfigError, MockServer

CONFIG = "endpoints: [{method: [GET, POST], path: /ok, response: {ok: true}}]"


@pytest.fixture
def mock(write_config: Callable[[str, str], Path]) -> Iterator[MockServer]:
    path = write_config(CONFIG, "apidouble.yaml")
    with MockServer(path, max_body_bytes=1024, max_header_bytes=2048, header_timeout_s=0.5) as m:
        yield m


def exchange(mock: MockServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (bounded by ``timeout``)."""
    with socket.create_connection(("127.0.0.1", mock.port), timeout=timeout) as sock:
        if data:
            sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
    ],
)
def test_malformed_requests_get_400_and_close(mock: MockServer, data: bytes) -> None:
    answer = exchange(mock, data)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.count(b"HTTP/1.1") == 1  # nothing smuggled through
    assert httpx.get(mock.url + "/ok").json() == {"ok": True}  # still serving


def test_oversize_body_is_413(mock: MockServer) -> None:
    response = httpx.post(mock.url + "/ok", content=b"x" * 2048)
    assert response.status_code == 413
    chunked = exchange(
        mock,
        b"POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"800\r\n"
        + b"y" * 2048
        + b"\r\n0\r\n\r\n",
    )
    assert chunked.startswith(b"HTTP/1.1 413 ")


def test_oversize_headers_are_431(mock: MockServer) -> None:
    response = httpx.get(mock.url + "/ok", headers={"X-Big": "z" * 4096})
    assert response.status_code == 431


def test_slow_headers_get_408_and_close(mock: MockServer) -> None:
    answer = exchange(mock, b"GET /ok HTTP/1.1\r\nHost: x\r\n", timeout=10)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_pipelined_requests_answer_in_order(mock: MockServer) -> None:
    data = (
        b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n" * 2
        + b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    answer = exchange(mock, data)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"200", b"404"]


def test_expect_continue(mock: MockServer) -> None:
    answer = exchange(
        mock,
        b"POST /ok HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\nhi",
    )
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")


def test_escaping_response_file_is_refused_at_load(
    write_config: Callable[[str, str], Path],
) -> None:
    path = write_config("endpoints: [{path: /x, response_file: ../outside.json}]", "conf/api.yaml")
    (path.parent.parent / "outside.json").write_text("{}")
    with pytest.raises(ConfigError) as caught:
        MockServer(path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.pointer) == (1, "/endpoints/0/response_file")
    assert "outside" in problem.message
