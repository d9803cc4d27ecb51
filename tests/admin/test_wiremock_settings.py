"""WireMock's global settings, version, health and shutdown routes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from apidouble import MockServer


def timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    assert client.get(path).status_code == 200
    return time.perf_counter() - started


def test_a_global_fixed_delay_slows_stubs_without_their_own(
    mock: MockServer, client: httpx.Client
) -> None:
    own = {
        "request": {"method": "GET", "url": "/own"},
        "response": {"status": 200, "fixedDelayMilliseconds": 1},
    }
    assert client.post("/__admin/mappings", json=own).status_code == 201
    assert client.get("/__admin/settings").json() == {"settings": {}}
    answer = client.post("/__admin/settings", json={"fixedDelay": 400, "extended": {"a": 1}})
    assert answer.json() == {"settings": {"fixedDelay": 400, "extended": {"a": 1}}}
    assert b"/hello" not in mock._runtime.engine.express.routes.get(b"GET", {})
    assert timed(client, "/hello") >= 0.4
    assert timed(client, "/own") < 0.4  # a stub's own delay wins
    assert client.get("/__admin/settings").json()["settings"]["fixedDelay"] == 400
    patched = client.patch("/__admin/settings/extended", json={"b": 2})
    assert patched.json()["settings"]["extended"] == {"a": 1, "b": 2}
    assert client.put("/__admin/settings", json={}).json() == {"settings": {}}
    assert timed(client, "/hello") < 0.4
    assert b"/hello" in mock._runtime.engine.express.routes[b"GET"]


def test_a_global_delay_distribution(client: httpx.Client) -> None:
    uniform = {"delayDistribution": {"type": "uniform", "lower": 300, "upper": 310}}
    assert client.post("/__admin/settings", json=uniform).status_code == 200
    assert timed(client, "/hello") >= 0.3


def test_bad_settings_are_refused_and_change_nothing(client: httpx.Client) -> None:
    client.post("/__admin/settings", json={"fixedDelay": 5})
    for body, pointer in (
        ({"fixedDelay": "x"}, "/fixedDelay"),
        ({"fixedDelay": -1}, "/fixedDelay"),
        ({"nope": 1}, "/nope"),
        ({"delayDistribution": {"type": "poisson"}}, "/delayDistribution/type"),
    ):
        answer = client.post("/__admin/settings", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["source"]["pointer"] == pointer
    assert client.get("/__admin/settings").json() == {"settings": {"fixedDelay": 5}}


def test_version_and_health(client: httpx.Client) -> None:
    version = client.get("/__admin/version").json()
    assert version["version"] and version["compatibility"].startswith("wiremock 3")
    health = client.get("/__admin/health").json()
    assert health["status"] == "healthy" and health["message"]
    assert health["uptimeInSeconds"] >= 0 and health["timestamp"].endswith("Z")


def test_an_embedded_server_is_not_shut_down_over_http(client: httpx.Client) -> None:
    assert client.post("/__admin/shutdown").status_code == 409
    assert client.get("/hello").text == "hi"


def test_shutdown_stops_the_command_gracefully(root: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "apidouble", "run", str(root), "--port", "0", "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip().rsplit(" ", 1)[1]
            answer = httpx.post(url + "/__admin/shutdown")
            assert answer.status_code == 200 and answer.json() == {"shutdown": True}
            assert process.wait(timeout=20) == 0
        finally:
            process.kill()
