"""The addons' phases around the engine's own decisions, for one request.

Only requests some addon looks at come here (the compiled config says which, once):
``run_request`` for every request when an addon has server-wide hooks, ``run_stub``
when the chosen stub has a chain. Hooks may be sync or async; the phases are written
once, as a generator that yields only what must be awaited, and ``drive`` runs it: to
the end at once when nothing was awaitable (the answer is a plain ``Outcome``, the
transport's fast path), else as a coroutine.

A hook that raises ends the request with a 500 naming the addon and the phase; the
journal entry carries the traceback's last line. The server goes on serving.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from ..behaviours.faults import FaultSpec
from ..behaviours.pacing import Step
from ..matching.router import RouteMatch
from ..model import Headers, Request, ServeEvent
from ..outcome import Fail, Forward, Outcome, Respond, Response, Upgrade
from ..responses import json_response
from .driving import HookFailed, Steps, T, call_hook, drive, is_awaitable, timed
from .flow import Flow, Reply
from .hooks import Chain, Hook

if TYPE_CHECKING:
    from ..behaviours.decision import Decision
    from ..behaviours.ratelimit import RateDecision
    from ..compiled import CompiledConfig, CompiledStub
    from ..engine import Engine

log = logging.getLogger("apidouble.addons")


def _settled(value: Outcome | Awaitable[Outcome]) -> Steps[Outcome]:
    """The outcome, awaited by the driver when the engine gave an awaitable."""
    if isinstance(value, Respond | Fail | Forward | Upgrade):
        return value
    result = yield value
    return cast(Outcome, result)


def _run(
    hooks: tuple[Hook, ...], flow: Flow, phase: str, stop: Callable[[Flow], bool]
) -> Steps[None]:
    flow.phase = phase
    for hook in hooks:
        yield from call_hook(hook, flow)
        if stop(flow):
            return


def _answered(flow: Flow) -> bool:
    return flow.response is not None


def _never(flow: Flow) -> bool:
    return False


def _decided(flow: Flow) -> bool:
    return flow.response is not None or flow.vetoed or flow.replacement is not None


def flow_of(event: ServeEvent, request: Request, config: CompiledConfig) -> Flow:
    """The event's flow, made on first need."""
    flow = event.flow
    if flow is None:
        states = config.addons.states if config.addons is not None else None
        flow = event.flow = Flow(request, event, states)
    return cast(Flow, flow)


def run_request(
    engine: Engine, config: CompiledConfig, request: Request, event: ServeEvent
) -> Outcome | Awaitable[Outcome]:
    """Every request, when some addon looks at all of them."""
    return drive(_request_steps(engine, config, request, event))


def _request_steps(
    engine: Engine, config: CompiledConfig, request: Request, event: ServeEvent
) -> Steps[Outcome]:
    assert config.addons is not None and config.addons.server is not None
    server = config.addons.server
    flow = flow_of(event, request, config)
    try:
        if server.middlewares:
            wrapped = yield _with_middlewares(engine, config, flow, server.middlewares)
            return cast(Outcome, wrapped)
        return (yield from _core(engine, config, flow))
    except HookFailed as failed:
        return _failure(flow, failed)


def _core(engine: Engine, config: CompiledConfig, flow: Flow) -> Steps[Outcome]:
    """The request phase, then the engine's answer (with the stub's chain)."""
    assert config.addons is not None and config.addons.server is not None
    server = config.addons.server
    event = flow.event
    yield from _run(server.request, flow, "request", _answered)
    if flow.response is not None:  # answered at once: the server-wide response hooks see it
        flow.served_by = server.unmatched.served
        return (yield from _response_phase(config, flow, server.unmatched, _reply_now(flow)))
    request = event.request = flow.request
    outcome = yield from _settled(engine.answer(config, request, event))
    if flow.phase == "request":  # no stub's chain ran: the server-wide one applies
        outcome = yield from _response_phase(config, flow, server.unmatched, outcome)
        flow.served_by = server.unmatched.served
    return outcome


async def _with_middlewares(
    engine: Engine, config: CompiledConfig, flow: Flow, middlewares: tuple[Hook, ...]
) -> Outcome:
    """Middlewares around the rest: each gets the request and ``call_next``."""
    assert config.addons is not None and config.addons.server is not None
    flow.served_by = config.addons.server.unmatched.served  # a middleware may answer itself
    inner: list[Outcome] = []
    given: list[Reply | None] = []

    async def innermost(request: Request) -> Reply | None:
        flow.request = request
        outcome: Outcome = await _awaited(drive(_core(engine, config, flow)))
        inner.append(outcome)
        reply = _reply_of(outcome)
        given.append(reply)
        return reply

    call_next: Callable[[Request], Awaitable[Reply | None]] = innermost
    for hook in reversed(middlewares):
        call_next = _wrapped(hook, flow, call_next)
    reply = await call_next(flow.request)
    if given and reply is given[-1] and (reply is None or reply.unchanged()):
        return inner[-1]  # handed back as it came: the outcome as it was
    if reply is None:
        if inner:
            return inner[-1]
        raise HookFailed(middlewares[0], TypeError("middleware returned None without call_next"))
    flow.response = reply
    if not inner:
        return _reply_now(flow)
    return _reply_now(flow, inner[-1].delay_s, _paced(inner[-1], reply, None))


def _wrapped(
    hook: Hook, flow: Flow, call_next: Callable[[Request], Awaitable[Reply | None]]
) -> Callable[[Request], Awaitable[Reply | None]]:
    async def step(request: Request) -> Reply | None:
        flow.state = hook.state
        try:
            result = hook.call(request, call_next)
            if is_awaitable(result):
                result = await result
        except HookFailed:
            raise
        except Exception as exc:  # a user's middleware may raise anything
            raise HookFailed(hook, exc) from exc
        if result is not None and not isinstance(result, Reply):
            raise HookFailed(hook, TypeError(f"middleware returned {type(result).__name__}"))
        return result

    return step


async def _awaited(value: T | Awaitable[T]) -> T:
    if is_awaitable(value):
        return await cast(Awaitable[T], value)
    return cast(T, value)


def _reply_of(outcome: Outcome) -> Reply | None:
    """The reply a middleware sees for an outcome (kept on the outcome, so a middleware
    returning it unchanged keeps the outcome as it was); None for a fault."""
    if not isinstance(outcome, Respond) or outcome.stream is not None:
        return None
    event = outcome.event
    flow = event.flow if event is not None else None
    if flow is not None and flow.response is not None and flow.sent is outcome:
        return cast(Reply, flow.response)
    reply = Reply.of(outcome.response)
    if flow is not None:
        flow.response, flow.sent = reply, outcome
    return reply


def run_stub(
    engine: Engine,
    config: CompiledConfig,
    compiled: CompiledStub,
    request: Request,
    params: dict[str, str],
    event: ServeEvent,
    extra: Headers,
    admitted: RateDecision | None,
    decision: Decision | None,
) -> Outcome | Awaitable[Outcome]:
    """A stub with a chain: matched, the engine's answer, response; served later."""
    flow = flow_of(event, request, config)
    steps = _stub_steps(engine, config, compiled, flow, params, extra, admitted, decision)
    return drive(_reporting(flow, steps))


def _reporting(flow: Flow, steps: Steps[Outcome]) -> Steps[Outcome]:
    try:
        return (yield from steps)
    except HookFailed as failed:
        return _failure(flow, failed)


def _stub_steps(
    engine: Engine,
    config: CompiledConfig,
    compiled: CompiledStub,
    flow: Flow,
    params: dict[str, str],
    extra: Headers,
    admitted: RateDecision | None,
    decision: Decision | None,
) -> Steps[Outcome]:
    chain = compiled.hooks
    assert chain is not None
    event = flow.event
    flow.stub, flow.params = compiled.stub, params
    flow.served_by = chain.served
    yield from _run(chain.matched, flow, "matched", _decided)
    if flow.response is not None:  # answered at once: the chain's response hooks see it
        return (yield from _response_phase(config, flow, chain, _reply_now(flow)))
    request = flow.request
    if flow.vetoed:
        return (yield from _vetoed(engine, config, flow, compiled, _last_named(chain.matched)))
    if flow.replacement is not None:
        other = _stub_named(config, flow.replacement)
        if other is None:
            raise HookFailed(
                chain.matched[-1], LookupError(f"no stub named {flow.replacement!r} to use")
            )
        compiled = other
        found = other.pattern.test_path(request.path) if other.pattern is not None else None
        params = found if found is not None else {}
        event.stub = flow.stub = other.stub
        flow.params = params
        flow.replacement = None
    outcome = engine.respond_core(
        config, compiled, request, params, event, extra, admitted, decision
    )
    return (yield from _response_phase(config, flow, chain, outcome, compiled.trouble.pacing))


def _vetoed(
    engine: Engine, config: CompiledConfig, flow: Flow, compiled: CompiledStub, by: str
) -> Steps[Outcome]:
    """The answer to a request whose stub an addon vetoed: what an unmatched request
    gets (the near-miss 404, WireMock's, a document; server-wide CORS), saying who vetoed
    which stub."""
    event = flow.event
    label = compiled.stub.label
    event.stub = flow.stub = None
    event.notes = (*event.notes, f"{label} vetoed by {by}")
    flow.phase = "response"  # nothing more runs for it; served still does
    missed = RouteMatch(None, {}, config.router, flow.request)
    why = f"the stub that matched ({label}) was vetoed by {by}"
    return (yield from _settled(engine.unmatched(config, flow.request, missed, event, why)))


def _last_named(hooks: tuple[Hook, ...]) -> str:
    return f"addon {hooks[-1].addon}" if hooks else "an addon"


def _stub_named(config: CompiledConfig, wanted: str) -> CompiledStub | None:
    found = config.stubs.get(wanted)
    if found is not None:
        return found
    return next((c for c in config.stubs.values() if c.stub.name == wanted), None)


def _response_phase(
    config: CompiledConfig,
    flow: Flow,
    chain: Chain,
    outcome: Outcome,
    pacing: Callable[[int], tuple[Step, ...]] | None = None,
) -> Steps[Outcome]:
    """The ``response`` hooks on what the engine decided; what they changed is sent,
    paced as the stub paces a body of its new size (``pacing``)."""
    if not chain.response:
        flow.phase = "response"
        return outcome
    if isinstance(outcome, Respond) and outcome.stream is None:
        reply = _reply_of(outcome)
        fault_before = None
    elif isinstance(outcome, Fail):
        reply, fault_before = None, outcome.plan.name
        flow.response, flow.fault = None, fault_before
    else:
        flow.phase = "response"
        return outcome  # a stream or a forward: nothing to change here yet
    flow.delay_s = outcome.delay_s
    flow.decision = outcome.event.decision if outcome.event is not None else None
    yield from _run(chain.response, flow, "response", _never)
    event = flow.event
    delay = max(0.0, float(flow.delay_s))
    if flow.fault is not None and flow.fault != fault_before:
        plan = FaultSpec.from_config(flow.fault).plan(config.env.random)
        event.delay_s, event.status, event.response = delay, 0, None
        return Fail(plan, delay, event)
    if flow.fault is not None:
        if isinstance(outcome, Fail) and delay != outcome.delay_s:
            return Fail(outcome.plan, delay, event)
        return outcome
    current = flow.response
    if current is None:
        raise HookFailed(chain.response[-1], ValueError("flow.response was set to None"))
    if reply is current and current.unchanged():
        if isinstance(outcome, Respond) and delay != outcome.delay_s:
            event.delay_s = delay
            return Respond(outcome.response, delay, event, outcome.pacing)
        return outcome
    return _reply_now(flow, delay, _paced(outcome, current, pacing))


def _paced(
    outcome: Outcome, reply: Reply, pacing: Callable[[int], tuple[Step, ...]] | None
) -> tuple[Step, ...]:
    """The slices a changed reply leaves in: the outcome's for a body of the same size,
    else the stub's plan for the new size."""
    if not isinstance(outcome, Respond) or not outcome.pacing:
        return ()
    if len(reply.body) == len(outcome.response.body):
        return outcome.pacing
    return pacing(len(reply.body)) if pacing is not None and reply.body else ()


def _reply_now(flow: Flow, delay: float = 0.0, pacing: tuple[Step, ...] = ()) -> Respond:
    """Send ``flow.response`` as it stands."""
    reply = flow.response
    assert reply is not None
    response = reply.encode()
    event = flow.event
    event.status, event.response, event.delay_s = response.status, response, delay
    outcome = Respond(response, delay, event, pacing)
    flow.sent = outcome
    return outcome


def _failure(flow: Flow, failed: HookFailed) -> Respond:
    """The 500 for a hook that raised, journaled with where it raised."""
    hook, error = failed.hook, failed.error
    frames = traceback.extract_tb(error.__traceback__)
    at = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    summary = f"{hook.where} raised {type(error).__name__}: {error}{at}"
    log.error("%s", summary)
    body = {
        "error": "an addon failed",
        "addon": hook.addon,
        "phase": hook.phase,
        "detail": f"{type(error).__name__}: {error}",
    }
    response: Response = json_response(500, body)
    event = flow.event
    event.notes = (*event.notes, summary)
    event.status, event.response, event.delay_s = 500, response, 0.0
    return Respond(response, 0.0, event)


_running: set[asyncio.Task[None]] = set()
"""Async ``served`` hooks still running (a task needs a reference until it is done)."""


def spawn(pending: Awaitable[None]) -> None:
    """Run an async ``served`` hook as a task of the running loop (to its end, here,
    when there is none: a test calling ``Engine.served`` directly)."""

    async def run() -> None:
        await pending

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run())
        return
    task = loop.create_task(run())
    _running.add(task)
    task.add_done_callback(_running.discard)


def run_served(flow: Flow) -> None:
    """The ``served`` hooks, after the bytes left; async ones run as tasks. A failure is
    logged (the answer is gone)."""
    hooks = flow.served_by
    if not hooks:
        return
    flow.phase = "served"
    sent = flow.event.response
    if sent is not None and (flow.sent is None or flow.sent.response is not sent):
        flow.response = Reply.of(sent)  # what left, whatever made it
    elif sent is None:
        flow.response = None  # a fault: nothing was sent
    for hook in hooks:
        flow.state = hook.state
        try:
            result = hook.call(flow) if hook.is_async else timed(hook, flow)
            if is_awaitable(result):
                spawn(_logged(hook, result))
        except Exception as exc:  # a user's hook may raise anything
            log.error("%s raised %s: %s", hook.where, type(exc).__name__, exc)


async def _logged(hook: Hook, pending: Awaitable[Any]) -> None:
    try:
        await pending
    except Exception as exc:  # a user's hook may raise anything
        log.error("%s raised %s: %s", hook.where, type(exc).__name__, exc)
