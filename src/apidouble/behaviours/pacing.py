"""Slow bodies: plans that say which slice of the body to write when.

A plan is plain data computed when the response is decided; the transport executes it
with ``loop.call_later`` (write a slice, schedule the next). Each step's ``delay_s`` is
the wait *before* writing that slice, counted from the previous write (the first from
the moment the head was written), so the transport can chain the calls and still honour
flow control. Nothing here sleeps or draws randomness, so a plan replays exactly.
"""

from __future__ import annotations

import math
from typing import NamedTuple

MAX_STEPS = 10_000
"""A plan never has more steps than this, so huge bodies do not flood the event loop."""

BANDWIDTH_TICK_S = 0.05
"""How often a bandwidth-capped body is topped up: smooth enough, few timer callbacks."""


class Step(NamedTuple):
    """Write ``body[offset:offset + size]`` after waiting ``delay_s`` seconds."""

    offset: int
    size: int
    delay_s: float


def dribble_plan(body_len: int, chunks: int, over_ms: float) -> list[Step]:
    """``chunks`` near-equal slices, the first at once and the last at ``over_ms``.

    The first slice leaves with the head, so the client sees the response start promptly
    and then trickle; the gaps between slices are equal. The last byte always leaves at
    ``over_ms``: a single chunk waits all of it (head first, body later). A body shorter
    than ``chunks`` bytes gets one byte per slice (never an empty write); an empty body
    has no steps.
    """
    if chunks < 1:
        raise ValueError(f"dribble chunks must be at least 1, got {chunks}")
    if not math.isfinite(over_ms) or over_ms < 0:
        raise ValueError(f"dribble over_ms must be a finite number >= 0, got {over_ms}")
    if body_len <= 0:
        return []
    count = min(chunks, body_len, MAX_STEPS)
    if count == 1:
        return [Step(0, body_len, over_ms / 1000.0)]
    gap = over_ms / 1000.0 / (count - 1)
    return [
        Step(offset, size, 0.0 if index == 0 else gap)
        for index, (offset, size) in enumerate(_slices(body_len, count))
    ]


def bandwidth_plan(body_len: int, kbps: float, tick_s: float = BANDWIDTH_TICK_S) -> list[Step]:
    """Slices sent no faster than ``kbps`` kilobits per second (1 kbps = 125 bytes/s).

    Each slice waits the time it takes to transmit at the cap, so the last byte leaves
    ``body_len / rate`` seconds after the head, as on a real slow link (the first byte
    too is late). Slices are ``tick_s`` worth of bytes, more when the step cap needs it.
    """
    if not math.isfinite(kbps) or kbps <= 0:
        raise ValueError(f"bandwidth_kbps must be a finite number > 0, got {kbps}")
    if body_len <= 0:
        return []
    rate = kbps * 125.0  # bytes per second
    per_tick = max(1, math.ceil(rate * tick_s), math.ceil(body_len / MAX_STEPS))
    count = math.ceil(body_len / per_tick)
    return [Step(offset, size, size / rate) for offset, size in _slices(body_len, count, per_tick)]


def plan_duration_s(plan: list[Step]) -> float:
    """How long the plan takes from the head to the last byte, for the journal."""
    return sum(step.delay_s for step in plan)


def _slices(total: int, count: int, size: int | None = None) -> list[tuple[int, int]]:
    """``count`` slices covering ``total``: equal-ish, or ``size`` each but the last."""
    if size is not None:
        return [(offset, min(size, total - offset)) for offset in range(0, total, size)]
    base, extra = divmod(total, count)
    out: list[tuple[int, int]] = []
    offset = 0
    for index in range(count):
        length = base + (1 if index < extra else 0)
        out.append((offset, length))
        offset += length
    return out
