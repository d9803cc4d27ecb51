"""Addons with the rest of the engine: pacing, CORS on a veto, one addon named twice,
an edit the clock cannot see, callbacks refused before sending, a middleware's own
answer and the served hooks."""

from __future__ import annotations

import json
import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from apidouble import MockServer


def config_with(tmp: Path, hooks: str, endpoints: list[dict[str, Any]], **top: Any) -> Path:
    (tmp / "hooks.py").write_text(textwrap.dedent(hooks))
    path = tmp / "apidouble.json"
    path.write_text(json.dumps({"addons": ["hooks.py"], **top, "endpoints": endpoints}))
    return path


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_changed_reply_keeps_the_stubs_dribble(tmp_path: Path) -> None:
    hooks = """
        def response(flow):
            flow.response.set_header("X-Signed", "1")
            if flow.request.query_string == "longer":
                flow.response.body += b"!" * 1000
    """
    endpoint = {"name": "slow", "path": "/slow", "response": "x" * 1000}
    endpoint["dribble"] = {"chunks": 5, "over_ms": 600}
    with MockServer(config_with(tmp_path, hooks, [endpoint])) as mock:
        for query in ("", "longer"):
            started = time.perf_counter()
            answer = httpx.get(mock.url + "/slow?" + query)
            spent = time.perf_counter() - started
            assert answer.headers["x-signed"] == "1"
            assert len(answer.content) == (2000 if query else 1000)
            assert spent > 0.45, f"the dribble was dropped ({query or 'same size'}): {spent:.3f}s"


def test_a_vetoed_request_is_answered_as_an_unmatched_one(tmp_path: Path) -> None:
    hooks = """
        def matched(flow):
            if flow.request.header("x-veto"):
                flow.veto()
    """
    endpoint = {"name": "a", "path": "/a", "response": {"ok": True}}
    with MockServer(config_with(tmp_path, hooks, [endpoint], cors=True)) as mock:
        origin = {"Origin": "http://example.com"}
        miss = httpx.get(mock.url + "/nope", headers=origin)
        vetoed = httpx.get(mock.url + "/a", headers={**origin, "X-Veto": "1"})
    assert miss.status_code == vetoed.status_code == 404
    assert (
        vetoed.headers["access-control-allow-origin"] == miss.headers["access-control-allow-origin"]
    )
    assert vetoed.json()["error"] == "the stub that matched (a) was vetoed by addon hooks"


def test_one_addon_named_server_wide_and_by_an_endpoint_runs_once(tmp_path: Path) -> None:
    hooks = """
        def response(flow):
            flow.response.add_header("X-Hit", "1")
    """
    endpoint = {"name": "a", "path": "/a", "response": {"ok": True}, "addons": ["hooks.py"]}
    with MockServer(config_with(tmp_path, hooks, [endpoint])) as mock:
        assert httpx.get(mock.url + "/a").headers.get_list("x-hit") == ["1"]


def test_an_edit_that_keeps_size_and_mtime_is_loaded(tmp_path: Path) -> None:
    hooks = """
        def response(flow):
            flow.response.set_header("X-V", "1")
    """
    config = config_with(tmp_path, hooks, [{"name": "a", "path": "/a", "response": "ok"}])
    file = tmp_path / "hooks.py"
    before = file.stat()
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/a").headers["x-v"] == "1"
        file.write_text(file.read_text().replace('"1"', '"2"'))
        os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
        mock.reload()
        assert httpx.get(mock.url + "/a").headers["x-v"] == "2"


def test_a_callback_refused_before_sending_is_logged() -> None:
    endpoint = {"name": "cb", "path": "/cb", "response": "ok"}
    endpoint["callbacks"] = [
        {"url": "http://127.0.0.1:9/hook", "retries": 2,
         "headers": {"X-Name": "{{ request.query.name }}"}}
    ]  # fmt: skip
    with MockServer(endpoints=[endpoint]) as mock:
        httpx.get(mock.url + "/cb", params={"name": "Jos\u00e9 \u2603"})

        def logged() -> bool:
            return bool(httpx.get(mock.url + "/__admin/callbacks").json()["callbacks"])

        eventually(logged)
        [attempt] = httpx.get(mock.url + "/__admin/callbacks").json()["callbacks"]
    assert attempt["status"] is None and "Error" in attempt["error"]


def test_served_hooks_run_when_a_middleware_answers_itself(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    hooks = f"""
        from apidouble.addons import Reply

        async def middleware(request, call_next):
            if request.path == "/short":
                return Reply(200, [("X-Mw", "1")], b"short")
            return await call_next(request)

        def served(flow):
            with open({str(seen)!r}, "a") as out:
                out.write(flow.request.path + "\\n")
    """
    endpoint = {"name": "a", "path": "/a", "response": "a"}
    with MockServer(config_with(tmp_path, hooks, [endpoint])) as mock:
        assert httpx.get(mock.url + "/a").text == "a"
        assert httpx.get(mock.url + "/short").headers["x-mw"] == "1"
        eventually(lambda: seen.exists() and len(seen.read_text().split()) == 2)
    assert seen.read_text().split() == ["/a", "/short"]
