"""Delivering callbacks, and the record of every attempt (``GET /__admin/callbacks``).

``CallbackSender`` owns one pooled ``httpx.AsyncClient`` for every stub's callbacks.
Waiting costs no task: a delayed callback, and a retry's backoff, is a timer
(``loop.call_later``) that puts the callback on a queue when it is due; a few workers
take it from there and send it. So a thousand callbacks waiting out their delays
overlap freely, and only the sending is bounded (``workers``). Nothing here raises into
the caller: a full queue drops the callback (counted and logged), a failed attempt is
retried with exponential backoff, and every attempt is written to the ``CallbackLog``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from .._version import VERSION

if TYPE_CHECKING:
    import httpx

__all__ = ["BODY_LIMIT", "Attempt", "Callback", "CallbackLog", "CallbackSender"]

log = logging.getLogger("apidouble.callbacks")

BODY_LIMIT = 4096
"""Bytes of a callback's body the log keeps (the rest is cut, and ``body_truncated`` said)."""
USER_AGENT = f"apidouble/{VERSION}"
_DROPPED_HEADERS = ("accept", "accept-encoding")
"""httpx's defaults that WireMock's client does not send: a callback carries only its own
headers plus Host, Content-Length, Connection and User-Agent."""


@dataclass(frozen=True, slots=True)
class Callback:
    """One rendered callback, ready to send: what the addon hands to the sender."""

    stub: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delay_s: float = 0.0
    retries: int = 0
    """Attempts after the first one, made on a connection error, a timeout or a 5xx."""
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt at sending a callback (``attempt`` counts from 1), as the log keeps it."""

    id: int
    time: float
    stub: str
    method: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    duration_ms: float
    headers: tuple[tuple[str, str], ...]
    body: str
    body_truncated: bool

    @property
    def size(self) -> int:
        """Roughly the bytes this entry holds (what the log's byte bound counts)."""
        heads = sum(len(name) + len(value) for name, value in self.headers)
        return 128 + len(self.url) + len(self.body) + heads + len(self.error or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "stub": self.stub,
            "method": self.method,
            "url": self.url,
            "attempt": self.attempt,
            "status": self.status,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "request": {
                "headers": [[name, value] for name, value in self.headers],
                "body": self.body,
                "body_truncated": self.body_truncated,
            },
        }


class CallbackLog:
    """The latest attempts, bounded by count and by bytes (oldest dropped first)."""

    def __init__(
        self,
        max_entries: int = 1000,
        max_bytes: int = 4 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: deque[Attempt] = deque()
        self._bytes = 0
        self._next_id = 1
        self.total = 0
        """Attempts recorded since the last ``clear`` (kept or not)."""
        self.dropped = 0
        """Callbacks refused since the last ``clear`` (the queue was full, or no loop ran)."""

    def record(
        self,
        call: Callback,
        attempt: int,
        status: int | None = None,
        error: str | None = None,
        duration_ms: float = 0.0,
    ) -> Attempt:
        """Keep one attempt (status or error); older entries go when a bound is passed."""
        body = call.body[:BODY_LIMIT].decode("utf-8", "replace")
        entry = Attempt(
            self._next_id,
            self._clock(),
            call.stub,
            call.method,
            call.url,
            attempt,
            status,
            error,
            round(duration_ms, 3),
            call.headers,
            body,
            len(call.body) > BODY_LIMIT,
        )
        self._next_id += 1
        self.total += 1
        self._entries.append(entry)
        self._bytes += entry.size
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            self._bytes -= self._entries.popleft().size
        return entry

    def note_dropped(self) -> None:
        self.dropped += 1

    @property
    def entries(self) -> list[Attempt]:
        """The kept attempts, oldest first."""
        return list(self._entries)

    def document(self, limit: int | None = None) -> dict[str, Any]:
        """``{"callbacks": [attempt, ... newest first], "total": N, "dropped": M}``."""
        newest = reversed(self._entries)
        shown = list(newest) if limit is None else list(islice(newest, max(limit, 0)))
        return {
            "callbacks": [entry.to_json() for entry in shown],
            "total": self.total,
            "dropped": self.dropped,
        }

    def clear(self) -> None:
        """Forget every attempt and reset the counters (ids keep increasing)."""
        self._entries.clear()
        self._bytes = 0
        self.total = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)


class CallbackSender:
    """Sends callbacks off the request path: ``enqueue`` from the event loop, never awaited.

    One per server, shared by every stub's ``Webhooks``; ``aclose`` at shutdown. The
    client and the workers start on the running loop at the first ``enqueue``.
    ``max_pending`` bounds the callbacks accepted and not yet finished (waiting out a
    delay or a backoff, queued or in flight); one more is dropped. Retry ``n`` waits
    ``backoff_s * 2 ** (n - 1)`` (0.2 s, 0.4 s, 0.8 s by default), at most ``max_backoff_s``.
    """

    def __init__(
        self,
        log: CallbackLog | None = None,
        *,
        max_pending: int = 1000,
        workers: int = 4,
        backoff_s: float = 0.2,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.log = log if log is not None else CallbackLog()
        self.max_pending = max_pending
        self.workers = workers
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.pending = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[Callback, int]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._client: httpx.AsyncClient | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    def enqueue(self, call: Callback) -> bool:
        """Accept a callback (True) or drop it (False: full, closed, or no running loop)."""
        try:
            if self._closed or self.pending >= self.max_pending:
                return self._drop(call, "closed" if self._closed else "queue full")
            loop = asyncio.get_running_loop()
            if self._loop is None:
                self._start(loop)
            elif loop is not self._loop:
                return self._drop(call, "called from another event loop")
            self.pending += 1
            self._idle.clear()
            self._after(call.delay_s, call, 1)
            return True
        except Exception as exc:  # never into the request path
            return self._drop(call, f"{type(exc).__name__}: {exc}")

    async def drained(self) -> None:
        """Wait until every accepted callback has finished (sent, failed or cancelled)."""
        await self._idle.wait()

    async def aclose(self) -> None:
        """Cancel what is waiting or in flight, and close the client; idempotent."""
        self._closed = True
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self.pending = 0
        self._idle.set()

    def _drop(self, call: Callback, why: str) -> bool:
        self.log.note_dropped()
        log.warning("callback %s %s of %s dropped: %s", call.method, call.url, call.stub, why)
        return False

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        import httpx  # on the first callback: a server that sends none never imports it

        self._loop = loop
        self._queue = asyncio.Queue()
        self._client = httpx.AsyncClient(
            trust_env=False,  # a callback to 127.0.0.1 must not go through an env proxy
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(self.workers, 1)),
            headers={"User-Agent": USER_AGENT},
        )
        for name in _DROPPED_HEADERS:
            del self._client.headers[name]
        self._tasks = [loop.create_task(self._work()) for _ in range(max(self.workers, 1))]

    def _after(self, delay_s: float, call: Callback, attempt: int) -> None:
        """Queue the attempt now, or when ``delay_s`` has passed (a timer, not a task)."""
        assert self._loop is not None and self._queue is not None
        if delay_s <= 0:
            self._queue.put_nowait((call, attempt))
            return
        queue = self._queue

        def due() -> None:
            self._timers.discard(handle)
            queue.put_nowait((call, attempt))

        handle = self._loop.call_later(delay_s, due)
        self._timers.add(handle)

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            call, attempt = await self._queue.get()
            try:
                retry = await self._attempt(call, attempt)
            except Exception:  # a slip of ours: log it, keep the worker
                log.exception("callback %s %s failed unexpectedly", call.method, call.url)
                retry = False
            if retry and attempt <= call.retries and not self._closed:
                backoff = min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
                self._after(backoff, call, attempt + 1)
            else:
                self._finish()

    async def _attempt(self, call: Callback, attempt: int) -> bool:
        """Send once and record it; True when it should be tried again."""
        import httpx

        assert self._client is not None
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.request(
                call.method,
                call.url,
                headers=list(call.headers),
                content=call.body or None,
                timeout=call.timeout_s,
            )
            status = response.status_code
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # refused before sending (a header that is not latin-1,
            # an invalid URL): recorded, and not worth trying again
            error = f"{type(exc).__name__}: {exc}"
            self.log.record(call, attempt, None, error, (time.perf_counter() - started) * 1e3)
            log.info("callback %s %s attempt %d: %s", call.method, call.url, attempt, error)
            return False
        duration_ms = (time.perf_counter() - started) * 1000.0
        self.log.record(call, attempt, status, error, duration_ms)
        if error is not None:
            log.info("callback %s %s attempt %d: %s", call.method, call.url, attempt, error)
        return error is not None or (status is not None and status >= 500)

    def _finish(self) -> None:
        self.pending = max(self.pending - 1, 0)
        if self.pending == 0:
            self._idle.set()
