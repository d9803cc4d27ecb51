"""Seeded timing: when each streamed frame leaves, and how long a whole answer takes.

A stream is a list of ``Frame``s, each carrying the output tokens it holds (0 for the
frames around the content: a role chunk, ``message_start``, the end). The first frame
with tokens waits ``ttft_s``; every later one waits its tokens at ``tokens_per_s``; each
wait varies by up to ``jitter`` of itself, drawn from the endpoint's seeded random source
when the request is served (so the same seed and order of requests repeat the delays).
The stream sleeps until each frame's deadline on the loop's clock rather than for each
wait, so the rate holds over a long answer instead of drifting by the loop's overhead.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from apidouble.llm.answer import Timing

__all__ = ["Frame", "paced", "schedule", "whole_delay"]


@dataclass(frozen=True, slots=True)
class Frame:
    """Bytes of a stream and the output tokens they carry."""

    data: bytes
    tokens: int = 0


def _vary(wait: float, jitter: float, rng: random.Random) -> float:
    return wait * (1 + rng.uniform(-jitter, jitter)) if jitter and wait else wait


def schedule(frames: Sequence[Frame], timing: Timing, rng: random.Random) -> list[float]:
    """Each frame's wait after the one before it (seconds)."""
    waits: list[float] = []
    first = True
    for frame in frames:
        if not frame.tokens:
            waits.append(0.0)
            continue
        if first:
            wait = timing.ttft_s
            first = False
        elif timing.tokens_per_s:
            wait = frame.tokens / timing.tokens_per_s
        else:
            wait = 0.0
        waits.append(_vary(wait, timing.jitter, rng))
    return waits


def whole_delay(tokens: int, timing: Timing, rng: random.Random) -> float:
    """How long a non-streamed answer of ``tokens`` output tokens takes to arrive."""
    delay = _vary(timing.ttft_s, timing.jitter, rng)
    if timing.tokens_per_s and tokens > 1:
        delay += _vary((tokens - 1) / timing.tokens_per_s, timing.jitter, rng)
    return delay


async def paced(frames: Sequence[Frame], waits: Sequence[float]) -> AsyncIterator[bytes]:
    """The frames' bytes, each at its deadline; frames due together leave as one write."""
    loop = asyncio.get_running_loop()
    deadline = loop.time()
    pending = b""
    for frame, wait in zip(frames, waits, strict=True):
        if wait > 0:
            if pending:
                yield pending
                pending = b""
            deadline += wait
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        pending += frame.data
    if pending:
        yield pending
