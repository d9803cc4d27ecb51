"""Serve time: a ``grpc.aio`` server on the running event loop, built from the descriptors.

Every method of the served services gets a generic handler on raw bytes: requests are
decoded only to be matched, answers were encoded at load time. After the services come
the health service and server reflection; last, a catch-all answers any other method
with ``UNIMPLEMENTED`` and the closest method's name. Every call is recorded in the
journal when it ends, however it ends (answered, refused, cancelled, out of time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Protocol

import grpc  # type: ignore[import-untyped]
from google.protobuf import descriptor_pb2  # type: ignore[import-untyped]
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped]
from grpc_reflection.v1alpha import reflection, reflection_pb2  # type: ignore[import-untyped]

from apidouble.grpc.calls import (
    CANCELLED,
    DEADLINE_EXCEEDED,
    INVALID_ARGUMENT,
    NOT_FOUND,
    OK,
    UNIMPLEMENTED,
    Call,
    call_request,
    choose,
    near_miss,
    serve_event,
    unknown_method,
)
from apidouble.grpc.messages import MessageProblem
from apidouble.grpc.stubs import CompiledGrpcStub, GrpcConfig, MethodRoute
from apidouble.model import ServeEvent
from apidouble.state.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("apidouble.grpc")

Behaviour = Callable[[Any, Any], Coroutine[Any, Any, Any]]
Metadata = tuple[tuple[str, str], ...]


class CallJournal(Protocol):
    """What the server needs of the journal: ``journal.Journal`` is one."""

    def record(self, event: ServeEvent) -> None: ...


class GrpcServer:
    """A started gRPC server; ``stop`` it on the loop it was started on."""

    def __init__(
        self, server: Any, host: str, port: int, config: GrpcConfig, health: Any = None
    ) -> None:
        self._server = server
        self._health = health
        self.host = host
        self.port = port
        self.config = config

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
) -> GrpcServer:
    """Listen on ``host:port`` (default: the config's port; 0: any free one) and serve."""
    server = grpc.aio.server()
    calls = _Calls(config, journal, clock)
    for service in config.services:
        handlers = {
            route.info.name: calls.handler(route)
            for route in config.routes.values()
            if route.info.service == service
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
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
    return GrpcServer(server, host, bound, config, servicer)


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
    """The behaviours of the served methods, and the journal they record in."""

    def __init__(self, config: GrpcConfig, journal: CallJournal, clock: Clock) -> None:
        self.config = config
        self.journal = journal
        self.clock = clock
        self.known = list(config.routes)

    def handler(self, route: MethodRoute) -> Any:
        info = route.info
        if info.client_streaming:
            return grpc.stream_stream_rpc_method_handler(self._refuser(route.info.path))
        if info.server_streaming:
            return grpc.unary_stream_rpc_method_handler(self._bound(self.stream, route))
        return grpc.unary_unary_rpc_method_handler(self._bound(self.unary, route))

    def _bound(
        self, serve: Callable[..., Coroutine[Any, Any, Any]], route: MethodRoute
    ) -> Behaviour:
        async def behaviour(data: bytes, context: Any) -> Any:
            return await serve(route, data, context)

        return behaviour

    def begin(self, path: str, context: Any, message: Any) -> Call:
        metadata = context.invocation_metadata() or ()
        request = call_request(path, metadata, message, context.peer())
        loop = asyncio.get_running_loop()
        return Call(path, request, self.clock.time(), loop.time())

    def record(self, call: Call) -> None:
        """Journal the call, once: before its status leaves, so whoever sees the status
        finds the entry."""
        if call.recorded:
            return
        call.recorded = True
        self.journal.record(serve_event(call, asyncio.get_running_loop().time()))
        if call.code == NOT_FOUND and call.stub is None:
            log.info("gRPC %s: %s", call.path, call.details)

    async def fail(self, call: Call, context: Any, trailing: Metadata = ()) -> None:
        """End the call with its (error) code and details, journaled first."""
        self.record(call)
        await context.abort(call.code, call.details, trailing)

    async def unary(self, route: MethodRoute, data: bytes, context: Any) -> bytes | None:
        call, stub = await self._open(route, data, context)
        try:
            if stub is None:
                await self.fail(call, context)
                return None
            await _prelude(stub, call, context)
            if stub.code != OK:
                call.end(stub.code, stub.details)
                await self.fail(call, context, stub.trailing_metadata)
                return None
            context.set_trailing_metadata(stub.trailing_metadata)
            call.sent.append(stub.messages[0].json)
            call.end(OK)
            return stub.messages[0].payload
        except asyncio.CancelledError:
            _cancelled(call, context)
            raise
        finally:
            self.record(call)

    async def stream(self, route: MethodRoute, data: bytes, context: Any) -> None:
        call, stub = await self._open(route, data, context)
        call.streaming = True
        try:
            if stub is None:
                await self.fail(call, context)
                return None
            await _prelude(stub, call, context)
            for message in stub.messages:
                if message.delay_s:
                    await _wait(call, message.delay_s)
                await context.write(message.payload)
                call.sent.append(message.json)
            call.end(stub.code, stub.details)
            if stub.code != OK:
                await self.fail(call, context, stub.trailing_metadata)
                return None
            context.set_trailing_metadata(stub.trailing_metadata)
            return None
        except asyncio.CancelledError:
            _cancelled(call, context)
            raise
        finally:
            self.record(call)

    async def _open(
        self, route: MethodRoute, data: bytes, context: Any
    ) -> tuple[Call, CompiledGrpcStub | None]:
        """Decode and match; with no stub, the call's code and details say why."""
        try:
            message = route.input.decode(data)
        except MessageProblem as exc:
            call = self.begin(route.info.path, context, None)
            call.end(INVALID_ARGUMENT, str(exc))
            return call, None
        call = self.begin(route.info.path, context, message)
        call.stub = stub = choose(route, call.request)
        if stub is None:
            call.end(NOT_FOUND, near_miss(route, call.request))
        return call, stub

    def _refuser(self, path: str, details: str | None = None) -> Behaviour:
        text = details or f"{path[1:]} streams requests: not served yet"

        async def refuse(requests: AsyncIterator[bytes], context: Any) -> None:
            call = self.begin(path, context, None)
            call.end(UNIMPLEMENTED, text)
            await self.fail(call, context)

        return refuse


async def _prelude(stub: CompiledGrpcStub, call: Call, context: Any) -> None:
    """Initial metadata, then the stub's delay."""
    if stub.metadata:
        await context.send_initial_metadata(stub.metadata)
    if stub.delay_s:
        await _wait(call, stub.delay_s)


async def _wait(call: Call, seconds: float) -> None:
    """Sleep, counting the time waited even when the call is cancelled meanwhile (its
    deadline passed: grpc cancels the handler then, which is how deadlines are honoured)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await asyncio.sleep(seconds)
    finally:
        call.delay_s += loop.time() - started


def _cancelled(call: Call, context: Any) -> None:
    """A call the client gave up on: out of time, or cancelled."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
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
        return grpc.stream_stream_rpc_method_handler(self._calls._refuser(path, text))
