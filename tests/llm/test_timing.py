"""Seeded timing and token pieces, with no server."""

from __future__ import annotations

import asyncio
import random

from apidouble.llm import tokens
from apidouble.llm.answer import Timing
from apidouble.llm.timing import Frame, paced, schedule, whole_delay

FRAMES = [Frame(b"start"), *(Frame(b"t%d" % i, 1) for i in range(10)), Frame(b"end")]


def test_the_first_token_waits_ttft_and_the_rest_the_rate() -> None:
    waits = schedule(FRAMES, Timing(0.5, 20.0), random.Random(1))
    assert waits == [0.0, 0.5, *([0.05] * 9), 0.0]


def test_jitter_is_bounded_and_repeats_with_the_seed() -> None:
    timing = Timing(0.1, 10.0, 0.3)
    first = schedule(FRAMES, timing, random.Random(7))
    assert first == schedule(FRAMES, timing, random.Random(7))
    assert first != schedule(FRAMES, timing, random.Random(8))
    assert all(0.07 <= wait <= 0.13 for wait in first[2:-1])
    assert len(set(first[2:-1])) > 1


def test_without_a_rate_everything_but_the_first_token_is_at_once() -> None:
    assert schedule(FRAMES, Timing(0.2), random.Random(1)) == [0.0, 0.2, *([0.0] * 10)]
    assert whole_delay(10, Timing(0.2), random.Random(1)) == 0.2
    assert whole_delay(11, Timing(0.0, 10.0), random.Random(1)) == 1.0


async def test_frames_due_together_leave_as_one_write() -> None:
    waits = schedule(FRAMES[:3], Timing(0.0, 1000.0), random.Random(1))
    chunks = [chunk async for chunk in paced(FRAMES[:3], waits)]
    assert chunks == [b"startt0", b"t1"]


async def test_the_stream_keeps_deadlines_not_waits() -> None:
    loop = asyncio.get_running_loop()
    frames = [Frame(b"x", 1) for _ in range(21)]
    waits = schedule(frames, Timing(0.0, 200.0), random.Random(1))
    started = loop.time()
    assert len([chunk async for chunk in paced(frames, waits)]) == 21
    assert abs(loop.time() - started - 0.1) < 0.01


def test_pieces_join_back_and_agree_with_the_count() -> None:
    text = "Hello, wörld! " * 5
    cut = tokens.pieces(text)
    assert "".join(cut) == text
    assert len(cut) == tokens.count(text) == 18
    assert tokens.pieces("") == [] and tokens.count("") == 0
