"""A WireMock root served by ``MockServer`` on 127.0.0.1 for the admin-route tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer

HELLO_ID = "11111111-1111-1111-1111-111111111111"
MAPPINGS = [
    {
        "id": HELLO_ID,
        "name": "hello",
        "request": {"method": "GET", "urlPath": "/hello"},
        "response": {"status": 200, "body": "hi"},
    },
    {
        "request": {"method": "POST", "url": "/things"},
        "response": {"status": 201, "jsonBody": {"ok": True}},
    },
    {
        "scenarioName": "My Flow",
        "requiredScenarioState": "Started",
        "newScenarioState": "Second",
        "request": {"method": "GET", "url": "/flow"},
        "response": {"status": 200, "body": "one"},
    },
    {
        "scenarioName": "My Flow",
        "requiredScenarioState": "Second",
        "newScenarioState": "Third",
        "request": {"method": "GET", "url": "/flow"},
        "response": {"status": 200, "body": "two"},
    },
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A WireMock root: ``mappings/all.json`` with the mappings above."""
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "all.json").write_text(json.dumps({"mappings": MAPPINGS}))
    return tmp_path


@pytest.fixture
def mock(root: Path) -> Iterator[MockServer]:
    with MockServer(root / "mappings") as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url) as http:
        yield http


def traffic(client: httpx.Client) -> None:
    """Four requests, as the WireMock comparisons were made: three matched, one not."""
    client.get("/hello?x=1", headers={"Cookie": "a=b"})
    client.post("/things", content=b'{"k":1}', headers={"Content-Type": "application/json"})
    client.get("/nope")
    client.get("/flow")
