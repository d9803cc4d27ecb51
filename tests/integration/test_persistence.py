"""Runtime stubs on disk: a ``kill -9`` in the middle of a series of creates loses none
that was acknowledged, and native endpoints persist like WireMock mappings."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer

APIDOUBLE = [sys.executable, "-m", "apidouble"]


def serving(root: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*APIDOUBLE, "run", str(root), "--port", "0", "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith("apidouble listening on "), line
    return process, line.rsplit(" ", 1)[1]


def stop(process: subprocess.Popen[str], kill: bool = False) -> None:
    if kill:
        process.kill()
    else:
        process.terminate()
    process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


def test_every_acknowledged_stub_survives_a_kill_9(tmp_path: Path) -> None:
    (tmp_path / "apidouble.yaml").write_text("endpoints:\n  - {path: /base, response: base}\n")
    acknowledged: list[str] = []
    process, url = serving(tmp_path)
    try:
        enough = threading.Event()

        def create_until_killed() -> None:
            with httpx.Client(base_url=url, timeout=5) as client:
                for n in range(2000):
                    mapping_id = f"{n:08d}-0000-4000-8000-000000000000"
                    body = {
                        "id": mapping_id,
                        "request": {"method": "GET", "url": f"/made/{n}"},
                        "response": {"status": 200, "body": str(n)},
                    }
                    try:
                        answer = client.post("/__admin/mappings", json=body)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if answer.status_code == 201:
                        acknowledged.append(mapping_id)
                    if len(acknowledged) == 30:
                        enough.set()

        writer = threading.Thread(target=create_until_killed)
        writer.start()
        assert enough.wait(30), "the creates did not get going"
        process.send_signal(signal.SIGKILL)
        writer.join(30)
    finally:
        stop(process, kill=True)
    assert len(acknowledged) >= 30
    for path in (tmp_path / ".apidouble" / "mappings").glob("*.json"):
        json.loads(path.read_text())  # never a torn file
    again, url = serving(tmp_path)
    try:
        with httpx.Client(base_url=url) as client:
            for mapping_id in acknowledged:
                n = int(mapping_id[:8])
                assert client.get(f"/made/{n}").text == str(n), mapping_id
            assert client.get("/base").text == "base"
    finally:
        stop(again)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "apidouble.yaml"
    path.write_text("endpoints:\n  - {id: base, path: /base, response: base}\n")
    return path


def test_native_endpoints_are_made_read_replaced_and_deleted(config: Path) -> None:
    folder = config.parent / ".apidouble" / "endpoints"
    with MockServer(config) as mock, httpx.Client(base_url=mock.url) as client:
        made = client.post("/__admin/endpoints", json={"id": "hi", "path": "/hi", "response": "hi"})
        assert made.status_code == 201 and made.json()["runtime"] is True
        assert client.get("/hi").text == "hi"
        assert json.loads((folder / "hi.json").read_text())["path"] == "/hi"
        assert client.get("/__admin/endpoints/hi").json()["endpoint"]["response"] == "hi"
        replaced = client.put("/__admin/endpoints/hi", json={"path": "/hi", "response": "ho"})
        assert replaced.status_code == 200 and client.get("/hi").text == "ho"
        base = client.put("/__admin/endpoints/base", json={"path": "/moved", "status": 202})
        assert base.status_code == 200 and client.get("/moved").status_code == 202
        assert client.get("/base").status_code == 404  # replaced, not shadowed
        assert "status: 202" not in config.read_text()  # the user's file is never written
        assert client.delete("/__admin/endpoints/hi").json() == {"deleted": "hi"}
        assert client.get("/hi").status_code == 404 and not (folder / "hi.json").exists()
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/moved").status_code == 202  # the edit persisted
        assert httpx.get(mock.url + "/base").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"id": "../../evil", "path": "/x"}', 422),
        (b'{"id": "a/b", "path": "/x"}', 422),
        (b'{"path": "/x", "latency_ms": "soon"}', 422),
        (b'{"path": ', 400),
        (b"[1, 2]", 422),
        (b'{"id": "base", "path": "/other"}', 409),
    ],
)
def test_bad_endpoints_are_refused_and_change_nothing(
    config: Path, body: bytes, status: int
) -> None:
    with MockServer(config) as mock:
        answer = httpx.post(mock.url + "/__admin/endpoints", content=body)
        assert answer.status_code == status, answer.text
        assert "error" in answer.json()
        listed = httpx.get(mock.url + "/__admin/endpoints").json()["endpoints"]
        assert [e["id"] for e in listed] == ["base"]
    assert not (config.parent / ".apidouble").exists()


def test_stubs_added_from_python_stay_in_memory(config: Path) -> None:
    with MockServer(config) as mock:
        mock.add_endpoints([{"path": "/py", "response": "py"}])
        assert httpx.get(mock.url + "/py").text == "py"
        mock.reload()
        assert httpx.get(mock.url + "/py").text == "py"  # a reload keeps them
    assert not (config.parent / ".apidouble").exists()
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/py").status_code == 404


def test_runtime_stubs_keep_the_server_wide_settings(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    (tmp_path / "team.json").write_text('{"lead": "Ada"}')
    config.write_text(
        "cors: true\ndata: {team: team.json}\nendpoints:\n  - {path: /base, response: base}\n"
    )
    with MockServer(config) as mock, httpx.Client(base_url=mock.url) as client:
        made = {"path": "/lead", "response": "{{ data.team.lead }}"}
        assert client.post("/__admin/endpoints", json=made).status_code == 201
        mock.add_endpoints([{"path": "/py", "response": "py"}])
        answer = client.get("/lead", headers={"Origin": "http://app.test"})
        assert answer.text == "Ada"
        assert answer.headers["access-control-allow-origin"] in ("*", "http://app.test")
        assert (
            "access-control-allow-origin"
            in client.get("/py", headers={"Origin": "http://a.test"}).headers
        )
