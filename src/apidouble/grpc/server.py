"""Serve time: a ``grpc.aio`` server on the running event loop, built from the descriptors.

Every method of the served services gets a handler on raw bytes, of its kind (unary,
server stream, client stream, bidi): requests are decoded only to be matched, answers
were encoded at load time. The stubs are read per call, so stubs added at run time
(``GrpcServer.add_stubs``) answer from the next call on. Before a stub answers, the
trouble engine has its say (``behaviours.trouble``: rate limit, flaky keys), then come
its latency and its messages, any of which its ``fault`` may replace with an abort or a
hang. After the services come the health service and server reflection; last, a
catch-all answers any other method with ``UNIMPLEMENTED`` and the closest method's name.
Every call is recorded in the journal when it ends, however it ends (answered, refused,
cancelled, out of time), with every streamed message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any, Protocol

import grpc  # type: ignore[import-untyped]
from google.protobuf import descriptor_pb2  # type: ignore[import-untyped]
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped]
from grpc_reflection.v1alpha import reflection, reflection_pb2  # type: ignore[import-untyped]

from apidouble.behaviours.trouble import NO_TROUBLE, Trouble, compile_trouble
from apidouble.errors import ConfigError
from apidouble.grpc.calls import (
    CANCELLED,
    DEADLINE_EXCEEDED,
    INTERNAL,
    INVALID_ARGUMENT,
    NOT_FOUND,
    OK,
    RESOURCE_EXHAUSTED,
    UNIMPLEMENTED,
    Call,
    call_request,
    choose,
    message_request,
    near_miss,
    serve_event,
    unknown_method,
)
from apidouble.grpc.messages import MessageProblem
from apidouble.grpc.stubs import (
    FAILED,
    UNSEEN,
    CompiledGrpcStub,
    Fault,
    GrpcConfig,
    Message,
    MethodRoute,
    Rule,
    compile_added,
    encode_json,
)
from apidouble.model import Request, ServeEvent
from apidouble.state.clock import SYSTEM_CLOCK, Clock
from apidouble.templating import TemplateRenderError

log = logging.getLogger("apidouble.grpc")

_DEADLINE_SLACK_S = 0.05
"""A cancel this close to the deadline is the deadline's: grpc's core cancels the call
on its own clock, which can be a little ahead of the one ``time_remaining`` reads."""

Behaviour = Callable[[Any, Any], Coroutine[Any, Any, Any]]
Metadata = tuple[tuple[str, str | bytes], ...]


class CallJournal(Protocol):
    """What the server needs of the journal: ``journal.Journal`` is one."""

    def record(self, event: ServeEvent) -> None: ...


class GrpcServer:
    """A started gRPC server; ``stop`` it on the loop it was started on."""

    def __init__(
        self,
        server: Any,
        host: str,
        port: int,
        config: GrpcConfig,
        health: Any = None,
        calls: _Calls | None = None,
    ) -> None:
        self._server = server
        self._health = health
        self._calls = calls
        self.host = host
        self.port = port
        self.config = config

    def add_stubs(self, stubs: list[Any]) -> list[CompiledGrpcStub]:
        """Serve more stubs (the config's ``grpc.stubs`` form) from the next call on, tried
        before the file's (the newest first, as WireMock does); a ``ConfigError`` listing
        every problem adds none. Call it on the server's loop."""
        calls = self._require()
        compiled, problems = compile_added(self.config, stubs, calls.taken)
        if problems:
            raise ConfigError(problems)
        calls.add(compiled)
        return compiled

    def remove_added_stubs(self) -> int:
        """Drop every stub added at run time; how many there were."""
        return self._require().remove_added()

    def stubs(self) -> list[dict[str, Any]]:
        """Every stub served, in the order each method tries them: id, name, method and
        whether it was added at run time."""
        calls = self._require()
        added = {stub.stub.id for stub in calls.added}
        return [
            {"id": s.stub.id, "name": s.stub.name, "method": route.info.key,
             "added": s.stub.id in added}
            for route in calls.routes.values()
            for s in route.stubs
        ]  # fmt: skip

    def _require(self) -> _Calls:
        if self._calls is None:  # pragma: no cover - start_grpc always gives them
            raise RuntimeError("this gRPC server serves no stubs")
        return self._calls

    @property
    def address(self) -> str:
        """``host:port``, as a gRPC channel is opened to it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    async def stop(self, grace_s: float | None = 1.0) -> None:
        """Say NOT_SERVING to health watchers, refuse new calls, and give the ones in
        flight ``grace_s`` to finish."""
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        await self._server.stop(grace_s)


async def start_grpc(
    config: GrpcConfig,
    journal: CallJournal,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
    rng: random.Random | None = None,
) -> GrpcServer:
    """Listen on ``host:port`` (default: the config's port; 0: any free one) and serve;
    ``rng`` draws the latencies and failure rates (give a seeded one to replay them)."""
    server = grpc.aio.server()
    calls = _Calls(config, journal, clock, rng if rng is not None else random.Random())
    for service in config.services:
        handlers = {
            route.info.name: calls.handler(route)
            for route in config.routes.values()
            if route.info.service == service
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        # as generated code does: the core routes these methods without a generic lookup
        server.add_registered_method_handlers(service, handlers)
    names = list(config.services)
    servicer = None
    if config.health:
        servicer = health.aio.HealthServicer()
        for name in ("", *config.services):
            await servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        names.append(health.SERVICE_NAME)
    if config.reflection:
        names.append(reflection.SERVICE_NAME)
        pool = config.protos.pool
        _describe(pool, reflection_pb2.DESCRIPTOR, *((health_pb2.DESCRIPTOR,) if servicer else ()))
        reflection.enable_server_reflection(names, server, pool=pool)
    server.add_generic_rpc_handlers((_Unknown(calls),))
    wanted = config.port if port is None else port
    try:
        bound = server.add_insecure_port(f"{host}:{wanted}")
    except RuntimeError as exc:
        raise OSError(f"gRPC: cannot listen on {host}:{wanted}: {exc}") from None
    if not bound:
        raise OSError(f"gRPC: cannot listen on {host}:{wanted}")
    await server.start()
    return GrpcServer(server, host, bound, config, servicer, calls)


def _describe(pool: Any, *files: Any) -> None:
    """Add the health and reflection protos to the pool reflection answers from, so a
    client can describe those services too (unless the protos define them already)."""
    for file in files:
        try:
            pool.FindFileByName(file.name)
            continue
        except KeyError:
            pass
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        try:
            pool.Add(proto)
        except TypeError:  # its symbols are defined by a file of another name
            log.debug("gRPC reflection: %s not added (its symbols are taken)", file.name)


class _Calls:
    """The behaviours of the served methods, the stubs they read (the file's, and those
    added at run time), their trouble's state, and the journal they record in."""

    def __init__(
        self, config: GrpcConfig, journal: CallJournal, clock: Clock, rng: random.Random
    ) -> None:
        self.config = config
        self.journal = journal
        self.clock = clock
        self.rng = rng
        self.known = list(config.routes)
        self.routes: dict[str, MethodRoute] = dict(config.routes)
        """Read per call: stubs added at run time are served from the next call on."""
        self.troubles: dict[str, Trouble] = {}
        self.added: list[CompiledGrpcStub] = []
        for stub in config.stubs:
            self._bind(stub)

    @property
    def taken(self) -> set[str]:
        return set(self.troubles)

    def _bind(self, stub: CompiledGrpcStub) -> None:
        """The stub's flaky keys and rate limit, bound to state of their own."""
        stub_id = stub.stub.id
        self.troubles[stub_id] = compile_trouble(stub.behaviours, self.rng, stub_id=stub_id)

    def add(self, stubs: list[CompiledGrpcStub]) -> None:
        """Serve ``stubs`` before every stub of their method (in the order given)."""
        for stub in reversed(stubs):
            self._bind(stub)
            path = str(stub.stub.pattern.path)
            route = self.routes[path]
            self.routes[path] = replace(route, stubs=(stub, *route.stubs))
        self.added.extend(stubs)

    def remove_added(self) -> int:
        """Back to the file's stubs; how many were removed."""
        count = len(self.added)
        for stub in self.added:
            self.troubles.pop(stub.stub.id, None)
        self.added.clear()
        self.routes = dict(self.config.routes)
        return count

    def handler(self, route: MethodRoute) -> Any:
        info, path = route.info, route.info.path
        if info.client_streaming and info.server_streaming:
            return grpc.stream_stream_rpc_method_handler(self._bound(self.converse, path))
        if info.client_streaming:
            return grpc.stream_unary_rpc_method_handler(self._bound(self.collect, path))
        if info.server_streaming:
            return grpc.unary_stream_rpc_method_handler(self._bound(self.stream, path))
        return grpc.unary_unary_rpc_method_handler(self._bound(self.unary, path))

    def _bound(self, serve: Callable[..., Coroutine[Any, Any, Any]], path: str) -> Behaviour:
        async def behaviour(data: Any, context: Any) -> Any:
            return await serve(self.routes[path], data, context)

        return behaviour

    def begin(self, path: str, context: Any, message: Any, body: bytes | None = None) -> Call:
        metadata = context.invocation_metadata() or ()
        request = call_request(path, metadata, message, context.peer(), body)
        loop = asyncio.get_running_loop()
        call = Call(path, request, self.clock.time(), loop.time())
        call.deadline_s = context.time_remaining()
        return call

    def record(self, call: Call) -> None:
        """Journal the call, once: before its status leaves, so whoever sees the status
        finds the entry."""
        if call.recorded:
            return
        call.recorded = True
        if call.request_streaming:
            call.request = call.request.replace(body=encode_json(call.received))
        self.journal.record(serve_event(call, asyncio.get_running_loop().time()))
        if call.code in (NOT_FOUND, UNIMPLEMENTED) and call.stub is None:
            log.info("gRPC %s: %s", call.path, call.details)

    async def fail(self, call: Call, context: Any, trailing: Metadata = ()) -> None:
        """End the call with its (error) code and details, journaled first."""
        self.record(call)
        await context.abort(call.code, call.details, trailing)

    @contextlib.contextmanager
    def _journaled(self, call: Call, context: Any) -> Iterator[None]:
        """Around a call's serving: a cancel (the client left, or its deadline passed) is
        noted on the call, and the call is journaled however it ended."""
        try:
            yield
        except asyncio.CancelledError:
            _cancelled(call, context)
            raise
        finally:
            self.record(call)

    async def unary(self, route: MethodRoute, data: bytes, context: Any) -> bytes | None:
        call, stub = self._open(route, data, context)
        with self._journaled(call, context):
            return await self._reply(call, stub, context)

    async def collect(
        self, route: MethodRoute, requests: AsyncIterator[bytes], context: Any
    ) -> bytes | None:
        """A client stream: every message read, then one stub chosen on them all."""
        call = self.begin(route.info.path, context, None)
        call.request_streaming = True
        with self._journaled(call, context):
            async for data in requests:
                message = await self._decode(route, call, data, context)
                call.note("in", message, asyncio.get_running_loop().time())
            whole = call.request.replace(body=encode_json(call.received))
            parts = [message_request(whole, message) for message in call.received]
            call.stub = stub = choose(route, whole, parts)
            if stub is None:
                call.end(NOT_FOUND, near_miss(route, whole, parts))
            return await self._reply(call, stub, context)

    async def _reply(self, call: Call, stub: CompiledGrpcStub | None, context: Any) -> bytes | None:
        """One message back (unary and client-streaming methods), or the stub's status."""
        if stub is None:
            await self.fail(call, context)
            return None
        fault = await self._admit(call, stub, context) if stub.troubled else None
        if stub.waits:
            await self._prelude(stub, call, context)
        if fault is not None:
            await self._strike(call, fault, context)
        if stub.code != OK:
            call.end(stub.code, stub.details)
            call.details_sent = stub.shown_details
            await self.fail(call, context, stub.error_trailers)
            return None
        answer = stub.messages[0]
        if answer.reply is not None:
            payload, shown = await self._render(call, stub, answer, call.request, context)
            call.sent.append(shown)
            call.answer = encode_json(shown)
        else:
            payload = answer.payload
            call.sent.append(answer.json)
            call.answer = answer.body
        if stub.trailing_metadata:
            context.set_trailing_metadata(stub.trailing_metadata)
        call.end(OK)
        return payload

    async def _render(
        self, call: Call, stub: CompiledGrpcStub, message: Message, request: Request, context: Any
    ) -> tuple[bytes, dict[str, Any]]:
        """A templated message for ``request``; one that fails to render, or renders to
        something its type does not have, ends the call ``INTERNAL`` naming the stub."""
        assert message.reply is not None
        try:
            return message.reply.render(request)
        except (TemplateRenderError, MessageProblem) as exc:
            kind = "template" if isinstance(exc, TemplateRenderError) else "rendered message"
            output = message.reply.output.name
            call.end(INTERNAL, f"stub {stub.label!r}: {kind} does not make a {output}: {exc}")
            log.warning("gRPC %s: %s", call.path, call.details)
            await self.fail(call, context)
            raise  # pragma: no cover - abort raises

    async def stream(self, route: MethodRoute, data: bytes, context: Any) -> None:
        call, stub = self._open(route, data, context)
        call.streaming = True
        with self._journaled(call, context):
            if stub is None:
                await self.fail(call, context)
                return
            fault = await self._admit(call, stub, context)
            await self._prelude(stub, call, context)
            for message in stub.messages:
                await self._send(call, stub, context, message, fault, call.request)
            await self._end(call, stub, fault, context, stub.code, stub.details, True)

    async def converse(
        self, route: MethodRoute, requests: AsyncIterator[bytes], context: Any
    ) -> None:
        """A bidi call: the stub chosen on the metadata sends its ``stream`` at once, then
        answers each message with the first ``on_message`` rule that matches it (none:
        nothing); the call ends when a rule closes it or the client stops sending."""
        call = self.begin(route.info.path, context, None)
        call.streaming = call.request_streaming = True
        opened = call.request
        with self._journaled(call, context):
            call.stub = stub = choose(route, opened)
            if stub is None:
                call.end(NOT_FOUND, near_miss(route, opened))
                await self.fail(call, context)
                return
            fault = await self._admit(call, stub, context)
            await self._prelude(stub, call, context)
            for message in stub.messages:
                await self._send(call, stub, context, message, fault, opened)
            async for data in requests:
                message = await self._decode(route, call, data, context)
                received = message_request(opened, message)
                rule = _rule(stub, received)
                now = asyncio.get_running_loop().time()
                call.note("in", message, now, rule=None if rule is None else rule.index)
                if rule is None:
                    continue
                if rule.delay_s:
                    await _wait(call, rule.delay_s)
                for reply in rule.messages:
                    await self._send(call, stub, context, reply, fault, received)
                if rule.close is not None:
                    await self._end(call, stub, fault, context, *rule.close, False)
                    return
            await self._end(call, stub, fault, context, stub.code, stub.details, True)

    async def _decode(self, route: MethodRoute, call: Call, data: bytes, context: Any) -> Any:
        """One message of a client stream; a message that does not parse ends the call."""
        try:
            message = route.input.decode(data)
        except MessageProblem as exc:
            call.end(INVALID_ARGUMENT, str(exc))
            await self.fail(call, context)
            raise  # pragma: no cover - abort raises
        call.received.append(message)
        return message

    async def _admit(self, call: Call, stub: CompiledGrpcStub, context: Any) -> Fault | None:
        """The trouble engine's say: a rate limit may refuse the call (it ends here); the
        flaky keys pick the calls the fault strikes (without them: every call)."""
        trouble = self.troubles.get(stub.stub.id, NO_TROUBLE)
        if trouble.inert:
            return stub.fault
        now = self.clock.monotonic()
        limiter = trouble.rate_limit
        if limiter is not None:
            decision = limiter.check(call.request, now)
            call.trouble["rate_limit"] = {
                "allowed": decision.allowed,
                "limit": decision.limit,
                "remaining": decision.remaining,
                "reset_s": round(decision.reset_s, 3),
            }
            if not decision.allowed:
                call.end(
                    RESOURCE_EXHAUSTED,
                    f"rate limit: {limiter.requests} calls per {limiter.per_s:g}s",
                )
                headers = limiter.headers(decision)
                await self.fail(call, context, tuple((k.lower(), v) for k, v in headers))
        if trouble.flaky is None:
            return stub.fault
        reason = trouble.flaky.reason(call.request, now)
        if reason is None:
            return None
        call.trouble["failure"] = reason
        return stub.fault or FAILED

    async def _prelude(self, stub: CompiledGrpcStub, call: Call, context: Any) -> None:
        """Initial metadata, then the stub's delay and sampled latency."""
        if stub.metadata:
            await context.send_initial_metadata(stub.metadata)
        delay = stub.delay_s
        if stub.latency is not None:
            sampled = stub.latency.sample(self.rng)
            call.trouble["latency_ms"] = round(sampled * 1000.0, 3)
            delay += sampled
        if delay:
            await _wait(call, delay)

    async def _send(
        self,
        call: Call,
        stub: CompiledGrpcStub,
        context: Any,
        message: Message,
        fault: Fault | None,
        request: Request,
    ) -> None:
        """One message of a stream, after its delay (a templated one rendered for
        ``request``); the fault strikes instead once ``fault.after`` messages are out."""
        if fault is not None and not call.struck and len(call.sent) >= fault.after:
            await self._strike(call, fault, context)
        if message.delay_s:
            await _wait(call, message.delay_s)
        payload, shown = message.payload, message.json
        if message.reply is not None:
            payload, shown = await self._render(call, stub, message, request, context)
        await context.write(payload)
        call.sent.append(shown)
        call.note("out", shown, asyncio.get_running_loop().time())

    async def _end(
        self,
        call: Call,
        stub: CompiledGrpcStub,
        fault: Fault | None,
        context: Any,
        code: int,
        details: str | None,
        own: bool,
    ) -> None:
        """End a stream with ``code``: a fault that has not struck yet strikes now. The
        stub's ``own`` status goes with its rich details (a rule's close without)."""
        if fault is not None and not call.struck:
            await self._strike(call, fault, context)
        call.end(code, details)
        if code != OK:
            if own:
                call.details_sent = stub.shown_details
            await self.fail(call, context, stub.error_trailers if own else stub.trailing_metadata)
            return
        context.set_trailing_metadata(stub.trailing_metadata)

    async def _strike(self, call: Call, fault: Fault, context: Any) -> None:
        """Abort the call with the fault's status, or hang until the client's deadline
        (or its cancel, or the server's stop) ends it."""
        call.struck = True
        call.trouble["fault"] = fault.name
        if fault.after:
            call.trouble["fault_after"] = fault.after
        if fault.hang:
            await _wait(call, math.inf)
        call.end(fault.code, fault.details)
        await self.fail(call, context)

    def _open(
        self, route: MethodRoute, data: bytes, context: Any
    ) -> tuple[Call, CompiledGrpcStub | None]:
        """Decode and match (the stub the same bytes chose before, when the stubs read
        only the message); with no stub, the call's code and details say why."""
        try:
            message, body = route.input.received(data)
        except MessageProblem as exc:
            call = self.begin(route.info.path, context, None)
            call.end(INVALID_ARGUMENT, str(exc))
            return call, None
        call = self.begin(route.info.path, context, message, body)
        stub = route.remembered(data)
        if stub is UNSEEN:
            stub = choose(route, call.request)
            route.remember(data, stub)
        call.stub = stub
        if stub is None:
            call.end(NOT_FOUND, near_miss(route, call.request))
        return call, stub

    def refuser(self, path: str, details: str) -> Behaviour:
        async def refuse(requests: AsyncIterator[bytes], context: Any) -> None:
            call = self.begin(path, context, None)
            call.end(UNIMPLEMENTED, details)
            await self.fail(call, context)

        return refuse


def _rule(stub: CompiledGrpcStub, message: Request) -> Rule | None:
    """The first ``on_message`` rule of ``stub`` the message matches."""
    for rule in stub.rules:
        if rule.pattern is None or rule.pattern.test_conditions(message):
            return rule
    return None


async def _wait(call: Call, seconds: float) -> None:
    """Sleep, counting the time waited even when the call is cancelled meanwhile (its
    deadline passed: grpc cancels the handler then, which is how deadlines are honoured)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        if math.isinf(seconds):
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(seconds)
    finally:
        call.delay_s += loop.time() - started


def _cancelled(call: Call, context: Any) -> None:
    """A call the client gave up on: out of time, or cancelled."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= _DEADLINE_SLACK_S:
        call.end(DEADLINE_EXCEEDED, "deadline exceeded")
    else:
        call.end(CANCELLED, "cancelled by the client")


class _Unknown:
    """The catch-all generic handler: any method no served service has."""

    def __init__(self, calls: _Calls) -> None:
        self._calls = calls

    def service(self, details: Any) -> Any:
        path = str(details.method)
        text = unknown_method(path, self._calls.known)
        return grpc.stream_stream_rpc_method_handler(self._calls.refuser(path, text))
