"""Bad handshakes are counted and cost nothing else: the server serves on."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from apidouble.tls.listen import HandshakeStats
from tests.waiting import wait_for

from .conftest import PING, get, handshake, trusting

_BODY = b"\x03\x03" + b"\xff" * 32 + b"\x00" + b"\xff\xff" + b"\x13\x01" + b"\x01\x00"
_HELLO = b"\x01" + len(_BODY).to_bytes(3, "big") + _BODY
CLIENT_HELLO_GARBAGE = b"\x16\x03\x01" + len(_HELLO).to_bytes(2, "big") + _HELLO
"""A whole handshake record and ClientHello, whose cipher suites' length points past
the end."""


def _stats(mock: MockServer) -> HandshakeStats:
    server = mock._runtime.https_server
    assert server is not None
    return server.handshakes


def _send_and_read(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(data)
        chunks = []
        try:
            while chunk := raw.recv(4096):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        return b"".join(chunks)


def _still_serving(mock: MockServer) -> None:
    answer = httpx.get(mock.https_url + "/ping", verify=trusting(mock.ca_path))
    assert answer.json() == {"ok": True}
    assert httpx.get(mock.url + "/ping").json() == {"ok": True}


def test_plain_http_on_the_https_port_is_counted_and_closed(secure: MockServer) -> None:
    answer = _send_and_read(secure.https_port, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"HTTP/1.1 200" not in answer
    assert wait_for(lambda: _stats(secure).failed == 1)
    assert "HTTP_REQUEST" in (_stats(secure).last_failure or "")
    _still_serving(secure)
    assert _stats(secure).failed == 1
    assert secure.requests.count(path="/ping") == 2  # the refused one never reached a stub


@pytest.mark.parametrize(
    "garbage",
    [CLIENT_HELLO_GARBAGE, b"\x16\x03\x03\xff\xff" + b"\x00" * 64, b"\x00" * 512],
    ids=["bad-client-hello", "oversized-record", "zeros"],
)
def test_garbage_handshakes_are_counted(secure: MockServer, garbage: bytes) -> None:
    _send_and_read(secure.https_port, garbage)
    assert wait_for(lambda: _stats(secure).failed == 1)
    _still_serving(secure)


def test_a_client_that_distrusts_the_certificate_is_counted(secure: MockServer) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(secure.https_url + "/ping")  # the system store: our CA is unknown
    assert wait_for(lambda: _stats(secure).failed == 1)
    _still_serving(secure)


def test_a_silent_client_times_out_its_handshake(ca_dir: Path) -> None:
    with MockServer(endpoints=PING, https=True, ca_dir=str(ca_dir), header_timeout_s=0.2) as mock:
        with socket.create_connection(("127.0.0.1", mock.https_port), timeout=10) as raw:
            assert raw.recv(1) == b""  # closed by the server
        assert wait_for(lambda: _stats(mock).failed == 1)
        _still_serving(mock)


def test_many_bad_handshakes_leave_the_server_whole(secure: MockServer) -> None:
    for index in range(20):
        _send_and_read(secure.https_port, CLIENT_HELLO_GARBAGE if index % 2 else b"hello\r\n")
    assert wait_for(lambda: _stats(secure).failed == 20)
    context = trusting(secure.ca_path)
    for name in ("a.example.com", "b.example.com"):
        with handshake(secure.https_port, context, name) as tls:
            assert get(tls).startswith(b"HTTP/1.1 200 OK")
    assert _stats(secure).completed == 2
    assert secure._runtime.https_server is not None
    assert secure._runtime.https_server.connections == 0 or wait_for(
        lambda: (
            secure._runtime.https_server is not None
            and secure._runtime.https_server.connections == 0
        )
    )


def test_a_request_in_the_handshakes_last_flight_is_served(secure: MockServer) -> None:
    """TLS 1.3: the client's Finished and its request may arrive in one read; the
    request must reach HTTP even though it came before the protocol took over."""
    context = trusting(secure.ca_path)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with socket.create_connection(("127.0.0.1", secure.https_port), timeout=10) as raw:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                if outgoing.pending:
                    raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        tls.write(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw.sendall(outgoing.read())  # Finished and the request: one write
        answer = b""
        closed = False
        while not closed and (chunk := raw.recv(65536)):
            incoming.write(chunk)
            try:
                while read := tls.read(65536):
                    answer += read
                closed = True  # b"": the server's close_notify, the answer is whole
            except ssl.SSLWantReadError:
                pass
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert answer.endswith(b'{"ok":true}')
