"""python-wiremock (PyPI ``wiremock`` 2.7) drives apidouble unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from wiremock.client import Mappings, NearMissMatchPatternRequest, Requests, Scenarios
from wiremock.constants import Config

from apidouble import MockServer

from .conftest import HELLO_ID, traffic


@pytest.fixture
def wiremock(mock: MockServer) -> Iterator[MockServer]:
    before = Config.base_url
    Config.base_url = mock.url + "/__admin"
    yield mock
    Config.base_url = before


def test_lists_and_gets_mappings(wiremock: MockServer) -> None:
    everything = Mappings.retrieve_all_mappings()
    assert everything.meta.total == 4
    assert HELLO_ID in [m.id for m in everything.mappings]
    hello = Mappings.retrieve_mapping(HELLO_ID)
    assert hello.request.url_path == "/hello"
    assert hello.response.body == "hi"


def test_counts_finds_and_resets_requests(wiremock: MockServer, client: httpx.Client) -> None:
    traffic(client)
    listed = Requests.get_all_received_requests()
    assert [e.request.url for e in listed.requests] == ["/flow", "/nope", "/things", "/hello?x=1"]
    one = Requests.get_request(listed.requests[0].id)
    assert one.request.url == "/flow"
    pattern = NearMissMatchPatternRequest(url="/hello?x=1", method="GET")
    assert Requests.get_matching_request_count(pattern).count == 1
    found = Requests.get_matching_requests(
        NearMissMatchPatternRequest(method="POST", url="/things")
    )
    assert [r.body for r in found.requests] == ['{"k":1}']
    assert [r.url for r in Requests.get_unmatched_requests().requests] == ["/nope"]
    Requests.reset_request_journal()
    assert Requests.get_all_received_requests().meta.total == 0


def test_resets_scenarios(wiremock: MockServer, client: httpx.Client) -> None:
    assert client.get("/flow").text == "one"
    Scenarios.reset_all_scenarios()
    assert client.get("/flow").text == "one"


def test_creates_updates_and_deletes_mappings(wiremock: MockServer, client: httpx.Client) -> None:
    from wiremock.resources.mappings import Mapping, MappingRequest, MappingResponse

    made = Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method="GET", url="/made"),
            response=MappingResponse(status=200, body="made"),
            persistent=False,
            metadata={"owner": "tests"},
        )
    )
    assert made.id and client.get("/made").text == "made"
    made.response = MappingResponse(status=200, body="changed")
    updated = Mappings.update_mapping(made)
    assert updated.response.body == "changed" and client.get("/made").text == "changed"
    Mappings.persist_mappings()
    Mappings.delete_mapping(made.id)
    assert client.get("/made").status_code == 404
    Mappings.delete_all_mappings()
    assert Mappings.retrieve_all_mappings().meta.total == 0
    Mappings.reset_mappings()
    assert Mappings.retrieve_all_mappings().meta.total == 4
    again = Mappings.create_mapping(
        Mapping(
            request=MappingRequest(method="GET", url="/tagged"),
            response=MappingResponse(status=204),
            metadata={"owner": "tests"},
        )
    )
    assert client.get("/tagged").status_code == 204
    Mappings.delete_mapping_by_metadata(
        {"matchesJsonPath": {"expression": "$.owner", "equalTo": "tests"}}
    )
    assert client.get("/tagged").status_code == 404
    assert again.id not in [m.id for m in Mappings.retrieve_all_mappings().mappings]
