"""Load time: from ``apidouble run`` to serving a folder of many stubs, and hot reload.

``LoadSet`` writes ``stubs`` stubs (half templated, every one on its own path, from
``stubsets.many_endpoints``) over ``files`` files, ``/static`` last. ``measure`` starts a
fresh ``apidouble run FOLDER`` (watching, as users run it) and times the first 200 from
``/static``; then it rewrites one file in the middle, changing one stub's body, and times
from that write until the changed body is served. Both by polling, every 5 ms.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import peers
import stubsets
from peers import Server

POLL_S = 0.005


@dataclass
class LoadSet:
    folder: Path
    stubs: int
    files: int

    def __post_init__(self) -> None:
        self.files = max(1, min(self.files, self.stubs))  # no empty files in a small set

    @property
    def per_file(self) -> int:
        return -(-self.stubs // self.files)

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for index in range(self.files):
            self.write_file(index)

    def write_file(self, index: int, edited: str | None = None) -> Path:
        """File ``index`` (atomically, as an editor that saves by rename would)."""
        first = index * self.per_file
        count = max(0, min(self.per_file, self.stubs - first))
        endpoints = stubsets.many_endpoints(first, count, edited)
        if index == self.files - 1:
            endpoints.append({"name": "static", "path": "/static", "response": {"ok": True}})
        path = self.folder / f"stubs-{index:03d}.yaml"
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"endpoints": endpoints}, indent=1))
        os.replace(scratch, path)
        return path

    @property
    def edited_index(self) -> int:
        return self.files // 2

    @property
    def edited_path(self) -> str:
        """The path of the stub an edit changes (the first of the middle file: static)."""
        first = self.edited_index * self.per_file
        path: str = stubsets.many_endpoints(first, 1)[0]["path"]
        return path.replace("{id}", "1")


@dataclass
class LoadTimes:
    load_s: list[float] = field(default_factory=list)
    reload_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _serves(url: str, needle: bytes) -> bool:
    """Whether ``GET url`` answers 200 with ``needle`` in its body."""
    with contextlib.suppress(OSError):
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status) == 200 and needle in answer.read()
    return False


def _until(url: str, needle: bytes, deadline: float, server: Server) -> float | None:
    """Poll ``url`` until it serves ``needle``: the time it did, or None (timeout, death)."""
    while time.perf_counter() < deadline:
        if server.process is not None and server.process.poll() is not None:
            return None
        if _serves(url, needle):
            return time.perf_counter()
        time.sleep(POLL_S)
    return None


def _round(
    loadset: LoadSet, run_folder: Path, number: int, timeout_s: float, times: LoadTimes
) -> bool:
    """One fresh server: its load time and one reload into ``times``; False on a timeout."""
    port = peers.free_port()
    command = [sys.executable, "-m", "apidouble", "run", str(loadset.folder)]
    command += ["--port", str(port), "--log-level", "warning"]
    server = Server("apidouble-load", "apidouble, load time", frozenset(), command, port)
    try:
        started = time.perf_counter()
        server.start(run_folder)
        ready = _until(server.url + "/static", b"", started + timeout_s, server)
        if ready is None:
            times.failures.append(f"not serving after {timeout_s:.0f} s; see {server.log}")
            return False
        times.load_s.append(ready - started)
        marker = f"edit-{number}-{time.time_ns()}"
        written = time.perf_counter()
        loadset.write_file(loadset.edited_index, marker)
        done = _until(
            server.url + loadset.edited_path, marker.encode(), written + timeout_s, server
        )
        if done is None:
            times.failures.append(f"edit not served after {timeout_s:.0f} s; see {server.log}")
            return False
        times.reload_s.append(done - written)
        return True
    finally:
        server.stop()
        loadset.write_file(loadset.edited_index)


def measure(loadset: LoadSet, run_folder: Path, rounds: int, timeout_s: float) -> LoadTimes:
    """``rounds`` fresh servers: seconds to serve, then seconds to serve one edit. The
    first timeout ends the measurement (a miss either way; more rounds only cost time)."""
    times = LoadTimes()
    loadset.write()
    for number in range(rounds):
        if not _round(loadset, run_folder, number, timeout_s, times):
            break
    return times
