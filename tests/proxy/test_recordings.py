"""WireMock's recording API against the real WireMock: the same requests recorded from
the same upstream give the same mappings, and both then serve what they recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from tests.compat.wiremock.peers import available, wiremock

UPSTREAM = """
endpoints:
  - path: /users
    response: [{id: 1}]
  - path: /jobs/7
    mode: sequence
    responses: [{response: {state: queued}}, {response: {state: done}}]
  - method: POST
    path: /orders
    status: 201
    response: {created: true}
"""


LOCAL = {"request": {"method": "GET", "urlPath": "/users"}, "response": {"body": "mine"}}
"""A stub of the server's own: while recording, WireMock's proxy answers before it."""


def traffic(url: str) -> list[tuple[int, str]]:
    with httpx.Client(base_url=url) as client:
        answers = [
            client.get("/users", params={"page": "1"}),
            client.get("/jobs/7"),
            client.get("/jobs/7"),
            client.post("/orders", json={"sku": "A1"}),
        ]
    return [(a.status_code, a.text) for a in answers]


def comparable(mappings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mappings without their random ids, headers reduced to the content type."""
    shown = []
    for mapping in mappings:
        kept = {k: v for k, v in mapping.items() if k not in ("id", "uuid")}
        response = dict(kept["response"])
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        response["headers"] = {"content-type": headers.get("content-type")}
        body = response.get("body")
        if isinstance(body, str) and body.startswith(("{", "[")):
            response["body"] = json.loads(body)  # formatting of JSON text is not the point
        kept["response"] = response
        shown.append(kept)
    return shown


def record(url: str, target: str) -> tuple[list[dict[str, Any]], list[tuple[int, str]], Any]:
    with httpx.Client(base_url=url) as admin:
        assert admin.get("/__admin/recordings/status").json() == {"status": "NeverStarted"}
        started = admin.post("/__admin/recordings/start", json={"targetBaseUrl": target})
        assert started.status_code == 200
        assert admin.get("/__admin/recordings/status").json() == {"status": "Recording"}
        live = traffic(url)
        stopped = admin.post("/__admin/recordings/stop")
        assert stopped.status_code == 200
        assert admin.get("/__admin/recordings/status").json() == {"status": "Stopped"}
        again = admin.post("/__admin/recordings/stop")
        replayed = [admin.get("/jobs/7").json(), admin.get("/jobs/7").json()]
        replayed.append(admin.get("/users").text)  # the local stub answers again
        listed = admin.get("/__admin/mappings").json()["mappings"]
    mine = stopped.json()["mappings"]
    assert len(listed) == len(mine) + 1  # the recorded ones and the local one; no proxy left
    return mine, live, (again.status_code, again.json(), replayed)


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[MockServer]:
    path = tmp_path / "upstream.yaml"
    path.write_text(UPSTREAM)
    with MockServer(path) as server:
        yield server


def test_recording_gives_wiremocks_mappings_and_serves_them(
    tmp_path: Path, upstream: MockServer
) -> None:
    reason = available()
    if reason:
        pytest.skip(reason)
    ours_root = tmp_path / "ours"
    (ours_root / "mappings").mkdir(parents=True)
    (ours_root / "mappings" / "local.json").write_text(json.dumps(LOCAL))
    with MockServer(ours_root) as ours:
        mine, my_live, my_after = record(ours.url, upstream.url)
    httpx.post(upstream.url + "/__admin/reset")  # the upstream's sequence starts over
    theirs_root = tmp_path / "wiremock"
    (theirs_root / "mappings").mkdir(parents=True)
    (theirs_root / "mappings" / "local.json").write_text(json.dumps(LOCAL))
    with wiremock(theirs_root) as peer:
        assert not peer.refused, peer.refused
        theirs, their_live, their_after = record(f"http://127.0.0.1:{peer.port}", upstream.url)
    assert my_live == their_live
    assert comparable(mine) == comparable(theirs)
    assert my_after == their_after  # stop when stopped: WireMock's 400; both replay in order
    assert my_after[2] == [{"state": "queued"}, {"state": "done"}, "mine"]
    assert my_live[0] == (200, '[{"id":1}]')  # while recording, the proxy beat the local stub


def test_a_snapshot_and_filters(tmp_path: Path, upstream: MockServer) -> None:
    with MockServer(proxy_to=upstream.url) as mock:
        traffic(mock.url)
        snapshot = httpx.post(
            mock.url + "/__admin/recordings/snapshot",
            json={"filters": {"urlPathPattern": "/jobs/.*"}, "persist": False},
        ).json()
        ids = httpx.post(mock.url + "/__admin/recordings/snapshot", json={"outputFormat": "IDS"})
        bad = httpx.post(mock.url + "/__admin/recordings/start", json={"targetBaseUrl": "nope"})
    names = [m["name"] for m in snapshot["mappings"]]
    assert names == ["jobs_7", "jobs_7"]  # newest first: the second state, then the first
    assert all(m["persistent"] is False for m in snapshot["mappings"])
    assert len(ids.json()["ids"]) == 4
    assert bad.status_code == 422 and "targetBaseUrl" in bad.json()["errors"][0]["title"]
