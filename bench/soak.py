"""Soak and fault runs, the figures of ``docs/reliability.md``: a long load on a mix of
stubs with the journal on, hot reloads under load, held and slowloris connections beside
a measured neighbour, and Redis killed and restarted under two workers.

    .venv/bin/python bench/soak.py [mix|reload|slowloris|websockets|redis|all]
        [--requests N] [--ws-connections N] [--ws-seconds S] [--json FILE]

Every load goes to 127.0.0.1 and every run is bounded in requests and time. Each run
prints its figures and whether its property held; the exit status is non-zero when one
did not. Not part of ``make test``: it takes minutes and wants a quiet machine.

- ``mix``: ``--requests`` (default 10 M) through ``wrk`` over six stubs in turn (static,
  templated, header + query, 404, 5 ms latency, 10 % injected 503s), in segments, with
  the server's RSS, open descriptors, connections and event-loop tasks sampled between
  them. Holds when RSS stays within 10 % (and 16 MB) of its value after the first
  segment, descriptors, connections and tasks end where that segment left them, and no
  answer but the expected 404s and 503s was an error.
- ``reload``: 30 s of load on a static stub while its file is rewritten every second:
  holds when every reload was served and no request failed.
- ``slowloris``: 10,000 idle keep-alive connections and 1,000 clients sending a head one
  byte a second beside a measured neighbour: holds when the neighbour keeps 80 % of its
  quiet rate and the slow heads are cut off at the header timeout.
- ``websockets``: 1,000 WebSocket connections held for 120 s with a push a second to
  each, beside a measured neighbour: holds when every connection held and still echoes
  at the end, each got a push a second, the neighbour kept 80 % of its quiet rate, and
  RSS stayed within 10 % (and 16 MB) of its value after the first 20 s.
- ``redis``: two workers on ``--state redis://``; a runtime stub made through the admin
  API, then 60 s of load while redis-server is killed and restarted every 20 s: holds
  when the static answers never failed, and the runtime stub (acknowledged before the
  first kill) is served by both workers at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
from idle import IdleConnections, raise_nofile

ROOT = Path(__file__).resolve().parent.parent
APIDOUBLE = ROOT / ".venv" / "bin" / "apidouble"

MIX_CONFIG = """\
endpoints:
  - {name: static, path: /static, response: {ok: true, message: soak}}
  - name: templated
    path: /users/{id}
    response: {id: "{{ request.params.id | int }}", on: "{{ date }}", rid: "{{ uuid }}"}
  - name: conditional
    path: /search
    match: {headers: {X-Client: soak}, query: {kind: gold}}
    response: {tier: gold}
  - {name: slow, path: /slow, latency_ms: 5, response: {slow: true}}
  - name: flaky
    path: /flaky
    failure_rate: 0.1
    failure: {status: 503, response: {error: busy}}
    response: {ok: true}
"""

MIX_SCRIPT = """\
local paths = {"/static", "/users/42", "/search?kind=gold", "/nope", "/slow", "/flaky"}
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  n = 0
  counts = {}
end
request = function()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  return wrk.format("GET", path, {["X-Client"] = "soak"})
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      io.write(string.format("status %d %d\\n", status, count))
    end
  end
end
"""


@dataclass
class Sample:
    at_s: float
    requests: int
    rss_mb: float
    fds: int
    connections: int
    tasks: int


@dataclass
class Figures:
    run: str
    held: bool
    details: dict[str, Any] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def gauges(base: str) -> dict[str, float]:
    """The server's own gauges (``/__admin/metrics``) by name."""
    text = httpx.get(base + "/__admin/metrics", timeout=10).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, _, value = line.partition(" ")
            try:
                found[name] = float(value)
            except ValueError:
                pass
    return found


@contextmanager
def serving(folder: Path, *args: str, port: int | None = None) -> Iterator[tuple[str, int]]:
    """``apidouble run`` on the config in ``folder``; yields its base URL and pid."""
    port = port or free_port()
    command = [str(APIDOUBLE), "run", str(folder / "apidouble.yaml"), "--port", str(port)]
    log = (folder / "server.log").open("ab")
    process = subprocess.Popen([*command, *args], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/__admin/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: see {folder / 'server.log'}")
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wrk_statuses(url: str, seconds: float, script: Path, connections: int = 50) -> dict[str, int]:
    """One wrk run with the status-counting script: requests, errors and every status."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    done = subprocess.run(
        [*command, "--timeout", "5s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    parsed = load.parse_wrk(done.stdout)
    counts: dict[str, int] = {"requests": parsed.requests}
    socket_errors = 0
    for line in done.stdout.splitlines():
        if line.startswith("status "):
            _, status, count = line.split()
            counts[status] = counts.get(status, 0) + int(count)
        if line.strip().startswith("Socket errors:"):
            socket_errors = sum(int(part.split()[-1]) for part in line.split(":", 1)[1].split(","))
    counts["socket_errors"] = socket_errors
    return counts


def sample(base: str, pid: int, started: float, requests: int) -> Sample:
    """The server's figures now: descriptors counted before the scrape opens one more."""
    held = fds(pid)
    found = gauges(base)
    return Sample(
        round(time.monotonic() - started, 1),
        requests,
        round(rss_mb(pid), 2),
        held,
        int(found.get("apidouble_connections_open", -1)),
        int(found.get("apidouble_tasks", -1)),
    )


def mix(requests: int) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="apidouble-soak-"))
    (folder / "apidouble.yaml").write_text(MIX_CONFIG)
    script = folder / "mix.lua"
    script.write_text(MIX_SCRIPT)
    figures = Figures("mix", held=False)
    totals: dict[str, int] = {}
    with serving(folder, "--no-watch") as (base, pid):
        started = time.monotonic()
        time.sleep(0.5)
        figures.samples.append(sample(base, pid, started, 0))
        done = 0
        segment_s = 10.0
        while done < requests and time.monotonic() - started < 3600:
            counts = wrk_statuses(base + "/static", segment_s, script)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            done += counts["requests"]
            time.sleep(0.3)  # wrk's connections close: let the server see it
            figures.samples.append(sample(base, pid, started, done))
            print(f"  {done:,} requests, {figures.samples[-1]}", flush=True)
        time.sleep(1.0)
        figures.samples.append(sample(base, pid, started, done))
    first, *rest = figures.samples[1:]  # after the first segment: warmed up
    base_rss = first.rss_mb
    top = max(s.rss_mb for s in rest) if rest else base_rss
    start, end = first, figures.samples[-1]
    expected = {"200", "404", "503", "requests", "socket_errors"}
    unexpected = sum(v for k, v in totals.items() if k not in expected)
    total = totals.get("requests", 0)
    fail_share = totals.get("503", 0) / max(1, total / 6)
    figures.details = {
        "requests": total,
        "statuses": {k: v for k, v in totals.items() if k.isdigit()},
        "socket_errors": totals.get("socket_errors", 0),
        "unexpected_statuses": unexpected,
        "rss_after_first_segment_mb": base_rss,
        "rss_max_after_mb": top,
        "rss_end_mb": end.rss_mb,
        "fds_start_end": [start.fds, end.fds],
        "connections_start_end": [start.connections, end.connections],
        "tasks_start_end": [start.tasks, end.tasks],
        "injected_503_share_of_flaky": round(fail_share, 4),
    }
    figures.held = (
        top <= max(base_rss * 1.10, base_rss + 16)
        and end.fds <= start.fds
        and end.connections <= start.connections
        and end.tasks <= start.tasks
        and unexpected == 0
        and totals.get("socket_errors", 0) == 0
        and 0.07 <= fail_share <= 0.13
    )
    return figures


def reload_under_load(seconds: float = 30.0) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="apidouble-soak-"))
    config = folder / "apidouble.yaml"
    body = "endpoints:\n  - {{name: static, path: /static, response: {{version: {n}}}}}\n"
    config.write_text(body.format(n=0))
    figures = Figures("reload", held=False)
    with serving(folder) as (base, _):
        before = gauges(base).get("apidouble_reloads_total", 0.0)
        stop = threading.Event()

        def edit() -> None:
            n = 0
            while not stop.wait(1.0):
                n += 1
                partial = config.with_suffix(".tmp")
                partial.write_text(body.format(n=n))
                partial.replace(config)  # as editors save: never a half-written file

        editor = threading.Thread(target=edit, daemon=True)
        editor.start()
        result = load.wrk(base + "/static", seconds)
        stop.set()
        editor.join(5)
        time.sleep(1.0)
        after = gauges(base)
        version = httpx.get(base + "/static", timeout=5).json()["version"]
    reloads = int(after.get("apidouble_reloads_total", 0.0) - before)
    failed = int(after.get("apidouble_reload_errors_total", 0.0))
    figures.details = {
        "seconds": seconds,
        "requests": result.requests,
        "rps": round(result.rps),
        "failed_requests": result.errors,
        "reloads": reloads,
        "reload_errors": failed,
        "last_version_served": version,
    }
    figures.held = result.errors == 0 and reloads >= seconds * 0.8 and failed == 0
    return figures


async def _slow_client(port: int, hold_s: float) -> bool:
    """A head sent one byte a second; True when the server cut it off before ``hold_s``
    (an answer or EOF arrived). Cheap on purpose: one sleep per byte, one pending read."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    head = b"GET /static HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    started = time.monotonic()
    ended = asyncio.ensure_future(reader.read(1 << 16))
    try:
        for byte in head:
            if ended.done() or time.monotonic() - started > hold_s:
                break
            writer.write(bytes([byte]))
            await asyncio.sleep(1.0)
    except OSError:
        pass
    finally:
        writer.close()
    cut = ended.done() and time.monotonic() - started < hold_s
    ended.cancel()
    return cut


def slowloris(idle: int = 10_000, slow: int = 1_000, header_timeout_s: float = 10.0) -> Figures:
    raise_nofile(idle + slow + 4096)
    folder = Path(tempfile.mkdtemp(prefix="apidouble-soak-"))
    (folder / "apidouble.yaml").write_text(MIX_CONFIG)
    figures = Figures("slowloris", held=False)
    args = ("--no-watch", "--header-timeout-s", str(header_timeout_s), "--idle-timeout-s", "600")
    with serving(folder, *args) as (base, pid):
        port = int(base.rsplit(":", 1)[1])
        before = load.wrk(base + "/static", 5)
        held = IdleConnections(port)
        try:
            opened = held.open(idle)
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, daemon=True)
            thread.start()
            clients = [
                asyncio.run_coroutine_threadsafe(_slow_client(port, header_timeout_s * 3), loop)
                for _ in range(slow)
            ]
            time.sleep(1.0)
            busy = load.wrk(base + "/static", 5)
            cut = sum(1 for future in clients if future.result(header_timeout_s * 4 + 30))
            still = held.held()
            rss = rss_mb(pid)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        finally:
            held.close()
        after = load.wrk(base + "/static", 5)
    quiet = QuietRate(before.rps, after.rps)
    ratio = busy.rps / quiet.rps if quiet.rps else 0.0
    figures.details = {
        "quiet_rps_before_after": [round(before.rps), round(after.rps)],
        "idle_opened": opened,
        "idle_held_at_end": still,
        "slowloris_clients": slow,
        "slowloris_cut_off": cut,
        "header_timeout_s": header_timeout_s,
        "rps_beside_them": round(busy.rps),
        "ratio": round(ratio, 3),
        "rss_mb_with_all": round(rss, 1),
    }
    figures.held = opened == idle and ratio >= 0.8 and cut == slow
    return figures


@dataclass(frozen=True)
class QuietRate:
    """The neighbour's rate alone, measured before and after the crowd (machine drift
    hits both sides of the ratio alike)."""

    before: float
    after: float

    @property
    def rps(self) -> float:
        return (self.before + self.after) / 2


WS_CONFIG = (
    MIX_CONFIG
    + """\
websockets:
  - path: /ticks
    on_message: [{echo: true}]
    every: {ms: 1000, send: {tick: "{{ timestamp }}"}}
"""
)


async def _ticked(port: int, hold_s: float, opened: asyncio.Event, counts: list[int]) -> bool:
    """One WebSocket client: counts the pushes it gets for ``hold_s``, then checks that
    the connection still echoes. True when it held to the end."""
    from websockets.asyncio.client import connect

    slot = len(counts)
    counts.append(0)
    try:
        async with connect(f"ws://127.0.0.1:{port}/ticks", open_timeout=30) as ws:
            await opened.wait()
            deadline = asyncio.get_running_loop().time() + hold_s
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                try:
                    message = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    break
                if "tick" in str(message):
                    counts[slot] += 1
            await ws.send("still here")
            while True:  # a push may come first
                if await asyncio.wait_for(ws.recv(), 10) == "still here":
                    return True
    except Exception:  # refused, reset, closed early, timed out: it did not hold
        return False


def websocket_pushes(connections: int = 1_000, seconds: float = 120.0) -> Figures:
    """``connections`` WebSockets held for ``seconds`` with a push a second to each, beside
    a measured neighbour; RSS sampled every 10 s."""
    raise_nofile(connections + 4096)
    folder = Path(tempfile.mkdtemp(prefix="apidouble-soak-"))
    (folder / "apidouble.yaml").write_text(WS_CONFIG)
    figures = Figures("websockets", held=False)
    with serving(folder, "--no-watch") as (base, pid):
        port = int(base.rsplit(":", 1)[1])
        before = load.wrk(base + "/static", 5)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        counts: list[int] = []
        opened = asyncio.Event()
        clients = [
            asyncio.run_coroutine_threadsafe(_ticked(port, seconds, opened, counts), loop)
            for _ in range(connections)
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # every handshake done (or failed)
            listed = httpx.get(base + "/__admin/websockets", timeout=10).json()["websockets"]
            if len(listed) >= connections or all(future.done() for future in clients):
                break
            time.sleep(0.5)
        rss_opened = rss_mb(pid)
        started = time.monotonic()
        loop.call_soon_threadsafe(opened.set)
        samples: list[Sample] = []
        busy = None
        while time.monotonic() - started < seconds:
            time.sleep(min(10.0, max(0.0, seconds - (time.monotonic() - started))))
            samples.append(sample(base, pid, started, sum(counts)))
            if busy is None and time.monotonic() - started > seconds / 2:
                busy = load.wrk(base + "/static", 5)
        held = sum(1 for future in clients if future.result(seconds + 60))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        after = load.wrk(base + "/static", 5)
    quiet = QuietRate(before.rps, after.rps)
    ratio = busy.rps / quiet.rps if busy is not None and quiet.rps else 0.0
    expected = int(seconds) - 3  # the first and last pushes may fall outside the window
    warm = samples[1].rss_mb if len(samples) > 1 else rss_opened
    end = samples[-1].rss_mb if samples else 0.0
    figures.samples = samples
    figures.details = {
        "connections": connections,
        "seconds": seconds,
        "held_to_the_end": held,
        "pushes_received": sum(counts),
        "fewest_pushes_on_one": min(counts) if counts else 0,
        "pushes_expected_each_at_least": expected,
        "quiet_rps_before_after": [round(before.rps), round(after.rps)],
        "rps_beside_them": round(busy.rps) if busy is not None else 0,
        "ratio": round(ratio, 3),
        "rss_mb_opened_warm_end": [round(rss_opened, 1), round(warm, 1), round(end, 1)],
    }
    flat = end <= warm * 1.1 + 16
    figures.held = (
        held == connections and min(counts, default=0) >= expected and ratio >= 0.8 and flat
    )
    return figures


def _redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is not installed (scripts/peers/redis.sh)")
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def redis_outages(seconds: float = 60.0, every_s: float = 20.0, down_s: float = 3.0) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="apidouble-soak-"))
    (folder / "apidouble.yaml").write_text(MIX_CONFIG)
    redis_port = free_port()
    redis = _redis(redis_port, folder)
    figures = Figures("redis", held=False)
    state = f"redis://127.0.0.1:{redis_port}/0"
    try:
        with serving(folder, "--no-watch", "--workers", "2", "--state", state) as (base, _):
            made = httpx.post(
                base + "/__admin/endpoints",
                json={"name": "runtime", "path": "/made-at-runtime", "response": {"kept": True}},
                timeout=10,
            )
            made.raise_for_status()
            time.sleep(1.0)
            outages = 0
            stop = threading.Event()

            def kill_and_restart() -> None:
                nonlocal redis, outages
                while not stop.wait(every_s - down_s):
                    redis.kill()
                    redis.wait(5)
                    outages += 1
                    if stop.wait(down_s):
                        break
                    redis = _redis(redis_port, folder)

            killer = threading.Thread(target=kill_and_restart, daemon=True)
            killer.start()
            result = load.wrk(base + "/static", seconds)
            stop.set()
            killer.join(every_s + 5)
            if redis.poll() is not None:
                redis = _redis(redis_port, folder)
            time.sleep(2.0)
            served = []
            with httpx.Client(timeout=5) as client:  # new connections: both workers answer
                for _ in range(20):
                    answer = client.get(base + "/made-at-runtime", headers={"Connection": "close"})
                    served.append(answer.status_code)
    finally:
        redis.kill()
    figures.details = {
        "seconds": seconds,
        "redis_outages": outages,
        "outage_s": down_s,
        "static_requests": result.requests,
        "static_failed": result.errors,
        "runtime_stub_answers_after": {str(s): served.count(s) for s in set(served)},
    }
    figures.held = result.errors == 0 and outages >= 2 and served.count(200) == len(served)
    return figures


def rss_svg(samples: list[dict[str, Any]], title: str) -> str:
    """The RSS curve of a run's samples (requests on x, MB on y) as a small SVG."""
    width, height, left, bottom, top, right = 640, 280, 56, 40, 28, 32
    xs = [s["requests"] for s in samples]
    ys = [s["rss_mb"] for s in samples]
    x_max = max(xs) or 1
    y_max = max(ys) * 1.15 or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def at(x: float, y: float) -> str:
        return f"{left + plot_w * x / x_max:.1f},{top + plot_h * (1 - y / y_max):.1f}"

    points = " ".join(at(x, y) for x, y in zip(xs, ys, strict=True))
    ticks = []
    for n in range(5):
        y = y_max * n / 4
        ticks.append(f'<text x="{left - 6}" y="{top + plot_h * (1 - n / 4) + 4:.1f}" '
                     f'text-anchor="end">{y:.0f}</text>')  # fmt: skip
        x = x_max * n / 4
        ticks.append(f'<text x="{left + plot_w * n / 4:.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{x / 1e6:.1f} M</text>')  # fmt: skip
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="16" font-size="13">{title}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
        *ticks,
        f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">requests</text>',
        f'<text x="14" y="{top + plot_h / 2}" transform="rotate(-90 14 {top + plot_h / 2})" '
        'text-anchor="middle">RSS (MB)</text>',
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{points}"/>',
        "</svg>",
    ]) + "\n"  # fmt: skip


RUNS: dict[str, Callable[[argparse.Namespace], Figures]] = {
    "mix": lambda args: mix(args.requests),
    "reload": lambda args: reload_under_load(),
    "slowloris": lambda args: slowloris(),
    "websockets": lambda args: websocket_pushes(args.ws_connections, args.ws_seconds),
    "redis": lambda args: redis_outages(),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="?", default="all", choices=[*RUNS, "all"])
    parser.add_argument("--requests", type=int, default=10_000_000)
    parser.add_argument("--ws-connections", type=int, default=1_000)
    parser.add_argument("--ws-seconds", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="append the figures here, one JSON per run")
    parser.add_argument(
        "--plot", type=Path, help="write the mix run's RSS curve here (SVG); with --from, no run"
    )
    parser.add_argument("--from", dest="source", type=Path, help="a --json file to plot from")
    args = parser.parse_args(argv)
    if args.plot is not None and args.source is not None:
        runs = [json.loads(line) for line in args.source.read_text().splitlines() if line]
        mixed = [run for run in runs if run["run"] == "mix"][-1]
        title = f"RSS over {mixed['details']['requests']:,} requests ({mixed['details']['date']})"
        args.plot.write_text(rss_svg(mixed["samples"], title))
        return 0
    if not load.have_wrk():
        parser.error("wrk is not installed (apt-get install wrk)")
    names = list(RUNS) if args.run == "all" else [args.run]
    ok = True
    for name in names:
        print(f"== {name}", flush=True)
        started = time.monotonic()
        figures = RUNS[name](args)
        figures.details["wall_s"] = round(time.monotonic() - started, 1)
        figures.details["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print(json.dumps(figures.details, indent=2))
        print(f"{name}: {'HELD' if figures.held else 'FAILED'}", flush=True)
        ok = ok and figures.held
        if args.json is not None:
            with args.json.open("a") as out:
                out.write(json.dumps(asdict(figures)) + "\n")
        if args.plot is not None and name == "mix":
            title = f"RSS over {figures.details['requests']:,} requests"
            args.plot.write_text(rss_svg([asdict(s) for s in figures.samples], title))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
