"""Load generators: wrk when installed, else a small asyncio one (for the smoke test).

Both return a ``Result``. The asyncio generator keeps ``connections`` keep-alive
connections busy for ``duration_s`` and is far slower than wrk: it exists so the
harness runs (and is tested) on a machine without wrk, not to measure peers.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class Result:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    """Socket errors, timeouts and non-2xx answers."""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    # anchored: a "+/- Stdev" column such as "65.99%" must not pass for the 99th percentile
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if found:
        errors += int(found.group(1))
    found = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if found:
        errors += sum(int(n) for n in found.groups())
    return Result(total, rps, p50, p99, errors)


def wrk(
    url: str,
    duration_s: float,
    connections: int = 50,
    script: Path | None = None,
    headers: Mapping[str, str] | None = None,
) -> Result:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s", "--latency"]
    command += ["--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration_s + 30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def post_script(folder: Path, body: bytes) -> Path:
    """A wrk Lua script that POSTs ``body`` as JSON."""
    path = folder / "post.lua"
    text = body.decode().replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{text}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def _percentile(sorted_ms: list[float], fraction: float) -> float:
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * fraction))]


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


def request_bytes(
    path: str, port: int, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    if body is None:
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}"
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _pyload(
    port: int,
    path: str,
    duration_s: float,
    connections: int,
    body: bytes | None,
    headers: Mapping[str, str] | None,
) -> Result:
    payload = request_bytes(path, port, body, headers)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration_s

    async def one_connection() -> None:
        nonlocal errors
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            errors += 1
            return
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                writer.write(payload)
                status = await read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                if not 200 <= status < 400:
                    errors += 1
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return Result(
        len(latencies),
        len(latencies) / elapsed,
        _percentile(latencies, 0.5),
        _percentile(latencies, 0.99),
        errors,
    )


def pyload(
    port: int,
    path: str,
    duration_s: float,
    connections: int = 50,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Result:
    """The fallback generator: bounded by ``duration_s``."""
    return asyncio.run(_pyload(port, path, duration_s, connections, body, headers))


async def burst(port: int, path: str, count: int, timeout_s: float = 30.0) -> tuple[float, int]:
    """Open ``count`` connections, then send one request on each at once: the seconds
    until the last answer, and how many failed."""
    opened = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(count)),
        return_exceptions=True,
    )
    pairs = [pair for pair in opened if not isinstance(pair, BaseException)]
    failed = count - len(pairs)
    payload = request_bytes(path, port)

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            writer.write(payload)
            return 200 <= await read_response(reader) < 400
        except (OSError, asyncio.IncompleteReadError):
            return False
        finally:
            writer.close()

    started = time.perf_counter()
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(one(r, w) for r, w in pairs)), timeout=timeout_s
        )
    except TimeoutError:
        for _, writer in pairs:
            writer.close()
        return timeout_s, count
    elapsed = time.perf_counter() - started
    return elapsed, failed + sum(1 for ok in results if not ok)
