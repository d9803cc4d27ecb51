"""The WebSocket message log: what each session received and sent, newest last, bounded.

Beside the request journal (which keeps each upgrade as a 101 exchange): a session's
opening, its messages in and out and its close, as the session's observer reports them
(``ws_session.Observer``). Bounded by count and by bytes, oldest dropped first; a message
is kept cut at ``DATA_LIMIT`` (binary ones as base64), its full size beside it.
"""

from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["DATA_LIMIT", "MessageLog"]

DATA_LIMIT = 4 * 1024
"""Bytes of a message kept in its entry."""
_ENTRY_BYTES = 200
"""What an entry costs beside its data, counted against the byte bound."""


class MessageLog:
    """The latest session events; ``observe`` is a session observer."""

    def __init__(
        self,
        max_entries: int = 1000,
        max_bytes: int = 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: deque[tuple[dict[str, Any], int]] = deque()
        self._bytes = 0
        self._next_id = 1
        self.total = 0
        """Events recorded since the last ``clear`` (kept or not)."""

    def observe(self, kind: str, info: dict[str, Any], data: str | bytes | None) -> None:
        """Keep one event of a session (``open``, ``in``, ``out``, ``close``)."""
        entry: dict[str, Any] = {
            "id": self._next_id,
            "time": self._clock(),
            "session": info.get("id"),
            "path": info.get("path"),
            "kind": kind,
        }
        size = 0
        if kind == "close":
            entry["code"] = info.get("close_code")
            entry["reason"] = info.get("close_reason") or ""
        elif isinstance(data, bytes):
            size = len(data)
            entry.update(frame="binary", size=size, encoding="base64")
            entry["data"] = base64.b64encode(data[:DATA_LIMIT]).decode("ascii")
        elif isinstance(data, str):
            raw = data.encode("utf-8")
            size = len(raw)
            entry.update(frame="text", size=size)
            entry["data"] = raw[:DATA_LIMIT].decode("utf-8", "ignore")
        if size > DATA_LIMIT:
            entry["truncated"] = True
        cost = _ENTRY_BYTES + min(size, DATA_LIMIT)
        self._next_id += 1
        self.total += 1
        self._entries.append((entry, cost))
        self._bytes += cost
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            _, dropped = self._entries.popleft()
            self._bytes -= dropped

    def document(self, path: str | None = None, limit: int | None = None) -> dict[str, Any]:
        """What the admin API shows: the kept events (of sessions on ``path``), oldest
        first, the last ``limit`` of them."""
        found = [e for e, _ in self._entries if path is None or e["path"] == path]
        if limit is not None:
            found = found[-limit:] if limit else []
        return {"messages": found, "total": self.total}

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
        self.total = 0
