"""Served-event listeners: a bounded fan-out from ``Journal.record`` to its consumers.

Two shapes. A listener is called with the ``ServeEvent`` on the writer's thread right
after each record (metrics, hooks): it must be cheap, and one that raises is logged
and skipped, never allowed to break recording. A ``Subscription`` is a bounded buffer of
new entries for a consumer on any thread (the UI's live view, webhooks): the writer only
appends a blob, and a consumer that falls behind loses the oldest pending entries, which
are counted, instead of growing memory or slowing the server.

The outlets live in one tuple replaced whole on every change (copy-on-write), so the
writer reads it without a lock and pays one truth test when nobody listens.
"""

from __future__ import annotations

import logging
import marshal
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from .errors import ApidoubleError
from .journal_entries import parse
from .model import ServeEvent

log = logging.getLogger(__name__)

MAX_OUTLETS = 16
"""Listeners and subscriptions together: each costs the writer a call per exchange."""
DEFAULT_MAX_PENDING = 1000


class Outlet(Protocol):
    """One consumer of the fan-out."""

    errors: int

    def deliver(self, event: ServeEvent, blob: bytes) -> None:
        """Take one new exchange; called on the writer's thread."""
        ...


class Listener:
    """Calls ``callback(event)`` after each record."""

    __slots__ = ("callback", "errors")

    def __init__(self, callback: Callable[[ServeEvent], object]) -> None:
        self.callback = callback
        self.errors = 0

    def deliver(self, event: ServeEvent, blob: bytes) -> None:
        self.callback(event)

    def __repr__(self) -> str:
        return f"Listener({self.callback!r})"


class Subscription:
    """New journal entries for one consumer, at most ``max_pending`` of them waiting.

    ``take`` returns them oldest first, parsed like ``Journal.newest``. When the consumer
    falls behind, the oldest pending entries are dropped and counted in ``dropped``.
    ``wake`` (for example ``threading.Event.set``, or a ``call_soon_threadsafe`` wrapper)
    is called on the writer's thread when an entry arrives in an empty buffer; so clear
    your event *before* calling ``take``, and wait only when ``take`` returned nothing.
    """

    __slots__ = ("max_pending", "errors", "_pending", "_wake", "_offered", "_taken", "_close")

    def __init__(
        self,
        max_pending: int,
        wake: Callable[[], object] | None,
        close: Callable[[Subscription], None],
    ) -> None:
        if max_pending < 1:
            raise ApidoubleError("max_pending must be at least 1")
        self.max_pending = max_pending
        self.errors = 0
        self._pending: deque[bytes] = deque(maxlen=max_pending)
        self._wake = wake
        self._offered = 0
        self._taken = 0
        self._close = close

    def deliver(self, event: ServeEvent, blob: bytes) -> None:
        pending = self._pending
        was_empty = not pending
        pending.append(blob)  # a full deque(maxlen) drops its oldest blob itself
        self._offered += 1
        if was_empty and self._wake is not None:
            self._wake()

    def take(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Remove and return up to ``limit`` pending entries, oldest first."""
        blobs: list[bytes] = []
        pending = self._pending
        while limit is None or len(blobs) < limit:
            try:
                blobs.append(pending.popleft())  # atomic: safe against the writer
            except IndexError:
                break
        self._taken += len(blobs)
        return [parse(marshal.loads(blob)) for blob in blobs]

    @property
    def pending(self) -> int:
        """Entries waiting to be taken."""
        return len(self._pending)

    @property
    def dropped(self) -> int:
        """Entries lost because the consumer fell behind (exact whenever the writer rests)."""
        return max(0, self._offered - self._taken - len(self._pending))

    def close(self) -> None:
        """Stop receiving entries (idempotent); what is pending can still be taken."""
        self._close(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Fanout:
    """The outlets of one journal, and the delivery loop the writer runs."""

    def __init__(self) -> None:
        self.outlets: tuple[Outlet, ...] = ()
        self._lock = threading.Lock()  # for changes only; delivery never takes it

    def add(self, outlet: Outlet) -> None:
        with self._lock:
            if len(self.outlets) >= MAX_OUTLETS:
                raise ApidoubleError(
                    f"the journal feeds at most {MAX_OUTLETS} listeners and subscriptions;"
                    " unsubscribe one first"
                )
            self.outlets = (*self.outlets, outlet)

    def remove(self, outlet: Outlet) -> None:
        with self._lock:
            self.outlets = tuple(o for o in self.outlets if o is not outlet)

    def deliver(self, event: ServeEvent, blob: bytes) -> None:
        """Hand one exchange to every outlet; an outlet that raises is logged and skipped."""
        for outlet in self.outlets:
            try:
                outlet.deliver(event, blob)
            except Exception:
                outlet.errors += 1
                if outlet.errors == 1 or outlet.errors % 1000 == 0:
                    log.exception("journal listener %r failed (%d times)", outlet, outlet.errors)
