"""Run the real mockoon-cli 9.9.0 on one environment, on a free port, for a block.

``scripts/peers/mockoon.sh`` installs it outside the repository; ready means it answers
HTTP (any status), and a run that does not get there in time is killed with its output
in the error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

VERSION = "9.9.0"
START_TIMEOUT_S = 60.0


def _cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def find_cli() -> Path | None:
    """mockoon-cli where ``scripts/peers/mockoon.sh`` puts it, or ``$APIDOUBLE_MOCKOON_CLI``."""
    for candidate in (
        os.environ.get("APIDOUBLE_MOCKOON_CLI", ""),
        str(_cache() / "apidouble-peers/mockoon/node_modules/.bin/mockoon-cli"),
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def available() -> str | None:
    """Why mockoon-cli cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "no node on PATH"
    if find_cli() is None:
        return "no mockoon-cli (bash scripts/peers/mockoon.sh installs it)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mockoon(environment: Path) -> Iterator[str]:
    """The base URL of mockoon-cli serving ``environment``, for the block."""
    cli = find_cli()
    if cli is None:
        raise RuntimeError(available())
    port = free_port()
    command = [str(cli), "start", "-d", str(environment), "-p", str(port), "-l", "127.0.0.1"]
    command += ["--disable-admin-api", "--disable-log-to-file", "--repair"]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(process, url, output)
            yield url
        finally:
            process.kill()
            process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], url: str, output: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mockoon-cli exited {process.returncode}: {_tail(output)}")
        try:
            httpx.get(url + "/__apidouble_ready__", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"mockoon-cli did not answer in {START_TIMEOUT_S:.0f}s: {_tail(output)}")


def _tail(output: IO[bytes]) -> str:
    output.seek(0)
    return output.read()[-2000:].decode(errors="replace")
