"""Whether every test can be given a value of its own: bipartite matching.

WireMock's order-free JSON arrays and its ``hasExactly``/``includes`` ask the same
question, "each expectation takes a distinct value", so both ask it here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

V = TypeVar("V")


def each_takes_one(tests: Sequence[Callable[[V], bool]], values: Sequence[V]) -> bool:
    """Whether each test holds for a value no other test takes (augmenting paths)."""
    owner: dict[int, int] = {}

    def place(index: int, seen: set[int]) -> bool:
        for slot, value in enumerate(values):
            if slot in seen or not tests[index](value):
                continue
            seen.add(slot)
            if slot not in owner or place(owner[slot], seen):
                owner[slot] = index
                return True
        return False

    return all(place(index, set()) for index in range(len(tests)))
