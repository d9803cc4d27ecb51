"""WireMock 3.13's near-miss routes: shapes, order and errors as the real jar answered.

Every expected order below was read from WireMock 3.13.2 serving ``conftest.MAPPINGS``
after ``traffic`` plus ``GET /zzz?q=1``. Distances are not WireMock's floats; the order
is (ties included: stubs newest first, requests newest first).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from wiremock.client import NearMisses, NearMissMatchPatternRequest, NearMissMatchRequest, Requests
from wiremock.constants import Config

from apidouble import MockServer
from apidouble.admin.wiremock_nearmiss_routes import add_near_miss_routes

from .conftest import HELLO_ID, traffic


@pytest.fixture
def near(mock: MockServer, client: httpx.Client) -> httpx.Client:
    """The client, with the near-miss routes on the server and the comparison traffic sent."""
    add_near_miss_routes(mock._runtime.routes)  # until admin/routes.py adds them itself
    traffic(client)
    client.get("/zzz?q=1")
    return client


def _stubs(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(request url, stub body) per near miss: which stub, told apart by what it answers."""
    return [
        (n["request"].get("url", ""), n["stubMapping"]["response"].get("body"))
        for n in answer["nearMisses"]
    ]


def test_unmatched_near_misses_as_wiremock_orders_them(near: httpx.Client) -> None:
    answer = near.get("/__admin/requests/unmatched/near-misses")
    assert answer.status_code == 200
    assert _stubs(answer.json()) == [
        ("/zzz?q=1", "hi"),
        ("/zzz?q=1", "two"),
        ("/zzz?q=1", "one"),
        ("/nope", "two"),
        ("/nope", "one"),
        ("/nope", "hi"),
    ]
    first = answer.json()["nearMisses"][0]
    assert set(first) == {"request", "stubMapping", "matchResult"}
    assert set(first["matchResult"]) == {"subEvents", "diffDescriptions", "distance"}
    assert first["stubMapping"]["id"] == HELLO_ID
    assert first["request"]["queryParams"] == {"q": {"key": "q", "values": ["1"]}}
    distances = [n["matchResult"]["distance"] for n in answer.json()["nearMisses"][3:]]
    assert distances[0] == distances[1] < distances[2]  # a scenario's state does not count


def test_no_unmatched_requests_no_near_misses(client: httpx.Client, mock: MockServer) -> None:
    add_near_miss_routes(mock._runtime.routes)
    client.get("/hello")
    assert client.get("/__admin/requests/unmatched/near-misses").json() == {"nearMisses": []}


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        ({"url": "/hellx", "method": "GET"}, ["hi", "two", "one"]),
        ({"url": "/hello", "method": "POST"}, ["hi", {"ok": True}, "two"]),
        ({}, ["two", "one", {"ok": True}]),
    ],
)
def test_stubs_nearest_a_logged_request(
    near: httpx.Client, logged: dict[str, Any], expected: list[Any]
) -> None:
    answer = near.post("/__admin/near-misses/request", json=logged)
    assert answer.status_code == 200
    found = answer.json()["nearMisses"]
    bodies = [n["stubMapping"]["response"].get("body", n["stubMapping"]["response"].get("jsonBody"))
              for n in found]  # fmt: skip
    assert bodies == expected


def test_a_full_match_is_a_near_miss_at_distance_zero(near: httpx.Client) -> None:
    logged = {"url": "/things", "method": "POST", "bodyAsBase64": "eA=="}
    found = near.post("/__admin/near-misses/request", json=logged).json()["nearMisses"]
    assert found[0]["stubMapping"]["request"]["url"] == "/things"
    assert found[0]["matchResult"]["distance"] == 0.0


def test_the_logged_request_is_echoed_as_wiremock_reads_it(near: httpx.Client) -> None:
    minimal = near.post("/__admin/near-misses/request", json={}).json()["nearMisses"][0]
    assert minimal["request"] == {
        "browserProxyRequest": False,
        "port": -1,
        "queryParams": {},
        "formParams": {},
    }
    logged = {
        "url": "/hello?a=1&a=2",
        "method": "GET",
        "headers": {"X-A": "1", "X-B": ["2", "3"]},
        "cookies": {"c": "d"},
        "body": "hey",
        "absoluteUrl": "http://h:81/hello?a=1",
        "clientIp": "1.2.3.4",
        "loggedDate": 5,
    }
    echoed = near.post("/__admin/near-misses/request", json=logged).json()["nearMisses"][0]
    assert echoed["request"] == {  # WireMock 3.13.2's answer, key for key
        "url": "/hello?a=1&a=2",
        "absoluteUrl": "http://h:81/hello?a=1",
        "method": "GET",
        "clientIp": "1.2.3.4",
        "headers": {"X-A": "1", "X-B": ["2", "3"]},
        "cookies": {"c": "d"},
        "browserProxyRequest": False,
        "loggedDate": 5,
        "scheme": "http",
        "host": "h",
        "port": 81,
        "loggedDateString": "1970-01-01T00:00:00.005Z",
        "queryParams": {"a": {"key": "a", "values": ["1", "2"]}},
        "formParams": {},
    }
    with_body = {"url": "/hello", "method": "GET", "bodyAsBase64": "aGk="}
    shown = near.post("/__admin/near-misses/request", json=with_body).json()["nearMisses"][0]
    assert (shown["request"]["bodyAsBase64"], shown["request"]["body"]) == ("aGk=", "hi")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"method": "GET", "url": "/hellox"}, ["/hello?x=1", "/flow", "/nope"]),
        (
            {"method": "POST", "url": "/things", "bodyPatterns": [{"equalToJson": {"k": 2}}]},
            ["/things", "/flow", "/nope"],
        ),
        ({"method": "GET", "urlPathPattern": "/n.*"}, ["/nope", "/zzz?q=1", "/flow"]),
    ],
)
def test_kept_requests_nearest_a_pattern(
    near: httpx.Client, pattern: dict[str, Any], expected: list[str]
) -> None:
    answer = near.post("/__admin/near-misses/request-pattern", json=pattern)
    assert answer.status_code == 200
    found = answer.json()["nearMisses"]
    assert [n["request"]["url"] for n in found] == expected
    assert all(n["requestPattern"] == pattern for n in found)
    assert set(found[0]) == {"request", "requestPattern", "matchResult"}


def test_the_nearest_request_is_wiremock_s_where_the_rest_differs(near: httpx.Client) -> None:
    # WireMock: hello, flow, zzz and flow, hello, nope; our path grading differs after
    # the first (shared prefixes and suffixes, not Levenshtein's edits)
    for pattern, nearest in (
        ({"method": "GET", "urlPath": "/hello", "headers": {"Cookie": {"contains": "a=b"}}},
         "/hello?x=1"),
        ({"method": "DELETE", "url": "/flow"}, "/flow"),
    ):  # fmt: skip
        found = near.post("/__admin/near-misses/request-pattern", json=pattern).json()
        assert found["nearMisses"][0]["request"]["url"] == nearest


def _error(answer: httpx.Response) -> tuple[int, dict[str, Any]]:
    error = answer.json()["errors"][0]
    return answer.status_code, {k: error[k] for k in ("code", "source", "title")}


PARSE = {"code": 10, "title": "Error parsing JSON"}


ROUTES = ["/__admin/near-misses/request", "/__admin/near-misses/request-pattern"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("body", "source"),
    [(b"", {"pointer": "/"}), (b"{x", {}), (b"[]", {"pointer": "/"})],
)
def test_unreadable_bodies_get_wiremock_s_422(
    near: httpx.Client, route: str, body: bytes, source: dict[str, str]
) -> None:
    assert _error(near.post(route, content=body)) == (422, {**PARSE, "source": source})


def test_bad_fields_are_pointed_at(near: httpx.Client) -> None:
    bad_pattern = near.post(
        "/__admin/near-misses/request-pattern", json={"method": "GET", "bogus": 1}
    )
    assert _error(bad_pattern) == (422, {**PARSE, "source": {"pointer": "/bogus"}})
    bad_request = near.post("/__admin/near-misses/request", json={"url": "/x", "method": 7})
    assert _error(bad_request) == (422, {**PARSE, "source": {"pointer": "/method"}})
    # found by schemathesis: a clientIp that is not a string was shown back as given
    bad_ip = near.post("/__admin/near-misses/request", json={"url": "/x", "clientIp": [{"": 1}]})
    assert _error(bad_ip) == (422, {**PARSE, "source": {"pointer": "/clientIp"}})


def test_many_stubs_are_picked_by_the_router_then_graded() -> None:
    endpoints = [{"method": "GET", "path": f"/item-{n}", "response": str(n)} for n in range(200)]
    with MockServer(endpoints=endpoints) as mock, httpx.Client(base_url=mock.url) as client:
        add_near_miss_routes(mock._runtime.routes)
        logged = {"url": "/item-142x", "method": "GET"}
        found = client.post("/__admin/near-misses/request", json=logged).json()["nearMisses"]
    assert len(found) == 3
    assert found[0]["stubMapping"]["request"]["urlPath"] == "/item-142"


# --- python-wiremock 2.7 ------------------------------------------------------------


@pytest.fixture
def wiremock(mock: MockServer, near: httpx.Client) -> Iterator[MockServer]:
    before = Config.base_url
    Config.base_url = mock.url + "/__admin"
    yield mock
    Config.base_url = before


def test_python_wiremock_reads_the_near_misses(wiremock: MockServer) -> None:
    by_request = NearMisses.find_nearest_misses_by_request(
        NearMissMatchRequest(url="/hellx", method="GET")
    )
    # python-wiremock's NearMissMatch has no stubMapping: it reads the request and distance
    assert [n.request.url for n in by_request.near_misses] == ["/hellx"] * 3
    distances = [n.match_result.distance for n in by_request.near_misses]
    assert distances == sorted(distances)
    by_pattern = NearMisses.find_nearest_misses_by_request_pattern(
        NearMissMatchPatternRequest(url="/hellox", method="GET")
    )
    assert [n.request.url for n in by_pattern.near_misses] == ["/hello?x=1", "/flow", "/nope"]
    unmatched = Requests.get_unmatched_requests_near_misses()
    assert [n.request.url for n in unmatched.near_misses] == ["/zzz?q=1"] * 3 + ["/nope"] * 3
