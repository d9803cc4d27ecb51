"""HTTP/1.x connection semantics of the whole server, over raw sockets.

Persistence (RFC 9112 §9.3): "close" ends the connection whatever else is listed; 1.1
persists by default; 1.0 persists only with "keep-alive"; a 1.0 message with
Transfer-Encoding has faulty framing and closes after its response (§6.1). Connection
options are tokens in a list, matched case-insensitively. HEAD answers carry the GET's
head, including content-length, and no body (RFC 9110 §9.3.2).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from apidouble import MockServer

TIMEOUT = 5.0
BODY = {"hello": "world"}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    server = MockServer(
        endpoints=[{"path": "/thing", "method": ["GET", "HEAD", "POST"], "response": BODY}]
    ).start()
    yield server
    server.stop()


class Client:
    """A raw HTTP/1.x client on one connection: send bytes, read framed responses."""

    def __init__(self, mock: MockServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", mock.port), timeout=TIMEOUT)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def response(self, *, bodyless: bool = False) -> tuple[int, dict[str, str], bytes]:
        """Status, headers by lower-case name, and the body framed by content-length."""
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"connection closed before a response: {self.buffer!r}"
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            assert name.lower() not in headers, f"{name} sent twice"
            headers[name.lower()] = value.strip()
        length = 0 if bodyless else int(headers["content-length"])
        while len(self.buffer) < length:
            assert self._fill(), "connection closed inside a body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split(" ")[1]), headers, body

    def closed(self) -> bool:
        """True when the server closes with nothing more to say (no stray bytes)."""
        try:
            while self._fill():
                pass
        except ConnectionResetError:
            pass
        return self.buffer == b""

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def client(mock: MockServer) -> Iterator[Client]:
    opened = Client(mock)
    yield opened
    opened.close()


PERSISTENCE = [
    # (request line + headers, persists, what the response's Connection header says)
    (b"GET /thing HTTP/1.1\r\n", True, None),
    (b"GET /thing HTTP/1.1\r\nConnection: keep-alive\r\n", True, None),
    (b"GET /thing HTTP/1.1\r\nConnection: close\r\n", False, "close"),
    (b"GET /thing HTTP/1.1\r\nConnection: CLOSE\r\n", False, "close"),
    (b"GET /thing HTTP/1.1\r\nConnection: keep-alive, close\r\n", False, "close"),
    (b"GET /thing HTTP/1.1\r\nConnection: foo,  Close \r\n", False, "close"),
    (b"GET /thing HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n", False, "close"),
    (b"GET /thing HTTP/1.1\r\nConnection: closed, close-ish\r\n", True, None),
    (b"GET /thing HTTP/1.0\r\n", False, "close"),
    (b"GET /thing HTTP/1.0\r\nConnection: keep-alive\r\n", True, "keep-alive"),
    (b"GET /thing HTTP/1.0\r\nConnection: Keep-Alive\r\n", True, "keep-alive"),
    (b"GET /thing HTTP/1.0\r\nConnection: foo, KEEP-ALIVE\r\n", True, "keep-alive"),
    (b"GET /thing HTTP/1.0\r\nConnection: keep-alives\r\n", False, "close"),
    (b"GET /thing HTTP/1.0\r\nConnection: keep-alive, close\r\n", False, "close"),
    (b"GET /thing HTTP/1.0\r\nConnection: close, keep-alive\r\n", False, "close"),
    (b"GET /thing HTTP/1.0\r\nConnection: keep-alive\r\nConnection: Close\r\n", False, "close"),
    (
        b"GET /thing HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n",
        False,
        "close",
    ),
]


@pytest.mark.parametrize(("head", "persists", "says"), PERSISTENCE, ids=range(len(PERSISTENCE)))
def test_connection_persistence(
    client: Client, head: bytes, persists: bool, says: str | None
) -> None:
    version = head.split(b"\r\n")[0][-3:]
    follow_up = b"GET /thing HTTP/%b\r\nConnection: keep-alive\r\n\r\n" % version
    client.send(head + b"\r\n" + follow_up)  # pipelined: answered only if the first persists
    status, headers, body = client.response()
    assert status == 200 and json.loads(body) == BODY
    assert headers.get("connection") == says
    if persists:
        assert client.response()[0] == 200
    else:
        assert client.closed()


@pytest.mark.parametrize("keep", [b"", b"Connection: keep-alive\r\n"])
def test_http10_request_with_transfer_encoding_is_served_then_closed(
    client: Client, keep: bytes
) -> None:
    client.send(
        b"POST /thing HTTP/1.0\r\nTransfer-Encoding: chunked\r\n%b\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
        b"GET /thing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % keep
    )
    status, headers, body = client.response()
    assert status == 200 and json.loads(body) == BODY
    assert headers["connection"] == "close"
    assert client.closed()


def test_http10_chunked_body_reaches_the_journal_decoded(mock: MockServer) -> None:
    mock.requests.clear()
    opened = Client(mock)
    try:
        opened.send(
            b"POST /thing HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
        )
        assert opened.response()[0] == 200
        assert opened.closed()
    finally:
        opened.close()
    (entry,) = mock.requests.find(path="/thing")
    assert (entry["method"], entry["body"]) == ("POST", "hi")


def test_head_carries_the_get_head_without_a_body(client: Client) -> None:
    client.send(b"GET /thing HTTP/1.1\r\n\r\n")
    _, get_headers, get_body = client.response()
    client.send(b"HEAD /thing HTTP/1.1\r\n\r\n")
    status, headers, body = client.response(bodyless=True)
    assert status == 200 and body == b""
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))
    assert headers["content-type"] == get_headers["content-type"]
    client.send(b"GET /thing HTTP/1.1\r\n\r\n")
    assert client.response() == (200, get_headers, get_body)  # no stray body bytes between


@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
def test_pipelined_requests_after_head_are_framed_right(client: Client, version: bytes) -> None:
    keep = b"Connection: keep-alive\r\n" if version == b"1.0" else b""
    head = b"HEAD /thing HTTP/%b\r\n%b\r\n" % (version, keep)
    get = b"GET /thing HTTP/%b\r\n%b\r\n" % (version, keep)
    client.send(head + get + head + head + get)
    for method in ("HEAD", "GET", "HEAD", "HEAD", "GET"):
        status, headers, body = client.response(bodyless=method == "HEAD")
        assert status == 200 and int(headers["content-length"]) > 0
        if method == "HEAD":
            assert body == b""
        else:
            assert json.loads(body) == BODY
    client.send(b"GET /thing HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert client.response()[0] == 200
    assert client.closed()
