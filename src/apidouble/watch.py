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
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from watchfiles import Change, awatch

from .addons.assembly import load_addons
from .addons.callback_log import CallbackSender
from .addons.loading import AddonLoader, AddonSpec
from .admin.layer import StubLayer
from .auth.plane import AuthPlane
from .compiled import CompiledConfig
from .compose import DEFAULT_FORMATS, Composer, Formats
from .config.cache import DocumentCache
from .config.discover import discover, is_config_file
from .config.load import Config, load_config
from .config.positions import SyntaxProblem, parse
from .config.schema import AddonEntry
from .errors import ConfigError, ConfigProblem
from .state.clock import SYSTEM_CLOCK, Clock
from .state.store import StateStore

log = logging.getLogger("apidouble")


@contextlib.contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while load time allocates: building 10,000 stubs
    creates millions of objects, and collections triggered meanwhile walk them all again
    and again (about 40 % of load time). Nothing load time builds is garbage until the
    next generation replaces it; what a failed build leaves is collected as usual later.

    ``freeze`` (only where apidouble owns the process: frozen objects are never freed by
    the collector) moves what was built out of the collector's sight before it resumes,
    so the first collection after a load does not walk the whole new config (half a
    second for 10,000 stubs), and neither does any full collection later. That leaks
    nothing as long as a config holds no reference cycle (a generation is then freed by
    reference counting when the next replaces it: ``tests/test_load_garbage.py``); the
    collection before pausing frees what is not frozen, which is cheap because the
    served config is."""
    was_enabled = gc.isenabled()
    if freeze:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def load_files(
    paths: Sequence[Path],
    cache: DocumentCache | None = None,
    formats: Formats = DEFAULT_FORMATS,
    addons: Sequence[AddonSpec] = (),
    loader: AddonLoader | None = None,
) -> Config:
    """Read and validate the files (stubs and settings) and load their addons (after
    ``addons``, the command line's); raises ``ConfigError``. Call it inside
    ``collector_paused`` with the compile that follows: a collection between the two
    would walk everything just loaded."""
    loader = loader if loader is not None else AddonLoader()
    problems: list[ConfigProblem] = []
    declared, texts = declared_addons(paths)
    for spec in (*addons, *declared):
        loader.load(spec, problems)  # first: what they register, their config may use
    if problems:
        raise ConfigError(problems)
    config = load_config(*paths, cache=cache, templating=formats.global_templating, texts=texts)
    return with_addons(config, (*addons, *config.addons), loader)


def declared_addons(paths: Sequence[Path]) -> tuple[list[AddonSpec], dict[Path, str]]:
    """The top-level ``addons`` of the config files, read before the files are validated,
    so a matcher or template helper an addon registers when it loads is known to the
    endpoints that use it; and the texts read, which the full load reuses. Only files
    whose text names ``addons`` are parsed twice; what is malformed here is reported by
    the full load."""
    found: list[AddonSpec] = []
    texts: dict[Path, str] = {}
    for path in discover(paths, []):
        try:
            text = texts[path] = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        if "addons" not in text:
            continue
        try:
            parsed = parse(text, as_json=path.suffix.lower() == ".json")
        except SyntaxProblem:
            continue
        entries = parsed.data.get("addons") if isinstance(parsed.data, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            try:
                valid = TypeAdapter(str | AddonEntry).validate_python(entry)
            except ValidationError:
                continue
            found.append(AddonEntry.spec_of(valid, path.parent, str(path), parsed.lines, index))
    return found, texts


def with_addons(
    config: Config, specs: Sequence[AddonSpec], loader: AddonLoader | None = None
) -> Config:
    """``config`` with its addons loaded (``loader`` keeps unchanged addon files' objects
    from one load to the next); raises ``ConfigError`` naming the file and line."""
    if not specs and not any(stub.addons for stub in config.stubs):
        return config
    problems: list[ConfigProblem] = []
    loaded = load_addons(specs, config.stubs, loader or AddonLoader(), problems)
    if problems:
        raise ConfigError(problems)
    return replace(config, addon_set=loaded)


def addon_specs(given: Sequence[Any], base: Path | None = None) -> tuple[AddonSpec, ...]:
    """``--addons`` values (or objects handed to ``MockServer``) as specs, files relative
    to ``base`` (the working directory by default)."""
    folder = base if base is not None else Path.cwd()
    return tuple(AddonSpec(use, folder, pointer=f"--addons {use}") for use in given)


def build(
    paths: Sequence[Path],
    seed: int | None = None,
    store: StateStore | None = None,
    clock: Clock = SYSTEM_CLOCK,
    *,
    cache: DocumentCache | None = None,
    previous: CompiledConfig | None = None,
    formats: Formats = DEFAULT_FORMATS,
    addons: Sequence[AddonSpec] = (),
) -> CompiledConfig:
    """Load time, start to end: read the files, validate, compile, index. With the served
    config's ``store``, unchanged stubs keep their state; with the reloader's ``cache``
    and the served config as ``previous``, only edited files and stubs are redone."""
    with collector_paused():
        base = load_files(paths, cache, formats, addons)
        composer = Composer(base, _nowhere, seed, store=store, clock=clock, formats=formats)
        return composer.compose(previous=previous)


def _nowhere(config: CompiledConfig) -> None:
    """``build`` installs nothing."""


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
        formats: Formats = DEFAULT_FORMATS,
        layer: StubLayer | None = None,
        ignore: Path | None = None,
        addons: Sequence[AddonSpec] = (),
        sender: CallbackSender | None = None,
        freeze_gc: bool = False,
        auth: AuthPlane | None = None,
        default_issuer: bool = False,
    ) -> None:
        self.paths = tuple(paths)
        self.freeze_gc = freeze_gc
        """Freeze what each load builds (``collector_paused``): the process is ours."""
        self.addons = tuple(addons)
        """Addons given besides the files' (``--addons``), loaded first."""
        self.loader = AddonLoader()
        """Keeps the objects of addon files unchanged since the last reload."""
        self.ignore = ignore.absolute() if ignore is not None else None
        """A folder whose changes are ours (the persisted runtime stubs): never a reload."""
        self.formats = formats
        self.cache = DocumentCache()
        self.composer = Composer(
            Config((), ()),
            install,
            seed,
            store=store,
            clock=clock,
            formats=formats,
            layer=layer,
            sender=sender,
            auth=auth,
        )
        """Puts the files' stubs under the runtime layer; admin writes share it."""
        self.composer.default_issuer = default_issuer
        self.on_error = on_error
        self.watched: tuple[Path, ...] = ()

    @property
    def served(self) -> CompiledConfig | None:
        """The last config installed (lends unchanged stubs to the next build)."""
        return self.composer.served

    def load_now(self) -> CompiledConfig:
        """The first load, before serving: errors propagate to the caller. The config is
        the composer's served one but not installed: the caller serves it first."""
        with collector_paused(self.freeze_gc):
            base = load_files(self.paths, self.cache, self.formats, self.addons, self.loader)
            config = self.composer.compose(base)
        self.composer.commit(config, base=base, install=False)
        self.watched = config.files
        _log_skipped(config)
        return config

    async def reload(self) -> ConfigError | None:
        """Rebuild in a worker thread and swap; returns the error when the new config is bad."""
        composer = self.composer
        async with composer.lock:
            loop = asyncio.get_running_loop()
            try:
                base, config = await loop.run_in_executor(None, self._build)
            except ConfigError as exc:
                log.error("reload failed, still serving the last good config:\n%s", exc)
                self.on_error(exc)
                return exc
            self.watched = config.files
            _log_skipped(config)
            composer.commit(config, base=base)
            self.on_error(None)
            log.info("reloaded: %d stubs", len(config.stubs))
            return None

    def _build(self) -> tuple[Config, CompiledConfig]:
        """The files read afresh, composed with the layer (which the lock holds still)."""
        with collector_paused(self.freeze_gc):
            base = load_files(self.paths, self.cache, self.formats, self.addons, self.loader)
            return base, self.composer.compose(base)

    def _relevant(self, change: Change, path: str) -> bool:
        candidate = Path(path)
        if self.ignore is not None and candidate.absolute().is_relative_to(self.ignore):
            return False
        return is_config_file(candidate) or candidate in self.watched

    def _roots(self) -> list[Path]:
        """The folders to watch: the given paths' and those of every file the config read
        (body and data files, an importer's sources: an environment beside a collection,
        a file a ``$ref`` names), wherever they are."""
        roots = {p if p.is_dir() else p.parent for p in self.paths}
        roots.update(p.parent for p in self.watched)
        return sorted(root for root in roots if root.is_dir())

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a watched file changes, until ``stop`` is set; a reload that
        reads a file in a folder not watched yet widens the watch to it."""
        while not stop.is_set():
            roots = self._roots()
            if not roots:  # nothing there to watch (yet): a reload is only on demand
                await stop.wait()
                return
            async for _changes in awatch(*roots, watch_filter=self._relevant, stop_event=stop):
                await self.reload()
                if self._roots() != roots:
                    break
