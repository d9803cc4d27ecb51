"""The journal as HAR over the admin API and from the CLI, and back in as stubs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from apidouble import MockServer

STUBS = {"endpoints": [{"path": "/hello", "response": {"hello": "world"}}]}


def test_the_journal_exports_as_har_and_replays(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.json"
    config.write_text(json.dumps(STUBS))
    with MockServer(config) as mock:
        httpx.get(mock.url + "/hello", params={"x": "1"})
        har = httpx.get(mock.url + "/__admin/requests", params={"format": "har"}).json()
        out = tmp_path / "journal.har"
        done = subprocess.run(
            [sys.executable, "-m", "apidouble", "export", "har", "--url", mock.url, "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert har["log"]["version"] == "1.2"
    entry = har["log"]["entries"][0]
    assert entry["request"]["url"].endswith("/hello?x=1") and entry["response"]["status"] == 200
    assert done.returncode == 0, done.stderr
    exported = json.loads(out.read_text())
    assert [e["request"]["method"] for e in exported["log"]["entries"]][-1] == "GET"
    with MockServer(out) as replay:  # the HAR itself is a config
        assert httpx.get(replay.url + "/hello", params={"x": "1"}).json() == {"hello": "world"}
