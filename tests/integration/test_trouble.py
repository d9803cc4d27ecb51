"""Realistic trouble seen from the client side: flaky patterns, faults, rate limits,
caching, CORS, pacing and replayable decisions, over real sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from apidouble import MockServer

Serve = Callable[..., MockServer]


def get_with_retries(url: str, attempts: int) -> tuple[int, int]:
    """A retrying client: (status of the last try, tries used)."""
    for attempt in range(1, attempts + 1):
        response = httpx.get(url)
        if response.status_code < 500:
            return response.status_code, attempt
    return response.status_code, attempts


def test_retrying_client_succeeds_on_the_third_try_against_fail_first(serve: Serve) -> None:
    mock = serve("endpoints: [{path: /pay, fail_first: 2, failure: {status: 503}, response: ok}]")
    assert get_with_retries(mock.url + "/pay", 5) == (200, 3)
    statuses = [entry["status"] for entry in reversed(mock.requests.find(path="/pay"))]
    assert statuses == [503, 503, 200]
    assert mock.requests.find(path="/pay")[-1]["decision"]["failure"] == "fail_first"


def test_fail_every_and_per_client_counts(serve: Serve) -> None:
    mock = serve("endpoints: [{path: /x, fail_every: 3, per_client: 'header:X-Client'}]")

    def run(client: str) -> list[int]:
        return [
            httpx.get(mock.url + "/x", headers={"X-Client": client}).status_code for _ in range(6)
        ]

    assert run("a") == [200, 200, 500, 200, 200, 500]
    assert run("b") == [200, 200, 500, 200, 200, 500]  # b has its own count


def test_circuit_breaker_sees_an_outage_window(serve: Serve) -> None:
    mock = serve("endpoints: [{path: /dep, outage: {every: 1s, for: 0.5s}, response: up}]")
    seen: list[int] = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        status = httpx.get(mock.url + "/dep").status_code
        if not seen or seen[-1] != status:
            seen.append(status)
        if seen[:3] == [200, 500, 200]:
            break
        time.sleep(0.05)
    assert seen[:3] == [200, 500, 200]  # healthy, open during the outage, healthy again


def raw_exchange(mock: MockServer, path: str, timeout: float = 5.0) -> tuple[bytes, str]:
    """Send one GET over a raw socket: (bytes received, how the connection ended)."""
    with socket.create_connection(("127.0.0.1", mock.port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            return received, "reset"
        except TimeoutError:
            return received, "timeout"
        return received, "closed"


FAULTS = """
endpoints:
  - {path: /reset, fault: connection_reset}
  - {path: /empty, fault: empty_response}
  - {path: /chunk, fault: malformed_chunk}
  - {path: /garbage, fault: {type: random_data_then_close, bytes: 64}}
  - {path: /hang, fault: {type: timeout, after: 2s}}
"""


@pytest.mark.parametrize(
    ("path", "ending", "check"),
    [
        ("/reset", "reset", lambda data: data == b""),
        ("/empty", "closed", lambda data: data == b""),
        ("/chunk", "closed", lambda data: b"transfer-encoding: chunked" in data and b"zz" in data),
        ("/garbage", "closed", lambda data: len(data) == 64),
    ],
)
def test_tcp_faults_over_a_raw_socket(
    serve: Serve, path: str, ending: str, check: Callable[[bytes], bool]
) -> None:
    mock = serve(FAULTS)
    data, how = raw_exchange(mock, path)
    assert how == ending and check(data)


@pytest.mark.parametrize("path", ["/reset", "/empty", "/chunk", "/garbage"])
def test_tcp_faults_as_httpx_sees_them(serve: Serve, path: str) -> None:
    mock = serve(FAULTS)
    with pytest.raises(httpx.TransportError):
        httpx.get(mock.url + path)
    assert mock.requests.find(path=path)[0]["decision"]["fault"] == path.strip("/").replace(
        "reset", "connection_reset"
    ).replace("empty", "empty_response").replace("chunk", "malformed_chunk").replace(
        "garbage", "random_data_then_close"
    )


def test_timeout_fault_never_answers(serve: Serve) -> None:
    mock = serve(FAULTS)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(mock.url + "/hang", timeout=0.5)
    assert httpx.get(mock.url + "/nothing").status_code == 404  # others still served


def test_rate_limit_answers_429_with_headers(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - path: /api
            rate_limit: {requests: 2, per: 10s, key: "header:X-Api-Key"}
            response: ok
        """
    )
    key_a = {"X-Api-Key": "a"}
    first = httpx.get(mock.url + "/api", headers=key_a)
    assert first.headers["RateLimit-Limit"] == "2" and first.headers["RateLimit-Remaining"] == "1"
    assert httpx.get(mock.url + "/api", headers=key_a).status_code == 200
    refused = httpx.get(mock.url + "/api", headers=key_a)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert httpx.get(mock.url + "/api", headers={"X-Api-Key": "b"}).status_code == 200


def test_global_rate_limit_with_custom_body(serve: Serve) -> None:
    mock = serve(
        """
        rate_limit: {requests: 1, per: 10s, key: global, response: {error: slow down}}
        endpoints: [{path: /a, response: a}]
        """
    )
    assert httpx.get(mock.url + "/a").status_code == 200
    refused = httpx.get(mock.url + "/anything")
    assert refused.status_code == 429 and refused.json() == {"error": "slow down"}


def test_etag_and_304(serve: Serve) -> None:
    mock = serve("endpoints: [{path: /c, cache: {max_age: 60}, response: {v: 1}}]")
    first = httpx.get(mock.url + "/c")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "max-age=60"
    again = httpx.get(mock.url + "/c", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert httpx.get(mock.url + "/c", headers={"If-None-Match": '"other"'}).status_code == 200


def test_cors_preflight_and_headers(serve: Serve) -> None:
    mock = serve('cors: true\nendpoints: [{method: [GET, PUT], path: "/items/{id}"}]')
    preflight = httpx.options(
        mock.url + "/items/3",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    answer = httpx.get(mock.url + "/items/3", headers={"Origin": "https://app.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_dribbled_body_arrives_over_time(serve: Serve) -> None:
    mock = serve("endpoints: [{path: /d, dribble: {chunks: 4, over_ms: 400}, response: abcdefgh}]")
    started = time.perf_counter()
    with httpx.stream("GET", mock.url + "/d") as response:
        pieces = list(response.iter_raw())
    assert b"".join(pieces) == b"abcdefgh"
    assert time.perf_counter() - started >= 0.35


def test_latency_distribution_and_decision_header(serve: Serve) -> None:
    mock = serve(
        """
        debug_headers: true
        endpoints:
          - {path: /u, latency: {min_ms: 20, max_ms: 60}, failure_rate: 0.3, response: ok}
        """,
        seed=11,
    )
    responses = [httpx.get(mock.url + "/u") for _ in range(10)]
    for response in responses:
        assert "latency_ms=" in response.headers["X-Apidouble-Decision"]
    delays = [entry["delay_ms"] for entry in mock.requests.find(path="/u")]
    assert all(20 <= delay <= 60 for delay in delays)


def test_seeded_chaos_replays(serve: Serve) -> None:
    text = "endpoints: [{path: /r, latency: {min_ms: 1, max_ms: 30}, failure_rate: 0.4}]"
    runs = []
    for _ in range(2):
        mock = serve(text, seed=99)
        for _ in range(12):
            httpx.get(mock.url + "/r")
        runs.append([(e["status"], e.get("delay_ms")) for e in mock.requests.find(path="/r")])
    assert runs[0] == runs[1]
    assert {status for status, _ in runs[0]} == {200, 500}


def test_server_cache_reuses_a_rendered_response(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - path: /t
            cache: {server: {key: [path, query], ttl: 30s}}
            response: {id: "{{ uuid }}"}
        """
    )
    first, second = (httpx.get(mock.url + "/t").json() for _ in range(2))
    other = httpx.get(mock.url + "/t", params={"q": "1"}).json()
    assert first == second and other != first
    decisions = [entry["decision"]["cache"] for entry in reversed(mock.requests.find(path="/t"))]
    assert decisions == ["miss", "hit", "miss"]


def test_bandwidth_cap_paces_the_body(serve: Serve) -> None:
    # 2,000 bytes at 40 kbps (5,000 bytes/s) take about 0.4 s.
    mock = serve(f"endpoints: [{{path: /b, bandwidth_kbps: 40, response: '{'x' * 2000}'}}]")
    started = time.perf_counter()
    response = httpx.get(mock.url + "/b")
    assert response.text == "x" * 2000
    assert time.perf_counter() - started >= 0.3


def test_file_defaults_give_latency_to_endpoints_without_their_own(serve: Serve) -> None:
    mock = serve(
        """
        defaults: {latency_ms: 120}
        endpoints:
          - {path: /slow}
          - {path: /fast, latency_ms: 0}
        """
    )
    httpx.get(mock.url + "/slow")
    httpx.get(mock.url + "/fast")
    assert mock.requests.find(path="/slow")[0]["delay_ms"] == 120
    assert "delay_ms" not in mock.requests.find(path="/fast")[0]


def test_if_modified_since(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - path: /doc
            cache: {etag: false, last_modified: "2024-05-01T12:00:00Z"}
            response: {v: 1}
        """
    )
    first = httpx.get(mock.url + "/doc")
    assert first.headers["Last-Modified"] == "Wed, 01 May 2024 12:00:00 GMT"
    later = {"If-Modified-Since": "Thu, 02 May 2024 00:00:00 GMT"}
    earlier = {"If-Modified-Since": "Tue, 30 Apr 2024 00:00:00 GMT"}
    assert httpx.get(mock.url + "/doc", headers=later).status_code == 304
    assert httpx.get(mock.url + "/doc", headers=earlier).status_code == 200
