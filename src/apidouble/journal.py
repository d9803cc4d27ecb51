"""The request journal: every exchange, kept compact and bounded by a byte budget.

Entries are serialized to one ``bytes`` blob when written: bytes are not tracked by the
cyclic garbage collector and their size is known, so a full journal neither slows the
server with GC pauses nor grows past its budget. Queries parse the blobs lazily.

The blob is a ``marshal`` dump of a flat tuple of atoms (under 0.5 us, where ``json.dumps``
of the same dict took 12 us): the journal lives in memory only, so marshal's
per-Python-version format is no constraint. Request headers are kept as the transport
handed them over (the head's bytes, or its header lines) and the response's head as the
bytes that were sent; both are decoded only when someone reads the entry (layout and
views: ``journal_entries``).

An exchange the express lane answered is kept without serializing anything: a tuple of
atoms holding the head's bytes as received (no copy) and its route's constant fields,
made once per route (``journal_entries.Compact``); such a tuple holds no container, so
the collector stops tracking it at its first pass. Readers see both kinds as the same
tuple (``_fields``). A journal that ships blobs elsewhere (``SharedJournal``) keeps blobs.

Beside the blobs the journal keeps, per stub id (``None`` for unmatched requests), an
index of that stub's blobs (a deque of the same bytes objects: one pointer per entry) and
exact counters of everything recorded and evicted since the last clear. The number of
GC-tracked objects therefore grows with the number of stubs, never with the entries.

One writer (the event loop's thread) and readers on any thread: readers take one C-level
copy of what they walk, and ``clear`` swaps in a fresh state with one assignment, so a
record racing a clear lands wholly in the old state or wholly in the new one.
"""

from __future__ import annotations

import marshal
import sys
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from .journal_entries import MARSHAL_FORMAT, SEQ, Entry, Fields, expand, parse, route_constants
from .journal_fanout import DEFAULT_MAX_PENDING, Fanout, Listener, Subscription
from .journal_query import BodyJsonPath, Query
from .journal_state import BLOB_ROUNDING, COMPACT_BYTES, SLOT_BYTES, State, compact_cost
from .matching.pattern import CompiledPattern
from .model import RequestPattern, ServeEvent

if TYPE_CHECKING:
    from .express import ExpressRoute

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
DEFAULT_BODY_CAP_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class JournalLimits:
    """How much the journal may keep: total bytes, and bytes of each request body."""

    budget_bytes: int = DEFAULT_BUDGET_BYTES
    body_cap_bytes: int = DEFAULT_BODY_CAP_BYTES
    max_entries: int | None = None
    """At most this many entries (WireMock's ``--max-request-journal-entries``; 0 keeps
    none, as ``--no-request-journal``: the per-stub counts stay exact either way)."""


class Tally(NamedTuple):
    """One stub's exact counts since the last clear (``kept`` + ``evicted`` = ``recorded``)."""

    label: str | None
    recorded: int
    kept: int
    evicted: int


class Journal:
    """A bounded, newest-last store of served exchanges."""

    compact = True
    """Keep the express lane's exchanges as compact entries (``journal_entries.Compact``);
    a journal that ships its blobs elsewhere keeps blobs only."""

    def __init__(self, limits: JournalLimits = JournalLimits()) -> None:
        self._limits = limits
        self._budget = limits.budget_bytes
        self._max_entries = sys.maxsize if limits.max_entries is None else limits.max_entries
        self._cap = limits.body_cap_bytes
        self._state = State()
        self._seq = 0
        self._fanout = Fanout()
        self._evicted_before_clear = 0

    @property
    def limits(self) -> JournalLimits:
        return self._limits

    def record(self, event: ServeEvent) -> None:
        """Serialize one exchange, index it, evict past the budget, tell the listeners."""
        request = event.request
        stub = event.stub
        state = self._state
        if stub is None:
            key = label = None
        else:
            key = stub.id
            label = stub.label
            if state.labels.get(key) is not label and state.labels.get(key) != label:
                state.see(key, label)
        if not self._max_entries and not self._fanout.outlets:
            self._tally(key)
            return
        body = request.body
        size = len(body)
        client = request.client
        # as received: split and decoded only when someone reads the entry
        wire: bytes | list[tuple[bytes, bytes]] | None = request.head
        if wire is None:
            wire = request.raw_headers
        sent = event.response
        cap = self._cap
        if sent is None:
            head = None
            sent_body = b""
        else:
            head = sent.head
            sent_body = sent.body
        sent_size = len(sent_body)
        self._seq = seq = self._seq + 1
        blob = marshal.dumps(
            (  # the layout of journal_entries: SEQ, RECEIVED, ...
                seq,
                event.received_at,
                request.method,
                request.path,
                request.query_string,
                wire if wire is not None else request.headers,
                client[0] if client else None,
                label,
                key,
                event.status,
                event.duration_s,
                event.delay_s,
                event.failure_injected,
                event.notes or None,
                body if size <= cap else body[:cap],
                size,
                event.decision,
                head,
                sent_body if sent_size <= cap else sent_body[:cap],
                sent_size,
            ),
            MARSHAL_FORMAT,
        )
        self._store(key, blob)
        if self._fanout.outlets:
            self._fanout.deliver(event, blob)

    def record_express(
        self,
        route: ExpressRoute,
        head: bytes,
        client: tuple[str, int] | None,
        received_at: float,
        elapsed_s: float,
        query: str = "",
    ) -> None:
        """``record`` for an exchange the express lane served: the same entry, written
        from the route's constants and the request's ``head`` and ``query`` string,
        without a ``ServeEvent``."""
        if self._fanout.outlets:  # listeners are handed the event: build it
            self.record(route.event(head, client, received_at, elapsed_s, query))
            return
        stub = route.stub
        key = stub.id
        label = stub.label
        state = self._state
        if state.labels.get(key) is not label and state.labels.get(key) != label:
            state.see(key, label)
        if not self._max_entries:
            self._tally(key)
            return
        self._seq = seq = self._seq + 1
        address = client[0] if client else None
        if self.compact:
            constants = route.journal_constants
            if constants is None or constants[0] != self._cap:
                constants = route.journal_constants = (self._cap, self._constants(route))
            entry = (seq, received_at, head, address, elapsed_s, query, constants[1])
            if query:
                cost = compact_cost(head, query)
            else:  # the usual case: compact_cost without the call
                cost = COMPACT_BYTES + ((len(head) + BLOB_ROUNDING) & -16)
            self._keep(key, entry, cost)
            return
        sent = route.response
        sent_body = sent.body
        sent_size = len(sent_body)
        blob = marshal.dumps(
            (  # as ``record`` lays it out for a ready response to a bodyless request
                seq,
                received_at,
                route.method,
                route.path,
                query,
                head,
                address,
                label,
                key,
                sent.status,
                elapsed_s,
                0.0,
                False,
                None,
                b"",
                0,
                route.decision,
                sent.head,
                sent_body if sent_size <= self._cap else sent_body[: self._cap],
                sent_size,
            ),
            MARSHAL_FORMAT,
        )
        self._store(key, blob)

    def _constants(self, route: ExpressRoute) -> bytes:
        """The fields every exchange ``route`` answers shares, its body capped."""
        sent = route.response
        body = sent.body
        stub = route.stub
        kept = body if len(body) <= self._cap else body[: self._cap]
        return route_constants(
            route.method,
            route.path,
            stub.label,
            stub.id,
            sent.status,
            route.decision,
            sent.head,
            kept,
            len(body),
        )

    def _store(self, key: str | None, blob: bytes) -> None:
        """Keep one blob (see ``_keep``)."""
        self._keep(key, blob, ((len(blob) + BLOB_ROUNDING) & -16) + SLOT_BYTES)

    def _keep(self, key: str | None, entry: Entry, cost: int) -> None:
        """Keep one entry: in its stub's ring and in order, then evict past the limits."""
        state = self._state
        ring = state.index.get(key)
        if ring is None:
            ring = state.open(key)
        ring.append(entry)
        ring.recorded += 1
        state.entries.append(entry)
        state.rings.append(ring)
        state.bytes += cost
        if state.bytes > self._budget or len(state.entries) > self._max_entries:
            state.evict(self._budget, self._max_entries)

    def _tally(self, key: str | None) -> None:
        """Count an exchange a journal that keeps no entries saw (recorded and evicted at
        once); its stub's ring stays open and empty, so nothing is allocated per request."""
        state = self._state
        ring = state.index.get(key)
        if ring is None:
            ring = state.open(key)
        ring.recorded += 1
        ring.evicted += 1

    def __len__(self) -> int:
        return len(self._state.entries)

    @property
    def size_bytes(self) -> int:
        """Bytes the entries and their index take, as counted against the budget."""
        return self._state.bytes

    @property
    def dropped(self) -> int:
        """Entries evicted since the last clear."""
        return sum(evicted for _, evicted in self._state.all_counts().values())

    @property
    def evicted_total(self) -> int:
        """Entries evicted since the journal was made (a clear does not reset it)."""
        return self._evicted_before_clear + self.dropped

    def remove(self, seqs: Collection[int]) -> int:
        """Forget the kept entries numbered ``seqs`` (WireMock's request removal): their
        stubs' counts drop with them. How many were removed."""
        if not seqs:
            return 0
        wanted = set(seqs)
        self._state, removed = self._state.without(lambda entry: _seq_of(entry) in wanted)
        return removed

    def clear(self) -> None:
        """Forget every entry and reset the counters (entry ids keep increasing)."""
        self._evicted_before_clear += self.dropped
        self._state = State()

    def entry(self, seq: int) -> dict[str, Any] | None:
        """The kept entry numbered ``seq``, parsed, or None (never kept, or evicted).

        Entry numbers increase along the deque, so a binary search finds it."""
        entries = self._state.entries
        low, high = 0, len(entries)
        while low < high:
            middle = (low + high) // 2
            found = _seq_of(entries[middle])
            if found == seq:
                return parse(_fields(entries[middle]))
            if found < seq:
                low = middle + 1
            else:
                high = middle
        return None

    def newest(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries, newest first, parsed."""
        return [parse(_fields(entry)) for entry in _newest_first(self._state.entries, limit)]

    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        stub: str | None = None,
        status: int | None = None,
        *,
        unmatched: bool | None = None,
        pattern: RequestPattern | CompiledPattern | None = None,
        since: float | None = None,
        body_jsonpath: BodyJsonPath | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Kept entries meeting every given condition, newest first.

        ``stub`` is a stub's name, label or id, answered from the per-stub index, not a
        scan (a label stands for every stub id recorded under it, with that id's whole
        history: a stub renamed on reload keeps its id). ``unmatched`` True keeps only the
        requests no stub answered, False only those some stub answered. ``pattern`` is
        tested as a stub's pattern would be (on the bodies as kept: capped). ``since`` is
        a received time (``time.time()``), inclusive. ``body_jsonpath`` keeps entries whose
        body (as kept) is JSON and where ``"$.a"`` selects something, or each of
        ``{"$.a": 1, ...}`` selects a value equal to the one given; ``ValueError`` for an
        invalid expression.
        """
        query = Query(method, path, stub, status, unmatched, pattern, since, body_jsonpath)
        return [parse(fields) for fields in self._select(query, limit)]

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        stub: str | None = None,
        status: int | None = None,
        *,
        unmatched: bool | None = None,
        pattern: RequestPattern | CompiledPattern | None = None,
        since: float | None = None,
        body_jsonpath: BodyJsonPath | None = None,
        limit: int | None = None,
    ) -> int:
        """How many exchanges match; the same conditions as ``find``.

        With no condition, or only ``stub`` or only ``unmatched=True``, the answer comes
        from exact counters: every exchange recorded since the last clear, evicted ones
        included, in O(1). Any other condition can only be checked against kept entries,
        so it counts those; ``evicted`` says how many a stub's count no longer sees.
        """
        query = Query(method, path, stub, status, unmatched, pattern, since, body_jsonpath)
        if limit is None and query.by_counter:
            state = self._state
            if stub is not None:
                return sum(state.counts(key)[0] for key in state.resolve(stub))
            if unmatched:
                return state.counts(None)[0]
            return sum(recorded for recorded, _ in state.all_counts().values())
        return sum(1 for _ in self._select(query, limit))

    def evicted(self, stub: str | None = None, *, unmatched: bool = False) -> int:
        """Exchanges evicted since the last clear: a stub's, unmatched ones, or all."""
        state = self._state
        if stub is not None:
            return sum(state.counts(key)[1] for key in state.resolve(stub))
        if unmatched:
            return state.counts(None)[1]
        return self.dropped

    def tallies(self) -> dict[str | None, Tally]:
        """Exact counts per stub id (``None``: unmatched) since the last clear."""
        state = self._state
        labels = state.labels
        return {
            key: Tally(labels.get(key) if key is not None else None, total, total - gone, gone)
            for key, (total, gone) in state.all_counts().items()
        }

    def listen(self, callback: Callable[[ServeEvent], object]) -> Callable[[], None]:
        """Call ``callback(event)`` on the writer's thread after each record, until the
        returned function is called. Keep it cheap: it runs before the response leaves.
        An exception is logged and the exchange recorded regardless."""
        listener = Listener(callback)
        self._fanout.add(listener)
        return lambda: self._fanout.remove(listener)

    def subscribe(
        self, max_pending: int = DEFAULT_MAX_PENDING, wake: Callable[[], object] | None = None
    ) -> Subscription:
        """A bounded buffer of the entries recorded from now on (see ``Subscription``)."""
        subscription = Subscription(max_pending, wake, self._fanout.remove)
        self._fanout.add(subscription)
        return subscription

    def _select(self, query: Query, limit: int | None) -> Iterator[Fields]:
        """Entries meeting ``query``, newest first, as tuples: the index picks the stub."""
        if limit is not None and limit <= 0:
            return
        state = self._state
        take = None if query.filters else limit
        if query.stub is not None:
            if query.unmatched:
                return
            rings = [ring for key in state.resolve(query.stub) if (ring := state.index.get(key))]
            if len(rings) > 1:  # one label, several ids: merge by entry id
                merged = [_fields(entry) for ring in rings for entry in list(ring)]
                candidates: Iterator[Fields] = iter(sorted(merged, key=_seq, reverse=True))
            else:
                candidates = (_fields(e) for ring in rings for e in _newest_first(ring, take))
        elif query.unmatched:
            ring = state.index.get(None)
            blobs = _newest_first(ring, take) if ring else []
            candidates = (_fields(entry) for entry in blobs)
        else:
            candidates = (_fields(entry) for entry in _newest_first(state.entries, take))
        found = 0
        for fields in candidates:
            if query.accepts(fields):
                yield fields
                found += 1
                if found == limit:
                    return


def _seq(fields: Fields) -> int:
    seq: int = fields[SEQ]
    return seq


def _fields(entry: Entry) -> Fields:
    """An entry's tuple, whichever way it is kept."""
    if isinstance(entry, bytes):
        found: Fields = marshal.loads(entry)
        return found
    return expand(entry)


def _seq_of(entry: Entry) -> int:
    """An entry's number (a compact entry holds it first; a blob is parsed)."""
    if isinstance(entry, bytes):
        return int(marshal.loads(entry)[SEQ])
    return entry[0]


def _newest_first(ring: deque[Entry], limit: int | None) -> list[Entry]:
    """A consistent copy, newest first, safe against the writer's thread.

    ``list(ring)`` is one C call, so no bytecode of the writer runs during it. The last
    ``limit`` only are copied through an iterator made one call earlier; a deque iterator
    refuses to go on after any mutation, so a copy is whole or raises, and is retried.
    """
    if limit is None:
        snapshot = list(ring)
        snapshot.reverse()
        return snapshot
    while True:
        try:
            return list(islice(reversed(ring), limit))
        except RuntimeError:  # "deque mutated during iteration": the writer got in
            continue
