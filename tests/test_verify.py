"""``MockServer.verify`` / ``wait_for`` and ``body_jsonpath`` queries, over real sockets."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from apidouble import MockServer
from apidouble.journal import Journal
from apidouble.verify import Times, VerificationError

ENDPOINTS = [
    {"name": "list-orders", "method": "GET", "path": "/orders", "response": {"items": []}},
    {
        "name": "create-order",
        "method": "POST",
        "path": "/orders",
        "status": 201,
        "response": {"id": 7},
    },
    {"name": "slow", "method": "GET", "path": "/slow", "response": "late", "latency": {"ms": 300}},
]


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url) as http:
        yield http


def test_verify_passes_and_returns_the_count(mock: MockServer, client: httpx.Client) -> None:
    client.get("/orders")
    client.get("/orders")
    client.post("/orders", json={"sku": "a", "qty": 2})
    assert mock.verify(method="GET", path="/orders") == 2
    assert mock.verify(method="GET", path="/orders", times=2) == 2
    assert mock.verify(stub="create-order", at_least=1, at_most=1) == 1
    assert mock.verify(path="/nothing", times=0) == 0
    assert mock.verify(path="/nothing", at_most=0) == 0
    assert mock.requests.verify(status=201, body_jsonpath={"$.qty": 2}) == 1


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"times": 1}, "Expected exactly 1 request matching GET /orders, but counted 2."),
        ({"at_least": 3}, "Expected at least 3 requests matching GET /orders, but counted 2."),
        ({"at_most": 1}, "Expected at most 1 request matching GET /orders, but counted 2."),
    ],
)
def test_a_wrong_count_says_what_was_expected_and_counted(
    mock: MockServer, client: httpx.Client, rule: dict[str, int], text: str
) -> None:
    client.get("/orders")
    client.get("/orders")
    with pytest.raises(AssertionError) as raised:
        mock.verify(method="GET", path="/orders", **rule)
    assert str(raised.value).splitlines()[0] == text
    assert isinstance(raised.value, VerificationError)
    assert raised.value.counted == 2


def test_the_failure_lists_the_nearest_kept_requests_with_what_differed(
    mock: MockServer, client: httpx.Client
) -> None:
    client.post("/orders", json={"sku": "b"})  # status 201, but no $.qty
    client.get("/orders")  # wrong method, no body
    client.get("/elsewhere")  # wrong method and path: the farthest
    with pytest.raises(VerificationError) as raised:
        mock.verify(method="POST", path="/orders", status=201, body_jsonpath="$.qty")
    message = str(raised.value)
    assert message.splitlines()[0] == (
        "Expected at least 1 request matching POST /orders (status 201, body $.qty), but counted 0."
    )
    near = [(entry["method"], entry["path"]) for entry, _ in raised.value.near_misses]
    assert near == [("POST", "/orders"), ("GET", "/orders"), ("GET", "/elsewhere")]
    distances = [result.distance for _, result in raised.value.near_misses]
    assert distances == sorted(distances)
    assert "POST /orders -> 201 (stub create-order)" in message
    assert "body $.qty: expected selects something, got <nothing selected>" in message
    assert "method: expected POST, got GET" in message
    assert "path: expected /orders, got /elsewhere" in message
    assert "GET /elsewhere -> 404 (unmatched)" in message


def test_near_misses_leave_out_requests_that_match(mock: MockServer, client: httpx.Client) -> None:
    client.get("/orders")
    client.post("/orders", json={})
    with pytest.raises(VerificationError) as raised:
        mock.verify(method="GET", path="/orders", times=2)  # one short: the other is listed
    assert [e["method"] for e, _ in raised.value.near_misses] == ["POST"]
    with pytest.raises(VerificationError) as raised:
        mock.verify(method="GET", path="/orders", at_most=0)  # too many: those are listed
    assert "Matching requests (newest first, 1 shown):" in str(raised.value)
    assert "  - GET /orders -> 200 (stub list-orders)" in str(raised.value)
    assert raised.value.near_misses == []
    with pytest.raises(VerificationError) as raised:
        mock.verify(method="GET", path="/order")
    assert [e["method"] for e, _ in raised.value.near_misses] == ["GET", "POST"]


def test_an_empty_journal_says_so(mock: MockServer) -> None:
    with pytest.raises(VerificationError, match="No requests were kept."):
        mock.verify(path="/orders")


def test_a_stub_count_stays_exact_after_eviction() -> None:
    with (
        MockServer(endpoints=ENDPOINTS, max_request_journal_entries=2) as mock,
        httpx.Client(base_url=mock.url) as client,
    ):
        for _ in range(5):
            client.get("/orders")
        assert len(mock.requests) == 2
        assert mock.verify(stub="list-orders", times=5) == 5
        with pytest.raises(VerificationError) as raised:
            mock.verify(stub="list-orders", times=4)
        assert raised.value.counted == 5
        assert "(3 evicted from the journal" in str(raised.value)


def test_count_rules_are_checked() -> None:
    assert Times.of() == Times(1, None)
    assert Times.of(at_most=2) == Times(0, 2)
    with pytest.raises(ValueError, match="not both"):
        Times.of(times=1, at_least=1)
    with pytest.raises(ValueError, match="above"):
        Times.of(at_least=3, at_most=1)
    with pytest.raises(ValueError, match=">= 0"):
        Times.of(times=-1)


def test_wait_for_returns_once_a_late_request_is_recorded(
    mock: MockServer, client: httpx.Client
) -> None:
    # the slow stub's exchange is journaled only after its 300 ms latency: wait_for
    # starts before it and is woken by the record
    sender = threading.Thread(target=client.get, args=("/slow",))
    sender.start()
    try:
        found = mock.wait_for(path="/slow", timeout=10)
    finally:
        sender.join()
    assert [entry["path"] for entry in found] == ["/slow"]


def test_wait_for_times_out_with_the_verification_message(
    mock: MockServer, client: httpx.Client
) -> None:
    client.get("/orders")
    with pytest.raises(VerificationError) as raised:
        mock.wait_for(method="GET", path="/order", timeout=0.05)
    assert str(raised.value).startswith("Expected at least 1 request matching GET /order,")
    assert raised.value.near_misses[0][0]["path"] == "/orders"


def test_the_fixture_verifies(apidouble: MockServer) -> None:
    apidouble.set_endpoints([{"path": "/ping", "response": {"ok": True}}])
    httpx.get(apidouble.url + "/ping")
    assert apidouble.verify(path="/ping", times=1) == 1
    assert len(apidouble.wait_for(path="/ping")) == 1


# --- body_jsonpath on the journal ----------------------------------------------------


def test_body_jsonpath_selects_and_compares(mock: MockServer, client: httpx.Client) -> None:
    client.post("/orders", json={"sku": "a", "qty": 2, "tags": ["x"]})
    client.post("/orders", json={"sku": "b", "qty": True})
    client.post("/orders", content=b"not json")
    requests = mock.requests
    assert requests.count(body_jsonpath="$.qty") == 2
    assert requests.count(body_jsonpath={"$.qty": 2}) == 1
    assert requests.count(body_jsonpath={"$.qty": 1}) == 0  # True is not 1
    assert requests.count(body_jsonpath={"$.qty": 2, "$.sku": "a"}) == 1
    assert requests.count(body_jsonpath={"$.qty": 2, "$.sku": "b"}) == 0
    assert requests.count(body_jsonpath={"$.tags[0]": "x"}) == 1
    assert requests.count(body_jsonpath="$.missing") == 0
    assert [e["body"] for e in requests.find(body_jsonpath={"$.sku": "b"})] == [
        '{"sku":"b","qty":true}'
    ]
    assert requests.count(method="GET", body_jsonpath="$.qty") == 0
    assert [e["body"] for e in requests.find(body_jsonpath="$.qty", limit=1)] == [
        '{"sku":"b","qty":true}'
    ]


def test_body_jsonpath_is_not_answered_from_the_counters() -> None:
    journal = Journal()
    assert journal.count(body_jsonpath="$.a") == 0
    with pytest.raises(ValueError, match="invalid JSONPath"):
        journal.count(body_jsonpath="$[")
