"""Start, probe and stop every server the benchmark compares, each on its own loopback port.

Each ``Server`` starts ONE process in a new session and stops exactly that process
group (by the PID it started: SIGTERM, then SIGKILL after a grace); nothing is ever
looked up or killed by name. A peer that is not installed or does not come up is kept
with its reason, so the table says "n/a (reason)" instead of dropping it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import stubsets

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    total = 0
    for current in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants."""
    ticks = 0
    for current in _tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """One benchmarked server: how to start it, and which scenarios it can serve."""

    name: str
    label: str
    scenarios: frozenset[str]
    command: list[str] = field(default_factory=list)
    port: int = 0
    startup_s: float = 30.0
    reason: str | None = None
    """Why this server is n/a (not installed, failed to start), or None."""
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, folder: Path) -> None:
        if self.reason is not None:
            return
        self.log = folder / f"{self.name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=folder,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        """Poll ``GET /static`` until it answers 200, the process dies, or time runs out."""
        if self.reason is not None or self.process is None:
            return
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.reason = f"exited {self.process.returncode} at start; see {self.log}"
                return
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/static", timeout=2) as answer:
                    if answer.status == 200:
                        return
            time.sleep(0.2)
        self.reason = f"not ready after {self.startup_s:.0f} s; see {self.log}"
        self.stop()

    def settle(self, idle_share: float = 0.1, timeout_s: float = 15.0) -> None:
        """Wait until the server uses under ``idle_share`` of a core: a run's leftovers
        (requests still being answered after the load generator left) must not be
        measured as the next run's neighbour."""
        if self.process is None or self.process.poll() is not None:
            return
        step = 0.1
        deadline = time.monotonic() + timeout_s
        used = tree_cpu_s(self.process.pid)
        while time.monotonic() < deadline:
            time.sleep(step)
            now = tree_cpu_s(self.process.pid)
            if now - used <= idle_share * step:
                return
            used = now

    def rss_bytes(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None
        return tree_rss_bytes(self.process.pid)

    def stop(self) -> None:
        """SIGTERM the process group we started, SIGKILL it after 10 s."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


ALL = frozenset({"static", "templated", "large", "jsonpath", "latency", "memory"})
PEERS = (
    "apidouble",
    "apidouble-w2",
    "bare",
    "nginx",
    "wiremock",
    "wiremock-nojournal",
    "mountebank",
    "json-server",
    "prism",
    "mockoon",
)


def _node_bin(cache: Path, relative: str) -> Path | None:
    path = cache / "npm" / "node_modules" / relative
    return path if path.exists() else None


def make_server(name: str, stubs: str, folder: Path, cache: Path) -> Server:
    """The server ``name`` serving the ``stubs`` set ("base" or "large") from ``folder``."""
    port = free_port()
    python = sys.executable
    large = stubs == "large"
    if name in ("apidouble", "apidouble-w2"):
        workers = "2" if name == "apidouble-w2" else "1"
        # a WireMock set ("wiremock-base") is served from its root as it is
        config = folder / (stubs if stubs.startswith("wiremock-") else f"apidouble-{stubs}.yaml")
        command = [python, "-m", "apidouble", "run", str(config), "--port", str(port)]
        command += ["--no-watch", "--log-level", "warning", "--workers", workers]
        label = "apidouble, journal on" + (", --workers 2" if workers == "2" else "")
        scenarios = frozenset({"static"}) if workers == "2" else ALL
        return Server(name, label, scenarios, command, port)
    if name == "bare":
        command = [python, str(BENCH / "bare_server.py"), str(port)]
        label = "bare asyncio.Protocol + httptools + uvloop"
        return Server(name, label, frozenset({"static"}), command, port)
    if name == "nginx":
        label = "nginx, 1 worker, return 200"
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if nginx is None:
            return Server(name, label, frozenset(), reason="nginx not installed")
        conf = folder / f"nginx-{port}.conf"
        conf.write_text(stubsets.nginx_conf(port, folder))
        command = [nginx, "-c", str(conf), "-p", str(folder), "-e", str(folder / "nginx-error.log")]
        return Server(name, label, frozenset({"static"}), command, port)
    if name in ("wiremock", "wiremock-nojournal"):
        label = "WireMock" + (
            " --no-request-journal" if name.endswith("nojournal") else ", default"
        )
        jars = sorted((cache / "npm" / "node_modules" / "wiremock").glob("build/*.jar"))
        java = shutil.which("java")
        if not jars or java is None:
            return Server(name, label, frozenset(), reason="wiremock jar or java missing")
        label = label.replace("WireMock", f"WireMock {jars[-1].stem.rsplit('-', 1)[-1]}")
        command = [java, "-jar", str(jars[-1]), "--port", str(port), "--bind-address", "127.0.0.1"]
        command += ["--root-dir", str(folder / f"wiremock-{stubs}"), "--disable-banner"]
        if name.endswith("nojournal"):
            command.append("--no-request-journal")
        scenarios = ALL - {"memory"}
        return Server(name, label, scenarios, command, port, startup_s=90.0)
    node = shutil.which("node")
    if name == "mountebank":
        script = _node_bin(cache, "mountebank/bin/mb")
        label = "mountebank " + _version(cache, "mountebank")
        if script is None or node is None:
            return Server(name, label, frozenset(), reason="mountebank not installed")
        imposters = folder / f"mountebank-{stubs}-{port}.json"
        imposters.write_text(json.dumps(stubsets.mountebank_imposter(port, 1000 if large else 10)))
        command = [node, str(script), "start", "--configfile", str(imposters)]
        command += ["--port", str(free_port()), "--nologfile", "--loglevel", "warn"]
        command += ["--localOnly"]
        return Server(
            name, label, frozenset({"static", "large", "jsonpath", "latency"}), command, port, 60.0
        )
    if name == "json-server":
        script = _node_bin(cache, "json-server/lib/cli/bin.js")
        label = "json-server " + _version(cache, "json-server")
        if script is None or node is None:
            return Server(name, label, frozenset(), reason="json-server not installed")
        db = folder / "json-server-db.json"
        command = [node, str(script), "--port", str(port), "--host", "127.0.0.1", "--quiet"]
        return Server(name, label, frozenset({"static"}), [*command, str(db)], port, 60.0)
    if name == "prism":
        script = _node_bin(cache, "@stoplight/prism-cli/dist/index.js")
        label = "Prism " + _version(cache, "@stoplight/prism-cli")
        if script is None or node is None:
            return Server(name, label, frozenset(), reason="prism-cli not installed")
        command = [node, str(script), "mock", str(folder / "prism.json"), "-p", str(port)]
        command += ["-h", "127.0.0.1"]
        return Server(name, label, frozenset({"static"}), command, port, 60.0)
    if name == "mockoon":
        script = _node_bin(cache, "@mockoon/cli/bin/run.js")
        label = "Mockoon CLI " + _version(cache, "@mockoon/cli")
        if script is None or node is None:
            return Server(name, label, frozenset(), reason="@mockoon/cli not installed")
        env = folder / f"mockoon-{port}.json"
        env.write_text(json.dumps(stubsets.mockoon_environment(port)))
        command = [node, str(script), "start", "--data", str(env), "--port", str(port)]
        command += ["--disable-log-to-file"]
        return Server(name, label, frozenset({"static"}), command, port, 60.0)
    raise ValueError(f"unknown server {name!r}; known: {', '.join(PEERS)}")


def _version(cache: Path, package: str) -> str:
    try:
        meta = json.loads((cache / "npm" / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError):
        return "?"
    return str(meta.get("version", "?"))
