"""``/__admin/requests``: serve events, count and find by WireMock pattern, clearing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from apidouble import MockServer

from .conftest import HELLO_ID, traffic

PARSE_ERROR = "Error parsing JSON"


def test_lists_serve_events_newest_first(client: httpx.Client) -> None:
    traffic(client)
    body = client.get("/__admin/requests").json()
    assert body["meta"] == {"total": 4}
    assert body["requestJournalDisabled"] is False
    events = body["requests"]
    assert [e["request"]["url"] for e in events] == ["/flow", "/nope", "/things", "/hello?x=1"]
    assert [e["wasMatched"] for e in events] == [True, False, True, True]
    hello = events[-1]
    request = hello["request"]
    host = request["headers"]["Host"]
    assert request["absoluteUrl"] == f"http://{host}/hello?x=1"
    assert request["method"] == "GET"
    assert request["cookies"] == {"a": "b"}
    assert request["queryParams"] == {"x": {"key": "x", "values": ["1"]}}
    assert request["clientIp"] == "127.0.0.1"
    assert request["host"] == "127.0.0.1"
    assert request["port"] == int(host.rpartition(":")[2])
    logged = datetime.fromtimestamp(request["loggedDate"] / 1000, UTC)
    shown = datetime.fromisoformat(request["loggedDateString"])
    assert abs((shown - logged).total_seconds()) < 0.001
    assert hello["response"]["status"] == 200
    assert hello["response"]["body"] == "hi"
    assert hello["responseDefinition"] == {"status": 200, "body": "hi"}
    assert hello["stubMapping"]["id"] == HELLO_ID
    things = events[2]
    assert things["request"]["body"] == '{"k":1}'
    assert base64.b64decode(things["request"]["bodyAsBase64"]) == b'{"k":1}'
    assert things["response"]["status"] == 201
    missed = events[1]
    assert missed["responseDefinition"] == {"status": 404, "fromConfiguredStub": False}
    assert missed["response"]["status"] == 404


def test_limit_since_and_unmatched(client: httpx.Client) -> None:
    traffic(client)
    events = client.get("/__admin/requests", params={"limit": 2}).json()["requests"]
    assert [e["request"]["url"] for e in events] == ["/flow", "/nope"]
    unmatched = client.get("/__admin/requests", params={"unmatched": "true"}).json()
    assert [e["request"]["url"] for e in unmatched["requests"]] == ["/nope"]
    cut = client.get("/__admin/requests").json()["requests"][1]["request"]["loggedDateString"]
    since = client.get("/__admin/requests", params={"since": cut}).json()["requests"]
    assert {"/flow", "/nope"} <= {e["request"]["url"] for e in since}
    future = client.get("/__admin/requests", params={"since": "2999-01-01T00:00:00Z"})
    assert future.json()["requests"] == []


@pytest.mark.parametrize(
    ("query", "pointer", "title"),
    [
        ("limit=abc", "limit", "abc is not a whole number"),
        ("since=bad", "since", "bad is not a valid ISO8601 date"),
    ],
)
def test_bad_parameters_are_400s(
    client: httpx.Client, query: str, pointer: str, title: str
) -> None:
    answer = client.get(f"/__admin/requests?{query}")
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [{"code": 10, "source": {"pointer": pointer}, "title": title}]
    }


def test_gets_one_serve_event_by_id(client: httpx.Client) -> None:
    traffic(client)
    newest = client.get("/__admin/requests?limit=1").json()["requests"][0]
    assert client.get(f"/__admin/requests/{newest['id']}").json() == newest
    gone = client.get("/__admin/requests/00000000-0000-0000-0000-0000000fffff")
    assert gone.status_code == 404
    assert client.get("/__admin/requests/nope").status_code == 400


def test_count_and_find_by_wiremock_pattern(client: httpx.Client) -> None:
    traffic(client)

    def count(pattern: object) -> int:
        answer = client.post("/__admin/requests/count", json=pattern)
        assert answer.status_code == 200
        assert answer.json()["requestJournalDisabled"] is False
        return int(answer.json()["count"])

    assert count({"method": "GET", "urlPath": "/hello"}) == 1
    assert count({"method": "GET"}) == 3
    assert count({}) == 4
    assert count({"method": "GET", "cookies": {"a": {"equalTo": "b"}}}) == 1
    assert count({"url": "/hello?x=1"}) == 1
    assert count({"urlPathPattern": "/(hello|flow)"}) == 2
    pattern = {"method": "POST", "bodyPatterns": [{"equalToJson": {"k": 1}}]}
    found = client.post("/__admin/requests/find", json=pattern).json()
    assert [r["url"] for r in found["requests"]] == ["/things"]
    assert found["requests"][0]["body"] == '{"k":1}'
    everything = client.post("/__admin/requests/find", json={}).json()["requests"]
    assert [r["url"] for r in everything] == ["/hello?x=1", "/things", "/nope", "/flow"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b"", "/"),
        (b"[1]", "/"),
        (b'{"method":"GET","bogus":1}', "/bogus"),
        (b'{"method":"GET","headers":{"Accept":{"nonsense":"x"}}}', "/headers/Accept"),
        (b'{"method":5}', "/method"),
    ],
)
@pytest.mark.parametrize("route", ["count", "find"])
def test_bad_patterns_are_422s(client: httpx.Client, route: str, body: bytes, pointer: str) -> None:
    answer = client.post(f"/__admin/requests/{route}", content=body)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["code"], error["title"], error["source"]) == (
        10,
        PARSE_ERROR,
        {"pointer": pointer},
    )
    assert error["detail"]


def test_malformed_json_is_a_422(client: httpx.Client) -> None:
    answer = client.post("/__admin/requests/count", content=b"{bad")
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["code"], error["title"], error["source"]) == (10, PARSE_ERROR, {})


def test_unmatched_requests_oldest_first(client: httpx.Client) -> None:
    traffic(client)
    client.get("/again")
    body = client.get("/__admin/requests/unmatched").json()
    assert [r["url"] for r in body["requests"]] == ["/nope", "/again"]
    assert body["requestJournalDisabled"] is False


@pytest.mark.parametrize(
    ("method", "path"), [("DELETE", "/__admin/requests"), ("POST", "/__admin/requests/reset")]
)
def test_clearing_the_journal(client: httpx.Client, method: str, path: str) -> None:
    traffic(client)
    answer = client.request(method, path)
    assert (answer.status_code, answer.json()) == (200, {})
    assert client.get("/__admin/requests").json()["meta"] == {"total": 0}
    assert client.post("/__admin/requests/count", json={}).json()["count"] == 0


def test_a_disabled_journal_says_so() -> None:
    endpoints = [{"path": "/x", "response": "x"}]
    with (
        MockServer(endpoints=endpoints, request_journal=False) as mock,
        httpx.Client(base_url=mock.url) as client,
    ):
        client.get("/x")
        assert client.get("/__admin/requests").json()["requestJournalDisabled"] is True
        assert (
            client.post("/__admin/requests/count", json={}).json()["requestJournalDisabled"] is True
        )


def test_requests_are_removed_by_id_and_by_pattern(client: httpx.Client) -> None:
    traffic(client)
    listed = client.get("/__admin/requests").json()["requests"]
    flow = next(e for e in listed if e["request"]["url"] == "/flow")
    assert client.delete(f"/__admin/requests/{flow['id']}").json() == {}
    assert client.delete(f"/__admin/requests/{flow['id']}").status_code == 200  # as WireMock
    assert client.delete("/__admin/requests/zzz").status_code == 400
    removed = client.post("/__admin/requests/remove", json={"url": "/nope"}).json()
    assert [e["request"]["url"] for e in removed["serveEvents"]] == ["/nope"]
    left = [e["request"]["url"] for e in client.get("/__admin/requests").json()["requests"]]
    assert left == ["/things", "/hello?x=1"]
    counted = client.post("/__admin/requests/count", json={"url": "/nope"}).json()
    assert counted["count"] == 0


def test_requests_matching_one_stub(client: httpx.Client) -> None:
    traffic(client)
    client.get("/hello")
    served = client.get("/__admin/requests", params={"matchingStub": HELLO_ID}).json()
    assert [e["request"]["url"] for e in served["requests"]] == ["/hello", "/hello?x=1"]
    unknown = "99999999-9999-9999-9999-999999999999"
    assert (
        client.get("/__admin/requests", params={"matchingStub": unknown}).json()["requests"] == []
    )
    bad = client.get("/__admin/requests", params={"matchingStub": "nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == 15
