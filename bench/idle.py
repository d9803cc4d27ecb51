"""Many idle keep-alive connections, held open in a background thread while wrk measures.

``IdleConnections`` runs its own event loop in a thread: ``open(n)`` connects ``n``
sockets (in batches, so the listen backlog never overflows), sends one request on each
and reads the answer, so every connection is an idle keep-alive one; ``held()`` counts
those the server has not closed; ``close()`` ends them all. The descriptor limit must
allow ``n`` sockets (``raise_nofile``): the harness raises it for itself and, through
inheritance, for the servers it starts.
"""

from __future__ import annotations

import asyncio
import resource
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import load

T = TypeVar("T")
BATCH = 500


def raise_nofile(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``wanted`` (never past the hard limit);
    returns the soft limit now in force. Child processes inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class IdleConnections:
    """Idle keep-alive connections to one port, held by a loop in a thread."""

    def __init__(self, port: int, path: str = "/static") -> None:
        self.port = port
        self.payload = load.request_bytes(path, port)
        self.pairs: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _one(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return None
        try:
            writer.write(self.payload)
            if await asyncio.wait_for(load.read_response(reader), 30) == 200:
                return reader, writer
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            pass
        writer.close()
        return None

    async def _open(self, count: int) -> int:
        for start in range(0, count, BATCH):
            made = await asyncio.gather(*(self._one() for _ in range(min(BATCH, count - start))))
            self.pairs.extend(pair for pair in made if pair is not None)
        return len(self.pairs)

    def open(self, count: int, timeout: float = 120.0) -> int:
        """Open ``count`` connections, one answered request each; returns how many made it."""
        return self._run(self._open(count), timeout)

    async def _held(self) -> int:
        await asyncio.sleep(0)  # let pending EOFs reach the readers
        return sum(1 for reader, _ in self.pairs if not reader.at_eof())

    def held(self) -> int:
        """How many of the opened connections the server still keeps open."""
        return self._run(self._held(), 30.0)

    async def _close(self) -> None:
        for _, writer in self.pairs:
            writer.close()
        await asyncio.sleep(0)
        self.pairs.clear()

    def close(self) -> None:
        """Close every connection and stop the thread's loop."""
        try:
            self._run(self._close(), 60.0)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
