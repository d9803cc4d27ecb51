"""Changing what is served from the admin API: the runtime layer, persisted, then composed.

Every write follows the same steps, under the composer's lock: build the new layer
(copy-on-write) and compile it, so a bad stub fails before anything changes; write the
persistent files (off the event loop: they are fsynced); then serve the new config. A
step that fails leaves the served config and the files as they were, so a client that
got an answer can rely on it: a 201 means the stub is served and, unless it said
``persistent: false``, on disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compose import Composer
from ..errors import ConfigError
from ..model import Stub
from ..state.store import StateUnavailable
from .layer import DISABLED, RuntimeStub, StubLayer
from .persist import Kind, PersistDir

if TYPE_CHECKING:
    from .layer_feed import LayerFeed

log = logging.getLogger("apidouble")

MAX_ATTEMPTS = 16
"""Shared writes that lose the race this many times in a row get a 503."""


class DuplicateEndpoint(ValueError):
    """A create named an id another stub already has."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file to write (``document``) or delete (None) once the change is valid."""

    kind: Kind
    stub_id: str
    document: Mapping[str, Any] | None


class Writer:
    """Applies layer changes through one composer, persisting them in ``persist``."""

    def __init__(
        self, composer: Composer, persist: PersistDir | None, feed: LayerFeed | None = None
    ) -> None:
        self.composer = composer
        self.persist = persist
        self.feed = feed
        """Where the layer is shared with other instances (``--state redis://…``)."""

    @property
    def layer(self) -> StubLayer:
        return self.composer.layer

    def base_ids(self) -> set[str]:
        return {stub.id for stub in self.composer.base.stubs}

    def served_stubs(self) -> list[Stub]:
        served = self.composer.served
        return [] if served is None else [c.stub for c in served.stubs.values()]

    async def change(
        self, make: Callable[[StubLayer], tuple[StubLayer, list[FileChange]]]
    ) -> StubLayer:
        """Serve the layer ``make`` derives from the current one, after writing its files.

        ``make`` runs under the lock on the current layer, so concurrent writes never
        lose each other's changes. Raises whatever ``make`` or compiling raises
        (nothing changed then), or ``OSError`` when a file cannot be written."""
        composer, feed = self.composer, self.feed
        async with composer.lock:
            for _ in range(MAX_ATTEMPTS):
                if feed is not None:  # another instance's changes first
                    newer = await feed.pull()
                    if newer is not None:
                        version, shared = newer
                        composer.commit(composer.compose(layer=shared), layer=shared)
                        feed.version = version
                layer, files = make(composer.layer)
                config = composer.compose(layer=layer)
                if files and self.persist is not None:
                    loop = asyncio.get_running_loop()
                    await loop.run_in_executor(None, self._write_files, files)
                if feed is not None and not await feed.push(layer):
                    continue  # another instance wrote meanwhile: apply ours to theirs
                composer.commit(config, layer=layer)
                return layer
        raise StateUnavailable(f"a stub change lost {MAX_ATTEMPTS} races in a row; try again")

    async def apply_shared(self, version: int, layer: StubLayer) -> None:
        """Serve the layer another instance stored as ``version``, unless a newer one is
        served already; one that does not compile here is logged and not served."""
        composer, feed = self.composer, self.feed
        async with composer.lock:
            if feed is not None and version <= feed.version:
                return
            try:
                composer.commit(composer.compose(layer=layer), layer=layer)
            except (
                ConfigError
            ) as exc:  # not served, so not ours to build on: a write here fails too
                log.error("the shared runtime stubs do not compile here: %s", exc)
                return
            if feed is not None:
                feed.version = version

    def _write_files(self, files: Iterable[FileChange]) -> None:
        """Every file change, or none: a failure part way puts back the files already
        changed (as they were, times included) before it propagates."""
        persist = self.persist
        assert persist is not None
        done: list[tuple[str, dict[Path, tuple[bytes, int]]]] = []
        try:
            for change in files:
                done.append((change.stub_id, persist.snapshot(change.stub_id)))
                if change.document is None:
                    persist.delete(change.kind, change.stub_id)
                else:
                    persist.write(change.kind, change.stub_id, change.document)
        except BaseException:
            for stub_id, before in reversed(done):
                try:
                    persist.restore(stub_id, before)
                except OSError:
                    log.exception("could not put back the persisted stub %s", stub_id)
            raise


def saved(entry: RuntimeStub, layer: StubLayer) -> FileChange:
    """The file that keeps ``entry`` as ``layer`` (the layer it is served in) has it: a
    delete when it is not persistent, marked when it is disabled there so it comes back
    disabled."""
    document = entry.document if entry.persistent else None
    if document is not None and entry.stub.id in layer.disabled:
        document = {**document, DISABLED: True}
    return FileChange(entry.kind, entry.stub.id, document)


def removed(entry: RuntimeStub) -> FileChange:
    return FileChange(entry.kind, entry.stub.id, None)
