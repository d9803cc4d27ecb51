"""The bridge: synchronous code that waits on the loop without blocking it."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from apidouble.state.bridge import await_state, in_bridge, run_bridged


def test_code_that_never_waits_answers_synchronously() -> None:
    result = run_bridged(lambda a, b: a + b, 2, 3)
    assert result == 5 and not inspect.isawaitable(result)


def test_await_state_outside_the_bridge_is_refused() -> None:
    async def nothing() -> None:
        return None

    coro = nothing()
    with pytest.raises(RuntimeError, match="outside a bridged request"):
        await_state(coro)
    coro.close()
    assert not in_bridge()


async def test_waiting_code_lets_the_loop_serve_others() -> None:
    order: list[str] = []
    gate = asyncio.Event()

    def waits() -> str:
        assert in_bridge()
        order.append("first waits")
        await_state(gate.wait())
        order.append("first resumes")
        return "done"

    pending = run_bridged(waits)
    assert inspect.isawaitable(pending)
    task = asyncio.ensure_future(pending)
    await asyncio.sleep(0)
    order.append("loop ran other work")  # the first request is parked, not blocking
    gate.set()
    assert await task == "done"
    assert order == ["first waits", "loop ran other work", "first resumes"]


async def test_errors_of_what_is_awaited_reach_the_synchronous_caller() -> None:
    async def fails() -> None:
        raise KeyError("remote")

    def calls() -> str:
        try:
            await_state(fails())
        except KeyError as exc:
            return f"caught {exc}"
        return "not raised"

    assert await run_bridged(calls) == "caught 'remote'"


async def test_an_awaitable_result_is_driven_on_the_bridge_too() -> None:
    """A coroutine returned by the bridged code (the addon pipeline) still runs its
    synchronous parts where they may wait on state."""
    seen: list[bool] = []

    async def later() -> int:
        await asyncio.sleep(0)
        seen.append(in_bridge())
        value: int = await_state(asyncio.sleep(0, result=41)) + 1
        await asyncio.sleep(0.001)
        return value

    result = run_bridged(lambda: later())
    assert inspect.isawaitable(result)
    assert await result == 42
    assert seen == [True]


async def test_cancelling_a_driven_coroutine_cancels_what_it_awaits() -> None:
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    task = asyncio.ensure_future(run_bridged(lambda: forever()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [True]
