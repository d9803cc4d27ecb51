"""``LocalAdmin``: the ``Admin`` protocol over the engine, reloader and state in this process."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import VERSION
from ..compose import Composer
from ..config.load import load_data
from ..engine import Engine
from ..errors import ConfigError
from ..model import Stub
from ..watch import Reloader
from .layer import ADMIN_SOURCE, RuntimeStub, StubLayer, native_stub

if TYPE_CHECKING:
    from .layer_feed import LayerFeed
from .persist import PersistDir
from .wiremock_plane import WireMockPlane
from .wiremock_writes import WireMockWrites
from .writes import DuplicateEndpoint, FileChange, Writer, removed, saved


class LocalAdmin(WireMockPlane, WireMockWrites):
    """Controls one engine; ``last_error`` is the failed reload, if the last one failed.
    WireMock's admin reads come from ``WireMockPlane``, its mapping writes from
    ``WireMockWrites``; every write goes through the composer the reloader shares."""

    def __init__(
        self,
        engine: Engine,
        composer: Composer,
        reloader: Reloader | None = None,
        persist: PersistDir | None = None,
        *,
        base_dir: Path | None = None,
        templating: bool = False,
        feed: LayerFeed | None = None,
    ) -> None:
        self.engine = engine
        self.composer = composer
        self.reloader = reloader
        self.writer = Writer(composer, persist, feed)
        self.base_dir = base_dir
        self.templating = templating
        self.last_error: ConfigError | None = None
        self.started = time.monotonic()

    def health(self) -> dict[str, Any]:
        journal = self.engine.journal
        status = "degraded" if self.last_error else "healthy"
        body: dict[str, Any] = {
            "status": status,
            "message": "apidouble is ok" if status == "healthy" else "the last reload failed",
            "version": VERSION,
            "uptimeInSeconds": int(time.monotonic() - self.started),
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "pid": os.getpid(),
            "stubs": len(self.engine.config.stubs),
            "runtime_stubs": len(self.composer.layer.entries),
            "journal": {"entries": len(journal), "bytes": journal.size_bytes},
        }
        if self.last_error is not None:
            body["errors"] = [str(problem) for problem in self.last_error.problems]
        sharing = getattr(journal, "status", None)
        if sharing is not None:  # a shared journal: where reads come from, what waits
            body["journal"]["sharing"] = sharing()
        probe = getattr(self.engine.config.store, "probe", None)
        if probe is not None:  # a remote store: say whether it is reachable
            state = body["state"] = probe()
            if state["status"] != "up":
                body["status"] = "degraded"
                body["message"] = "the state store is unreachable: requests that need state get 503"
        return body

    def endpoints(self) -> list[dict[str, Any]]:
        """The served stubs in order, then the disabled ones (``disabled: true``)."""
        layer = self.composer.layer
        served = [_listed(c.stub, layer) for c in self.engine.config.stubs.values()]
        off = layer.disabled_stubs(self.composer.base.stubs)
        return served + [{**_listed(stub, layer), "disabled": True} for stub in off]

    def hits(self) -> dict[str, int]:
        """Requests each stub answered since the journal was last cleared (exact counts,
        evicted entries included), by stub id."""
        tallies = self.engine.journal.tallies()
        return {key: tally.recorded for key, tally in tallies.items() if key is not None}

    def resources(self) -> list[dict[str, Any]]:
        """The CRUD resources served (json-server's), in the file's order: each one's name,
        its HTTP path and its row count (None for a singular resource, an object). Counts
        are the main database's (a session's own copy is not counted)."""
        served = self.engine.config.resources
        if served is None:
            return []
        data = served.database.document()
        found = []
        for name in served.names:
            value = data.get(name)
            rows = len(value) if isinstance(value, list) else None
            found.append({"name": name, "path": f"/{name}", "rows": rows})
        return found

    def logs(self, limit: int | None = None) -> dict[str, Any]:
        journal = self.engine.journal
        return {"total": len(journal), "logs": journal.newest(limit)}

    def clear_logs(self) -> None:
        self.engine.journal.clear()

    async def reload(self) -> ConfigError | None:
        if self.reloader is None:
            raise LookupError("this server has no config files to reload")
        return await self.reloader.reload()

    # --- from Python: memory only (a test's stubs do not outlive its server) -----------

    def set_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        loaded = load_data({"endpoints": list(endpoints)}, base_dir=self.base_dir)
        composer = self.composer
        base = replace(composer.base, stubs=loaded.stubs)
        layer = StubLayer(next_seq=composer.layer.next_seq)
        composer.commit(composer.compose(base, layer), base=base, layer=layer)

    def add_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        composer = self.composer
        current = self.writer.served_stubs()
        loaded = load_data({"endpoints": list(endpoints)}, existing=current, base_dir=self.base_dir)
        layer = composer.layer
        for stub, document in zip(loaded.stubs, endpoints, strict=True):
            layer = layer.with_entry(RuntimeStub("native", dict(document), stub, False))
        composer.commit(composer.compose(layer=layer), layer=layer)

    async def locked(
        self,
        change: Callable[[Sequence[Mapping[str, Any]]], None],
        endpoints: Sequence[Mapping[str, Any]],
    ) -> None:
        """``change(endpoints)`` under the composer's lock, on the loop (``MockServer``)."""
        async with self.composer.lock:
            change(endpoints)

    def reset(self) -> None:
        """The journal, every stub's state and the json-server database's data."""
        self.engine.journal.clear()
        config = self.engine.config
        config.store.reset()
        if config.resources is not None:
            config.resources.reset()

    async def reset_all(self) -> None:
        """WireMock's ``POST /__admin/reset``: the journal, the state, and the mappings
        back to the files and the persisted stubs."""
        await self.reset_mappings()
        self.reset()

    # --- native endpoints over HTTP: persisted like mappings -------------------------

    def endpoint(self, stub_id: str) -> dict[str, Any] | None:
        """One listed stub in the native format (as ``endpoints`` lists it) with its whole
        document: a runtime stub's as it was made, a file stub's from ``Stub.to_config()``
        (``from_file: true``; a save goes to the runtime layer, never to the file)."""
        for found in self.endpoints():
            if found["id"] == stub_id:
                entry = self.composer.layer.entries.get(stub_id)
                if entry is not None and entry.kind == "native":
                    found["endpoint"] = dict(entry.document)
                elif entry is None:
                    stub = self._stub(stub_id)
                    if stub is not None:
                        found["endpoint"] = stub.to_config()
                        found["from_file"] = True
                return found
        return None

    def _stub(self, stub_id: str) -> Stub | None:
        """The listed stub ``stub_id`` (served or disabled), or None."""
        for stub in self._listed_stubs():
            if stub.id == stub_id:
                return stub
        return None

    def _listed_stubs(self) -> list[Stub]:
        layer = self.composer.layer
        return self.writer.served_stubs() + layer.disabled_stubs(self.composer.base.stubs)

    async def set_disabled(self, stub_id: str, disabled: bool) -> dict[str, Any] | None:
        """Stop serving ``stub_id`` while keeping it listed (``disabled``), or serve it
        again; None when no such stub is listed. A persistent runtime stub's file says
        so, so it stays that way across a restart."""
        if self._stub(stub_id) is None:
            return None

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            entry = layer.entries.get(stub_id)
            layer = layer.switched(stub_id, disabled)
            files = [saved(entry, layer)] if entry is not None and entry.persistent else []
            return layer, files

        await self.writer.change(make)
        return self.endpoint(stub_id)

    async def import_endpoints(self, documents: Sequence[Any]) -> list[str]:
        """Serve native endpoints made from an import as runtime stubs (persisted as the
        API's are), all or none; their ids. A taken id is replaced."""
        entries: list[RuntimeStub] = []
        loaded = load_data({"endpoints": list(documents)}, source=ADMIN_SOURCE)
        for stub, document in zip(loaded.stubs, documents, strict=True):
            raw = {**dict(document), "id": stub.id}
            entries.append(RuntimeStub("native", raw, native_stub(raw, self.base_dir)))

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            files: list[FileChange] = []
            for entry in entries:
                layer = layer.with_entry(entry)
                files.append(saved(entry, layer))
            return layer, files

        await self.writer.change(make)
        return [entry.stub.id for entry in entries]

    def _runtime_endpoint(self, document: Any, stub_id: str | None = None) -> RuntimeStub:
        if not isinstance(document, Mapping):
            raise TypeError("an endpoint must be a JSON object")
        raw = dict(document)
        if stub_id is not None:
            raw["id"] = stub_id
        persistent = raw.pop("persistent", True) is not False
        stub = native_stub(raw, self.base_dir)
        return RuntimeStub("native", raw, stub, persistent)

    async def create_endpoint(self, document: Any) -> dict[str, Any]:
        """Serve a new native endpoint; raises ``ConfigError`` (bad endpoint),
        ``DuplicateEndpoint`` (its id is taken) or ``OSError`` (not persisted)."""
        entry = self._runtime_endpoint(document)
        if any(stub.id == entry.stub.id for stub in self.writer.served_stubs()):
            raise DuplicateEndpoint(f"a stub with id {entry.stub.id!r} is already served")
        await self._put_endpoint(entry)
        found = self.endpoint(entry.stub.id)
        assert found is not None
        return found

    async def replace_endpoint(self, stub_id: str, document: Any) -> dict[str, Any] | None:
        if self._stub(stub_id) is None:
            return None
        entry = self._runtime_endpoint(document, stub_id)
        await self._put_endpoint(entry)
        return self.endpoint(stub_id)

    async def _put_endpoint(self, entry: RuntimeStub) -> None:
        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            layer = layer.with_entry(entry)
            return layer, [saved(entry, layer)]

        await self.writer.change(make)

    async def delete_endpoint(self, stub_id: str) -> bool:
        if self._stub(stub_id) is None:
            return False
        base = self.writer.base_ids()

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            entry = layer.entries.get(stub_id)
            files = [removed(entry)] if entry is not None else []
            return layer.without([stub_id], base), files

        await self.writer.change(make)
        return True

    def on_reload(self, error: ConfigError | None) -> None:
        """The reloader's report: remember a failure until a reload succeeds."""
        self.last_error = error


def _listed(stub: Stub, layer: StubLayer) -> dict[str, Any]:
    """How ``endpoints`` lists one stub."""
    pattern = stub.pattern
    return {
        "id": stub.id,
        "name": stub.label,
        "methods": sorted(pattern.methods) or ["ANY"],
        "path": pattern.path or pattern.path_regex,
        "source": {
            "file": stub.source.file,
            "line": stub.source.line,
            "pointer": stub.source.pointer,
        },
        "runtime": stub.id in layer.entries,
    }
