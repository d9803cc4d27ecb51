"""Carry out what behaviours decided about the connection: faults and paced bodies.

The decisions (which fault, which bytes, which slices at which times) were taken by the
engine as data; here they only become writes, timers and closes. Nothing blocks: every
wait is a ``call_later``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable, Sequence

from ..behaviours.faults import FaultPlan
from ..behaviours.pacing import Step

_LINGER_RESET = struct.pack("ii", 1, 0)


def reset(transport: asyncio.BaseTransport) -> None:
    """Close with an RST: linger 0 makes the kernel drop the connection instead of FIN."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        except OSError:
            pass
    abort = getattr(transport, "abort", None)
    if abort is not None:
        abort()
    else:
        transport.close()


def carry_out_fault(
    plan: FaultPlan,
    transport: asyncio.WriteTransport,
    loop: asyncio.AbstractEventLoop,
) -> asyncio.TimerHandle | None:
    """Write the plan's bytes, then close (RST or FIN), now or after ``hold_s``.

    Returns the pending timer of a held connection, so shutdown can cut it short.
    """
    if plan.data:
        transport.write(plan.data)
    if plan.reset:
        reset(transport)
        return None
    if plan.hold_s > 0:
        return loop.call_later(plan.hold_s, transport.close)
    transport.close()
    return None


def send_paced(
    transport: asyncio.WriteTransport,
    loop: asyncio.AbstractEventLoop,
    head: bytes,
    body: bytes,
    plan: Sequence[Step],
    done: Callable[[], None],
) -> Callable[[], None]:
    """Send ``head`` at once (with the first slice when that one is not late), the
    slices on the plan's timers, then ``done()``: a slow body never holds back the head.

    Returns a function that cancels the remaining slices (client gone, shutdown).
    """
    pending: list[asyncio.TimerHandle] = []
    steps = list(plan)

    def write(index: int, lead: bytes = b"") -> None:
        pending.clear()
        if transport.is_closing():
            return
        offset, size, _ = steps[index]
        chunk = body[offset : offset + size]
        transport.write(lead + chunk if lead else chunk)
        if index + 1 < len(steps):
            pending.append(loop.call_later(steps[index + 1].delay_s, write, index + 1))
        else:
            done()

    def cancel() -> None:
        for handle in pending:
            handle.cancel()
        pending.clear()

    if not steps:
        transport.write(head + body)
        done()
        return cancel
    first_delay = steps[0].delay_s
    if first_delay > 0:
        transport.write(head)
        pending.append(loop.call_later(first_delay, write, 0))
    else:
        write(0, head)
    return cancel
