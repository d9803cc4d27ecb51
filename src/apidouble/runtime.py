"""Assemble a running server: engine, control routes, reloader, watcher and transport.

Shared by the CLI and ``MockServer`` so both serve through exactly the same code.
``run_workers`` is ``--workers N``: N processes, each a whole ``Runtime`` with its own
journal, listening on one port through SO_REUSEPORT (the kernel spreads connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import multiprocessing
import random
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from .addons.callback_log import CallbackLog, CallbackSender
from .admin.auth_route import AuthRoutes
from .admin.ca_route import CA_PATH, CaRoute
from .admin.callbacks_route import CALLBACKS_PATH, CallbacksRoute
from .admin.graphql_route import PUBLISH_PATH, PublishRoute
from .admin.grpc_route import GRPC_STUBS_PATH, GrpcStubsRoute
from .admin.grpc_route import METHODS as GRPC_STUBS_METHODS
from .admin.layer import StubLayer, load_layer
from .admin.local import LocalAdmin
from .admin.persist import PersistDir
from .admin.recordings_route import RecordingsRoutes
from .admin.resources_route import RESOURCES_RESET_PATH, ResourcesResetRoute
from .admin.routes import AdminRoutes
from .admin.websockets_route import (
    MESSAGES_PATH,
    SEND_PATH,
    WEBSOCKETS_PATH,
    MessagesRoute,
    SendRoute,
    WebSocketsRoute,
)
from .auth.plane import AuthPlane
from .compiled import CompiledConfig
from .compose import Composer, Formats
from .config.load import Config
from .dispatch import BridgedDispatcher, Dispatcher, OverTls
from .engine import Engine
from .errors import ConfigError
from .grpc.saved import SavedGrpcStubs, restore
from .journal import JournalLimits
from .journal_redis import journal_for
from .metrics import Counters
from .metrics_export import METRICS_PATH, MetricsRoute, ServerCollector
from .model import Stub
from .options import Options, server_limits
from .proxy.forward import HttpForwarder
from .proxy.recorder import RECORDED_BODY_CAP, Recorder
from .state.clock import SYSTEM_CLOCK, Clock
from .state.select import is_remote, open_store
from .state.store import StateStore, StateUnavailable
from .transport.server import HttpServer, http_url, start_server
from .ui import LIVE_PATH, LiveRoute, UiAssets, server_closing
from .watch import Reloader, addon_specs, with_addons

if TYPE_CHECKING:
    from .admin.layer_feed import LayerFeed
    from .grpc.server import GrpcServer
    from .proxy.pass_through import PassThrough
    from .proxy.tunnel import Tunnels
    from .tls.contexts import ServerContexts
    from .tls.listen import HttpsServer

log = logging.getLogger("apidouble")


class Runtime:
    """One serving instance; ``start`` and ``stop`` run on its event loop.

    Wires the engine (stubs) and the admin plane (control routes) behind one dispatcher,
    with one state store and one clock that every generation of the config shares.
    """

    def __init__(
        self,
        paths: Sequence[Path] = (),
        options: Options | None = None,
        stubs: Sequence[Stub] = (),
        *,
        store: StateStore | None = None,
        clock: Clock = SYSTEM_CLOCK,
        freeze_gc: bool = False,
    ) -> None:
        self.options = options = options or Options()
        self.paths = tuple(paths)
        self.freeze_gc = freeze_gc
        self.store = store if store is not None else open_store(options.state)
        self.clock = clock
        self.server: HttpServer | None = None
        self.https_server: HttpsServer | None = None
        self.grpc_server: GrpcServer | None = None
        """The config's ``grpc:`` services, served beside HTTP (fixed at start: a reload
        does not change them)."""
        self.tls: ServerContexts | None = None
        """The HTTPS certificates (``--https-port``), made ready at load time."""
        if options.proxy_pass_through and not options.proxy_mode:
            raise ValueError("--proxy-pass-through passes proxied requests on: add --proxy-mode")
        if options.https_port is not None or options.proxy_mode:
            from .tls.setup import handshake, server_contexts  # only for HTTPS and tunnels

            demands = handshake(options.tls_client_ca, options.tls_client_auth, options.http2)
            self.tls = server_contexts(
                options.tls_cert, options.tls_key, options.ca_dir, options.host, demands
            )
        elif options.tls_client_ca is not None:
            from .tls.ca import TlsError

            raise TlsError("--tls-client-ca asks HTTPS clients for certificates: add --https-port")
        kept = options.max_request_journal_entries if options.request_journal else 0
        self.journal = journal_for(
            self.store,
            JournalLimits(options.journal_budget_bytes, options.journal_body_cap_bytes, kept),
        )
        self.reloader: Reloader | None = None
        self._stop_watching = asyncio.Event()
        self._watch_task: asyncio.Task[None] | None = None
        formats = Formats(
            options.global_response_templating,
            options.wiremock_404,
            options.openapi_dynamic,
            options.openapi_errors,
            options.cors,
            options.validate_responses,
        )
        self.callbacks = CallbackSender(CallbackLog())
        """Sends the stubs' callbacks, off the request path; its log is the admin's."""
        root = config_root(self.paths)
        self.persist = persist_dir(options, root)
        layer = StubLayer()
        if self.persist is not None:
            layer = load_layer(self.persist, files_root(root), formats.global_templating, root)
        saved = self.persist.root / "auth" if self.persist is not None else None
        keys = saved / "keys" if saved is not None else None
        self.auth = AuthPlane(keys, clock.time, overrides_dir=saved)
        """The mock issuers' keys, runtime users and clients (kept beside the runtime
        stubs) and grants."""
        initial: CompiledConfig
        if self.paths:
            self.reloader = Reloader(
                self.paths,
                self._install,
                self._on_error,
                options.seed,
                store=self.store,
                clock=clock,
                formats=formats,
                layer=layer,
                ignore=self.persist.root if self.persist is not None else None,
                addons=addon_specs(options.addons),
                sender=self.callbacks,
                freeze_gc=freeze_gc,
                auth=self.auth,
                default_issuer=options.auth,
            )
            self.composer = self.reloader.composer
            initial = self.reloader.load_now()
        else:
            self.composer = Composer(
                with_addons(Config(tuple(stubs), ()), addon_specs(options.addons)),
                self._install,
                options.seed,
                store=self.store,
                clock=clock,
                formats=formats,
                layer=layer,
                sender=self.callbacks,
                auth=self.auth,
            )
            self.composer.default_issuer = options.auth
            initial = self.composer.compose()
            self.composer.commit(initial, install=False)
        self.counters = Counters()
        self.engine = Engine(initial, self.journal, self.counters)
        self.forwarder = HttpForwarder()
        """Carries out proxied answers (``proxy:`` stubs, ``--proxy-to``)."""
        if options.proxy_to:
            self.engine.fallback = (options.proxy_to, {})
        self.recorder: Recorder | None = None
        if options.record_to:
            self.recorder = Recorder(
                Path(options.record_to),
                latency=options.record_latency,
                keep_headers=options.record_headers,
            )
            if kept := self.recorder.resume():
                log.info("recording on into %s (%d endpoints already)", options.record_to, kept)
            self.journal.listen(self.recorder.heard)
            self.forwarder.keep_bodies = RECORDED_BODY_CAP
        self.feed: LayerFeed | None = None
        if is_remote(self.store):
            from .admin.layer_feed import LayerFeed  # redis and greenlet: only when asked
            from .state.redis_store import RedisStore

            if isinstance(self.store, RedisStore):
                files = files_root(root)
                self.feed = LayerFeed(self.store, files, formats.global_templating, root)
        """The runtime stubs shared through Redis (None with memory state)."""
        self._feed_task: asyncio.Task[None] | None = None
        self.admin = LocalAdmin(
            self.engine,
            self.composer,
            self.reloader,
            self.persist,
            base_dir=root,
            templating=formats.global_templating,
            feed=self.feed,
        )
        self.shutdown_requested = asyncio.Event()
        """Set by ``POST /__admin/shutdown`` where ``serve_until_signal`` serves (the CLI, a
        worker), which then stops as on SIGTERM; an embedded server is stopped by its owner."""
        self.routes = AdminRoutes(self.admin, options.admin_token)
        self.metrics = MetricsRoute(
            ServerCollector(self.engine, self._open_connections, self._refused)
        )
        self.routes.add(("GET", "HEAD"), METRICS_PATH, self.metrics)
        self.routes.add(("GET",), CA_PATH, CaRoute(self.tls.ca if self.tls is not None else None))
        callbacks = CallbacksRoute(self.callbacks.log)
        self.routes.add(("GET", "HEAD", "DELETE"), CALLBACKS_PATH, callbacks)
        hub = self.engine.websockets
        self.routes.add(("GET", "HEAD"), WEBSOCKETS_PATH, WebSocketsRoute(hub))
        self.routes.add(("POST",), SEND_PATH, SendRoute(hub))
        self.routes.add(("POST",), PUBLISH_PATH, PublishRoute(hub))
        self._saved_grpc = (
            SavedGrpcStubs(self.persist.root / "grpc") if self.persist is not None else None
        )
        """Where gRPC stubs added at run time are kept (beside the HTTP ones)."""
        self.routes.add(
            GRPC_STUBS_METHODS,
            GRPC_STUBS_PATH,
            GrpcStubsRoute(lambda: self.grpc_server, self._saved_grpc),
        )
        messages = MessagesRoute(self.engine.websocket_log)
        self.routes.add(("GET", "HEAD", "DELETE"), MESSAGES_PATH, messages)
        reset = ResourcesResetRoute(lambda: self.engine.config)
        self.routes.add(("POST",), RESOURCES_RESET_PATH, reset)
        recordings = RecordingsRoutes(self.engine, self.admin)
        for methods, path, route in recordings.routes():
            self.routes.add(methods, path, route)
        AuthRoutes(self.auth).register(self.routes)
        UiAssets().register(self.routes)
        live = LiveRoute(self.journal, self.counters, lambda: server_closing(self.server))
        self.routes.add(("GET",), LIVE_PATH, live)
        if is_remote(self.store):
            self.dispatcher: Dispatcher = BridgedDispatcher(self.engine, self.routes, self.store)
        else:
            self.dispatcher = Dispatcher(self.engine, self.routes)
        self.tunnels: Tunnels | None = None
        """``--proxy-mode``: the CONNECT tunnels, served by the dispatcher over TLS."""
        self.pass_through: PassThrough | None = None
        if options.proxy_mode and self.tls is not None:
            from .proxy.pass_through import PassThrough
            from .proxy.tunnel import Tunnels

            secure = OverTls(self.dispatcher)
            self.tunnels = Tunnels(
                secure, self.tls, server_limits(options), self.forwarder, options.http2
            )
            self.dispatcher.tunnels = self.tunnels
            if options.proxy_pass_through:
                self.pass_through = PassThrough(self.tunnels.targets, options.host)
                self.engine.pass_through = self.pass_through

    def _install(self, config: CompiledConfig) -> None:
        self.engine.install(config)

    def _on_error(self, error: ConfigError | None) -> None:
        self.counters.reloaded(error is not None)
        self.admin.on_reload(error)

    def _listening(self) -> list[HttpServer]:
        """The HTTP servers started so far: plain, and HTTPS when it is served."""
        return [s for s in (self.server, self.https_server) if s is not None]

    async def _close_listening(self) -> None:
        await asyncio.gather(*(server.close() for server in self._listening()))

    def _open_connections(self) -> int:
        return sum(server.connections for server in self._listening())

    def _refused(self) -> Counter[str]:
        """What the listeners' transports refused, by reason, summed."""
        total: Counter[str] = Counter()
        for server in self._listening():
            total.update(server.refused)
        return total

    async def start(self) -> HttpServer:
        """Listen, and watch the files when asked."""
        opts = self.options
        opener = getattr(self.store, "open", None)
        if opener is not None:  # a remote store: connect (being away is not fatal)
            await opener()
        if self.feed is not None:
            await self._share_runtime_stubs(self.feed)
        journal_start = getattr(self.journal, "start", None)
        if journal_start is not None:  # a shared journal: its flusher
            await journal_start()
        self.server = await start_server(
            self.dispatcher,
            opts.host,
            opts.port,
            server_limits(opts),
            reuse_port=opts.workers > 1,
            forwarder=self.forwarder,
            http2=opts.http2,
        )
        if self.tls is not None and opts.https_port is not None:
            from .tls.listen import start_https_server

            try:
                self.https_server = await start_https_server(
                    OverTls(self.dispatcher),
                    self.tls,
                    opts.host,
                    opts.https_port,
                    server_limits(opts),
                    reuse_port=opts.workers > 1,
                    forwarder=self.forwarder,
                )
            except BaseException:
                await self._close_listening()  # both ports or neither
                raise
        if self.pass_through is not None:
            self.pass_through.ports = [s.port for s in self._listening()]
        grpc = self.composer.base.grpc
        if grpc is not None:
            from .grpc import start_grpc  # grpcio: only for configs with grpc:

            try:
                rng = random.Random(opts.seed) if opts.seed is not None else None
                self.grpc_server = await start_grpc(
                    grpc,
                    self.journal,
                    host=opts.host,
                    port=opts.grpc_port,
                    clock=self.clock,
                    rng=rng,
                )
                if self._saved_grpc is not None:  # the stubs added at run time, again
                    restore(self.grpc_server, self._saved_grpc)
            except BaseException:
                await self._close_listening()  # every port or none
                raise
        if opts.admin_token is None and not is_loopback(opts.host):
            log.warning(
                "the admin API (/__admin) is reachable on %s without a token: anyone who can "
                "reach this port can change the stubs; set --admin-token or "
                "APIDOUBLE_ADMIN_TOKEN",
                opts.host,
            )
        if opts.watch and self.reloader is not None:
            loop = asyncio.get_running_loop()
            self._watch_task = loop.create_task(self.reloader.watch(self._stop_watching))
        if self.freeze_gc:
            # Only where apidouble owns the process (the CLI): what start-up built lives as
            # long as the process, so move it out of the collector's sight and full
            # collections stay short however big the config. Never in a host process
            # (MockServer, pytest): frozen objects are never freed. A config loaded from
            # files was frozen as it was built (``collector_paused``); this takes the rest.
            gc.freeze()
        return self.server

    async def _share_runtime_stubs(self, feed: LayerFeed) -> None:
        """Serve the runtime stubs Redis holds (or give it ours), then follow its changes."""
        writer = self.admin.writer
        try:
            shared = await feed.pull()
            if shared is not None:
                await writer.apply_shared(*shared)
            elif self.composer.layer.entries and not await feed.push(self.composer.layer):
                log.info("another instance shared its runtime stubs first")
        except StateUnavailable as exc:
            log.warning("runtime stubs not shared yet: %s", exc)
        loop = asyncio.get_running_loop()
        self._feed_task = loop.create_task(feed.watch(writer.apply_shared, self._stop_watching))

    async def stop(self) -> None:
        """Stop watching, then shut down gracefully (in-flight requests finish)."""
        self._stop_watching.set()
        if self._watch_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._watch_task, timeout=5)
        if self._feed_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._feed_task, timeout=5)
        await self._close_websockets()
        if self.grpc_server is not None:
            await self.grpc_server.stop(1.0)
        if self.tunnels is not None:  # first: tunneled requests in flight may finish
            await self.tunnels.close()
        await self._close_listening()
        await self.callbacks.aclose()
        await self.forwarder.aclose()
        if self.recorder is not None:
            await self.recorder.aclose()
        journal_close = getattr(self.journal, "aclose", None)
        if journal_close is not None:
            await journal_close()
        closer = getattr(self.store, "aclose", None)
        if closer is not None:
            await closer()

    async def _close_websockets(self, grace_s: float = 1.0) -> None:
        """Tell every WebSocket client the server is going away (1001), and give the close
        handshakes a moment; the transport closes what is left."""
        hub = self.engine.websockets
        if not len(hub):
            return
        hub.close_all(1001, "server shutting down")
        deadline = asyncio.get_running_loop().time() + grace_s
        while len(hub) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def config_root(paths: Sequence[Path]) -> Path | None:
    """The folder of the first config path (itself when it is a folder)."""
    if not paths:
        return None
    first = paths[0]
    return first if first.is_dir() else first.parent


def persist_dir(options: Options, root: Path | None) -> PersistDir | None:
    """Where stubs made through the admin API are kept: ``--persist-dir``, else
    ``.apidouble/`` in the config root; nowhere for a server given stubs in code."""
    if options.persist_dir is not None:
        return PersistDir(Path(options.persist_dir))
    return PersistDir(root / ".apidouble") if root is not None else None


def files_root(root: Path | None) -> Path | None:
    """A WireMock ``__files`` folder beside the config, for persisted mappings' bodies."""
    if root is None:
        return None
    for folder in (root / "__files", root.parent / "__files"):
        if folder.is_dir():
            return folder
    return None


# --- --workers N ---------------------------------------------------------------------------

_READY = "ready"
_START_TIMEOUT_S = 60.0


async def serve_until_signal(runtime: Runtime, started: Connection | None = None) -> None:
    """Serve until SIGINT, SIGTERM or ``POST /__admin/shutdown``, then stop gracefully.
    ``started`` (a worker's pipe to its parent) hears "ready" once listening; without it
    the URL line is printed here."""
    server = await runtime.start()
    if started is None:
        print(f"apidouble listening on {server.url}", flush=True)
        if runtime.https_server is not None:
            print(f"apidouble listening on {runtime.https_server.url}", flush=True)
        if runtime.grpc_server is not None:
            print(f"apidouble grpc on {runtime.grpc_server.address}", flush=True)
    else:
        started.send(_READY)
    stop = runtime.shutdown_requested
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime.routes.shutdown = stop.set  # POST /__admin/shutdown: as SIGTERM
    await stop.wait()
    log.info("shutting down")
    await runtime.stop()


def _worker(paths: Sequence[Path], options: Options, started: Connection) -> None:
    """One worker process: load, bind host:port with SO_REUSEPORT, serve until told to stop."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # the parent's handlers came along with fork
    from .transport.server import install_event_loop_policy

    try:
        runtime = Runtime(paths, options, freeze_gc=True)
        install_event_loop_policy()
        asyncio.run(serve_until_signal(runtime, started))
    except (ConfigError, OSError) as exc:
        started.send(f"{type(exc).__name__}: {exc}")
        sys.exit(1)


def _reserve_port(host: str) -> socket.socket:
    """A concrete free port for ``--port 0``: bound with SO_REUSEPORT but never listening,
    so it receives no connection and no other program can take the port meanwhile."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    reservation = socket.socket(family, socket.SOCK_STREAM)
    reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reservation.bind((host, 0))
    return reservation


def run_workers(paths: Sequence[Path], options: Options) -> int:
    """Run ``options.workers`` worker processes on one port; return the exit code.

    The parent binds nothing (for ``--port 0`` it first reserves one concrete free port,
    see ``_reserve_port``), prints the URL line once every worker listens, forwards
    SIGINT/SIGTERM to the workers and waits for their graceful shutdown. If a worker fails
    to start or dies, the others are stopped too and the exit code is 1.
    """
    if not hasattr(socket, "SO_REUSEPORT"):
        print("apidouble run: --workers needs SO_REUSEPORT (Linux, BSD, macOS)", file=sys.stderr)
        return 2
    reservation = _reserve_port(options.host) if options.port == 0 else None
    port = reservation.getsockname()[1] if reservation is not None else options.port
    options = replace(options, port=int(port))
    tls_reservation = _reserve_port(options.host) if options.https_port == 0 else None
    if tls_reservation is not None:
        options = replace(options, https_port=int(tls_reservation.getsockname()[1]))
    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    methods = multiprocessing.get_all_start_methods()
    # fork (where it exists) starts workers at once, before any thread or loop runs here
    context: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    workers: list[BaseProcess] = []
    pipes: dict[Connection, int] = {}
    failed = False
    try:
        for index in range(options.workers):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker, args=(paths, options, send), name=f"apidouble-worker-{index}"
            )
            process.start()
            send.close()
            workers.append(process)
            pipes[receive] = index
        deadline = time.monotonic() + _START_TIMEOUT_S
        while pipes and not stopping and time.monotonic() < deadline:
            for ready in wait(list(pipes), timeout=0.2):
                pipe = cast(Connection, ready)
                index = pipes.pop(pipe)
                try:
                    message = str(pipe.recv())
                except EOFError:
                    message = "exited before listening"
                if message != _READY:
                    print(f"apidouble: worker {index}: {message}", file=sys.stderr)
                    failed = stopping = True
        if pipes and not stopping:
            print("apidouble: workers did not start in time", file=sys.stderr)
            failed = stopping = True
        if not stopping:
            print(f"apidouble listening on {http_url(options.host, port)}", flush=True)
            if options.https_port is not None:
                secure = http_url(options.host, options.https_port, "https")
                print(f"apidouble listening on {secure}", flush=True)
            log.info("%d workers, one journal each", options.workers)
        for held in (reservation, tls_reservation):
            if held is not None:
                held.close()
        sentinels = [process.sentinel for process in workers]
        while not stopping:
            if wait(sentinels, timeout=0.5):
                dead = [p for p in workers if p.exitcode is not None]
                for process in dead:
                    print(f"apidouble: {process.name} exited ({process.exitcode})", file=sys.stderr)
                failed = stopping = True
    finally:
        failed = _stop_workers(workers, options.shutdown_grace_s) or failed
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0


def _stop_workers(workers: list[BaseProcess], grace_s: float) -> bool:
    """SIGTERM every worker still running, wait for graceful exits; True if any failed."""
    for process in workers:
        if process.exitcode is None and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
    failed = False
    for process in workers:
        process.join(grace_s + 5)
        if process.exitcode is None:
            process.kill()
            process.join(5)
            failed = True
        elif process.exitcode != 0:
            failed = True
    return failed
