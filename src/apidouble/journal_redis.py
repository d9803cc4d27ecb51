"""The journal a runtime keeps: local, or shared by every instance through the Redis store.

A ``SharedJournal`` records locally exactly as a ``Journal`` does (the live feed, metrics
and the byte budget stay per instance) and appends each new entry's blob to a bounded
outgoing buffer: that append is the only extra work a request pays. A flusher task on the
loop sends what accumulated every ``FLUSH_INTERVAL_S`` (time only: a count trigger would
cost every request a length test): in one pipeline, one script call per ``CHUNK`` entries
adds them to a stream (``XADD MAXLEN ~``) and ``HINCRBY``s each stub's recorded count.
Reads on any instance flush first, then read the stream (entries) and the counters
(exact counts, however far the stream was trimmed).

Counts are not taken from the buffer but from the local journal's exact counters: each
flush sends how far every stub's count moved since the last flush that reached Redis. An
outgoing buffer that overflows while Redis is away drops its oldest entries (counted in
``unsent_dropped``), never counts.

Entries cross as portable text (``journal_wire``), converted in the flusher, off the
request path.

Entry ids are global: inside the script that adds a chunk, a counter in Redis numbers its
entries, and each entry's stream id is ``N-0``, so ``entry`` and ``remove`` reach it
directly. Each chunk carries a token set with ``NX``: a chunk resent because its reply was
lost is not applied twice.

While Redis is away, reads answer from the local journal (logged, and ``fallback`` says
why) and recording never waits on it. A clear on any instance deletes the shared stream
and counters; what another instance served in the flush interval before it may still
land after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import os
import uuid
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from .journal import Journal, JournalLimits, Tally
from .journal_entries import (
    SEQ,
    STUB_ID,
    Fields,
    parse,
)
from .journal_query import Query
from .journal_state import State
from .journal_wire import ADD, REMOVE, decode, encode_blob
from .state.select import is_remote
from .state.store import StateStore, StateUnavailable

log = logging.getLogger("apidouble")

T = TypeVar("T")

FLUSH_INTERVAL_S = 0.05
CHUNK = 256
"""Entries per script call: Redis runs each call atomically, so a long one stalls it."""
DEFAULT_STREAM_ENTRIES = 100_000
"""The stream's ``MAXLEN ~`` when the journal has no entry limit."""
MAX_BUFFER = 20_000
"""At most this many entries wait to be sent (more while Redis is away drop the oldest)."""
UNMATCHED = "\x00"
"""The counter field and stream ``s`` value of requests no stub answered."""
_PAGE = 500
_AWAY = (StateUnavailable, TimeoutError, RuntimeError)
"""Redis unreachable, too slow, or not usable from this caller: read locally instead."""


def journal_for(store: StateStore, limits: JournalLimits) -> Journal:
    """The journal for a runtime whose state lives in ``store``: shared when it is Redis."""
    link = getattr(store, "link", None)
    if is_remote(store) and link is not None:
        return SharedJournal(limits, link)
    return Journal(limits)


def _field(key: str | None) -> str:
    return UNMATCHED if key is None else key


def _key(field: str) -> str | None:
    return None if field == UNMATCHED else field


# --- the shared journal -----------------------------------------------------------------


@dataclass(slots=True)
class _Batch:
    """What one flush sends; kept as it is and resent until Redis acknowledges it."""

    token: str
    entries: list[tuple[str, str]]
    """(stub field, encoded entry), oldest first."""
    counts: dict[str | None, int]
    """How far each stub's recorded count moved."""
    labels: dict[str, str]
    upto: dict[str | None, int]
    """The recorded counts the batch brings Redis up to (the next baseline)."""
    state: State


class SharedJournal(Journal):
    """A ``Journal`` whose reads see every instance sharing one Redis (module docstring)."""

    compact = False  # every entry is a blob: the flusher sends them as they are

    def __init__(self, limits: JournalLimits, link: Any, interval_s: float = FLUSH_INTERVAL_S):
        super().__init__(limits)
        self._link = link
        namespace = link.target.namespace
        self._keys = [f"{namespace}:j:{part}" for part in ("entries", "counts", "labels", "seq")]
        self._batch_prefix = f"{namespace}:j:batch:"
        self._stream_max = limits.max_entries if limits.max_entries else DEFAULT_STREAM_ENTRIES
        kept = 0 if limits.max_entries == 0 else min(self._stream_max, MAX_BUFFER)
        self._outgoing: deque[bytes] = deque(maxlen=kept)
        """Blobs recorded and not yet taken by a flush (empty when no entries are kept)."""
        self.interval_s = interval_s
        self.unsent_dropped = 0
        """Entries the outgoing buffer dropped (Redis away too long); counts are kept."""
        self.fallback: str | None = None
        """Why reads answer from the local journal (None while they are shared)."""
        self._unsent: _Batch | None = None
        self._sent: dict[str | None, int] = {}
        self._sent_state = self._state
        self._last_local = 0
        self._batches = 0
        self._instance = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        client = link.client
        self._add = client.register_script(ADD)
        self._remove = client.register_script(REMOVE)

    def _store(self, key: str | None, blob: bytes) -> None:
        Journal._store(self, key, blob)
        self._outgoing.append(blob)

    # --- flushing -------------------------------------------------------------------

    async def start(self) -> None:
        """Start the flusher on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        """Stop the flusher and send what is left, if Redis takes it within its timeout."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._news():
            with contextlib.suppress(StateUnavailable):
                await self._link.acall(self.flush)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if not self._news():
                continue
            try:
                await self._link.acall(self.flush)
            except StateUnavailable:
                pass  # kept (bounded) and resent once Redis is back
            except Exception:  # the flusher must outlive any one failure
                log.exception("sending the journal to %s failed", self._link.target.shown)

    def _news(self) -> bool:
        """Whether a flush has anything to send (cheap enough to ask 20 times a second)."""
        if self._unsent is not None or self._outgoing or self._state is not self._sent_state:
            return True
        sent = self._sent
        return any(sent.get(k, 0) != n for k, (n, _) in self._state.all_counts().items())

    async def flush(self) -> None:
        """Send what was recorded since the last flush (on the client's loop): first a
        batch Redis has not acknowledged, if any, then whatever is new."""
        async with self._lock:
            if self._unsent is None:
                self._unsent = self._take()
            for _ in range(2):
                batch = self._unsent
                if batch is None:
                    return
                await self._send(batch)
                if batch.state is self._sent_state:
                    self._sent = batch.upto
                self._unsent = self._take()

    def _take(self) -> _Batch | None:
        """Drain the buffer and read the counters in one step (no record can interleave:
        both run on the loop's thread)."""
        state = self._state
        if state is not self._sent_state:  # cleared since: counts start again from zero
            self._sent_state = state
            self._sent = {}
        blobs = list(self._outgoing)
        self._outgoing.clear()
        sent = self._sent
        upto = {key: recorded for key, (recorded, _) in state.all_counts().items()}
        counts = {k: n - sent.get(k, 0) for k, n in upto.items() if n != sent.get(k, 0)}
        if not blobs and not counts:
            return None
        entries = []
        for blob in blobs:
            fields = marshal.loads(blob)
            local = fields[SEQ]
            if local > self._last_local + 1:
                self.unsent_dropped += local - self._last_local - 1
            self._last_local = local
            entries.append((_field(fields[STUB_ID]), encode_blob(blob)))
        labels = {k: state.labels[k] for k in counts if k is not None and k in state.labels}
        self._batches += 1
        token = f"{self._instance}:{self._batches}"
        return _Batch(token, entries, counts, labels, upto, state)

    async def _send(self, batch: _Batch) -> None:
        """One pipeline: a script call per chunk, the counts and labels with the first."""
        entries_key, counts_key, labels_key, seq_key = self._keys
        async with self._link.client.pipeline(transaction=False) as pipe:
            chunks = [batch.entries[i : i + CHUNK] for i in range(0, len(batch.entries), CHUNK)]
            for number, chunk in enumerate(chunks or [[]]):
                args: list[Any] = [self._stream_max, len(chunk)]
                for pair in chunk:
                    args.extend(pair)
                counts = batch.counts if number == 0 else {}
                labels = batch.labels if number == 0 else {}
                args.append(len(counts))
                for key, moved in counts.items():
                    args.extend((_field(key), moved))
                args.append(len(labels))
                for pair in labels.items():
                    args.extend(pair)
                token = f"{self._batch_prefix}{batch.token}:{number}"
                keys = [entries_key, counts_key, labels_key, seq_key, token]
                await self._add(keys=keys, args=args, client=pipe)
            await pipe.execute()

    def _discard(self) -> None:
        """Forget what was recorded and not sent (a clear makes it history)."""
        self._outgoing.clear()
        self._unsent = None
        self._last_local = self._seq
        self._sent_state = self._state
        self._sent = {}

    # --- reading --------------------------------------------------------------------

    def _read(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        """``shared()`` after a flush (so this instance sees its own latest requests), or
        ``local()`` while Redis cannot be reached."""
        try:
            if self._news():
                self._link.call(self.flush)
            value = shared()
        except _AWAY as exc:
            if self.fallback is None:
                log.warning("journal reads are local to this instance: %s", exc)
            self.fallback = str(exc)
            return local()
        if self.fallback is not None:
            log.warning("journal reads are shared again")
            self.fallback = None
        return value

    def _redis(self, command: Callable[[Any], Any]) -> Any:
        client = self._link.client
        return self._link.call(lambda: command(client))

    def _walk(
        self, newest_first: bool = True, page: int = _PAGE
    ) -> Iterator[tuple[str, dict[str, str]]]:
        """The stream's raw entries, page by page."""
        stream = self._keys[0]
        edge = "+" if newest_first else "-"
        while True:
            found = self._page(stream, edge, page, newest_first)
            yield from found
            if len(found) < page:
                return
            edge = "(" + found[-1][0]

    def _page(self, stream: str, edge: str, page: int, newest_first: bool) -> Any:
        client = self._link.client
        if newest_first:
            return self._link.call(lambda: client.xrevrange(stream, edge, "-", count=page))
        return self._link.call(lambda: client.xrange(stream, edge, "+", count=page))

    def _entries(self, limit: int | None = None) -> Iterator[Fields]:
        page = _PAGE if limit is None else max(1, min(_PAGE, limit))
        for stream_id, values in self._walk(page=page):
            fields = decode(stream_id, values["e"])
            if fields is not None:
                yield fields

    def _shared_select(self, query: Query, limit: int | None) -> list[Fields]:
        wanted: set[str | None] | None = None
        if query.stub is not None:
            if query.unmatched:
                return []
            wanted = set(self._resolve(query.stub))
        elif query.unmatched:
            wanted = {None}
        take = None if query.filters or wanted is not None else limit
        found: list[Fields] = []
        for fields in self._entries(take):
            if wanted is not None and fields[STUB_ID] not in wanted:
                continue
            if query.accepts(fields):
                found.append(fields)
                if len(found) == limit:
                    break
        return found

    def _select(self, query: Query, limit: int | None) -> Iterator[Fields]:
        local = Journal._select
        found = self._read(
            lambda: self._shared_select(query, limit), lambda: list(local(self, query, limit))
        )
        return iter(found)

    def _resolve(self, stub: str) -> list[str]:
        """The stub ids a name, label or id stands for, from every instance's labels."""
        labels: dict[str, str] = self._redis(lambda c: c.hgetall(self._keys[2]))
        return [key for key, label in labels.items() if label == stub and key != stub] + [stub]

    def _counts(self) -> dict[str | None, int]:
        counted: dict[str, str] = self._redis(lambda c: c.hgetall(self._keys[1]))
        return {_key(field): int(n) for field, n in counted.items()}

    def _kept(self) -> dict[str | None, int]:
        kept: dict[str | None, int] = {}
        for _, values in self._walk(newest_first=False):
            key = _key(values["s"])
            kept[key] = kept.get(key, 0) + 1
        return kept

    def __len__(self) -> int:
        stream = self._keys[0]
        return int(
            self._read(lambda: self._redis(lambda c: c.xlen(stream)), lambda: Journal.__len__(self))
        )

    def newest(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self._read(
            lambda: [parse(fields) for fields in islice(self._entries(limit), limit)],
            lambda: Journal.newest(self, limit),
        )

    def entry(self, seq: int) -> dict[str, Any] | None:
        def shared() -> dict[str, Any] | None:
            stream_id = f"{seq}-0"
            found = self._redis(lambda c: c.xrange(self._keys[0], stream_id, stream_id))
            fields = decode(found[0][0], found[0][1]["e"]) if found else None
            return None if fields is None else parse(fields)

        return self._read(shared, lambda: Journal.entry(self, seq))

    def count(self, *args: Any, **conditions: Any) -> int:
        query = _query(*args, **conditions)
        if conditions.get("limit") is None and query.by_counter:

            def shared() -> int | None:
                counts = self._counts()
                if query.stub is not None:
                    return sum(counts.get(key, 0) for key in self._resolve(query.stub))
                if query.unmatched:
                    return counts.get(None, 0)
                return sum(counts.values())

            counted = self._read(shared, lambda: None)
            if counted is not None:
                return counted
        return Journal.count(self, *args, **conditions)

    def evicted(self, stub: str | None = None, *, unmatched: bool = False) -> int:
        def shared() -> int:
            counts, kept = self._counts(), self._kept()
            if stub is not None:
                keys: list[str | None] = list(self._resolve(stub))
            elif unmatched:
                keys = [None]
            else:
                keys = list(counts)
            return sum(max(0, counts.get(k, 0) - kept.get(k, 0)) for k in keys)

        return self._read(shared, lambda: Journal.evicted(self, stub, unmatched=unmatched))

    def tallies(self) -> dict[str | None, Tally]:
        def shared() -> dict[str | None, Tally]:
            counts, kept = self._counts(), self._kept()
            labels: dict[str, str] = self._redis(lambda c: c.hgetall(self._keys[2]))
            tallies = {}
            for key, recorded in counts.items():
                held = min(recorded, kept.get(key, 0))
                label = None if key is None else labels.get(key)
                tallies[key] = Tally(label, recorded, held, recorded - held)
            return tallies

        return self._read(shared, lambda: Journal.tallies(self))

    # --- writing --------------------------------------------------------------------

    def remove(self, seqs: Collection[int]) -> int:
        """Forget the shared entries numbered ``seqs``; while Redis is away, the local ones."""
        if not seqs:
            return 0
        ids = [f"{seq}-0" for seq in seqs]
        keys = self._keys[:2]
        removed = self._read(
            lambda: self._redis(lambda c: self._remove(keys=keys, args=ids)), lambda: None
        )
        if removed is not None:
            return int(removed)
        return self._remove_local(seqs)

    def _remove_local(self, seqs: Collection[int]) -> int:
        """The local removal, with the baselines of what was sent moved down with it (the
        counts Redis holds are not this removal's to change)."""
        before = self._state
        removed = Journal.remove(self, seqs)
        after = self._state
        if after is not before:
            now = after.all_counts()
            gone = {k: n - now.get(k, (n, 0))[0] for k, (n, _) in before.all_counts().items()}
            if self._sent_state is before:
                self._sent = {k: n - gone.get(k, 0) for k, n in self._sent.items()}
                self._sent_state = after
            batch = self._unsent
            if batch is not None and batch.state is before:
                batch.upto = {k: n - gone.get(k, 0) for k, n in batch.upto.items()}
                batch.state = after
        return removed

    def clear(self) -> None:
        """Forget every entry and count: the shared ones for every instance, and this
        instance's; while Redis is away, this instance's only (logged)."""

        async def everywhere() -> None:
            async with self._lock:
                Journal.clear(self)
                self._discard()
                client = self._link.client
                await client.delete(*self._keys[:3])

        try:
            self._link.call(everywhere)
        except _AWAY as exc:
            log.warning("the journal was cleared on this instance only: %s", exc)
            self.fallback = str(exc)
            Journal.clear(self)
            self._discard()

    def status(self) -> dict[str, Any]:
        """The sharing's health: where reads come from, what waits to be sent."""
        shown: dict[str, Any] = {"shared": self.fallback is None}
        if self.fallback is not None:
            shown["fallback"] = self.fallback
        shown["buffered"] = len(self._outgoing) + (len(self._unsent.entries) if self._unsent else 0)
        shown["unsent_dropped"] = self.unsent_dropped
        return shown


def _query(
    method: str | None = None,
    path: str | None = None,
    stub: str | None = None,
    status: int | None = None,
    *,
    unmatched: bool | None = None,
    pattern: Any = None,
    since: float | None = None,
    body_jsonpath: Any = None,
    limit: int | None = None,
) -> Query:
    """``Journal.count``'s arguments as the ``Query`` they make."""
    return Query(method, path, stub, status, unmatched, pattern, since, body_jsonpath)
