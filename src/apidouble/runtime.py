"""Assemble a running server: engine, control routes, reloader, watcher and transport.

Shared by the CLI and ``MockServer`` so both serve through exactly the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

from .admin.routes import ControlRoutes
from .compiled import CompiledConfig, compile_config
from .engine import Engine
from .errors import ConfigError
from .journal import Journal, JournalLimits
from .model import Stub
from .options import Options
from .transport.server import HttpServer, ServerLimits, start_server
from .watch import Reloader

log = logging.getLogger("apidouble")


class Runtime:
    """One serving instance; ``start`` and ``stop`` run on its event loop."""

    def __init__(
        self,
        paths: Sequence[Path] = (),
        options: Options | None = None,
        stubs: Sequence[Stub] = (),
    ) -> None:
        self.options = options = options or Options()
        self.paths = tuple(paths)
        self.server: HttpServer | None = None
        self.journal = Journal(
            JournalLimits(options.journal_budget_bytes, options.journal_body_cap_bytes)
        )
        self.reloader: Reloader | None = None
        self._stop_watching = asyncio.Event()
        self._watch_task: asyncio.Task[None] | None = None
        initial: CompiledConfig
        if self.paths:
            self.reloader = Reloader(self.paths, self._install, self._on_error, options.seed)
            initial = self.reloader.load_now()
        else:
            initial = compile_config(stubs, seed=options.seed)
        self.engine = Engine(initial, self.journal)
        reload = self.reloader.reload if self.reloader else None
        self.control = ControlRoutes(self.engine, reload, options.admin_token)
        self.engine.control = self.control

    def _install(self, config: CompiledConfig) -> None:
        self.engine.install(config)

    def _on_error(self, error: ConfigError | None) -> None:
        self.control.last_error = error

    async def start(self) -> HttpServer:
        """Listen, and watch the files when asked."""
        opts = self.options
        limits = ServerLimits(
            max_body_bytes=opts.max_body_bytes,
            max_header_bytes=opts.max_header_bytes,
            header_timeout_s=opts.header_timeout_s,
            idle_timeout_s=opts.idle_timeout_s,
            shutdown_grace_s=opts.shutdown_grace_s,
        )
        self.server = await start_server(
            self.engine, opts.host, opts.port, limits, reuse_port=opts.workers > 1
        )
        if opts.watch and self.reloader is not None:
            loop = asyncio.get_running_loop()
            self._watch_task = loop.create_task(self.reloader.watch(self._stop_watching))
        return self.server

    async def stop(self) -> None:
        """Stop watching, then shut down gracefully (in-flight requests finish)."""
        self._stop_watching.set()
        if self._watch_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._watch_task, timeout=5)
        if self.server is not None:
            await self.server.close()
