"""``GET /__admin/mappings`` and ``/__admin/mappings/{id}``, shapes as WireMock 3.13 answers."""

from __future__ import annotations

import uuid

import httpx

from apidouble import MockServer

from .conftest import HELLO_ID, MAPPINGS


def test_lists_mappings_newest_first_with_ids(client: httpx.Client) -> None:
    body = client.get("/__admin/mappings").json()
    assert body["meta"] == {"total": 4}
    listed = body["mappings"]
    assert [m["response"].get("body") for m in listed] == ["two", "one", None, "hi"]
    hello = listed[-1]
    assert hello == {**MAPPINGS[0], "uuid": HELLO_ID}
    for mapping in listed:  # ids WireMock clients can parse, the same in both keys
        assert mapping["id"] == mapping["uuid"] == str(uuid.UUID(mapping["id"]))
    assert listed[1]["scenarioName"] == "My Flow"


def test_limit_and_offset_page_the_list(client: httpx.Client) -> None:
    body = client.get("/__admin/mappings", params={"limit": 1, "offset": 1}).json()
    assert [m["response"]["body"] for m in body["mappings"]] == ["one"]
    assert body["meta"] == {"total": 4}
    assert client.get("/__admin/mappings?offset=3").json()["mappings"][0]["id"] == HELLO_ID
    assert client.get("/__admin/mappings?limit=0").json()["mappings"] == []


def test_bad_limit_is_a_400_in_wiremocks_error_shape(client: httpx.Client) -> None:
    answer = client.get("/__admin/mappings?limit=x")
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [{"code": 10, "source": {"pointer": "limit"}, "title": "x is not a whole number"}]
    }


def test_gets_one_mapping_by_id(client: httpx.Client) -> None:
    answer = client.get(f"/__admin/mappings/{HELLO_ID}")
    assert answer.status_code == 200
    assert answer.json() == {**MAPPINGS[0], "uuid": HELLO_ID}
    other = client.get("/__admin/mappings").json()["mappings"][0]
    assert client.get(f"/__admin/mappings/{other['id']}").json() == other


def test_unknown_and_malformed_ids(client: httpx.Client) -> None:
    unknown = client.get("/__admin/mappings/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["code"] == 404
    bad = client.get("/__admin/mappings/nope")
    assert bad.status_code == 400
    assert bad.json() == {"errors": [{"code": 10, "title": "nope is not a valid UUID"}]}


def test_native_stubs_are_listed_as_export_writes_them() -> None:
    endpoints = [{"method": ["GET", "POST"], "path": "/users/{id}", "response": {"id": 1}}]
    with MockServer(endpoints=endpoints) as mock, httpx.Client(base_url=mock.url) as client:
        listed = client.get("/__admin/mappings").json()["mappings"]
        assert sorted(m["request"]["method"] for m in listed) == ["GET", "POST"]
        for mapping in listed:
            assert mapping["request"]["urlPathTemplate"] == "/users/{id}"
            assert mapping["response"]["status"] == 200
            assert "apidouble" in mapping["metadata"]
            assert client.get(f"/__admin/mappings/{mapping['id']}").json() == mapping


def test_the_list_follows_a_change_of_stubs(mock: MockServer, client: httpx.Client) -> None:
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 4
    mock.set_endpoints([{"path": "/only", "response": "x"}])
    body = client.get("/__admin/mappings").json()
    assert body["meta"] == {"total": 1}
    assert body["mappings"][0]["request"]["urlPath"] == "/only"
    assert client.get(f"/__admin/mappings/{HELLO_ID}").status_code == 404
