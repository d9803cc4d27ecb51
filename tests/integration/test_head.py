"""HEAD (RFC 9110 §9.3.2): the GET stub's status and headers, its content-length, no body."""

from __future__ import annotations

import socket

import httpx

from apidouble import MockServer

ENDPOINTS = [
    {"name": "get-user", "path": "/users/{id}", "headers": {"X-Id": "{{ request.params.id }}"},
     "response": {"id": "{{ request.params.id }}", "pad": "x" * 100}},
    {"name": "explicit-head", "method": "HEAD", "path": "/probe", "status": 204,
     "headers": {"X-Probe": "head"}},
    {"name": "get-probe", "path": "/probe", "response": "from GET"},
]  # fmt: skip


def _raw(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(payload)
        received = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return received
            received += chunk


def _head_and_body(message: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = message.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return {k.lower(): v for k, v in fields.items()} | {":status": lines[0]}, body


def test_head_on_a_get_stub_sends_the_get_head_without_the_body() -> None:
    with MockServer(endpoints=ENDPOINTS) as mock:
        got = httpx.get(mock.url + "/users/7")
        received = _raw(
            mock.port,
            b"HEAD /users/7 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /users/8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        first, rest = received.split(b"\r\n\r\n", 1)
        fields, _ = _head_and_body(first + b"\r\n\r\n")
        assert fields[":status"] == "HTTP/1.1 200 OK"
        assert fields["content-length"] == str(len(got.content))
        assert fields["x-id"] == "7"
        assert rest.startswith(b"HTTP/1.1 200 OK")  # the next response follows at once
        second_fields, second_body = _head_and_body(rest)
        assert second_body == httpx.get(mock.url + "/users/8").content
        head_entry = mock.requests.find(method="HEAD")[0]
        assert head_entry["stub"] == "get-user" and head_entry["status"] == 200


def test_an_explicit_head_stub_wins_over_get() -> None:
    with MockServer(endpoints=ENDPOINTS) as mock:
        answer = httpx.head(mock.url + "/probe")
        assert answer.status_code == 204 and answer.headers["x-probe"] == "head"
        assert httpx.get(mock.url + "/probe").text == "from GET"
        assert mock.requests.find(method="HEAD")[0]["stub"] == "explicit-head"


def test_head_where_no_get_stub_matches_is_a_404_without_body() -> None:
    with MockServer(endpoints=ENDPOINTS) as mock:
        received = _raw(
            mock.port, b"HEAD /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        fields, body = _head_and_body(received)
        assert fields[":status"].startswith("HTTP/1.1 404") and body == b""
        assert int(fields["content-length"]) > 0
