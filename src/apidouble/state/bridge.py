"""Run synchronous serving code that may wait on a remote state store, without blocking.

The engine's phases are synchronous and call ``StateSpace`` methods as plain functions:
with the memory store that is all they need. A remote store (Redis) must await its
client instead. Rather than make every phase async (and every static stub pay for it),
a request is run in a greenlet: when a remote call needs the network, ``await_state``
switches back to the event loop's greenlet, which awaits the call and switches in again
with the result. A request that never touches remote state finishes inside the first
switch and is answered synchronously, as it would be without the bridge.

``run_bridged`` also carries results that are themselves awaitable (the addon pipeline,
WireMock ``__files`` reads): each step of such a coroutine runs in a greenlet of its own,
so the synchronous code it calls may wait on state too.

Only runtimes with a remote store use this (``BridgedDispatcher``); the memory default
never creates a greenlet.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import sys
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

import greenlet

T = TypeVar("T")


class _Bridged(greenlet.greenlet):
    """A greenlet running serving code; its parent is the event loop's greenlet."""


def in_bridge() -> bool:
    """Whether the caller runs inside ``run_bridged`` (so ``await_state`` may switch out)."""
    return isinstance(greenlet.getcurrent(), _Bridged)


def await_state(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code running under ``run_bridged``: the
    event loop serves other requests meanwhile. Raises RuntimeError anywhere else."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Bridged):
        raise RuntimeError("a remote state call outside a bridged request")
    loop_side = current.parent
    assert loop_side is not None  # a running greenlet always has its parent
    return cast(T, loop_side.switch(awaitable))


def run_bridged(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` in a greenlet. Returns its result when it never waited (the
    common case), else an awaitable of it; an awaitable result is driven on the bridge."""
    bridged = _Bridged(fn)
    bridged.gr_context = contextvars.copy_context()
    awaiting = bridged.switch(*args)
    if not bridged.dead:
        return _resume(bridged, awaiting)
    if inspect.isawaitable(awaiting):
        return _drive(awaiting)
    return awaiting


async def _resume(bridged: _Bridged, awaiting: Any) -> Any:
    """Await what the greenlet waits for, switch its result in, until the greenlet ends."""
    while not bridged.dead:
        try:
            value = await awaiting
        except BaseException:
            awaiting = bridged.throw(*sys.exc_info())
        else:
            awaiting = bridged.switch(value)
    if inspect.isawaitable(awaiting):
        return await _drive(awaiting)
    return awaiting


def _step(steps: Generator[Any, Any, Any], error: BaseException | None) -> tuple[bool, Any]:
    """Advance a coroutine by one step: (finished, its result or what it now waits on)."""
    try:
        waits_on = steps.send(None) if error is None else steps.throw(error)
    except StopIteration as stop:
        return True, stop.value
    return False, waits_on


async def _drive(awaitable: Awaitable[Any]) -> Any:
    """Run a coroutine whose every step runs on the bridge.

    Each step ends where the coroutine waits on a future; that future is awaited here and
    the coroutine resumed with ``send(None)``: an asyncio future hands its own result (or
    raises its exception, cancellation included) when resumed, so nothing is lost."""
    steps = awaitable.__await__()
    error: BaseException | None = None
    while True:
        stepped = run_bridged(_step, steps, error)
        if inspect.isawaitable(stepped):
            stepped = await stepped
        finished, value = stepped
        if finished:
            return value
        error = None
        if value is None:  # a bare yield: give the loop one turn
            await asyncio.sleep(0)
            continue
        if isinstance(value, asyncio.Future):
            value._asyncio_future_blocking = False  # as a Task does before waiting on it
        try:
            await value
        except BaseException as exc:  # a future's outcome is read by the coroutine itself
            if not isinstance(value, asyncio.Future):
                error = exc
