"""What docs/trouble.md promises, served and checked over real sockets.

Each test quotes the sentence or block it checks (``prose``/``block``), so it fails when
the page stops saying it, not only when the server stops doing it.
"""

from __future__ import annotations

import socket
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from .claims import answer
from .configs import serving
from .markdown import block, prose

DOC = "trouble.md"
DECISION_JSON = answer(DOC, '"decision":', "json")
ORIGIN = {"Origin": "https://app.example.com"}


def endpoint(fragment: str, path: str = "/e", **top: str) -> str:
    """A config with one endpoint made of a doc fragment (and top-level lines)."""
    head = "".join(f"{key}: {value}\n" for key, value in top.items())
    body = textwrap.indent(textwrap.dedent(fragment).rstrip("\n") + "\n", "    ")
    return f"{head}endpoints:\n  - path: {path}\n{body}"


# --- slow bodies ---------------------------------------------------------------------


def test_a_single_dribbled_chunk_sends_headers_first_and_the_body_later(
    tmp_path: Path,
) -> None:
    prose(DOC, "A single chunk waits the whole `over_ms` (headers first, body later).")
    config = endpoint("dribble: {chunks: 1, over_ms: 1000}\nresponse: slow")
    with (
        serving(tmp_path, config) as mock,
        socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock,
    ):
        started = time.monotonic()
        sock.sendall(b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
        received = sock.recv(65536)
        head_s = time.monotonic() - started
        while not received.endswith(b"slow"):
            received += sock.recv(65536)
        body_s = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 200")
    assert head_s < 0.5, f"the head waited {head_s:.2f} s with the body"
    assert body_s >= 0.9


# --- failures and faults -------------------------------------------------------------


def test_a_failure_without_failure_key_answers_the_default_500(tmp_path: Path) -> None:
    prose(
        DOC,
        'a failure answers 500 with `{"error": "injected failure", "stub": NAME, "status": 500}`',
    )
    with serving(tmp_path, endpoint("name: pay\nfail_first: 1")) as mock:
        response = httpx.get(mock.url + "/e")
    assert response.status_code == 500
    assert response.json() == {"error": "injected failure", "stub": "pay", "status": 500}


def test_per_client_gives_every_client_its_own_fail_first(tmp_path: Path) -> None:
    shown = block(DOC, "per_client: header:X-Client-Id").text
    with serving(tmp_path, endpoint(shown)) as mock:

        def statuses(client: str | None) -> list[int]:
            headers = {"X-Client-Id": client} if client else {}
            return [httpx.get(mock.url + "/e", headers=headers).status_code for _ in range(3)]

        assert statuses("a") == [500, 500, 200]
        assert statuses("b") == [500, 500, 200]
        assert statuses(None) == [500, 500, 200]  # without the header: one shared pattern


def test_failure_fault_with_a_zero_rate_never_faults(tmp_path: Path) -> None:
    prose(DOC, "the fault is what a failure does (the same as `failure: {fault: ...}`)")
    config = endpoint("failure_rate: 0\nfailure: {fault: connection_reset}\nresponse: ok")
    with serving(tmp_path, config) as mock:
        statuses = []
        for _ in range(5):
            try:
                statuses.append(httpx.get(mock.url + "/e").status_code)
            except httpx.TransportError:
                statuses.append(0)  # the fault
    assert statuses == [200] * 5


def test_a_fault_with_a_failure_rate_hits_that_share_of_requests(tmp_path: Path) -> None:
    shown = textwrap.dedent(block(DOC, "fault: empty_response ").text)  # 20% get one
    with serving(tmp_path, endpoint(shown + "response: ok"), seed=3) as mock:
        empty = 0
        for _ in range(200):
            try:
                httpx.get(mock.url + "/e")
            except httpx.RemoteProtocolError:
                empty += 1
    assert 20 <= empty <= 60  # 40 expected; the seed makes the count the same every run
    faults = [e for e in mock.requests.find(path="/e") if "fault" in e.get("decision", {})]
    assert len(faults) == empty


# --- rate limits ---------------------------------------------------------------------

RATE_LIMITS = block(DOC, "rate_limit:\n      requests: 10")
REFUSAL = answer(DOC, "HTTP/1.1 429 Too Many Requests")


def test_an_endpoint_limit_refuses_with_its_body_and_the_standard_headers(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, RATE_LIMITS.text) as mock:
        key = {"X-Api-Key": "k"}
        allowed = [httpx.get(mock.url + "/api/search", headers=key) for _ in range(10)]
        refused = httpx.get(mock.url + "/api/search", headers=key)
        other_key = httpx.get(mock.url + "/api/search", headers={"X-Api-Key": "other"})
    assert {r.status_code for r in allowed} == {200}
    # the server-wide limit of the same block adds its own RateLimit-* values
    assert "10" in allowed[0].headers.get_list("RateLimit-Limit")
    assert "9" in allowed[0].headers.get_list("RateLimit-Remaining")
    assert refused.status_code == 429
    assert refused.json() == {"error": "slow down"}
    assert refused.headers["X-Reason"] == "quota"
    assert "0" in refused.headers.get_list("RateLimit-Remaining")
    assert refused.headers["Retry-After"] in refused.headers.get_list("RateLimit-Reset")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert other_key.status_code == 200


def test_the_default_refusal_body(tmp_path: Path) -> None:
    prose(
        DOC,
        'default: {"error": "rate limit exceeded", "status": 429, "limit": 10, "retry_after_s": N}',
    )
    config = endpoint("rate_limit: {requests: 10, per: 1m, key: header:X-Api-Key}")
    with serving(tmp_path, config) as mock:
        responses = [httpx.get(mock.url + "/e") for _ in range(11)]
    body = responses[-1].json()
    assert body == {
        "error": "rate limit exceeded",
        "status": 429,
        "limit": 10,
        "retry_after_s": int(responses[-1].headers["Retry-After"]),
    }


def test_the_key_defaults_to_the_client_ip(tmp_path: Path) -> None:
    prose(DOC, "Without `key`, each client IP has its own allowance")
    config = endpoint("rate_limit: {requests: 1, per: 1m}")
    with serving(tmp_path, config) as mock:
        assert [httpx.get(mock.url + "/e").status_code for _ in range(2)] == [200, 429]
        # another loopback address is another client
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport) as other:
            assert other.get(mock.url + "/e").status_code == 200


def test_requests_refused_by_an_endpoint_do_not_use_the_server_allowance(
    tmp_path: Path,
) -> None:
    prose(DOC, "Refused requests do not count against the client")
    config = (
        endpoint("rate_limit: {requests: 1, per: 10s}", rate_limit="{requests: 3, per: 10s}")
        + "  - path: /other\n"
    )
    with serving(tmp_path, config) as mock:
        assert [httpx.get(mock.url + "/e").status_code for _ in range(3)] == [200, 429, 429]
        # one request was served: the server-wide allowance of 3 has room for two more
        assert httpx.get(mock.url + "/other").status_code == 200


# --- CORS ----------------------------------------------------------------------------

POLICY = block(DOC, "credentials: true")


def preflight(mock_url: str, path: str, origin: str, method: str = "POST") -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }
    return httpx.options(mock_url + path, headers=headers)


def test_cors_true_answers_preflights_and_every_response(tmp_path: Path) -> None:
    config = block(DOC, "cors: true                            # whole server").text
    config += "endpoints:\n  - {path: /items, method: [GET, PUT]}\n"
    with serving(tmp_path, config) as mock:
        answer_ = preflight(mock.url, "/items", "https://x.test", "PUT")
        plain = httpx.get(mock.url + "/items", headers={"Origin": "https://x.test"})
    assert answer_.status_code == 204
    assert answer_.headers["Access-Control-Allow-Origin"] == "*"
    assert set(answer_.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "PUT"}
    assert answer_.headers["Access-Control-Allow-Headers"] == "content-type"
    assert plain.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("where", ["server", "endpoint"])
def test_a_policy_narrows_cors(tmp_path: Path, where: str) -> None:
    if where == "server":
        config = POLICY.text + "endpoints:\n  - {path: /e, method: [GET, POST, DELETE]}\n"
    else:
        config = endpoint(POLICY.text + "method: [GET, POST, DELETE]\n")
    with serving(tmp_path, config) as mock:
        allowed = preflight(mock.url, "/e", "https://eu.app.example.com")
        refused = preflight(mock.url, "/e", "https://evil.test")
        real = httpx.get(mock.url + "/e", headers={"Origin": "https://APP.example.com"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://eu.app.example.com"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert allowed.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in allowed.headers["Vary"]
    assert refused.status_code == 204
    assert not [name for name in refused.headers if name.lower().startswith("access-control")]
    assert real.headers["Access-Control-Allow-Origin"] == "https://APP.example.com"
    assert real.headers["Access-Control-Expose-Headers"] == "X-Total-Count"


def test_an_endpoint_policy_narrows_server_wide_cors_for_preflights_too(
    tmp_path: Path,
) -> None:
    prose(DOC, "cors: true                            # whole server; or per endpoint")
    config = endpoint(POLICY.text + "method: [GET, POST]\n", cors="true")
    with serving(tmp_path, config) as mock:
        answer_ = preflight(mock.url, "/e", "https://app.example.com")
        real = httpx.get(mock.url + "/e", headers=ORIGIN)
    assert real.headers["Access-Control-Allow-Credentials"] == "true"  # the endpoint's policy
    assert answer_.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    assert answer_.headers.get("Access-Control-Allow-Credentials") == "true"
    assert answer_.headers.get("Access-Control-Max-Age") == "600"


def test_a_404_report_to_a_cross_origin_request_is_readable(tmp_path: Path) -> None:
    prose(DOC, "Every response to a request with an `Origin` gets `Access-Control-Allow-Origin`.")
    prose(DOC, "debug_headers: true              # X-Apidouble-Decision on every response")
    config = "cors: true\ndebug_headers: true\nendpoints:\n  - {path: /e}\n"
    with serving(tmp_path, config) as mock:
        response = httpx.get(mock.url + "/nope", headers=ORIGIN)
    assert response.status_code == 404
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert response.headers.get("X-Apidouble-Decision") == "none"


# --- decisions -----------------------------------------------------------------------


def test_journal_and_header_record_the_decisions(tmp_path: Path) -> None:
    config = endpoint(
        "latency_ms: 5\nfail_first: 1\nrate_limit: {requests: 10, per: 1m}\n"
        "cache: {server: {ttl: 30s}}\nresponse: {id: '{{ uuid }}'}",
        debug_headers="true",
    )
    with serving(tmp_path, config) as mock:
        first, second, third = (httpx.get(mock.url + "/e") for _ in range(3))
    decisions = [e["decision"] for e in reversed(mock.requests.find(path="/e"))]
    shown = DECISION_JSON.text.split(":", 1)[1]
    for key in ("latency_ms", "failure", "rate_limit", "cache"):
        assert key in shown  # the page shows these keys
    assert decisions[0]["failure"] == "fail_first"
    assert decisions[0]["rate_limit"] == {
        "allowed": True,
        "limit": 10,
        "remaining": 9,
        "reset_s": pytest.approx(60, abs=1),
    }
    assert decisions[1]["latency_ms"] == 5 and decisions[2]["cache"] == "hit"
    assert first.headers["X-Apidouble-Decision"].startswith(
        "latency_ms=5.0; failure=fail_first; rate=9/10"
    )
    assert third.headers["X-Apidouble-Decision"] == "latency_ms=5.0; rate=7/10; cache=hit"
    assert second.status_code == 200


def test_server_wide_rate_limit_decisions_are_recorded(tmp_path: Path) -> None:
    prose(
        DOC,
        "every decision is recorded in the journal and, if you ask, sent back in a response header",
    )
    prose(DOC, "A refused request shows `rate=0/10-refused`.")
    config = "debug_headers: true\nrate_limit: {requests: 1, per: 1m}\nendpoints:\n  - {path: /e}\n"
    with serving(tmp_path, config) as mock:
        allowed, refused = (httpx.get(mock.url + "/e") for _ in range(2))
    assert "rate=0/1" in allowed.headers.get("X-Apidouble-Decision", "")
    assert refused.status_code == 429
    assert "rate=0/1-refused" in refused.headers.get("X-Apidouble-Decision", "")
    entries = mock.requests.find(path="/e")
    assert entries[0].get("decision", {}).get("rate_limit", {}).get("allowed") is False
    assert entries[1].get("decision", {}).get("rate_limit", {}).get("allowed") is True


def test_nothing_to_report_shows_none(tmp_path: Path) -> None:
    prose(DOC, "A request with nothing to report shows\n`none`.")
    with serving(tmp_path, "debug_headers: true\nendpoints:\n  - {path: /e}\n") as mock:
        response = httpx.get(mock.url + "/e")
    assert response.headers["X-Apidouble-Decision"] == "none"
