"""Addons over real HTTP: every phase, loaded from files named by the config."""

from __future__ import annotations

import json
import logging
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.addons import Flow

STATIC = {"name": "static", "path": "/static", "response": {"ok": True}}
OTHER = {"name": "other", "path": "/other", "response": {"other": True}}


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (bounded) for a side effect no journal entry announces."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def config_with(tmp_path: Path, hooks: str, *endpoints: dict[str, Any], **top: Any) -> Path:
    """A config folder with ``hooks.py`` and a config naming it (unless ``addons`` is
    given), serving ``endpoints``."""
    (tmp_path / "hooks.py").write_text(textwrap.dedent(hooks))
    config = tmp_path / "apidouble.json"
    document = {"addons": ["hooks.py"], **top, "endpoints": list(endpoints)}
    config.write_text(json.dumps(document))
    return config


def test_a_request_hook_answers_before_routing(tmp_path: Path) -> None:
    hooks = """
        def request(flow):
            if flow.request.path == "/health" or flow.request.header("x-intercept"):
                flow.respond(200, json={"up": True}, headers={"X-By": "addon"})
    """
    with MockServer(config_with(tmp_path, hooks, STATIC)) as mock:
        early = httpx.get(mock.url + "/health")
        routed = httpx.get(mock.url + "/static")
        # a static stub too: a server-wide request hook sees every request
        intercepted = httpx.get(mock.url + "/static", headers={"X-Intercept": "1"})
        entry = mock.requests.all()[2]
    assert intercepted.json() == {"up": True}
    assert early.status_code == 200 and early.json() == {"up": True}
    assert early.headers["x-by"] == "addon"
    assert routed.json() == {"ok": True}
    assert entry["path"] == "/health" and entry["status"] == 200 and entry["stub"] is None


def test_a_request_hook_rewrites_the_request_before_routing(tmp_path: Path) -> None:
    hooks = """
        def request(flow):
            if flow.request.path.startswith("/v1/"):
                flow.request = flow.request.replace(path=flow.request.path[3:])
    """
    with MockServer(config_with(tmp_path, hooks, STATIC)) as mock:
        answer = httpx.get(mock.url + "/v1/static")
        entry = mock.requests.all()[0]
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert entry["stub"] == "static" and entry["path"] == "/static"


def test_a_matched_hook_vetoes_or_replaces_the_stub(tmp_path: Path) -> None:
    hooks = """
        def matched(flow):
            if flow.request.header("x-veto"):
                flow.veto()
            elif flow.request.header("x-use"):
                flow.use(flow.request.header("x-use"))
    """
    with MockServer(config_with(tmp_path, hooks, STATIC, OTHER)) as mock:
        vetoed = httpx.get(mock.url + "/static", headers={"X-Veto": "1"})
        replaced = httpx.get(mock.url + "/static", headers={"X-Use": "other"})
        plain = httpx.get(mock.url + "/static")
        newest, replaced_entry, vetoed_entry = mock.requests.all()
    assert vetoed.status_code == 404
    assert vetoed_entry["stub"] is None
    assert vetoed.json()["error"] == "the stub that matched (static) was vetoed by addon hooks"
    assert vetoed_entry["notes"] == ["static vetoed by addon hooks"]
    assert replaced.json() == {"other": True} and replaced_entry["stub"] == "other"
    assert plain.json() == {"ok": True} and newest["stub"] == "static"


def test_a_response_hook_changes_status_headers_body_and_delay(tmp_path: Path) -> None:
    hooks = """
        def response(flow):
            reply = flow.response
            if flow.stub is not None and flow.stub.name == "static":
                reply.status = 201
                reply.set_header("X-Signed", "yes")
                body = reply.json
                body["seen_by"] = "addon"
                reply.json = body
                flow.delay_s = 0.2
    """
    with MockServer(config_with(tmp_path, hooks, STATIC, OTHER)) as mock:
        changed = httpx.get(mock.url + "/static")
        other = httpx.get(mock.url + "/other")
        entry = mock.requests.all()[1]
    assert changed.status_code == 201
    assert changed.headers["x-signed"] == "yes"
    assert changed.json() == {"ok": True, "seen_by": "addon"}
    assert int(changed.headers["content-length"]) == len(changed.content)
    assert changed.elapsed.total_seconds() >= 0.2
    assert other.status_code == 200 and "x-signed" not in other.headers
    assert entry["status"] == 201 and entry["delay_ms"] == pytest.approx(200)


def test_a_response_hook_turns_the_answer_into_a_fault(tmp_path: Path) -> None:
    hooks = """
        def response(flow):
            if flow.request.header("x-chaos") == "reset":
                flow.fail("connection_reset")
    """
    with MockServer(config_with(tmp_path, hooks, STATIC)) as mock:
        with pytest.raises(httpx.TransportError):
            httpx.get(mock.url + "/static", headers={"X-Chaos": "reset"})
        assert httpx.get(mock.url + "/static").status_code == 200
        faulted = mock.requests.all()[1]
    assert faulted["status"] == 0


def test_served_hooks_run_after_the_answer_sync_and_async(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    hooks = f"""
        import asyncio

        SEEN = {str(seen)!r}

        def served(flow):
            with open(SEEN, "a") as out:
                out.write(f"sync {{flow.request.path}} {{flow.response.status}}\\n")

        class Later:
            name = "later"

            async def served(self, flow):
                await asyncio.sleep(0)
                with open(SEEN, "a") as out:
                    out.write(f"async {{flow.stub.name if flow.stub else None}}\\n")
    """
    config = config_with(tmp_path, hooks, STATIC, addons=["hooks.py", "hooks.py:Later"])
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/static").status_code == 200
        assert httpx.get(mock.url + "/missing").status_code == 404
        eventually(lambda: seen.exists() and len(seen.read_text().splitlines()) == 4)
    assert sorted(seen.read_text().splitlines()) == [
        "async None",
        "async static",
        "sync /missing 404",
        "sync /static 200",
    ]


def test_a_hook_that_raises_gives_a_500_naming_it_and_the_server_serves_on(
    tmp_path: Path,
) -> None:
    hooks = """
        def response(flow):
            if flow.request.path == "/static":
                raise ValueError("boom")
    """
    with MockServer(config_with(tmp_path, hooks, STATIC, OTHER)) as mock:
        failed = httpx.get(mock.url + "/static")
        fine = httpx.get(mock.url + "/other")
        entry = mock.requests.all()[1]
    assert failed.status_code == 500
    assert failed.json() == {
        "error": "an addon failed",
        "addon": "hooks",
        "phase": "response",
        "detail": "ValueError: boom",
    }
    assert fine.status_code == 200
    note = entry["notes"][0]
    assert "addon hooks, response hook raised ValueError: boom" in note
    assert "hooks.py:4" in note


def test_async_hooks_and_a_middleware(tmp_path: Path) -> None:
    hooks = """
        import asyncio

        async def matched(flow):
            await asyncio.sleep(0.01)
            flow.scratch["matched"] = flow.stub.name

        async def middleware(request, call_next):
            reply = await call_next(request)
            reply.set_header("X-Wrapped", reply.header("content-type") or "none")
            return reply

        def response(flow):
            flow.response.add_header("X-Matched", flow.scratch.get("matched", "-"))
    """
    with MockServer(config_with(tmp_path, hooks, STATIC)) as mock:
        answer = httpx.get(mock.url + "/static")
        missing = httpx.get(mock.url + "/missing")
    assert answer.json() == {"ok": True}
    assert answer.headers["x-wrapped"] == "application/json"
    assert answer.headers["x-matched"] == "static"
    assert missing.status_code == 404 and missing.headers["x-matched"] == "-"


def test_an_endpoint_addon_applies_only_there(tmp_path: Path) -> None:
    hooks = """
        class Signer:
            def response(self, flow):
                flow.response.set_header("X-Signature", "sig")
    """
    signed = {**OTHER, "addons": ["signer"]}
    entry = {"use": "hooks.py:Signer", "name": "signer", "scope": "listed"}
    with MockServer(config_with(tmp_path, hooks, STATIC, signed, addons=[entry])) as mock:
        assert mock._runtime.engine.express.routes[b"GET"][b"/static"].stub.name == "static"
        plain = httpx.get(mock.url + "/static")
        other = httpx.get(mock.url + "/other")
    assert "x-signature" not in plain.headers
    assert other.headers["x-signature"] == "sig"


def test_an_addon_object_from_python(tmp_path: Path) -> None:
    calls: list[str] = []

    class Counter:
        name = "counter"

        def response(self, flow: Flow) -> None:
            assert flow.state is not None
            total = flow.state.count("requests")
            calls.append(flow.request.path)
            flow.response.set_header("X-Count", str(total))  # type: ignore[union-attr]

    with MockServer(endpoints=[STATIC], addons=[Counter()]) as mock:
        first = httpx.get(mock.url + "/static")
        second = httpx.get(mock.url + "/static")
        assert b"/static" not in mock._runtime.engine.express.routes.get(b"GET", {})
    assert (first.headers["x-count"], second.headers["x-count"]) == ("1", "2")
    assert calls == ["/static", "/static"]


def test_an_answer_made_early_still_meets_the_response_hooks(tmp_path: Path) -> None:
    hooks = """
        class Gate:
            def request(self, flow):
                if flow.request.header("x-blocked"):
                    flow.respond(429, json={"error": "slow down"})

        class Signer:
            def response(self, flow):
                flow.response.set_header("X-Signature", str(flow.response.status))
    """
    addons = ["hooks.py:Gate", "hooks.py:Signer"]
    with MockServer(config_with(tmp_path, hooks, STATIC, addons=addons)) as mock:
        refused = httpx.get(mock.url + "/static", headers={"X-Blocked": "1"})
        served = httpx.get(mock.url + "/static")
    assert refused.status_code == 429 and refused.headers["x-signature"] == "429"
    assert served.status_code == 200 and served.headers["x-signature"] == "200"


def test_a_slow_sync_hook_and_a_failing_served_hook_are_logged_by_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = """
        import time

        def response(flow):
            time.sleep(0.08)  # past the 50 ms a sync hook may hold the event loop

        def served(flow):
            raise RuntimeError("side effect failed")
    """
    caplog.set_level(logging.WARNING, logger="apidouble.addons")
    with MockServer(config_with(tmp_path, hooks, STATIC)) as mock:
        assert httpx.get(mock.url + "/static").status_code == 200
        eventually(lambda: any("served hook raised" in r.getMessage() for r in caplog.records))
        assert httpx.get(mock.url + "/static").status_code == 200  # serving goes on
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("addon hooks, response hook held the event loop for") for m in messages)
    assert "addon hooks, served hook raised RuntimeError: side effect failed" in messages
