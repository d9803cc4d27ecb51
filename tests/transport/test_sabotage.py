"""Paced bodies as writes: what leaves at once and what waits for the plan's timers."""

from __future__ import annotations

import asyncio
from typing import Any

from apidouble.behaviours.pacing import Step
from apidouble.transport.sabotage import send_paced


class Recorder(asyncio.WriteTransport):
    """A transport that keeps what was written, one entry per write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False


async def test_a_late_first_slice_does_not_hold_back_the_head() -> None:
    transport, done = Recorder(), asyncio.Event()
    loop = asyncio.get_running_loop()
    send_paced(transport, loop, b"HEAD\r\n\r\n", b"body", [Step(0, 4, 0.05)], done.set)
    assert transport.writes == [b"HEAD\r\n\r\n"]  # at once, before any timer ran
    await asyncio.wait_for(done.wait(), 5)
    assert transport.writes == [b"HEAD\r\n\r\n", b"body"]


async def test_a_prompt_first_slice_leaves_with_the_head() -> None:
    transport, done = Recorder(), asyncio.Event()
    loop = asyncio.get_running_loop()
    plan = [Step(0, 2, 0.0), Step(2, 2, 0.01)]
    send_paced(transport, loop, b"H\r\n\r\n", b"body", plan, done.set)
    assert transport.writes == [b"H\r\n\r\nbo"]
    await asyncio.wait_for(done.wait(), 5)
    assert transport.writes == [b"H\r\n\r\nbo", b"dy"]
