"""Large request bodies stream to the upstream when the head alone decides a forward.

The server runs as its own process (``apidouble run``), so its peak RSS (``VmHWM``) is
the server's alone; the upstream is a raw asyncio server that counts the body's bytes as
they come and answers with their number and digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

MIB = 1024 * 1024
BLOCK = 64 * 1024


def blocks(size: int, digest: hashlib._Hash | None = None) -> Iterator[bytes]:
    """``size`` bytes, generated block by block (never held whole), fed to ``digest``."""
    sent = 0
    index = 0
    while sent < size:
        block = (index.to_bytes(8, "big") * (BLOCK // 8))[: size - sent]
        if digest is not None:
            digest.update(block)
        sent += len(block)
        index += 1
        yield block


def digest_of(size: int) -> str:
    digest = hashlib.sha256()
    for _ in blocks(size, digest):
        pass
    return digest.hexdigest()


class Upstream:
    """A raw HTTP/1.1 upstream reading one body per connection, as it comes.

    ``hold_after``: stop reading after that many body bytes until ``release``;
    ``close_after``: drop the connection after that many, answering nothing.
    ``cut`` is set when a client's connection ends before its body did.
    """

    def __init__(self, hold_after: int = -1, close_after: int = -1) -> None:
        self.hold_after = hold_after
        self.close_after = close_after
        self.port = 0
        self.heads: list[dict[str, str]] = []
        self.read = 0
        self.cut = threading.Event()
        self.held = threading.Event()
        self._release: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Upstream:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        release = self._release
        assert release is not None
        self._loop.call_soon_threadsafe(release.set)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._release = asyncio.Event()
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, limit=BLOCK)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._release.set()
        for writer in self._writers:  # each handler then ends on its own
            writer.transport.abort()
        tasks = asyncio.all_tasks(self._loop)
        if tasks:
            self._loop.run_until_complete(asyncio.wait(tasks, timeout=10))
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:]
                headers = {
                    n.strip().lower(): v.strip()
                    for n, _, v in (x.partition(":") for x in lines if x)
                }
                self.heads.append(headers)
                digest = hashlib.sha256()
                count = await self._body(reader, headers, digest)
                if count < 0:
                    writer.close()
                    return
                answer = json.dumps({"bytes": count, "sha256": digest.hexdigest()}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(answer), answer)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.cut.set()  # the connection ended before the body did
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _body(
        self, reader: asyncio.StreamReader, headers: dict[str, str], digest: hashlib._Hash
    ) -> int:
        """The body's length (as counted), or -1 when told to drop the connection."""
        count = 0
        if "content-length" in headers:
            left = int(headers["content-length"])
            while left:
                chunk = await reader.read(min(left, BLOCK))
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", left)
                left -= len(chunk)
                count += len(chunk)
                if not await self._took(len(chunk), count):
                    return -1
                digest.update(chunk)
            return count
        while True:  # chunked
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return count
            chunk = await reader.readexactly(size)
            await reader.readexactly(2)
            count += size
            if not await self._took(size, count):
                return -1
            digest.update(chunk)

    async def _took(self, size: int, count: int) -> bool:
        self.read += size
        if 0 <= self.close_after <= count:
            return False
        if 0 <= self.hold_after <= count and self._release is not None:
            if not self._release.is_set():
                self.held.set()
                await self._release.wait()
        return True


class Served:
    """``apidouble run`` in a process of its own, on a free port."""

    def __init__(self, tmp_path: Path, endpoints: list[dict[str, object]], *args: str) -> None:
        config = tmp_path / "stubs.json"
        config.write_text(json.dumps({"endpoints": endpoints}))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "apidouble", "run", str(config), "--no-watch"]
        command += ["--port", str(self.port), "--log-level", "error", *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "apidouble listening on ..." once ready
        assert "listening" in line, line
        self.url = f"http://127.0.0.1:{self.port}"

    def peak_rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def journal(self) -> list[dict[str, object]]:
        entries = httpx.get(self.url + "/__logs").json()["logs"]
        return entries  # type: ignore[no-any-return]

    def close(self) -> None:
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[Served]]:
    running: list[Served] = []
    yield running
    for server in running:
        server.close()


def start(
    running: list[Served], tmp_path: Path, endpoints: list[dict[str, object]], *args: str
) -> Served:
    server = Served(tmp_path, endpoints, *args)
    running.append(server)
    return server


def warm(server: Served, path: str = "/up") -> float:
    """One small proxied upload (httpx is imported on first use): then the peak RSS."""
    assert httpx.post(server.url + path, content=b"x" * 100, timeout=30).status_code == 200
    return server.peak_rss_mib()


def proxy_stub(upstream: Upstream, path: str = "/up") -> dict[str, object]:
    return {"method": "POST", "path": path, "proxy": upstream.url}


def test_a_200_mib_upload_streams_through_in_flat_memory(
    tmp_path: Path, served: list[Served]
) -> None:
    size = 200 * MIB
    with Upstream() as upstream:
        server = start(served, tmp_path, [proxy_stub(upstream)], "--max-body-bytes", str(10 * MIB))
        before = warm(server)
        digest = hashlib.sha256()
        answer = httpx.post(
            server.url + "/up",
            content=blocks(size, digest),
            headers={"Content-Length": str(size)},
            timeout=120,
        )
        grown = server.peak_rss_mib() - before
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"bytes": size, "sha256": digest.hexdigest()}
        assert upstream.heads[-1]["content-length"] == str(size)  # not re-chunked
        assert "expect" not in upstream.heads[-1]
        assert grown < 30, f"the server's peak RSS grew {grown:.0f} MiB for a 200 MiB upload"
        entry = server.journal()[0]
        assert entry["status"] == 200 and "body" not in entry
        assert f"request body streamed, not kept: {size} bytes" in entry["notes"]  # type: ignore[operator]


def test_a_chunked_upload_streams_through_and_stays_chunked(
    tmp_path: Path, served: list[Served]
) -> None:
    size = 24 * MIB + 123  # above --max-body-bytes: a buffered body would be a 413
    with Upstream() as upstream:
        server = start(served, tmp_path, [proxy_stub(upstream)], "--max-body-bytes", str(4 * MIB))
        answer = httpx.post(server.url + "/up", content=blocks(size), timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"bytes": size, "sha256": digest_of(size)}
        assert upstream.heads[-1].get("transfer-encoding") == "chunked"


def test_the_proxy_to_fallback_streams_too(tmp_path: Path, served: list[Served]) -> None:
    size = 16 * MIB
    with Upstream() as upstream:
        stubs: list[dict[str, object]] = [{"path": "/other", "response": {"ok": True}}]
        args = ("--proxy-to", upstream.url, "--max-body-bytes", str(4 * MIB))
        server = start(served, tmp_path, stubs, *args)
        answer = httpx.post(
            server.url + "/anything",
            content=blocks(size),
            headers={"Content-Length": str(size)},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["bytes"] == size


def test_a_body_matching_stub_still_gets_the_whole_body(
    tmp_path: Path, served: list[Served]
) -> None:
    with Upstream() as upstream:
        stubs: list[dict[str, object]] = [
            {
                "method": "POST",
                "path": "/up",
                "match": {"body": {"contains": "needle"}},
                "response": {"matched": "here"},
            },
            proxy_stub(upstream),
        ]
        server = start(served, tmp_path, stubs, "--max-body-bytes", str(10 * MIB))
        with_needle = b"a" * (2 * MIB) + b"needle"
        answer = httpx.post(server.url + "/up", content=with_needle, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"matched": "here"}
        assert upstream.heads == []  # answered here: the body was read and matched
        without = b"b" * (2 * MIB)  # goes on, but was buffered first, as any body
        answer = httpx.post(server.url + "/up", content=without, timeout=30)
        assert answer.json() == {
            "bytes": len(without),
            "sha256": hashlib.sha256(without).hexdigest(),
        }
        too_big = 11 * MIB
        answer = httpx.post(
            server.url + "/up",
            content=blocks(too_big),
            headers={"Content-Length": str(too_big)},
            timeout=30,
        )
        assert answer.status_code == 413  # --max-body-bytes still holds for it
        assert len(upstream.heads) == 1


def connect(server: Served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def read_answer(sock: socket.socket) -> tuple[bytes, bytes]:
    """(head, body) of one answer with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return head, body


@pytest.mark.parametrize("leaving", ["close", "reset"])
def test_a_client_leaving_mid_upload_cancels_the_upstream_request(
    tmp_path: Path, served: list[Served], leaving: str
) -> None:
    size = 100 * MIB
    with Upstream() as upstream:
        server = start(served, tmp_path, [proxy_stub(upstream)])
        sock = connect(server)
        sock.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
        for block in blocks(8 * MIB):
            sock.sendall(block)
        if leaving == "reset":  # an RST, not a FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # 8 of the 100 MiB sent
        assert upstream.cut.wait(10), "the upstream request was not abandoned"
        assert upstream.read < size
        answer = httpx.post(server.url + "/up", content=b"still here", timeout=10)
        assert answer.json()["bytes"] == 10  # the server serves on


def test_a_slow_upstream_holds_the_client_not_our_memory(
    tmp_path: Path, served: list[Served]
) -> None:
    size = 200 * MIB
    with Upstream(hold_after=2 * MIB) as upstream:
        # held for longer than a stall may last: held by us, the client is not stalling
        server = start(served, tmp_path, [proxy_stub(upstream)], "--header-timeout-s", "0.5")
        before = warm(server)
        upstream.held.clear()
        produced = 0
        digest = hashlib.sha256()

        def body() -> Iterator[bytes]:
            nonlocal produced
            for block in blocks(size, digest):
                produced += len(block)
                yield block

        result: list[httpx.Response] = []
        client = threading.Thread(
            target=lambda: result.append(
                httpx.post(
                    server.url + "/up",
                    content=body(),
                    headers={"Content-Length": str(size)},
                    timeout=120,
                )
            )
        )
        client.start()
        assert upstream.held.wait(30)
        # Nothing signals "the client is blocked": watch its progress stop.
        last, still_since, deadline = -1, time.monotonic(), time.monotonic() + 30
        while time.monotonic() < deadline:
            if produced != last:
                last, still_since = produced, time.monotonic()
            elif time.monotonic() - still_since > 1.5:
                break
            time.sleep(0.05)
        held_at = produced
        grown = server.peak_rss_mib() - before
        upstream.release()
        client.join(120)
        assert held_at < 64 * MIB, f"the client sent {held_at / MIB:.0f} MiB to a held upstream"
        assert grown < 30, f"the server's peak RSS grew {grown:.0f} MiB behind a held upstream"
        assert result and result[0].json() == {"bytes": size, "sha256": digest.hexdigest()}


def test_a_stalled_upload_is_a_408_and_cancels_the_upstream_request(
    tmp_path: Path, served: list[Served]
) -> None:
    with Upstream() as upstream:
        server = start(served, tmp_path, [proxy_stub(upstream)], "--header-timeout-s", "0.5")
        with connect(server) as sock:
            sock.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (9 * MIB))
            for block in blocks(2 * MIB):
                sock.sendall(block)
            head, body = read_answer(sock)  # and nothing more is sent
        assert head.startswith(b"HTTP/1.1 408"), head
        assert b"connection: close" in head.lower()
        assert upstream.cut.wait(10)


def test_an_upstream_failing_mid_upload_is_a_502_that_ends_the_connection(
    tmp_path: Path, served: list[Served]
) -> None:
    size = 64 * MIB
    with Upstream(close_after=2 * MIB) as upstream:
        server = start(served, tmp_path, [proxy_stub(upstream)])
        with httpx.Client(timeout=30) as client:
            answer = client.post(
                server.url + "/up", content=blocks(size), headers={"Content-Length": str(size)}
            )
        assert answer.status_code == 502
        assert answer.headers["connection"] == "close"
        assert answer.json()["upstream"] == upstream.url
        again = httpx.post(server.url + "/up", content=b"again", timeout=10)
        assert again.json()["bytes"] == 5  # the server serves on


def test_expect_100_continue_waits_for_the_upstream(tmp_path: Path, served: list[Served]) -> None:
    size = 4 * MIB
    with Upstream() as upstream:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            dead = probe.getsockname()[1]
        stubs = [proxy_stub(upstream), proxy_stub(upstream, "/dead")]
        stubs[1]["proxy"] = f"http://127.0.0.1:{dead}"
        server = start(served, tmp_path, stubs)
        expect = b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % size
        with connect(server) as sock:
            sock.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\n" + expect)
            assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
            for block in blocks(size):
                sock.sendall(block)
            head, body = read_answer(sock)
            assert head.startswith(b"HTTP/1.1 200")
            assert json.loads(body) == {"bytes": size, "sha256": digest_of(size)}
        assert "expect" not in upstream.heads[-1]
        with connect(server) as sock:  # no 100 when the upstream can't take the body
            sock.sendall(b"POST /dead HTTP/1.1\r\nHost: x\r\n" + expect)
            head, body = read_answer(sock)
            assert head.startswith(b"HTTP/1.1 502"), head
            assert b"connection: close" in head.lower()
