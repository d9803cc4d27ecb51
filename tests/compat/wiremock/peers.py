"""Run the real WireMock jar on a root, and the fake upstream proxy cases forward to.

WireMock gets ports from its own range (``PORTS``) so parallel runs by other tools on
this machine do not collide; it is ready when it prints its start line, and a root it
refuses makes it exit with the reason on stderr, which is what gets recorded.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VERSION = "3.13.2"
JAR_NAME = f"wiremock-standalone-{VERSION}.jar"
PORTS = range(18140, 18159)
UPSTREAM_PORT = 18159
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k")
READY_LINE = "The WireMock server is started"


def _cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def find_jar() -> Path | None:
    """The jar: ``$APIDOUBLE_WIREMOCK_JAR``, else where ``scripts/peers/wiremock.sh`` puts it."""
    candidates = [
        os.environ.get("APIDOUBLE_WIREMOCK_JAR", ""),
        str(_cache() / "apidouble-peers" / "wiremock" / JAR_NAME),
        str(_cache() / "apidouble-bench/npm/node_modules/wiremock/build" / JAR_NAME),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def available() -> str | None:
    """Why WireMock cannot run here, or None when it can."""
    if os.environ.get("APIDOUBLE_NO_WIREMOCK"):
        return "APIDOUBLE_NO_WIREMOCK is set"
    if shutil.which("java") is None:
        return "no java on PATH (scripts/peers/wiremock.sh installs it)"
    if find_jar() is None:
        return f"no {JAR_NAME} (scripts/peers/wiremock.sh fetches it)"
    return None


_free_ports: queue.Queue[int] = queue.Queue()
for _port in PORTS:
    _free_ports.put(_port)


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Jetty binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Started:
    """A WireMock that is serving on ``port``, or ``refused`` with its reason."""

    port: int = 0
    refused: str = ""


@contextmanager
def wiremock(root: Path, flags: tuple[str, ...] = ()) -> Iterator[Started]:
    """Run WireMock on ``root`` for the block; yields ``refused`` when it will not start."""
    jar = find_jar()
    if jar is None or shutil.which("java") is None:
        raise RuntimeError(available())
    port = _take_port()
    command = ["java", *JVM_FLAGS, "-jar", str(jar), "--port", str(port)]
    command += ["--bind-address", "127.0.0.1", "--disable-banner", "--root-dir", str(root)]
    command += list(flags)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    try:
        output = _wait_ready(process)
        if output is not None:
            yield Started(refused=_reason(output))
        else:
            yield Started(port=port)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        _free_ports.put(port)


def _take_port() -> int:
    for _ in range(len(PORTS)):
        port = _free_ports.get(timeout=300)
        if _port_is_free(port):
            return port
        _free_ports.put(port)
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _wait_ready(process: subprocess.Popen[str]) -> str | None:
    """None once WireMock says it is serving; its whole output if it exits first."""
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        if READY_LINE in line:
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            return None
        lines.append(line)
    process.wait()
    return "".join(lines)


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _ in process.stdout:
        pass


def _reason(output: str) -> str:
    """The exception line and the message under it, without the Java stack."""
    kept = [line.rstrip() for line in output.splitlines() if not line.startswith("\tat ")]
    return "\n".join(line for line in kept if line)[:2000]


class _Upstream(BaseHTTPRequestHandler):
    """Echoes what it was asked, so a proxied answer shows what was forwarded."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        text = f"upstream saw {self.command} {self.path} body={body.decode(errors='replace')}"
        payload = text.encode()
        self.send_response(200 if not self.path.endswith("/teapot") else 418)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Upstream", "fake")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def upstream() -> Iterator[int]:
    """The fake upstream on ``UPSTREAM_PORT`` for the block."""
    server = ThreadingHTTPServer(("127.0.0.1", UPSTREAM_PORT), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield UPSTREAM_PORT
    finally:
        server.shutdown()
        server.server_close()
