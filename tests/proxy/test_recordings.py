"""WireMock's recording API against the real WireMock: the same requests recorded from
the same upstream give the same mappings, and both then serve what they recorded."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.proxy.wiremock_bodies import NEVER, size_of
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


BIG_TEXT = "x" * 3000
PNG = bytes.fromhex("89504e470d0a1a0a") + bytes(range(40))
BODIES = {
    "endpoints": [
        {"path": "/big", "headers": {"Content-Type": "text/plain"}, "response": BIG_TEXT},
        {"path": "/small", "response": {"a": 1}},
        {"path": "/json/big", "response": {"text": "y" * 3000}},
        {
            "path": "/logo",
            "content_type": "image/png",
            "response_base64": base64.b64encode(PNG).decode(),
        },
        {
            "path": "/tiny.bin",
            "content_type": "application/octet-stream",
            "response_base64": base64.b64encode(b"\x00\x01\x02").decode(),
        },
    ]
}
EXTRACTING = {
    "extractBodyCriteria": {"textSizeThreshold": "1 KB", "binarySizeThreshold": "10"},
    "transformers": ["no-such-transformer"],  # WireMock passes an unknown name over
    "transformerParameters": {"a": 1},
    "captureHeaders": {"Accept": {}, "X-Flavour": {"caseInsensitive": True}, "X-None": {}},
}
SENT = {"Accept": "text/plain, */*", "X-Flavour": "Mint"}
BODY_PATHS = ("/big", "/small", "/json/big", "/logo", "/tiny.bin")


def _normal(mapping: dict[str, Any]) -> dict[str, Any]:
    """A mapping (answered or persisted) with its id as ``ID`` in its body file's name."""
    kept = {k: v for k, v in mapping.items() if k not in ("id", "uuid", "insertionIndex")}
    response = dict(kept["response"])
    if "bodyFileName" in response:
        response["bodyFileName"] = response["bodyFileName"].replace(mapping["id"], "ID")
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    response["headers"] = {"content-type": headers.get("content-type")}
    body = response.get("body")
    if isinstance(body, str) and body.startswith(("{", "[")):
        response["body"] = json.loads(body)
    kept["response"] = response
    return kept


def _record_bodies(url: str, target: str, files: Path) -> dict[str, Any]:
    with httpx.Client(base_url=url) as client:
        started = client.post(
            "/__admin/recordings/start", json={"targetBaseUrl": target, **EXTRACTING}
        )
        assert started.status_code == 200, started.text
        for path in BODY_PATHS:
            assert client.get(path, headers=SENT).status_code == 200
        made = client.post("/__admin/recordings/stop").json()["mappings"]
        replayed = [client.get(path, headers=SENT).content for path in BODY_PATHS]
        unsent = client.get("/small", headers={"X-Flavour": "MINT"})  # no Accept sent
    by_id = {m["id"]: m for m in made}
    written = {}
    for path in files.iterdir():
        owner = next(i for i in by_id if i in path.name)
        written[path.name.replace(owner, "ID")] = path.read_bytes()
    return {
        "mappings": sorted((_normal(m) for m in made), key=json.dumps),
        "files": written,
        "replayed": replayed,
        "unsent": unsent.status_code,
    }


def _persisted(folder: Path) -> list[dict[str, Any]]:
    """The mapping files a recording wrote (the root's own ``local.json`` aside)."""
    found = (json.loads(p.read_text()) for p in folder.glob("*.json") if p.name != "local.json")
    return sorted((_normal(mapping) for mapping in found), key=json.dumps)


def test_extracted_bodies_and_persisted_files_are_wiremocks(tmp_path: Path) -> None:
    reason = available()
    if reason:
        pytest.skip(reason)
    upstream_file = tmp_path / "bodies.json"
    upstream_file.write_text(json.dumps(BODIES))
    roots = {name: tmp_path / name for name in ("ours", "wiremock")}
    for root in roots.values():
        (root / "mappings").mkdir(parents=True)
        (root / "mappings" / "local.json").write_text(json.dumps(LOCAL))
        (root / "__files").mkdir()
    with MockServer(upstream_file) as upstream:
        with MockServer(roots["ours"]) as ours:
            mine = _record_bodies(ours.url, upstream.url, roots["ours"] / "__files")
        with wiremock(roots["wiremock"]) as peer:
            assert not peer.refused, peer.refused
            url = f"http://127.0.0.1:{peer.port}"
            theirs = _record_bodies(url, upstream.url, roots["wiremock"] / "__files")
    assert mine["mappings"] == theirs["mappings"]
    assert set(mine["files"]) == {
        "big-ID.txt",
        "json_big-ID.json",
        "logo-ID.png",
    }  # the small JSON and the 3-byte binary stay inline
    assert mine["files"] == theirs["files"]
    assert mine["replayed"] == theirs["replayed"]
    assert mine["replayed"][0] == BIG_TEXT.encode() and mine["replayed"][3] == PNG
    assert mine["unsent"] == theirs["unsent"] == 404
    captured = mine["mappings"][0]["request"]["headers"]
    assert captured == {
        "Accept": {"equalTo": "text/plain, */*"},
        "X-Flavour": {"equalTo": "Mint", "caseInsensitive": True},
    }
    ours_saved = _persisted(roots["ours"] / ".apidouble" / "mappings")
    assert ours_saved == _persisted(roots["wiremock"] / "mappings")
    assert len(ours_saved) == len(BODY_PATHS)


BAD_SPECS: list[dict[str, Any]] = [
    {"transformers": "x"},
    {"transformers": [{"a": 1}]},
    {"transformerParameters": [1]},
    {"extractBodyCriteria": {"textSizeThreshold": "abc"}},
    {"extractBodyCriteria": {"textSizeThreshold": "5 X"}},
    {"captureHeaders": {"A": {"caseInsensitive": "x"}}},
    {"captureHeaders": ["A"]},
    {"repeatsAsScenarios": "x"},
    {"outputFormat": "x"},
    {"requestIdsToSnapshot": ["x"]},  # not a field of WireMock's spec
    {"allowNonProxied": True},
]
GOOD_SPECS: list[dict[str, Any]] = [
    {"extractBodyCriteria": {"textSizeThreshold": 100, "binarySizeThreshold": "1,5k"}},
    {"extractBodyCriteria": "x"},
    {"transformers": None, "transformerParameters": None, "captureHeaders": None},
    {"outputFormat": "ids", "persist": 1},
]


def _answers_to(url: str) -> list[tuple[int, Any]]:
    found = []
    with httpx.Client(base_url=url) as client:
        for spec in [*BAD_SPECS, *GOOD_SPECS]:
            answer = client.post("/__admin/recordings/snapshot", json=spec)
            errors = answer.json().get("errors") if answer.status_code != 200 else None
            pointer = errors[0].get("source", {}).get("pointer") if errors else None
            found.append((answer.status_code, pointer))
    return found


def test_spec_fields_are_checked_as_wiremock_checks_them(tmp_path: Path) -> None:
    reason = available()
    if reason:
        pytest.skip(reason)
    (tmp_path / "mappings").mkdir()
    with MockServer(tmp_path) as ours:
        mine = _answers_to(ours.url)
    with wiremock(tmp_path) as peer:
        assert not peer.refused, peer.refused
        theirs = _answers_to(f"http://127.0.0.1:{peer.port}")
    assert mine == theirs
    assert [status for status, _ in mine].count(422) == len(BAD_SPECS)


@pytest.mark.parametrize(
    ("given", "size"),
    [(None, NEVER), (100, 100), ("10240", 10240), ("1 KB", 1024), ("1,5k", 1536), ("2mb", 2 << 20)],
)
def test_size_thresholds_read_as_wiremock_reads_them(given: Any, size: int) -> None:
    assert size_of(given) == size
