"""The whole server over real sockets: matching, reports, trouble, journal, reload."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from apidouble import ConfigError, MockServer

Serve = Callable[..., MockServer]


def test_unmatched_request_reports_near_misses(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - name: get-user
            path: /api/users/{id}
            match:
              headers: {Authorization: {regex: "Bearer .+"}}
            response: {ok: true}
          - name: orders
            path: /api/orders
        """
    )
    response = httpx.get(mock.url + "/api/users/1", headers={"Authorization": "Basic x"})
    assert response.status_code == 404
    report = response.json()
    assert report["request"] == {"method": "GET", "path": "/api/users/1", "query": ""}
    closest = report["near_misses"][0]
    assert closest["stub"] == "get-user"
    assert closest["source"].endswith("apidouble.yaml:3")
    failed = [c for c in closest["checks"] if not c["passed"]]
    assert len(failed) == 1
    assert "Authorization" in failed[0]["condition"]
    assert failed[0]["expected"] == "Bearer .+" and failed[0]["actual"] == "Basic x"
    assert any(c["passed"] for c in closest["checks"])  # the path did match
    assert len(report["near_misses"]) == 2


def test_near_miss_report_is_logged(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    mock = serve("endpoints: [{name: only, path: /a}]")
    with caplog.at_level("INFO", logger="apidouble"):
        httpx.get(mock.url + "/b")
    assert "no stub matched GET /b" in caplog.text
    assert "closest: only" in caplog.text


def test_latency_does_not_block_other_requests(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - {path: /slow, latency_ms: 400, response: slow}
          - {path: /fast, response: fast}
        """
    )

    async def run() -> tuple[float, float, float]:
        async with httpx.AsyncClient(base_url=mock.url, timeout=10) as client:
            started = time.perf_counter()

            async def slow() -> float:
                assert (await client.get("/slow")).text == "slow"
                return time.perf_counter() - started

            pending = [asyncio.ensure_future(slow()) for _ in range(50)]
            assert (await client.get("/fast")).text == "fast"
            fast_at = time.perf_counter() - started
            finished = await asyncio.gather(*pending)
            return fast_at, min(finished), max(finished)

    fast_at, first_slow, last_slow = asyncio.run(run())
    assert fast_at < first_slow  # the fast stub answered while 50 slow ones waited
    assert first_slow >= 0.4
    assert last_slow < 2.0  # 50 x 400 ms overlapped instead of 20 s in series


def test_failure_rate_one_always_fails_with_default_body(serve: Serve) -> None:
    mock = serve("endpoints: [{name: flaky, path: /x, failure_rate: 1.0, response: ok}]")
    response = httpx.get(mock.url + "/x")
    assert response.status_code == 500
    assert response.json() == {"error": "injected failure", "stub": "flaky", "status": 500}
    assert mock.requests.find(path="/x")[0]["failure_injected"] is True


def test_failure_rate_is_reproducible_with_a_seed(serve: Serve) -> None:
    text = "endpoints: [{path: /x, failure_rate: 0.5, response: ok}]"
    runs = []
    for _ in range(2):
        mock = serve(text, seed=42)
        runs.append([httpx.get(mock.url + "/x").status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


def test_invalid_json_against_validate_is_422(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - method: POST
            path: /things
            validate: {schema: {type: object, required: [a]}}
            response: {ok: true}
        """
    )
    response = httpx.post(mock.url + "/things", content=b"{not json")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"pointer": "", "message": "the request body is not valid JSON"}
    ]
    assert httpx.post(mock.url + "/things", json={"a": 1}).json() == {"ok": True}


def test_journal_logs_newest_first_with_bodies_and_limit(serve: Serve) -> None:
    mock = serve("endpoints: [{name: echo, method: POST, path: /echo, response: ok}]")
    for n in range(3):
        httpx.post(mock.url + f"/echo?n={n}", content=f"body-{n}", headers={"X-Trace": str(n)})
    httpx.get(mock.url + "/missing")
    logs = httpx.get(mock.url + "/__logs", params={"limit": 2}).json()
    assert logs["total"] == 4
    assert [entry["path"] for entry in logs["logs"]] == ["/missing", "/echo"]
    entry = logs["logs"][1]
    assert entry["query"] == "n=2" and entry["body"] == "body-2"
    assert entry["stub"] == "echo" and entry["status"] == 200
    assert ["X-Trace", "2"] in entry["headers"]
    assert entry["duration_ms"] >= 0 and entry["time"] > 0
    assert mock.requests.count(method="POST", path="/echo") == 3
    admin = httpx.get(mock.url + "/__admin/logs").json()
    assert admin["total"] == 4
    assert httpx.delete(mock.url + "/__logs").json() == {"cleared": True}
    assert httpx.get(mock.url + "/__admin/logs").json()["total"] == 0
    assert httpx.get(mock.url + "/__logs", params={"limit": "x"}).status_code == 400


def test_journal_is_bounded_by_bytes_and_caps_bodies(serve: Serve) -> None:
    mock = serve(
        "endpoints: [{method: POST, path: /b, response: ok}]",
        journal_budget_bytes=20_000,
        journal_body_cap_bytes=100,
    )
    for _ in range(100):
        httpx.post(mock.url + "/b", content=b"x" * 1000)
    logs = httpx.get(mock.url + "/__logs").json()
    assert 0 < logs["total"] < 100
    newest = logs["logs"][0]
    assert newest["body"] == "x" * 100 and newest["body_truncated"] is True
    assert newest["body_size"] == 1000
    health = httpx.get(mock.url + "/__admin/health").json()
    assert health["journal"]["bytes"] <= 20_000


def test_reload_on_demand_and_broken_edit_keeps_last_good(
    write_config: Callable[[str, str], Path],
) -> None:
    path = write_config("endpoints: [{path: /v, response: one}]", "apidouble.yaml")
    with MockServer(path) as mock:
        assert httpx.get(mock.url + "/v").text == "one"
        path.write_text("endpoints: [{path: /v, response: two}]")
        assert httpx.post(mock.url + "/__reload").json() == {"reloaded": True, "stubs": 1}
        assert httpx.get(mock.url + "/v").text == "two"
        path.write_text("endpoints: [{path: /v, response: three, bogus: 1}]")
        failed = httpx.post(mock.url + "/__admin/reload")
        assert failed.status_code == 400
        assert failed.json()["kept"] == "last good config"
        assert "apidouble.yaml:1" in failed.json()["errors"][0]
        assert httpx.get(mock.url + "/v").text == "two"
        health = httpx.get(mock.url + "/__admin/health").json()
        assert health["status"] == "degraded" and "bogus" in health["errors"][0]
        with pytest.raises(ConfigError):
            mock.reload()
        path.write_text("endpoints: [{path: /v, response: four}]")
        mock.reload()
        assert httpx.get(mock.url + "/__admin/health").json()["status"] == "healthy"
        assert httpx.get(mock.url + "/v").text == "four"


def _wait_for(predicate: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_hot_reload_on_file_change(write_config: Callable[[str, str], Path]) -> None:
    path = write_config("endpoints: [{path: /v, response: before}]", "apidouble.yaml")
    with MockServer(path, watch=True) as mock:
        assert httpx.get(mock.url + "/v").text == "before"
        path.write_text("endpoints: [{path: /v, response: after}]")
        assert _wait_for(lambda: httpx.get(mock.url + "/v").text == "after")
        path.write_text("endpoints: [{path: /v, response: [unclosed}]")
        assert _wait_for(
            lambda: httpx.get(mock.url + "/__admin/health").json()["status"] == "degraded"
        )
        assert httpx.get(mock.url + "/v").text == "after"


def test_templated_status_and_render_error_answers_500(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - name: teapot
            path: /s/{code}
            status: "{{ request.params.code | int }}"
          - name: broken
            path: /broken
            response: {value: "{{ request.json.missing.deeper }}"}
        """
    )
    assert httpx.get(mock.url + "/s/418").status_code == 418
    broken = httpx.get(mock.url + "/broken")
    assert broken.status_code == 500
    assert broken.json()["stub"] == "broken" and broken.json()["error"] == "template error"
    assert httpx.get(mock.url + "/s/201").status_code == 201  # still serving


def test_sandbox_refuses_escape(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - path: /x
            response: "{{ request.__class__.__mro__ }}"
        """
    )
    response = httpx.get(mock.url + "/x")
    assert response.status_code == 500
    assert "sandbox" in response.json()["detail"]


def test_admin_token(serve: Serve) -> None:
    mock = serve("endpoints: [{path: /x}]", admin_token="s3cret")
    assert httpx.get(mock.url + "/__logs").status_code == 401
    assert httpx.get(mock.url + "/__logs", headers={"X-Admin-Token": "s3cret"}).status_code == 200
    bearer = {"Authorization": "Bearer s3cret"}
    assert httpx.get(mock.url + "/__admin/logs", headers=bearer).status_code == 200
    assert httpx.get(mock.url + "/__admin/health").status_code == 200


def test_endpoints_listing(serve: Serve) -> None:
    mock = serve("endpoints: [{name: a, method: [GET, POST], path: /a}]")
    listed = httpx.get(mock.url + "/__admin/endpoints").json()["endpoints"]
    assert listed[0]["name"] == "a" and listed[0]["methods"] == ["GET", "POST"]
    assert listed[0]["source"]["line"] == 1


def test_python_endpoints_and_pytest_fixture(apidouble: MockServer) -> None:
    apidouble.set_endpoints([{"path": "/ping", "response": {"ok": True}}])
    assert httpx.get(apidouble.url + "/ping").json() == {"ok": True}
    apidouble.add_endpoints([{"path": "/pong", "response": "pong"}])
    assert httpx.get(apidouble.url + "/pong").text == "pong"
    assert httpx.get(apidouble.url + "/ping").json() == {"ok": True}
    assert apidouble.requests.count(path="/ping") == 2
