"""``LocalAdmin``: the ``Admin`` protocol over the engine, reloader and state in this process."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..compiled import compile_config
from ..config.load import load_data
from ..engine import Engine
from ..errors import ConfigError
from ..model import Stub
from ..watch import Reloader
from .wiremock_plane import WireMockPlane


class LocalAdmin(WireMockPlane):
    """Controls one engine; ``last_error`` is the failed reload, if the last one failed.
    WireMock's admin reads come from ``WireMockPlane``."""

    def __init__(
        self, engine: Engine, reloader: Reloader | None = None, seed: int | None = None
    ) -> None:
        self.engine = engine
        self.reloader = reloader
        self.seed = seed
        self.last_error: ConfigError | None = None

    def health(self) -> dict[str, Any]:
        journal = self.engine.journal
        body: dict[str, Any] = {
            "status": "degraded" if self.last_error else "healthy",
            "pid": os.getpid(),
            "stubs": len(self.engine.config.stubs),
            "journal": {"entries": len(journal), "bytes": journal.size_bytes},
        }
        if self.last_error is not None:
            body["errors"] = [str(problem) for problem in self.last_error.problems]
        return body

    def endpoints(self) -> list[dict[str, Any]]:
        return [
            {
                "id": compiled.stub.id,
                "name": compiled.stub.label,
                "methods": sorted(compiled.stub.pattern.methods) or ["ANY"],
                "path": compiled.stub.pattern.path or compiled.stub.pattern.path_regex,
                "source": {
                    "file": compiled.stub.source.file,
                    "line": compiled.stub.source.line,
                    "pointer": compiled.stub.source.pointer,
                },
            }
            for compiled in self.engine.config.stubs.values()
        ]

    def logs(self, limit: int | None = None) -> dict[str, Any]:
        journal = self.engine.journal
        return {"total": len(journal), "logs": journal.newest(limit)}

    def clear_logs(self) -> None:
        self.engine.journal.clear()

    async def reload(self) -> ConfigError | None:
        if self.reloader is None:
            raise LookupError("this server has no config files to reload")
        return await self.reloader.reload()

    def set_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        loaded = load_data({"endpoints": list(endpoints)})
        self._install(loaded.stubs)

    def add_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        current = [c.stub for c in self.engine.config.stubs.values()]
        loaded = load_data({"endpoints": list(endpoints)}, existing=current)
        added = [replace(stub, order=len(current) + n) for n, stub in enumerate(loaded.stubs)]
        self._install([*current, *added])

    def reset(self) -> None:
        self.engine.journal.clear()
        self.engine.config.store.reset()

    def _install(self, stubs: Sequence[Stub]) -> None:
        served = self.engine.config
        config = compile_config(stubs, seed=self.seed, store=served.store, clock=served.clock)
        # what the files said about serving, beyond the stubs, stays as it was
        config.documents, config.not_found = served.documents, served.not_found
        config.skipped = served.skipped
        self.engine.install(config)

    def on_reload(self, error: ConfigError | None) -> None:
        """The reloader's report: remember a failure until a reload succeeds."""
        self.last_error = error
