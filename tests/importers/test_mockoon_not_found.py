"""Express's 404 for what no route takes, with the environment's headers (its CORS ones
among them), as mockoon-cli sends it; over real sockets, and against mockoon-cli live
when it is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_rules_state import converted
from tests.importers.test_mockoon_serving import environment, response, route, write
from tests.importers.test_mockoon_serving import serving as served

ENV_HEADERS = [
    {"key": "Content-Type", "value": "application/json"},
    {"key": "Access-Control-Allow-Origin", "value": "*"},
    {"key": "X-Env", "value": "{{queryParam 'q'}}v"},
    {"key": "Content-Language", "value": "fr"},
]
USERS = {"id": "b1", "name": "users", "value": '[{"id": 1, "name": "Ann"}]'}
ASKS = [("GET", "/nope?q=1"), ("POST", "/a"), ("DELETE", "/a/b/c"), ("GET", "/users/1")]
KEPT = ("access-control-allow-origin", "x-env", "content-type", "content-language")
KEPT += ("content-security-policy", "x-content-type-options")


def headed() -> dict[str, Any]:
    crud = route("users", response(bodyType="DATABUCKET", databucketID="b1"), type="crud")
    return environment(route("a", response("A")), crud, headers=ENV_HEADERS, data=[USERS])


def asked(client: httpx.Client) -> list[tuple[int, dict[str, str], str]]:
    found = []
    for method, url in ASKS:
        answer = client.request(method, url)
        kept = {k: v for k, v in answer.headers.items() if k in KEPT}
        found.append((answer.status_code, kept, answer.text))
    return found


def test_the_404_carries_the_environments_headers(tmp_path: Path) -> None:
    with served(tmp_path, headed()) as client:
        got = asked(client)
    status, headers, text = got[0]
    assert status == 404
    assert headers == {
        "access-control-allow-origin": "*",
        "x-env": "1v",
        "content-security-policy": "default-src 'none'",
        "x-content-type-options": "nosniff",
        "content-type": "text/html; charset=utf-8",
    }
    assert "<pre>Cannot GET /nope</pre>" in text
    assert "<pre>Cannot POST /a</pre>" in got[1][2]
    assert "<pre>Cannot DELETE /a/b/c</pre>" in got[2][2]
    assert got[3][0] == 200  # the CRUD resource still answers behind the endpoints


def test_the_path_is_html_escaped(tmp_path: Path) -> None:
    with served(tmp_path, headed()) as client:
        text = client.get("/x&y'z").text
    assert "<pre>Cannot GET /x&amp;y&#39;z</pre>" in text


@pytest.mark.parametrize(
    ("headers", "more"),
    [
        ([{"key": "Content-Type", "value": "application/json"}], {}),
        (ENV_HEADERS, {"proxyMode": True, "proxyHost": "http://127.0.0.1:9"}),
    ],
    ids=["only a content type", "proxied"],
)
def test_no_endpoint_where_it_adds_nothing(
    tmp_path: Path, headers: list[dict[str, str]], more: dict[str, Any]
) -> None:
    document, _ = converted(tmp_path, environment(route("a"), headers=headers, **more))
    assert "mockoon-not-found" not in [e["id"] for e in document["endpoints"]]


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_answers_as_mockoon_cli(tmp_path: Path) -> None:
    env = headed()
    with served(tmp_path, env) as client:
        ours = asked(client)
    with mockoon(write(tmp_path, env, "peer.json")) as url, httpx.Client(base_url=url) as client:
        theirs = asked(client)
    assert ours[:3] == theirs[:3]
    assert ours[3][0] == theirs[3][0]
