"""The request journal: every exchange, kept compact and bounded by a byte budget.

Entries are serialized to one ``bytes`` blob when written: bytes are not tracked by the
cyclic garbage collector and their size is known, so a full journal neither slows the
server with GC pauses nor grows past its budget. Queries parse the blobs lazily.
"""

from __future__ import annotations

import base64
import json
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count as counter
from typing import Any

from .model import ServeEvent

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
DEFAULT_BODY_CAP_BYTES = 64 * 1024
_ENTRY_OVERHEAD = 8  # the deque's pointer to the blob


@dataclass(frozen=True, slots=True)
class JournalLimits:
    """How much the journal may keep: total bytes, and bytes of each request body."""

    budget_bytes: int = DEFAULT_BUDGET_BYTES
    body_cap_bytes: int = DEFAULT_BODY_CAP_BYTES


def _body_fields(body: bytes, cap: int) -> dict[str, Any]:
    kept = body[:cap]
    fields: dict[str, Any] = {"body_size": len(body)}
    if len(body) > cap:
        fields["body_truncated"] = True
    try:
        fields["body"] = kept.decode("utf-8")
    except UnicodeDecodeError:
        fields["body"] = base64.b64encode(kept).decode("ascii")
        fields["body_encoding"] = "base64"
    return fields


class Journal:
    """A bounded, newest-last store of served exchanges."""

    def __init__(self, limits: JournalLimits = JournalLimits()) -> None:
        self.limits = limits
        self._entries: deque[bytes] = deque()
        self._bytes = 0
        self._ids = counter(1)
        self.dropped = 0

    def record(self, event: ServeEvent) -> None:
        """Serialize one exchange and evict the oldest entries past the budget."""
        request = event.request
        entry: dict[str, Any] = {
            "id": next(self._ids),
            "time": event.received_at,
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": request.headers,
            "client": request.client[0] if request.client else None,
            "stub": event.stub.label if event.stub else None,
            "stub_id": event.stub.id if event.stub else None,
            "status": event.status,
            "duration_ms": round(event.duration_s * 1000, 3),
        }
        if request.body:
            entry.update(_body_fields(request.body, self.limits.body_cap_bytes))
        if event.delay_s:
            entry["delay_ms"] = round(event.delay_s * 1000, 3)
        if event.failure_injected:
            entry["failure_injected"] = True
        if event.notes:
            entry["notes"] = event.notes
        blob = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
        self._entries.append(blob)
        self._bytes += sys.getsizeof(blob) + _ENTRY_OVERHEAD
        while self._bytes > self.limits.budget_bytes and self._entries:
            old = self._entries.popleft()
            self._bytes -= sys.getsizeof(old) + _ENTRY_OVERHEAD
            self.dropped += 1

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes the entries take, as counted against the budget."""
        return self._bytes

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self._bytes = 0

    def newest(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries, newest first, parsed."""
        return list(self._iter_newest(limit))

    def _iter_newest(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        snapshot = list(self._entries)  # one C-level copy: safe against a writer thread
        for n, blob in enumerate(reversed(snapshot)):
            if limit is not None and n >= limit:
                return
            yield json.loads(blob)

    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        stub: str | None = None,
        status: int | None = None,
    ) -> list[dict[str, Any]]:
        """Entries matching every given field (``stub`` is a name/label or id), newest first."""
        wanted_method = method.upper() if method else None
        return [
            entry
            for entry in self._iter_newest()
            if (wanted_method is None or entry["method"] == wanted_method)
            and (path is None or entry["path"] == path)
            and (stub is None or stub in (entry["stub"], entry["stub_id"]))
            and (status is None or entry["status"] == status)
        ]

    def count(self, **conditions: Any) -> int:
        """How many kept entries match; the same conditions as ``find``."""
        return len(self.find(**conditions))
