"""A real ``redis-server`` for the tests: its own port, folder and append-only file.

``appendfsync always`` makes every acknowledged write durable before Redis answers, so
a test can kill Redis (SIGKILL, no chance to save) and restart it on the same port and
folder, and see that nothing apidouble was told had been stored is gone.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (make test installs it)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisPeer:
    """One redis-server process that can be killed and started again in place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--protected-mode",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                "redis.log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on {self.port}: {self.log()}")

    def kill(self) -> None:
        """SIGKILL: Redis gets no chance to save anything more."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@contextmanager
def two_instances(config: Path, peer: RedisPeer) -> Iterator[tuple[Any, Any]]:
    """Two ``MockServer``s of one config sharing ``peer``: one mock, two processes' worth."""
    from apidouble import MockServer

    with ExitStack() as stack:
        one = stack.enter_context(MockServer(config, state=peer.url))
        two = stack.enter_context(MockServer(config, state=peer.url))
        yield one, two
