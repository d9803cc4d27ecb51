"""The proxy over real sockets: a stub forwards to a real upstream (another server
started here), ``--proxy-to`` catches what no stub takes, and failures say why."""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer

ECHO = {
    "endpoints": [
        {
            "method": "ANY",
            "path": "/**",
            "headers": {
                "X-Upstream": "yes",
                "Connection": "keep-alive, X-Secret-Hop",
                "X-Secret-Hop": "1",
            },
            "response": {
                "method": "{{ request.method }}",
                "path": "{{ request.path }}",
                "query": "{{ request.query }}",
                "host": "{{ request.headers.host }}",
                "added": "{{ request.headers.get('x-added', '') }}",
                "removed": "{{ request.headers.get('x-drop-me', '') }}",
                "body": "{{ request.body }}",
            },
        }
    ]
}


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[MockServer]:
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(ECHO))
    with MockServer(path) as server:
        yield server


def serve(tmp_path: Path, endpoints: list[dict[str, object]], **options: object) -> MockServer:
    path = tmp_path / "proxy.json"
    path.write_text(json.dumps({"endpoints": endpoints}))
    return MockServer(path, **options)


def test_a_proxy_stub_forwards_and_relays(tmp_path: Path, upstream: MockServer) -> None:
    proxy = {
        "to": upstream.url,
        "strip_prefix": "/v1",
        "add_headers": {"X-Added": "by-proxy"},
        "remove_headers": ["X-Drop-Me"],
    }
    endpoints = [{"method": "ANY", "path": "/v1/**", "proxy": proxy}]
    with serve(tmp_path, endpoints) as mock:
        answer = httpx.post(
            mock.url + "/v1/users/7?expand=1",
            content=b"hello",
            headers={"X-Drop-Me": "secret", "Connection": "keep-alive"},
        )
        entry = mock.requests.all()[0]
    body = answer.json()
    upstream_host = upstream.url.split("//", 1)[1]
    assert answer.status_code == 200 and answer.headers["x-upstream"] == "yes"
    assert body["method"] == "POST" and body["path"] == "/users/7"
    assert body["query"] == {"expand": ["1"]} or "expand" in str(body["query"])
    assert body["host"] == upstream_host  # Host is the upstream's
    assert body["added"] == "by-proxy" and body["removed"] == ""
    assert body["body"] == "hello"
    assert "x-secret-hop" not in answer.headers  # named by Connection: hop-by-hop
    assert entry["response"]["status"] == 200 and "proxied to" in " ".join(entry["notes"])


def test_proxy_to_takes_what_no_stub_does(tmp_path: Path, upstream: MockServer) -> None:
    endpoints = [{"path": "/local", "response": "mine"}]
    with serve(tmp_path, endpoints, proxy_to=upstream.url) as mock:
        assert httpx.get(mock.url + "/local").text == "mine"
        assert httpx.get(mock.url + "/elsewhere").json()["path"] == "/elsewhere"


def test_an_unreachable_upstream_is_a_502_naming_it(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with serve(tmp_path, [{"path": "/x", "proxy": dead}]) as mock:
        answer = httpx.get(mock.url + "/x")
    assert answer.status_code == 502
    assert answer.json()["upstream"] == dead and "could not be reached" in answer.json()["error"]


def test_a_slow_upstream_is_a_504(tmp_path: Path) -> None:
    slow = [{"path": "/slow", "latency_ms": 2000, "response": "late"}]
    up = tmp_path / "slow.json"
    up.write_text(json.dumps({"endpoints": slow}))
    with MockServer(up) as late:
        endpoints = [{"path": "/slow", "proxy": {"to": late.url, "timeout_ms": 200}}]
        with serve(tmp_path, endpoints) as mock:
            started = time.monotonic()
            answer = httpx.get(mock.url + "/slow", timeout=10)
            took = time.monotonic() - started
    assert answer.status_code == 504 and "in time" in answer.json()["error"]
    assert took < 1.5


def test_latency_and_faults_apply_to_proxied_answers(tmp_path: Path, upstream: MockServer) -> None:
    endpoints = [
        {"path": "/delayed", "latency_ms": 300, "proxy": upstream.url},
        {"path": "/broken", "fault": "connection_reset", "proxy": upstream.url},
    ]
    with serve(tmp_path, endpoints) as mock:
        started = time.monotonic()
        assert httpx.get(mock.url + "/delayed").json()["path"] == "/delayed"
        assert time.monotonic() - started >= 0.3
        with pytest.raises(httpx.TransportError):
            httpx.get(mock.url + "/broken")


def test_a_wiremock_proxy_mapping_forwards(tmp_path: Path, upstream: MockServer) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    mapping = {
        "request": {"urlPattern": "/api/.*"},
        "response": {
            "proxyBaseUrl": upstream.url,
            "proxyUrlPrefixToRemove": "/api",
            "additionalProxyRequestHeaders": {"X-Added": "wm"},
        },
    }
    (mappings / "proxy.json").write_text(json.dumps(mapping))
    with MockServer(tmp_path) as mock:
        body = httpx.get(mock.url + "/api/things").json()
    assert body["path"] == "/things" and body["added"] == "wm"


def test_a_bad_proxy_url_is_a_config_error(tmp_path: Path) -> None:
    from apidouble.config.load import load_config
    from apidouble.errors import ConfigError

    path = tmp_path / "apidouble.yaml"
    path.write_text("endpoints:\n  - path: /x\n    proxy: ftp://files\n")
    with pytest.raises(ConfigError, match="http:// or https://") as caught:
        load_config(path)
    assert caught.value.problems[0].line == 3


class _Firehose:
    """An upstream that streams ``size`` bytes, chunked, from a real socket."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Firehose:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        sent = 0
        while sent < self.size:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()


def test_a_50_mb_body_streams_through_without_growing_memory(tmp_path: Path) -> None:
    size = 50 * 1024 * 1024
    with _Firehose(size) as hose:
        endpoints = [{"path": "/big", "proxy": f"http://127.0.0.1:{hose.port}"}]
        with serve(tmp_path, endpoints) as mock:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
            received = 0
            with httpx.stream("GET", mock.url + "/big", timeout=60) as answer:
                for chunk in answer.iter_raw():
                    received += len(chunk)
            grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert received == size
    assert grown_mib < 20, f"peak memory grew {grown_mib:.0f} MiB for a 50 MiB body"
