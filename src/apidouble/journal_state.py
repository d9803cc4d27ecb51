"""The journal's state: blobs, per-stub rings and exact counters, and their byte count.

``Journal.clear`` replaces a whole ``State`` with one assignment. ``bytes`` counts what
entries add to an empty state: each blob as the allocator holds it, three deque slots
per entry, and the per-stub structures (rings; the label and count maps, re-measured with
``sys.getsizeof`` only when they change: a new stub or label, a ring opening or closing).

Readers on other threads rely on the order of the writer's steps, noted where it matters.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable

from .journal_entries import Entry

BLOB_ROUNDING = sys.getsizeof(b"") + 8 + 15
"""``(len(blob) + BLOB_ROUNDING) & -16`` is what a blob takes from the allocator: the
bytes header, a malloc header past pymalloc's 512-byte classes, rounded up to 16."""
SLOT_BYTES = 25
"""Three deque slots per entry (the blobs, the entries' rings, the stub's ring), 8 bytes
each plus the deque's block links (64 slots per 528-byte block), rounded up."""


_TUPLE_BYTES = (sys.getsizeof((0,) * 7) + 15) & -16
_ATOM_BYTES = (sys.getsizeof(1 << 40) + 15) & -16
_ADDRESS_BYTES = (sys.getsizeof("f" * 45) + 15) & -16
"""The longest address text (IPv6 with an IPv4 tail): the client's, counted in each entry
though a connection's entries share it (the budget is an upper bound)."""
COMPACT_BYTES = _TUPLE_BYTES + 3 * _ATOM_BYTES + _ADDRESS_BYTES + SLOT_BYTES
"""A compact entry beyond its head and query: the 7-tuple, its seq and two floats
(allocator-rounded), the client address and its deque slots. Its route's constants are
shared by the route's entries, not counted per entry."""


def compact_cost(head: bytes, query: str) -> int:
    """What a compact entry counts against the budget: its fixed part, and the head and
    query it keeps alive."""
    cost = COMPACT_BYTES + ((len(head) + BLOB_ROUNDING) & -16)
    return cost + ((sys.getsizeof(query) + 15) & -16) if query else cost


def entry_cost(entry: Entry) -> int:
    """What one kept entry counts against the budget."""
    if isinstance(entry, bytes):
        return ((len(entry) + BLOB_ROUNDING) & -16) + SLOT_BYTES
    return compact_cost(entry[2], entry[5])


class Ring(deque[Entry]):
    """One stub's kept entries, oldest first, with its exact counts since the last clear."""

    __slots__ = ("key", "recorded", "evicted")

    def __init__(self, key: str | None, recorded: int, evicted: int) -> None:
        super().__init__()
        self.key = key
        self.recorded = recorded
        self.evicted = evicted


def _block_bytes() -> int:
    """What a deque allocates per block of slots (528 bytes on 64-bit CPython)."""
    grown: deque[None] = deque()
    empty = sys.getsizeof(grown)
    while sys.getsizeof(grown) == empty:
        grown.append(None)
    return sys.getsizeof(grown) - empty


_BLOCK_BYTES = _block_bytes()
_RING_BYTES = sys.getsizeof(Ring(None, 0, 0)) + _BLOCK_BYTES + 2 * sys.getsizeof(1 << 40)
"""A ring beyond its slots: a deque with its first block, and its two counters. Plus one
block: once appends at the right and pops at the left have crossed a block boundary, a
deque holds two blocks (both in use, or one and the spare it keeps for reuse)."""
_DEQUES_BYTES = 2 * _BLOCK_BYTES
"""The same second block for ``entries`` and ``rings``, once per state."""


def _counts_bytes(counts: tuple[int, int]) -> int:
    """A closed stub's counts: the tuple and its ints (small ints are shared, not held)."""
    return sys.getsizeof(counts) + sum(sys.getsizeof(n) for n in counts if n > 256)


class State:
    """Everything ``clear`` forgets (see the module's docstring for ``bytes``)."""

    __slots__ = ("entries", "rings", "index", "closed", "labels", "ids", "bytes", "maps", "used")

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()
        self.rings: deque[Ring] = deque()
        """The ring of each entry's stub, in step with ``entries``: eviction needs no parse
        and no lookup."""
        self.index: dict[str | None, Ring] = {}
        """Stub id (None: unmatched) -> its ring, while it holds kept entries."""
        self.closed: dict[str | None, tuple[int, int]] = {}
        """(recorded, evicted) of a stub when its last kept entry was evicted. Written
        before the ring leaves the index and left in place when a ring opens again (the
        ring wins), so a reader looking in the index first and here second never misses."""
        self.labels: dict[str, str] = {}
        """Stub id -> the label it was last recorded under."""
        self.ids: dict[str, tuple[str, ...]] = {}
        """Label -> every stub id recorded under it (copy-on-write tuples for readers)."""
        self.bytes = 0
        self.maps = self._maps_size()
        self.used = False

    def _maps_size(self) -> int:
        sizeof = sys.getsizeof
        return sizeof(self.index) + sizeof(self.closed) + sizeof(self.labels) + sizeof(self.ids)

    def _remeasure(self) -> None:
        size = self._maps_size()
        self.bytes += size - self.maps
        self.maps = size

    def see(self, key: str, label: str) -> None:
        """A stub recorded under a label new for its id: let queries find it by label.

        The id and label strings are the stub's own, shared and not counted."""
        self.labels[key] = label
        known = self.ids.get(label, ())
        if key not in known:
            ids = self.ids[label] = (*known, key)
            self.bytes += sys.getsizeof(ids) - (sys.getsizeof(known) if known else 0)
        self._remeasure()

    def open(self, key: str | None) -> Ring:
        recorded, evicted = self.closed.get(key, (0, 0))
        ring = self.index[key] = Ring(key, recorded, evicted)
        self.bytes += _RING_BYTES
        if not self.used:  # the state's first entry
            self.used = True
            self.bytes += _DEQUES_BYTES
        self._remeasure()
        return ring

    def close(self, ring: Ring) -> None:
        """A stub's last kept entry is gone: keep its counts, drop its ring."""
        key = ring.key
        old = self.closed.get(key)
        counts = self.closed[key] = (ring.recorded, ring.evicted)
        self.bytes += _counts_bytes(counts) - (_counts_bytes(old) if old else 0)
        del self.index[key]
        self.bytes -= _RING_BYTES
        self._remeasure()

    def evict(self, budget: int, max_entries: int = sys.maxsize) -> None:
        """Drop the oldest entries until the budget (and the entry cap) holds; the
        counters stay exact."""
        entries, rings = self.entries, self.rings
        while entries and (self.bytes > budget or len(entries) > max_entries):
            self.bytes -= entry_cost(entries.popleft())
            ring = rings.popleft()
            ring.popleft()
            ring.evicted += 1
            if not ring:
                self.close(ring)

    def without(self, drop: Callable[[Entry], bool]) -> tuple[State, int]:
        """A copy without the kept entries ``drop`` picks, and how many those were. Their
        stubs' counts go down by as many, as if they had never been recorded (a removal,
        not an eviction); everything else, byte count included, is as ``record`` built it.
        """
        gone: dict[str | None, int] = {}
        kept: list[tuple[Entry, str | None]] = []
        for blob, ring in zip(self.entries, self.rings, strict=True):
            if drop(blob):
                gone[ring.key] = gone.get(ring.key, 0) + 1
            else:
                kept.append((blob, ring.key))
        if not gone:
            return self, 0
        fresh = State()
        fresh.labels = dict(self.labels)  # every label a stub was recorded under stays
        fresh.ids = dict(self.ids)
        fresh.bytes += sum(sys.getsizeof(ids) for ids in fresh.ids.values())
        counts = {key: (recorded - gone.get(key, 0), evicted)
                  for key, (recorded, evicted) in self.all_counts().items()}  # fmt: skip
        for blob, owner in kept:
            into = fresh.index.get(owner)
            if into is None:
                into = fresh.open(owner)
                into.recorded, into.evicted = counts.pop(owner)
            into.append(blob)
            fresh.entries.append(blob)
            fresh.rings.append(into)
            fresh.bytes += entry_cost(blob)
        for key, left in counts.items():  # stubs with no kept entry: counts only
            fresh.closed[key] = left
            fresh.bytes += _counts_bytes(left)
        fresh._remeasure()
        return fresh, sum(gone.values())

    def counts(self, key: str | None) -> tuple[int, int]:
        """(recorded, evicted) for one stub id."""
        ring = self.index.get(key)
        if ring is not None:
            return ring.recorded, ring.evicted
        return self.closed.get(key, (0, 0))

    def all_counts(self) -> dict[str | None, tuple[int, int]]:
        """(recorded, evicted) for every stub id, from one copy of each map."""
        rings = self.index.copy()  # before ``closed``: see there
        found = self.closed.copy()
        for key, ring in rings.items():
            found[key] = (ring.recorded, ring.evicted)
        return found

    def resolve(self, stub: str) -> tuple[str, ...]:
        """The stub ids a name, label or id stands for."""
        ids = self.ids.get(stub, ())
        if stub not in ids and (stub in self.index or stub in self.closed):
            ids = (*ids, stub)
        return ids
