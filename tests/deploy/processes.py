"""Starting what the deployment files describe as local processes on 127.0.0.1: the
entrypoint (so apidouble as the image runs it), Redis and nginx, each returned once it
says it is ready, never after a sleep."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .dockerfile import REPO

BIN = Path(sys.executable).parent
ENTRYPOINT = REPO / "deploy" / "docker-entrypoint.sh"
NGINX_CONF = REPO / "deploy" / "nginx.conf"


@dataclass
class Running:
    """One apidouble started through the entrypoint."""

    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        """The started process's command line, as the kernel has it now."""
        raw = Path(f"/proc/{self.process.pid}/cmdline").read_bytes()
        return raw.rstrip(b"\0").decode().split("\0")

    def stop(self) -> int:
        """SIGTERM, then its exit status; whatever it left behind in its process group (a
        server a shell did not exec) is killed, so a failing test leaks nothing."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            return self.process.wait(timeout=15)
        finally:
            _kill_group(self.process)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def environment(extra: Mapping[str, str], path: str) -> dict[str, str]:
    """This environment without any APIDOUBLE_* variable, ``path`` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APIDOUBLE_")}
    env["PATH"] = f"{path}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def start(
    mappings: Path,
    log: Path,
    extra: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    wrapper: Sequence[str] = (),
) -> Running:
    """The entrypoint as the image runs it (under ``wrapper``, if given), on 127.0.0.1 and a
    free port; returns once the server has printed the address it listens on."""
    settings = {"APIDOUBLE_MAPPINGS": str(mappings), "APIDOUBLE_HOST": "127.0.0.1"}
    env = environment({**settings, "APIDOUBLE_PORT": "0", **(extra or {})}, str(BIN))
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*wrapper, "/bin/sh", str(ENTRYPOINT), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,  # its own process group, for stop()
        )
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    match = re.fullmatch(r"apidouble listening on http://127\.0\.0\.1:(\d+)", first)
    if match is None:
        _kill_group(process)
        pytest.fail(f"no address printed: {first!r}\n{log.read_text()}")
    return Running(process, int(match.group(1)), log)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(process: subprocess.Popen[str], output: Iterator[str], needle: str) -> None:
    seen = []
    for line in output:
        seen.append(line)
        if needle in line:
            return
    process.wait(timeout=15)
    pytest.fail(f"no {needle!r} from {process.args!r}:\n" + "".join(seen))


@contextmanager
def redis_server(work: Path) -> Iterator[str]:
    """A throwaway Redis on 127.0.0.1; yields its apidouble state URL."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(work)]
    with _until_ready(command, "stdout", "Ready to accept connections"):
        yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def _until_ready(command: list[str], stream: str, ready: str) -> Iterator[None]:
    """Run ``command`` until the block ends, entering it once ``stream`` says ``ready``."""
    out = subprocess.PIPE if stream == "stdout" else None
    err = subprocess.PIPE if stream == "stderr" else None
    process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
    output = process.stdout if stream == "stdout" else process.stderr
    try:
        assert output is not None
        _wait_for(process, output, ready)
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)
        if output is not None:
            output.close()


def nginx_conf(upstreams: Mapping[str, int], listen: int, work: Path) -> str:
    """deploy/nginx.conf with the compose service names pointed at local ports, and the
    logs and temp folders moved into ``work``."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    for name, port in upstreams.items():
        pattern = rf"server\s+{re.escape(name)}:8080;"
        text, count = re.subn(pattern, f"server 127.0.0.1:{port};", text)
        assert count == 1, name
    text, count = re.subn(r"listen\s+8080;", f"listen 127.0.0.1:{listen};", text)
    assert count == 1
    local = "".join(
        f"    {kind}_temp_path {work / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return text.replace("http {\n", f"http {{\n    access_log off;\n{local}", 1)


@contextmanager
def nginx(upstreams: Mapping[str, int], work: Path) -> Iterator[str]:
    """deploy/nginx.conf served by a local nginx; yields its URL once a worker runs (the
    listening socket is open by then)."""
    listen = free_port()
    conf = work / "nginx.conf"
    conf.write_text(nginx_conf(upstreams, listen, work), encoding="utf-8")
    main = f"daemon off; pid {work / 'nginx.pid'}; error_log stderr notice;"
    command = ["nginx", "-e", "stderr", "-p", str(work), "-c", str(conf), "-g", main]
    with _until_ready(command, "stderr", "start worker process"):
        yield f"http://127.0.0.1:{listen}"


PID_NAMESPACE = ("unshare", "--pid", "--fork")
"""Runs a command as PID 1 of a new PID namespace, as a container's main process is."""


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*PID_NAMESPACE, "true"], capture_output=True, check=False)
    return probe.returncode == 0


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (as this PID namespace numbers them)."""
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def missing(*tools: str) -> bool:
    return any(shutil.which(tool) is None for tool in tools)
