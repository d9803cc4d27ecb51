"""``--workers N``: N processes on one port (SO_REUSEPORT), one URL line, graceful stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

APIDOUBLE = [sys.executable, "-m", "apidouble"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(path: Path, port: int) -> subprocess.Popen[str]:
    command = [*APIDOUBLE, "run", str(path), "--port", str(port), "--workers", "2", "--no-watch"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_workers_share_the_port_and_stop_on_sigterm(
    write_config: Callable[[str, str], Path],
) -> None:
    path = write_config("endpoints: [{path: /ping, response: {ok: true}}]", "apidouble.yaml")
    port = free_port()
    with _serve(path, port) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline().strip()
            assert first == f"apidouble listening on http://127.0.0.1:{port}"
            pids = set()
            for _ in range(40):  # new connections each time: the kernel spreads them
                with httpx.Client() as client:
                    assert client.get(f"http://127.0.0.1:{port}/ping").json() == {"ok": True}
                    health = client.get(f"http://127.0.0.1:{port}/__admin/health").json()
                    pids.add(health["pid"])
            assert len(pids) == 2 and process.pid not in pids  # both workers served
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert process.stdout.read() == ""  # the URL line is printed once, by the parent
        finally:
            process.kill()


def test_port_zero_is_resolved_to_one_concrete_port(
    write_config: Callable[[str, str], Path],
) -> None:
    path = write_config("endpoints: [{path: /ping, response: pong}]", "apidouble.yaml")
    with _serve(path, 0) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip().rsplit(" ", 1)[1]
            assert not url.endswith(":0")
            assert httpx.get(url + "/ping").text == "pong"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()


def test_a_port_taken_by_another_program_fails_clearly(
    write_config: Callable[[str, str], Path],
) -> None:
    path = write_config("endpoints: [{path: /ping, response: pong}]", "apidouble.yaml")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with _serve(path, taken.getsockname()[1]) as process:
            try:
                assert process.wait(timeout=30) == 1
                assert process.stderr is not None
                assert "worker" in process.stderr.read()
            finally:
                process.kill()
