"""``--proxy-mode`` over real sockets: clients with ``HTTPS_PROXY``/``HTTP_PROXY`` set
(httpx, curl) get stub answers for ``https://api.example.com/...`` through CONNECT, on
asyncio and on uvloop; stubs tell hosts apart; broken tunnels leave the server serving."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.proxy.tunnel import connect_target

ENDPOINTS: list[dict[str, Any]] = [
    {"path": "/ping", "response": {"ok": True}},
    {
        "name": "api-who",
        "path": "/who",
        "match": {"wiremock": {"host": {"equalTo": "api.example.com"}}},
        "response": "api",
    },
    {
        "name": "other-who",
        "path": "/who",
        "match": {"wiremock": {"host": {"equalTo": "other.example.com"}}},
        "response": "other",
    },
    {
        "name": "secure-only",
        "path": "/scheme",
        "match": {"wiremock": {"scheme": "https"}},
        "response": "over tls",
    },
]


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """The event loop the server started in the test runs on (the CLI runs uvloop)."""
    if request.param == "asyncio":
        yield "asyncio"
        return
    uvloop = pytest.importorskip("uvloop")
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield "uvloop"
    finally:
        asyncio.set_event_loop_policy(previous)


@pytest.fixture
def mock(tmp_path: Path, loop_kind: str) -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, proxy_mode=True, ca_dir=str(tmp_path / "ca")) as server:
        yield server


def trusting(mock: MockServer) -> ssl.SSLContext:
    assert mock.ca_path is not None
    return ssl.create_default_context(cafile=str(mock.ca_path))


def notes(mock: MockServer) -> list[list[str]]:
    return [entry.get("notes", []) for entry in reversed(mock.requests.all())]


def test_httpx_with_a_proxy_gets_stub_answers_over_https(mock: MockServer) -> None:
    with httpx.Client(proxy=mock.url, verify=trusting(mock)) as client:
        first = client.get("https://api.example.com/ping")
        again = client.get("https://api.example.com/ping")  # the same tunnel, kept alive
    assert (first.status_code, first.json(), first.http_version) == (200, {"ok": True}, "HTTP/1.1")
    assert again.json() == {"ok": True}
    assert notes(mock) == [["https", "sni=api.example.com", "tunnel=api.example.com:443"]] * 2


def test_http2_inside_the_tunnel_when_alpn_picks_it(mock: MockServer) -> None:
    with httpx.Client(proxy=mock.url, verify=trusting(mock), http2=True) as client:
        answer = client.get("https://api.example.com/ping")
    assert (answer.json(), answer.http_version) == ({"ok": True}, "HTTP/2")
    assert "tunnel=api.example.com:443" in notes(mock)[0]


def test_plain_proxy_requests_get_stub_answers(mock: MockServer) -> None:
    with httpx.Client(proxy=mock.url) as client:
        answer = client.get("http://api.example.com/who")
    assert answer.text == "api"


def test_stubs_tell_hosts_apart_and_see_the_scheme(mock: MockServer) -> None:
    with httpx.Client(proxy=mock.url, verify=trusting(mock)) as client:
        assert client.get("https://api.example.com/who").text == "api"
        assert client.get("https://other.example.com/who").text == "other"
        assert client.get("https://third.example.com/who").status_code == 404
        assert client.get("https://api.example.com/scheme").text == "over tls"
        assert client.get("http://api.example.com/scheme").status_code == 404
    assert httpx.get(mock.url + "/who").status_code == 404  # Host: 127.0.0.1:PORT


def test_a_native_host_condition(tmp_path: Path) -> None:
    native = [{"path": "/who", "match": {"host": {"regex": "api\\..*"}}, "response": "api"}]
    with (
        MockServer(endpoints=native, proxy_mode=True, ca_dir=str(tmp_path / "ca")) as mock,
        httpx.Client(proxy=mock.url, verify=trusting(mock)) as client,
    ):
        assert client.get("https://api.example.com/who").text == "api"
        assert client.get("https://other.example.com/who").status_code == 404


def test_the_leaf_is_for_the_connect_host_when_the_client_sends_no_sni(
    mock: MockServer,
) -> None:
    with httpx.Client(proxy=mock.url, verify=trusting(mock)) as client:
        answer = client.get("https://10.1.2.3:8443/ping")  # no SNI for an address
    assert answer.json() == {"ok": True}
    assert notes(mock) == [["https", "tunnel=10.1.2.3:8443"]]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("how", ["-x", "HTTPS_PROXY", "--http2"])
def test_curl_through_the_proxy(mock: MockServer, how: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    args = ["curl", "-sS", "--max-time", "20", "--cacert", str(mock.ca_path)]
    if how == "HTTPS_PROXY":
        env["HTTPS_PROXY"] = mock.url
    else:
        args += ["-x", mock.url, *(["--http2"] if how == "--http2" else [])]
    args += ["https://api.example.com/who", "https://other.example.com/who"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, env=env, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "apiother", "")


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """The answer's head, and whatever came after it in the same reads."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_a_client_hello_sent_with_the_connect_head_is_not_lost(mock: MockServer) -> None:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = trusting(mock).wrap_bio(incoming, outgoing, server_hostname="api.example.com")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    connect = b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n"
    with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock:
        sock.sendall(connect + outgoing.read())  # one write: the hello rides with the head
        head, rest = read_head(sock)
        assert head.startswith(b"HTTP/1.1 200 ")
        incoming.write(rest)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                chunk = sock.recv(65536)
                assert chunk, "the server closed the tunnel during the handshake"
                incoming.write(chunk)
        sock.sendall(outgoing.read())
        tls.write(b"GET /who HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
        sock.sendall(outgoing.read())
        answer = b""
        while chunk := sock.recv(65536):
            incoming.write(chunk)
            try:
                answer += tls.read(65536)
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLZeroReturnError:
                break
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"api")


@pytest.mark.parametrize("with_head", [False, True], ids=["after-200", "with-the-head"])
@pytest.mark.parametrize(
    "after",
    [b"this is not TLS\r\n\r\n", b"\x16\x03\x01\x00\x05hello"],
    ids=["garbage", "broken-hello"],
)
def test_garbage_in_a_tunnel_is_logged_and_the_server_serves_on(
    mock: MockServer, after: bytes, with_head: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apidouble.proxy")
    connect = b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock:
        sock.sendall(connect + after if with_head else connect)
        head, rest = read_head(sock)
        assert head.startswith(b"HTTP/1.1 200 ")
        if not with_head:
            sock.sendall(after)
        while sock.recv(65536):  # an alert perhaps, then the end
            pass
    with httpx.Client(proxy=mock.url, verify=trusting(mock)) as client:
        assert client.get("https://api.example.com/ping").json() == {"ok": True}
    assert "TLS handshake in the tunnel to api.example.com:443" in caplog.text


def test_a_client_that_distrusts_the_ca_fails_alone(
    mock: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apidouble.proxy")
    with (
        httpx.Client(proxy=mock.url) as distrusting,  # certifi's roots only
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        distrusting.get("https://api.example.com/ping")
    with httpx.Client(proxy=mock.url, verify=trusting(mock)) as client:
        assert client.get("https://api.example.com/ping").json() == {"ok": True}
    assert "failed" in caplog.text and "/__admin/ca.pem" in caplog.text


def test_a_bad_connect_target_is_refused(mock: MockServer) -> None:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock:
        sock.sendall(b"CONNECT no-port-here HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _ = read_head(sock)
    assert head.startswith(b"HTTP/1.1 400 ")


def test_without_proxy_mode_connect_is_an_ordinary_unmatched_request(tmp_path: Path) -> None:
    with (
        MockServer(endpoints=ENDPOINTS) as mock,
        socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock,
    ):
        sock.sendall(b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        head, _ = read_head(sock)
        assert head.startswith(b"HTTP/1.1 404 ")
        assert mock.requests.count(method="CONNECT") == 1


def test_the_https_port_says_https_to_scheme_conditions(tmp_path: Path) -> None:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(tmp_path / "ca")) as mock:
        assert httpx.get(mock.https_url + "/scheme", verify=trusting(mock)).text == "over tls"
        assert httpx.get(mock.url + "/scheme").status_code == 404


@pytest.mark.parametrize(
    ("target", "parsed"),
    [
        ("api.example.com:443", ("api.example.com", 443)),
        ("127.0.0.1:8443", ("127.0.0.1", 8443)),
        ("[::1]:443", ("[::1]", 443)),
        ("api.example.com", None),
        ("api.example.com:0", None),
        ("api.example.com:99999", None),
        ("[nonsense]:443", None),
        ("/path:443", None),
        ("user@host:443", None),
    ],
)
def test_connect_targets(target: str, parsed: tuple[str, int] | None) -> None:
    assert connect_target(target) == parsed


def test_an_open_tunnel_does_not_hold_up_shutdown(tmp_path: Path) -> None:
    mock = MockServer(endpoints=ENDPOINTS, proxy_mode=True, ca_dir=str(tmp_path / "ca"))
    with mock, httpx.Client(proxy=mock.url, verify=trusting(mock)) as client:
        assert client.get("https://api.example.com/ping").status_code == 200
        started = time.monotonic()
        mock.stop()  # the tunnel is open and idle (keep-alive)
        assert time.monotonic() - started < 2.0


def test_without_proxy_mode_a_stub_may_answer_connect() -> None:
    refuse = {
        "method": "CONNECT",
        "path_regex": ".*",
        "status": 407,
        "headers": {"Proxy-Authenticate": "Basic"},
        "response": "",
    }
    with (
        MockServer(endpoints=[refuse]) as mock,
        socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock,
    ):
        sock.sendall(b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        head, _ = read_head(sock)
    assert head.startswith(b"HTTP/1.1 407 ") and b"Proxy-Authenticate: Basic" in head


def test_a_tunnel_that_stalls_in_its_handshake_is_closed(tmp_path: Path, loop_kind: str) -> None:
    with (
        MockServer(
            endpoints=ENDPOINTS, proxy_mode=True, ca_dir=str(tmp_path / "ca"), header_timeout_s=0.3
        ) as mock,
        socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock,
    ):
        sock.sendall(b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        head, rest = read_head(sock)
        assert head.startswith(b"HTTP/1.1 200 ") and rest == b""
        started = time.monotonic()
        assert sock.recv(65536) == b""  # closed by the server, well before the socket timeout
        assert time.monotonic() - started < 3.0
