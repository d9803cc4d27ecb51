"""Reload: load and compile off the event loop, then swap; keep the last good config.

A reload that fails leaves the served config untouched; its error is logged with file
and line and reported by ``/__admin/health`` until a later reload succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, awatch

from .compiled import CompiledConfig, compile_config
from .config.cache import DocumentCache
from .config.discover import is_config_file
from .config.load import load_config
from .errors import ConfigError
from .importers.wiremock.unmatched import wiremock_report
from .state.clock import SYSTEM_CLOCK, Clock
from .state.store import StateStore

log = logging.getLogger("apidouble")


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while load time allocates: building 10,000 stubs
    creates millions of objects, and collections triggered meanwhile walk them all again
    and again (about 40 % of load time). Nothing load time builds is garbage until the
    next generation replaces it; what a failed build leaves is collected as usual later."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Formats:
    """How files of other tools' formats are served (WireMock's flags)."""

    global_templating: bool = False
    """Every WireMock response is a template (``--global-response-templating``)."""
    wiremock_404: bool = True
    """A WireMock root answers unmatched requests with WireMock's plain-text report."""


def build(
    paths: Sequence[Path],
    seed: int | None = None,
    store: StateStore | None = None,
    clock: Clock = SYSTEM_CLOCK,
    *,
    cache: DocumentCache | None = None,
    previous: CompiledConfig | None = None,
    formats: Formats = Formats(),
) -> CompiledConfig:
    """Load time, start to end: read the files, validate, compile, index. With the served
    config's ``store``, unchanged stubs keep their state; with the reloader's ``cache``
    and the served config as ``previous``, only edited files and stubs are redone."""
    with collector_paused():
        config = load_config(*paths, cache=cache, templating=formats.global_templating)
        chosen_seed = seed if seed is not None else config.seed
        faker = config.faker
        wiremock = formats.wiremock_404 and config.wiremock
        compiled = compile_config(
            config.stubs,
            (*config.files, *config.data_files),
            chosen_seed,
            data=config.data,
            faker_locale=faker.locale if faker else None,
            faker_seed=faker.seed if faker else None,
            server=config.server,
            store=store,
            clock=clock,
            previous=previous,
            file_roots=config.file_roots,
            not_found=wiremock_report if wiremock else None,
        )
        compiled.skipped = config.skipped
        return compiled


def _log_skipped(config: CompiledConfig) -> None:
    """The stubs left out of a served config (the rest serve), one line each."""
    for problem in config.skipped:
        log.error("skipped: %s", problem)


class Reloader:
    """Rebuilds the served config from its paths, on demand or when files change."""

    def __init__(
        self,
        paths: Sequence[Path],
        install: Callable[[CompiledConfig], None],
        on_error: Callable[[ConfigError | None], None],
        seed: int | None = None,
        *,
        store: StateStore | None = None,
        clock: Clock = SYSTEM_CLOCK,
        formats: Formats = Formats(),
    ) -> None:
        self.paths = tuple(paths)
        self.formats = formats
        self.store = store
        self.clock = clock
        self.cache = DocumentCache()
        self.served: CompiledConfig | None = None
        """The last config this reloader built and installed (lends unchanged stubs)."""
        self.install = install
        self.on_error = on_error
        self.seed = seed
        self.watched: tuple[Path, ...] = ()
        self._lock = asyncio.Lock()

    def load_now(self) -> CompiledConfig:
        """The first load, before serving: errors propagate to the caller."""
        config = build(
            self.paths, self.seed, self.store, self.clock, cache=self.cache, formats=self.formats
        )
        self.served = config
        self.watched = config.files
        _log_skipped(config)
        return config

    async def reload(self) -> ConfigError | None:
        """Rebuild in a worker thread and swap; returns the error when the new config is bad."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            try:
                config = await loop.run_in_executor(None, self._build)
            except ConfigError as exc:
                log.error("reload failed, still serving the last good config:\n%s", exc)
                self.on_error(exc)
                return exc
            self.watched = config.files
            self.served = config
            _log_skipped(config)
            self.install(config)
            self.on_error(None)
            log.info("reloaded: %d stubs", len(config.stubs))
            return None

    def _build(self) -> CompiledConfig:
        return build(
            self.paths,
            self.seed,
            self.store,
            self.clock,
            cache=self.cache,
            previous=self.served,
            formats=self.formats,
        )

    def _relevant(self, change: Change, path: str) -> bool:
        candidate = Path(path)
        return is_config_file(candidate) or candidate in self.watched

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a watched file changes, until ``stop`` is set."""
        roots = {p if p.is_dir() else p.parent for p in self.paths}
        roots.update(p.parent for p in self.watched)
        async for _changes in awatch(*sorted(roots), watch_filter=self._relevant, stop_event=stop):
            await self.reload()
