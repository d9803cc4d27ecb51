"""docs/wiremock.md: the mapping it shows is served as a WireMock root and answers as the
page says."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from apidouble.testing import MockServer

from . import claims

MAPPING = claims.answer("wiremock.md", '"urlPathTemplate": "/users/{id}"', "json")


def test_the_mapping_on_the_page_serves_as_a_wiremock_root(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "user.json").write_text(MAPPING.text)
    assert json.loads(MAPPING.text)["request"]["method"] == "GET"
    with MockServer(tmp_path) as mock, httpx.Client(base_url=mock.url) as http:
        found = http.get("/users/42")
        assert (found.status_code, found.json()) == (200, {"id": "42"})
        assert found.headers["content-type"] == "application/json"
        missed = http.get("/users/ada")  # pathParameters: digits only
        assert missed.status_code == 404
        assert missed.text.lstrip().startswith("Request was not matched")
