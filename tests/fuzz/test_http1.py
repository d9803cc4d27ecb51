"""HTTP/1.1 parser and framing, over a real socket to a served ``MockServer``.

Property: whatever a connection sends (grammar-built requests, mutated, pipelined), the
server answers with well-formed HTTP/1.1 responses below 500 or closes cleanly, within
``EXCHANGE_TIMEOUT_S``, and afterwards still answers a plain GET as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given

from apidouble.testing import MockServer

from .budget import budget
from .http1_grammar import RawRequest, exchanges
from .wire import exchange, split_responses

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
"""Examples hold 200 KB headers on purpose; Hypothesis warns when it prints them."""

EXCHANGE_TIMEOUT_S = 5.0
"""Well past the server's own 1 s head timeout: a hang, not a slow machine."""
ENDPOINTS: list[dict[str, Any]] = [
    {"name": "ok", "path": "/ok", "response": "canary", "content_type": "text/plain"},
    {"name": "path", "method": "POST", "path": "/j", "match": {"body": {"jsonpath": "$.a"}},
     "response": "jsonpath"},
    {"name": "schema", "method": "PUT", "path": "/j",
     "match": {"body": {"schema": {"type": "object"}}}, "response": "schema"},
    {"name": "echo", "method": "ANY", "path": "/**", "response": {"got": "{{ request.body }}"}},
]  # fmt: skip
PLAIN_GET = b"GET /ok HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, header_timeout_s=1.0, request_journal=False) as mock:
        yield mock


def assert_healthy(port: int) -> None:
    """A plain GET on a fresh connection gets the canary, as before any fuzzing."""
    data, _ = exchange(port, PLAIN_GET, EXCHANGE_TIMEOUT_S)
    answers = split_responses(data)
    assert [(a.status, a.body) for a in answers] == [(200, b"canary")], data


REFRAMING = frozenset({"byte-flip"})
"""Mutations that may rename a framing header (``Transfer-Encoding`` to
``*ransfer-Encoding``): the body is then rightly read as the next message, so the bytes
hold more messages than the grammar built, and more answers are correct."""


def check_exchange(port: int, requests: list[RawRequest]) -> None:
    data, _ = exchange(port, b"".join(r.data for r in requests), EXCHANGE_TIMEOUT_S)
    answers = split_responses(data)
    assert all(a.status < 500 for a in answers), answers
    if not any(r.mutation in REFRAMING for r in requests):  # else the count is unknown
        assert len([a for a in answers if a.status >= 200]) <= len(requests), answers
    assert_healthy(port)


def test_the_canary_answers(server: MockServer) -> None:
    assert_healthy(server.port)


@budget(300)
@given(requests=exchanges())
def test_any_request_bytes(server: MockServer, requests: list[RawRequest]) -> None:
    check_exchange(server.port, requests)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GET /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2"
                     b"\r\n\r\nab", id="duplicate-content-length"),
        pytest.param(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                     id="bad-chunk-size"),
        pytest.param(b"POST /x HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked"
                     b"\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n", id="cl-and-te"),
        pytest.param(b"GET /ok HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", id="obs-fold"),
        pytest.param(b"GET /\x00 HTTP/1.1\r\n\r\n", id="nul-in-target"),
        pytest.param(b"GET /ok HTTP/1.1\nHost: a\n\n", id="bare-lf"),
        pytest.param(b"GET /ok HTTP/1.1\rHost: a\r\r", id="bare-cr"),
        pytest.param(b"GET /ok HTTP/1.1\r\nX: " + b"a" * 200_000 + b"\r\n\r\n", id="huge-header"),
        pytest.param(b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", id="truncated-body"),
        pytest.param(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhe",
                     id="expect-then-truncated"),
    ],
)  # fmt: skip
def test_known_hostile_requests(server: MockServer, data: bytes) -> None:
    """The mutations by name, as plain tests: each fails alone when its case breaks."""
    check_exchange(server.port, [RawRequest(data, "named")])


@example([RawRequest(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n", "none")] * 3)
@budget(100)
@given(requests=exchanges())
def test_pipelined_requests_answer_in_order(server: MockServer, requests: list[RawRequest]) -> None:
    """Framing is consistent: when no answer refuses or closes, every request of a
    pipeline gets exactly one answer, in order (the canary's body marks its own)."""
    plain = [r for r in requests if r.mutation == "none"] or requests[:1]
    data, _ = exchange(server.port, b"".join(r.data for r in plain), EXCHANGE_TIMEOUT_S)
    answers = [a for a in split_responses(data) if a.status >= 200]
    assert all(a.status < 500 for a in answers), answers
    closed = any(a.status >= 400 or a.headers.get("connection") == "close" for a in answers)
    as_built = all(r.mutation == "none" for r in plain)
    if not closed and as_built and all(_keeps_alive(r.data) for r in plain):
        assert len(answers) == len(plain), (plain, answers)
    assert_healthy(server.port)


def _keeps_alive(data: bytes) -> bool:
    """An HTTP/1.1 request that does not ask to close: its answer leaves the line open."""
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n", 1)[0].endswith(b" HTTP/1.1") and b"close" not in head.lower()


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_body_nested_past_the_recursion_limit(server: MockServer, method: str) -> None:
    """100 KB of ``[`` for a JSONPath (POST) or a schema (PUT) body matcher (without a
    catch-all, the 404's near-miss report reads it as JSON too, with the same 500)."""
    body = b"[" * 100_000
    head = f"{method} /j HTTP/1.1\r\nHost: a\r\nContent-Length: {len(body)}\r\n\r\n"
    check_exchange(server.port, [RawRequest(head.encode() + body, "deep-json")])


def test_a_renamed_framing_header_leaves_the_body_as_the_next_message(
    server: MockServer,
) -> None:
    """Found by a 10-minute run (the old count property's false alarm): with
    ``*ransfer-Encoding`` the GET has no body, so ``0\r\n\r\n`` is the next message, a
    malformed one: 200 for the GET, then a 400 that closes the connection."""
    raw = b"GET / HTTP/1.1\r\n*ransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    data, _ = exchange(server.port, raw, EXCHANGE_TIMEOUT_S)
    answers = split_responses(data)
    assert [a.status for a in answers] == [200, 400], answers
    assert answers[1].headers.get("connection") == "close"
    assert_healthy(server.port)
