"""The container's entrypoint run outside a container: it serves mounted stubs over a real
socket, execs apidouble (so SIGTERM reaches the server) and maps APIDOUBLE_* variables to
flags; the image's health check passes against it and fails on a closed port or a
degraded server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest
import yaml

from .dockerfile import REPO, healthcheck_command
from .processes import (
    BIN,
    ENTRYPOINT,
    PID_NAMESPACE,
    Running,
    can_unshare,
    children,
    environment,
    free_port,
    start,
)

STUBS = """\
endpoints:
  - name: ping
    path: /ping
    response: {pong: true}
"""


@pytest.fixture(scope="module")
def mappings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mappings")
    (folder / "apidouble.yaml").write_text(STUBS)
    return folder


@pytest.fixture(scope="module")
def served(mappings: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start(mappings, tmp_path_factory.mktemp("log") / "stderr.log")
    yield running
    running.stop()


def test_the_entrypoint_serves_the_mounted_stubs_and_health(served: Running) -> None:
    with httpx.Client(base_url=served.url) as client:
        ping = client.get("/ping")
        health = client.get("/__admin/health")
    assert (ping.status_code, ping.json()) == (200, {"pong": True})
    assert health.status_code == 200 and health.json()["status"] == "healthy"


def test_apidouble_is_execd_and_stops_promptly_on_sigterm(mappings: Path, tmp_path: Path) -> None:
    """The PID started is apidouble itself (no shell left between it and the signal), the
    caller's arguments come after the options and before the stubs."""
    running = start(mappings, tmp_path / "stderr.log", args=["--seed", "7", "--no-watch"])
    try:
        argv = running.argv()
        assert Path(argv[0]).name.startswith("python") and Path(argv[1]).name == "apidouble"
        assert argv[2:] == [
            "run", "--host", "127.0.0.1", "--port", "0", "--seed", "7", "--no-watch",
            str(mappings),
        ]  # fmt: skip
        assert httpx.get(f"{running.url}/ping").status_code == 200
    finally:
        code = running.stop()
    assert code == 0, running.log.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.url}/ping")


@pytest.mark.skipif(not can_unshare(), reason="cannot make a PID namespace here")
def test_as_a_containers_main_process_apidouble_is_pid_1_and_stops_on_sigterm(
    mappings: Path, tmp_path: Path
) -> None:
    """PID 1 ignores signals it has no handler for: as in a container, the entrypoint runs
    as PID 1 of its own namespace; apidouble must be that process and act on SIGTERM."""
    running = start(mappings, tmp_path / "stderr.log", wrapper=PID_NAMESPACE)
    try:
        assert httpx.get(f"{running.url}/__admin/health").json()["pid"] == 1
        (server,) = children(running.process.pid)  # the namespace's PID 1, seen from here
        os.kill(server, signal.SIGTERM)
        assert running.process.wait(timeout=15) == 0, running.log.read_text()
    finally:
        running.stop()


def test_the_admin_token_comes_from_the_environment_not_the_command_line(
    mappings: Path, tmp_path: Path
) -> None:
    token = "s3cret-token"
    running = start(mappings, tmp_path / "stderr.log", {"APIDOUBLE_ADMIN_TOKEN": token})
    try:
        assert not any(token in arg for arg in running.argv())
        with httpx.Client(base_url=running.url) as client:
            assert client.get("/__admin/mappings").status_code == 401
            authorized = {"Authorization": f"Bearer {token}"}
            assert client.get("/__admin/mappings", headers=authorized).status_code == 200
            assert client.get("/__admin/health").status_code == 200
    finally:
        running.stop()


def test_apidouble_state_is_passed_as_the_state_flag(mappings: Path, tmp_path: Path) -> None:
    running = start(mappings, tmp_path / "stderr.log", {"APIDOUBLE_STATE": "memory"})
    try:
        argv = running.argv()
        assert argv[argv.index("--state") + 1] == "memory"
        assert httpx.get(f"{running.url}/ping").status_code == 200
    finally:
        running.stop()


# --- the variables, mapped to flags (an `apidouble` on PATH that prints its arguments) ------


def _arguments(tmp_path: Path, extra: Mapping[str, str], args: Sequence[str] = ()) -> list[str]:
    fake = tmp_path / "bin" / "apidouble"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    result = subprocess.run(
        ["/bin/sh", str(ENTRYPOINT), *args],
        env=environment(extra, str(fake.parent)),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_the_defaults_are_the_containers(tmp_path: Path) -> None:
    assert _arguments(tmp_path, {}) == [
        "run", "--host", "0.0.0.0", "--port", "8080", "/home/apidouble/mappings",
    ]  # fmt: skip


def test_optional_variables_become_flags_only_when_set(tmp_path: Path) -> None:
    extra = {
        "APIDOUBLE_STATE": "redis://redis:6379/0",
        "APIDOUBLE_WORKERS": "4",
        "APIDOUBLE_PERSIST_DIR": "/home/apidouble/runtime",
        "APIDOUBLE_ADMIN_TOKEN": "never-on-the-command-line",
        "APIDOUBLE_MAPPINGS": "/stubs",
        "APIDOUBLE_PORT": "9090",
    }
    assert _arguments(tmp_path, extra, ["--verbose", "two words"]) == [
        "run", "--host", "0.0.0.0", "--port", "9090",
        "--state", "redis://redis:6379/0", "--workers", "4",
        "--persist-dir", "/home/apidouble/runtime",
        "--verbose", "two words", "/stubs",
    ]  # fmt: skip
    empty = {"APIDOUBLE_STATE": "", "APIDOUBLE_WORKERS": "", "APIDOUBLE_PERSIST_DIR": ""}
    assert "--state" not in _arguments(tmp_path, empty)


# --- health checks -------------------------------------------------------------------------


def _image_healthcheck(port: int) -> int:
    """The Dockerfile's HEALTHCHECK command, with this interpreter for the image's python
    and the port given the way the image gives it (APIDOUBLE_PORT)."""
    argv = healthcheck_command()
    assert argv[0] == "python"
    env = environment({"APIDOUBLE_PORT": str(port)}, str(BIN))
    return subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True).returncode


def test_the_image_healthcheck_passes_on_a_live_server(served: Running) -> None:
    assert _image_healthcheck(served.port) == 0


def test_the_image_healthcheck_fails_on_a_closed_port() -> None:
    assert _image_healthcheck(free_port()) != 0


def test_compose_checks_health_with_the_images_command() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    for name in ("apidouble-1", "apidouble-2"):
        assert compose["services"][name]["healthcheck"]["test"] == ["CMD", *healthcheck_command()]


def test_the_image_healthcheck_fails_while_the_server_is_degraded(
    mappings: Path, tmp_path: Path
) -> None:
    """Serving, but its state store is unreachable: health says "degraded", the check fails
    (and compose's nginx keeps waiting)."""
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    running = start(mappings, tmp_path / "stderr.log", {"APIDOUBLE_STATE": unreachable})
    try:
        assert httpx.get(f"{running.url}/__admin/health").json()["status"] == "degraded"
        assert _image_healthcheck(running.port) != 0
    finally:
        running.stop()
