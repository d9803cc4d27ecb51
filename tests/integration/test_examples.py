"""The shipped examples, served as ``make run`` serves them, exercised feature by feature."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from apidouble import MockServer

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(EXAMPLES, seed=7) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url, timeout=10) as c:
        yield c


def test_file_body_and_inferred_type(client: httpx.Client) -> None:
    response = client.get("/api/users")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert [u["name"] for u in response.json()][:1] == ["Ada Lovelace"]


def test_query_match_with_priority(client: httpx.Client) -> None:
    assert client.get("/api/users", params={"role": "admin"}).json() == [
        {"id": 1, "name": "Ada Lovelace", "role": "admin"}
    ]


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def test_path_param_typed_json_date_and_uuid(client: httpx.Client) -> None:
    before = _today()
    response = client.get("/api/users/42")
    body = response.json()
    assert body["id"] == 42
    assert body["name"] == "User 42"
    assert body["fetched_on"] in {before, _today()}  # midnight may pass in between
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-request-id"])


def test_literal_path_beats_template_when_it_matches(client: httpx.Client) -> None:
    assert client.get("/api/users/me", headers={"authorization": "Bearer t"}).json()["id"] == 1
    # Without the header the literal stub does not match, and {id} takes it.
    assert client.get("/api/users/me").json()["name"] == "User me"


def test_validation_lists_every_error(client: httpx.Client) -> None:
    response = client.post("/api/users", json={"name": "", "extra": 1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {(e["pointer"], e["message"].split(" ")[0]) for e in response.json()["errors"]}
    assert ("/name", "''") in pointers
    assert len(response.json()["errors"]) == 3  # email missing, name too short, extra key
    created = client.post("/api/users", json={"name": "Lin", "email": "lin@example.com"})
    assert created.status_code == 201
    assert created.json() == {"id": 4, "name": "Lin", "email": "lin@example.com"}
    assert created.headers["location"] == "/api/users/4"


@pytest.mark.parametrize(
    ("body", "status", "order_id"),
    [
        ({"shipping": "express", "items": [1]}, 201, "ord-1001"),
        ({"shipping": "ground", "items": list(range(11))}, 202, "ord-1002"),
    ],
)
def test_body_matching(client: httpx.Client, body: object, status: int, order_id: str) -> None:
    response = client.post("/api/orders", json=body)
    assert (response.status_code, response.json()["id"]) == (status, order_id)


def test_fallback_order_is_templated(client: httpx.Client) -> None:
    body = client.post("/api/orders", json={"items": [1]}).json()
    assert re.fullmatch(r"ord-\d{4}", body["id"])


def test_sequence_stays_on_last(client: httpx.Client) -> None:
    seen = [client.get("/api/orders/9/status").json()["status"] for _ in range(4)]
    assert seen == ["pending", "shipped", "delivered", "delivered"]


def test_cookie_match_and_head(client: httpx.Client) -> None:
    assert client.get("/api/cart").status_code == 404
    client.cookies.set("session", "abc")
    assert client.get("/api/cart").json()["session"] == "abc"
    head = client.head("/api/cart")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_wildcards_regex_text_and_binary(client: httpx.Client) -> None:
    assert client.get("/assets/css/site.css").text == "asset placeholder"
    redirect = client.get("/v1/orders/77")
    assert (redirect.status_code, redirect.headers["location"]) == (301, "/api/orders/77/status")
    ping = client.delete("/api/ping")
    assert (ping.text, ping.headers["content-type"]) == ("pong", "text/plain; charset=utf-8")
    pixel = client.get("/api/pixel.gif")
    assert pixel.headers["content-type"] == "image/gif"
    assert pixel.content == base64.b64decode(
        "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    )


def test_seed_form_verbatim(client: httpx.Client) -> None:
    responses = [client.get("/api/endpoint") for _ in range(10)]
    assert {r.status_code for r in responses} <= {200, 500}
    assert [r.json() for r in responses if r.status_code == 200][0] == {"data": "value"}
    before = _today()
    assert client.get("/api/time").json()["date"] in {before, _today()}


async def _failures(method: str, path: str, requests: int) -> list[int]:
    """Statuses of the injected failures among ``requests`` concurrent calls to a fresh,
    seeded server (each call draws once, so the count does not depend on arrival order)."""
    with MockServer(EXAMPLES, seed=7) as server:
        sent: list[httpx.Response] = []
        close = {"Connection": "close"}  # fresh connections: no queueing in the client's pool
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            for _ in range(0, requests, 100):  # the delays overlap, 100 at a time
                wave = (c.request(method, path, headers=close) for _ in range(100))
                sent.extend(await asyncio.gather(*wave))
        entries = server.requests.find(path=path)
    assert len(entries) == requests
    injected = [e for e in entries if e.get("failure_injected")]
    assert all(e["decision"]["failure"] == "failure_rate" for e in injected)
    assert sorted(e["status"] for e in injected) == sorted(
        r.status_code for r in sent if r.status_code != 200
    )
    return [e["status"] for e in injected]


@pytest.mark.parametrize(
    ("method", "path", "rate", "status"),
    [("GET", "/api/endpoint", 0.1, 500), ("POST", "/api/orders/7/payment", 0.2, 503)],
)
async def test_failures_happen_at_the_configured_rate_and_replay(
    method: str, path: str, rate: float, status: int
) -> None:
    requests = 400
    failed = await _failures(method, path, requests)
    assert set(failed) == {status}
    expected, spread = rate * requests, 4 * math.sqrt(requests * rate * (1 - rate))
    assert abs(len(failed) - expected) <= spread, f"{len(failed)} of {requests} failed"
    assert await _failures(method, path, requests) == failed  # the seed replays the count


def test_data_file_and_now(client: httpx.Client) -> None:
    body = client.get("/api/products/B-200").json()
    assert body["product"] == {"sku": "B-200", "name": "Fountain pen", "price": "32.00"}
    assert body["price_with_tax"] == 38.4
    assert client.get("/api/products/none").json()["product"] is None


def test_flaky_refund_per_client(client: httpx.Client) -> None:
    def statuses(key: str) -> list[int]:
        headers = {"Idempotency-Key": key}
        return [client.post("/api/orders/5/refund", headers=headers).status_code for _ in range(3)]

    assert statuses("first") == [503, 503, 202]
    assert statuses("second") == [503, 503, 202]


def test_fault_rate_limit_cache_and_cors(client: httpx.Client) -> None:
    with pytest.raises(httpx.TransportError):
        client.get("/api/export")
    key = {"X-Api-Key": "examples-test"}
    assert [client.get("/api/search", headers=key).status_code for _ in range(6)][-1] == 429
    etag = client.get("/api/catalogue").headers["etag"]
    assert client.get("/api/catalogue", headers={"If-None-Match": etag}).status_code == 304
    preflight = client.options(
        "/api/users", headers={"Origin": "http://x", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_an_openai_style_token_stream(client: httpx.Client) -> None:
    origin = {"Origin": "http://app.test"}
    with client.stream(
        "POST", "/v1/chat/completions", json={"stream": True}, headers=origin
    ) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "access-control-allow-origin" in answer.headers  # the server's CORS
        data = [line[6:] for line in answer.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(item) for item in data[:-1]]
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == "Hello from apidouble"
    assert re.fullmatch(r"chatcmpl-[0-9a-f-]{36}", chunks[0]["id"])
