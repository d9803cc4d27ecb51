"""Running hooks that may be sync or async, written once as generators.

A phase sequence is a generator that yields only what must be awaited; ``drive`` runs
it to the end at once when nothing was awaitable (the caller gets a plain value: the
transport's fast path), else hands back a coroutine. ``call_hook`` calls one hook the
same way, whatever it is handed (a request's ``Flow``, a WebSocket message).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Generator
from typing import Any, TypeVar

from .hooks import SLOW_HOOK_S, Hook

log = logging.getLogger("apidouble.addons")

T = TypeVar("T")
Steps = Generator[Any, Any, T]
"""A phase sequence: yields what must be awaited, returns its result."""


def drive(steps: Steps[T]) -> T | Awaitable[T]:
    """The result of ``steps`` now when it awaits nothing, else a coroutine for it."""
    try:
        pending = steps.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    return _finish(steps, pending)


async def _finish(steps: Steps[T], pending: Any) -> T:
    while True:
        try:
            value = await pending
        except Exception as exc:  # handed to the generator, which reports it
            try:
                pending = steps.throw(exc)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            continue
        try:
            pending = steps.send(value)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def is_awaitable(value: Any) -> bool:
    return hasattr(value, "__await__")


class HookFailed(Exception):
    """A hook raised: the answer is a 500 naming it."""

    def __init__(self, hook: Hook, error: BaseException) -> None:
        super().__init__(f"{hook.where}: {type(error).__name__}: {error}")
        self.hook = hook
        self.error = error


def timed(hook: Hook, flow: Any) -> Any:
    """Call a sync hook on the loop; one that holds it too long is logged by name."""
    started = time.perf_counter()
    result = hook.call(flow)
    spent = time.perf_counter() - started
    if spent > SLOW_HOOK_S:
        log.warning("%s held the event loop for %.0f ms", hook.where, spent * 1000)
    return result


def call_hook(hook: Hook, flow: Any) -> Steps[Any]:
    """One hook: its state set on the flow (a ``Flow``, or anything a hook is handed
    that has a ``state``), timed when it runs on the loop."""
    flow.state = hook.state
    try:
        if hook.is_async:
            return (yield hook.call(flow))
        result = timed(hook, flow)
        if is_awaitable(result):
            result = yield result
        return result
    except HookFailed:
        raise
    except Exception as exc:  # a user's hook may raise anything: a 500 names it
        raise HookFailed(hook, exc) from exc
