"""Record from a real upstream, stop it, replay offline: the same answers, secrets gone."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble import MockServer
from tests.compat.wiremock.peers import available, wiremock
from tests.waiting import wait_for

BINARY = bytes(range(256)) * 4
UPSTREAM = {
    "endpoints": [
        {"path": "/users", "match": {"query": {"page": "1"}}, "response": [{"id": 1}]},
        {"path": "/users", "match": {"query": {"page": "2"}}, "response": [{"id": 2}]},
        {
            "path": "/jobs/7",
            "mode": "sequence",
            "responses": [{"response": {"state": "queued"}}, {"response": {"state": "done"}}],
        },
        {"method": "POST", "path": "/orders", "status": 201, "response": {"created": True}},
        {
            "path": "/login",
            "headers": {"Set-Cookie": "session=TOPSECRET; HttpOnly", "X-Api-Key": "KEYSECRET"},
            "response": {"ok": True},
        },
        {"path": "/search", "response": {"hits": 3}},
        {
            "path": "/logo.bin",
            "content_type": "application/octet-stream",
            "response_base64": base64.b64encode(BINARY).decode(),
        },
        {"path": "/big", "response": "x" * 40_000},
        {"path": "/missing", "status": 404, "response": {"error": "no such thing"}},
    ]
}

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/users?page=1", {}),
    ("GET", "/users?page=1", {}),  # the same answer again: no second stub
    ("GET", "/users?page=2", {}),
    ("GET", "/jobs/7", {}),
    ("GET", "/jobs/7", {}),  # a different answer: a sequence
    ("POST", "/orders", {"json": {"sku": "A1", "qty": 2}}),
    ("GET", "/login", {"headers": {"Authorization": "Bearer TOKENSECRET"}}),
    ("GET", "/search?q=shoes&api_key=QUERYSECRET", {}),
    ("GET", "/logo.bin", {}),
    ("GET", "/big", {}),
    ("GET", "/missing", {}),
]


def answers(url: str) -> list[tuple[int, bytes]]:
    with httpx.Client(base_url=url) as client:
        return [
            (r.status_code, r.content)
            for r in (client.request(method, path, **kw) for method, path, kw in REQUESTS)
        ]


@pytest.fixture
def upstream(tmp_path: Path) -> Any:
    path = tmp_path / "upstream" / "apidouble.json"
    path.parent.mkdir()
    path.write_text(json.dumps(UPSTREAM))
    return MockServer(path)


def test_record_stop_replay_gives_the_same_answers_without_secrets(
    tmp_path: Path, upstream: MockServer
) -> None:
    recording = tmp_path / "rec" / "recording.yaml"
    recording.parent.mkdir()
    with upstream:
        command = [sys.executable, "-m", "apidouble", "record", "--target", upstream.url]
        command += ["-o", str(recording), "--port", "0"]
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as recorder:
            try:
                assert recorder.stdout is not None
                url = recorder.stdout.readline().strip().rsplit(" ", 1)[1]
                live = answers(url)
                recorder.send_signal(signal.SIGINT)  # Ctrl-C: what was proxied is kept
                assert recorder.wait(timeout=30) == 0
            finally:
                recorder.kill()
    # the upstream is gone now: replay offline
    with MockServer(recording) as replay:
        replayed = answers(replay.url)
        other_key = httpx.get(replay.url + "/search", params={"q": "shoes", "api_key": "other"})
    assert replayed == live
    assert other_key.json() == {"hits": 3}  # a secret query parameter is matched by presence
    written = recording.read_text() + "".join(
        p.read_text(errors="replace") for p in recording.parent.rglob("*") if p.is_file()
    )
    for secret in ("TOPSECRET", "KEYSECRET", "TOKENSECRET", "QUERYSECRET"):
        assert secret not in written
    document = yaml.safe_load(recording.read_text())
    paths = [e["path"] for e in document["endpoints"]]
    assert paths.count("/users") == 2  # page 1 recorded once, page 2 once
    jobs = next(e for e in document["endpoints"] if e["path"] == "/jobs/7")
    assert jobs["mode"] == "sequence" and len(jobs["responses"]) == 2
    logo = next(e for e in document["endpoints"] if e["path"] == "/logo.bin")
    assert (recording.parent / logo["response_file"]).read_bytes() == BINARY


def test_run_with_proxy_to_records_only_what_no_stub_answers(
    tmp_path: Path, upstream: MockServer
) -> None:
    recording = tmp_path / "more.yaml"
    local = tmp_path / "local.yaml"
    local.write_text("endpoints: [{path: /users, response: local}]\n")
    with (
        upstream,
        MockServer(
            local, proxy_to=upstream.url, record_to=str(recording), record_latency=True
        ) as mock,
    ):
        assert httpx.get(mock.url + "/users", params={"page": 1}).text == "local"
        assert httpx.get(mock.url + "/search").json() == {"hits": 3}
    document = yaml.safe_load(recording.read_text())
    assert [e["path"] for e in document["endpoints"]] == ["/search"]
    assert document["endpoints"][0]["latency_ms"] >= 0


def test_a_second_session_carries_on_the_same_recording(
    tmp_path: Path, upstream: MockServer
) -> None:
    recording = tmp_path / "rec.yaml"
    with upstream:
        with MockServer(proxy_to=upstream.url, record_to=str(recording)) as first:
            httpx.get(first.url + "/users", params={"page": 1})
        with MockServer(proxy_to=upstream.url, record_to=str(recording)) as second:
            httpx.get(second.url + "/users", params={"page": 1})  # recorded already
            httpx.get(second.url + "/search")
    document = yaml.safe_load(recording.read_text())
    assert [e["path"] for e in document["endpoints"]] == ["/users", "/search"]
    assert "responses" not in document["endpoints"][0]


def test_recorded_stubs_can_match_on_chosen_headers_without_writing_secrets(
    tmp_path: Path, upstream: MockServer
) -> None:
    recording = tmp_path / "by-tenant.yaml"
    with (
        upstream,
        MockServer(
            proxy_to=upstream.url,
            record_to=str(recording),
            record_headers=("X-Tenant", "Authorization"),
        ) as mock,
    ):
        sent = {"X-Tenant": "acme", "Authorization": "Bearer HEADERSECRET"}
        assert httpx.get(mock.url + "/search", headers=sent).json() == {"hits": 3}
    assert "HEADERSECRET" not in recording.read_text()
    with MockServer(recording) as replay:
        same = httpx.get(replay.url + "/search", headers={**sent, "Authorization": "Bearer x"})
        other = httpx.get(replay.url + "/search", headers={**sent, "X-Tenant": "globex"})
        unsigned = httpx.get(replay.url + "/search", headers={"X-Tenant": "acme"})
    assert same.json() == {"hits": 3}
    assert other.status_code == 404 and unsigned.status_code == 404


def test_recording_into_a_file_that_is_not_a_recording_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "notes.yaml"
    other.write_text("just: a mapping\n")
    command = [sys.executable, "-m", "apidouble", "record", "--target", "http://127.0.0.1:9"]
    done = subprocess.run(
        [*command, "-o", str(other), "--port", "0"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "is not a recording (no endpoints list)" in done.stderr
    assert other.read_text() == "just: a mapping\n"  # left as it was


def _record_with(command: list[str]) -> list[tuple[int, bytes]]:
    """Run ``apidouble record`` with ``command``'s flags, send ``REQUESTS``, Ctrl-C it."""
    full = [sys.executable, "-m", "apidouble", "record", *command, "--port", "0"]
    with subprocess.Popen(full, stdout=subprocess.PIPE, text=True) as recorder:
        try:
            assert recorder.stdout is not None
            url = recorder.stdout.readline().strip().rsplit(" ", 1)[1]
            live = answers(url)
            recorder.send_signal(signal.SIGINT)
            assert recorder.wait(timeout=30) == 0
        finally:
            recorder.kill()
    return live


def test_record_format_wiremock_writes_a_root_wiremock_replays(
    tmp_path: Path, upstream: MockServer
) -> None:
    reason = available()
    if reason:
        pytest.skip(reason)
    root = tmp_path / "root"
    with upstream:
        live = _record_with(["--target", upstream.url, "--format", "wiremock", "-o", str(root)])
    (written,) = (root / "mappings").iterdir()
    assert written.name == "recording-1.json"
    mappings = json.loads(written.read_text())["mappings"]
    assert len(mappings) == 10  # the repeated /users?page=1 once; /jobs/7 a scenario of two
    assert sum(1 for m in mappings if m.get("scenarioName")) == 2
    files = sorted(p.name for p in (root / "__files").iterdir())
    assert [name.split("-", 1)[0] for name in files] == ["big", "logo.bin"]
    everything = "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())
    for secret in ("TOPSECRET", "KEYSECRET", "TOKENSECRET", "QUERYSECRET"):
        assert secret not in everything
    with wiremock(root) as peer:  # the upstream is gone: WireMock replays the root
        assert not peer.refused, peer.refused
        assert answers(f"http://127.0.0.1:{peer.port}") == live
    with MockServer(root) as ours:
        assert answers(ours.url) == live


def test_a_second_wiremock_session_adds_a_file_of_what_is_new(
    tmp_path: Path, upstream: MockServer
) -> None:
    root = tmp_path / "root"
    for folder in ("mappings", "__files"):
        (root / folder).mkdir(parents=True)
    with upstream:
        with MockServer(proxy_to=upstream.url, record_to=str(root)) as first:
            httpx.get(first.url + "/big")
            written = root / "mappings" / "recording-1.json"
            assert wait_for(written.exists)  # written once; rewritten below and at the end
            httpx.get(first.url + "/users", params={"page": 1})
        with MockServer(proxy_to=upstream.url, record_to=str(root), record_latency=True) as again:
            httpx.get(again.url + "/users", params={"page": 1})  # recorded already
            httpx.get(again.url + "/search")
    first_file, second_file = sorted((root / "mappings").iterdir())
    assert [first_file.name, second_file.name] == ["recording-1.json", "recording-2.json"]
    big = next(m for m in json.loads(first_file.read_text())["mappings"] if m["name"] == "big")
    assert [p.name for p in (root / "__files").iterdir()] == [big["response"]["bodyFileName"]]
    (later,) = json.loads(second_file.read_text())["mappings"]
    assert later["request"]["url"] == "/search"
    assert later["response"]["fixedDelayMilliseconds"] >= 0


def test_record_format_wiremock_refuses_a_yaml_output(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "apidouble", "record", "--target", "http://127.0.0.1:9"]
    command += ["--format", "wiremock", "-o", str(tmp_path / "x.yaml"), "--port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "a WireMock root is a folder" in done.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_body_files_leave_memory_once_handed_to_a_write(
    tmp_path: Path, upstream: MockServer
) -> None:
    """A long recording holds its large bodies on disk, not in the recorder."""
    recording = tmp_path / "rec.yaml"
    with upstream, MockServer(proxy_to=upstream.url, record_to=str(recording)) as mock:
        assert len(httpx.get(mock.url + "/big").content) == 40_000
        assert httpx.get(mock.url + "/logo.bin").content == BINARY
        recorder = mock._runtime.recorder
        assert recorder is not None
        wait_for(lambda: recording.exists() and len(list(tmp_path.glob("rec_bodies/*"))) == 2)
        assert recorder._bodies == {}
    with MockServer(recording) as replay:
        assert httpx.get(replay.url + "/big").text == "x" * 40_000
        assert httpx.get(replay.url + "/logo.bin").content == BINARY


def test_an_older_snapshot_skipped_still_writes_its_body_files(tmp_path: Path) -> None:
    """Snapshots take the bodies they name: one overtaken by a newer write must still
    write them, or the newer recording would point at files that never come."""
    from apidouble.proxy.recorder import Recorder

    recorder = Recorder(tmp_path / "rec.yaml")
    recorder._bodies = {"rec_bodies/a.bin": b"A"}
    older = recorder._snapshot()
    recorder._bodies = {"rec_bodies/b.bin": b"B"}
    newer = recorder._snapshot()
    recorder._write(*newer)
    recorder._write(*older)
    assert (tmp_path / "rec_bodies" / "a.bin").read_bytes() == b"A"
    assert (tmp_path / "rec_bodies" / "b.bin").read_bytes() == b"B"
