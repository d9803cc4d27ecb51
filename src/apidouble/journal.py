"""The request journal: every exchange, kept compact and bounded by a byte budget.

Entries are serialized to one ``bytes`` blob when written: bytes are not tracked by the
cyclic garbage collector and their size is known, so a full journal neither slows the
server with GC pauses nor grows past its budget. Queries parse the blobs lazily.

The blob is a ``marshal`` dump of a flat tuple of atoms (about 1 us, where ``json.dumps``
of the same dict took 12 us): the journal lives in memory only, so marshal's
per-Python-version format is no constraint. Headers are kept as the request's own
tuple of string pairs (no per-header copy or re-encoding in Python code).
"""

from __future__ import annotations

import base64
import marshal
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count as counter
from typing import Any

from .model import ServeEvent

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
DEFAULT_BODY_CAP_BYTES = 64 * 1024
_ENTRY_OVERHEAD = sys.getsizeof(b"") + 8
"""What one entry costs beyond its length: the bytes object's header, and the deque's
pointer to it (``sys.getsizeof(blob)`` is exactly ``len(blob)`` plus the header)."""


@dataclass(frozen=True, slots=True)
class JournalLimits:
    """How much the journal may keep: total bytes, and bytes of each request body."""

    budget_bytes: int = DEFAULT_BUDGET_BYTES
    body_cap_bytes: int = DEFAULT_BODY_CAP_BYTES


def _body_fields(body: bytes, size: int) -> dict[str, Any]:
    """The journal's view of a kept (capped) body of ``size`` bytes."""
    fields: dict[str, Any] = {"body_size": size}
    if size > len(body):
        fields["body_truncated"] = True
    try:
        fields["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        fields["body"] = base64.b64encode(body).decode("ascii")
        fields["body_encoding"] = "base64"
    return fields


def _parse(blob: bytes) -> dict[str, Any]:
    """One journal entry as the admin API and ``MockServer.requests`` show it."""
    (ident, received, method, path, query, headers, client, label, stub_id, status) = (
        fields := marshal.loads(blob)
    )[:10]
    duration_s, delay_s, failure, notes, body, body_size, decision = fields[10:]
    entry: dict[str, Any] = {
        "id": ident,
        "time": received,
        "method": method,
        "path": path,
        "query": query,
        "headers": [
            [name, value]
            if isinstance(name, str)
            else [name.decode("latin-1"), value.decode("latin-1").rstrip(" \t")]
            for name, value in headers
        ],
        "client": client,
        "stub": label,
        "stub_id": stub_id,
        "status": status,
        "duration_ms": round(duration_s * 1000, 3),
    }
    if body_size:
        entry.update(_body_fields(body, body_size))
    if delay_s:
        entry["delay_ms"] = round(delay_s * 1000, 3)
    if failure:
        entry["failure_injected"] = True
    if notes:
        entry["notes"] = list(notes)
    if decision:
        entry["decision"] = decision
    return entry


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
        stub = event.stub
        body = request.body
        client = request.client
        raw = request.raw_headers  # as received: decoded only when someone reads the entry
        cap = self.limits.body_cap_bytes
        blob = marshal.dumps(
            (
                next(self._ids),
                event.received_at,
                request.method,
                request.path,
                request.query_string,
                raw if raw is not None else request.headers,
                client[0] if client else None,
                stub.label if stub else None,
                stub.id if stub else None,
                event.status,
                event.duration_s,
                event.delay_s,
                event.failure_injected,
                tuple(event.notes) if event.notes else None,
                body if len(body) <= cap else body[:cap],
                len(body),
                event.decision,
            )
        )
        self._entries.append(blob)
        self._bytes += len(blob) + _ENTRY_OVERHEAD
        if self._bytes > self.limits.budget_bytes:
            self._evict()

    def _evict(self) -> None:
        budget = self.limits.budget_bytes
        while self._bytes > budget and self._entries:
            old = self._entries.popleft()
            self._bytes -= len(old) + _ENTRY_OVERHEAD
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
            yield _parse(blob)

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
