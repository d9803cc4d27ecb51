"""WireMock's mapping writes over the runtime layer: create, replace, delete, import, save.

A mixin for ``LocalAdmin`` beside ``WireMockPlane`` (the reads). Mappings arrive as
WireMock JSON and become runtime stubs of kind ``wiremock``; a mapping id that names a
file stub replaces or hides that stub in memory and in the persist folder, never in the
user's file. WireMock's rules, checked against WireMock 3.13: ids are UUIDs (422 at
``/id`` otherwise), a create with a taken id is refused (``DuplicateId``), a mapping is
persistent unless it says ``"persistent": false``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..engine import Engine
from ..importers.wiremock.patterns import body_spec
from ..importers.wiremock.problems import MappingError
from ..matching.pattern import compile_pattern
from ..model import Request, RequestPattern
from .layer import RuntimeStub, StubLayer, wiremock_stub
from .settings import extend, read_settings
from .wiremock import MappingViews
from .writes import FileChange, Writer, removed, saved


class DuplicateId(ValueError):
    """A create named an id another stub already has."""


class _Missing(LookupError):
    """No served mapping has the id a replace names (raised under the lock)."""


class WireMockWrites:
    """The mapping writes of WireMock's admin API (see ``Admin`` for each answer)."""

    engine: Engine
    writer: Writer
    templating: bool = False

    def _mapping_views(self) -> MappingViews:
        raise NotImplementedError  # WireMockPlane's

    def _files(self) -> Path | None:
        """The ``__files`` folder a mapping's ``bodyFileName`` reads from."""
        roots = self.writer.composer.base.file_roots
        return roots[0] if roots else None

    def _runtime_mapping(self, document: Any, mapping_id: str | None = None) -> RuntimeStub:
        """A mapping as sent -> a runtime stub (``mapping_id``: the id in the URL wins)."""
        if not isinstance(document, Mapping):
            raise MappingError("a mapping must be a JSON object with 'request' and 'response'")
        raw = dict(document)
        if mapping_id is not None:
            raw["id"] = mapping_id
            raw.pop("uuid", None)
        given = raw.get("id", raw.get("uuid"))
        if given is not None:
            try:
                uuid.UUID(str(given))
            except ValueError:
                raise MappingError(f"{given} is not a UUID", "/id") from None
        persistent = raw.get("persistent") is not False
        mapping, stub = wiremock_stub(raw, self._files(), self.templating)
        return RuntimeStub("wiremock", mapping, stub, persistent)

    def _stub_id(self, mapping_id: str) -> str | None:
        """The served stub a mapping id stands for, or None."""
        return self._mapping_views().stub_of.get(mapping_id)

    async def create_mapping(self, document: Any) -> dict[str, Any]:
        entry = self._runtime_mapping(document)
        stub_id = entry.stub.id

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            # under the lock: two creates of one id cannot both pass this
            if self._stub_id(stub_id) is not None or stub_id in layer.entries:
                raise DuplicateId(
                    f"ID of the provided stub mapping '{stub_id}' is already taken by another "
                    "stub mapping"
                )
            layer = layer.with_entry(entry)
            return layer, [saved(entry, layer)]

        await self.writer.change(make)
        return self._mapping_views().by_id.get(stub_id) or dict(entry.document)

    async def replace_mapping(self, mapping_id: str, document: Any) -> dict[str, Any] | None:
        entry = self._runtime_mapping(document, mapping_id)
        base = self.writer.base_ids()

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            old = self._stub_id(mapping_id)
            if old is None and mapping_id in layer.disabled:
                old = mapping_id  # not served, so not in the views: edited, kept disabled
            if old is None:
                raise _Missing
            files: list[FileChange] = []
            if old != entry.stub.id:  # a native stub's mapping, or an id in another case
                if old in layer.entries:
                    files.append(removed(layer.entries[old]))
                layer = layer.without([old], base)
            layer = layer.with_entry(entry)
            return layer, [*files, saved(entry, layer)]

        try:
            await self.writer.change(make)
        except _Missing:
            return None
        return self._mapping_views().by_id.get(entry.stub.id) or dict(entry.document)

    async def delete_mapping(self, mapping_id: str) -> bool:
        stub_id = self._stub_id(mapping_id)
        if stub_id is None:
            return False
        await self._remove([stub_id])
        return True

    async def delete_mappings(self) -> None:
        """Every stub gone: runtime ones and their files; file stubs hidden until a reset."""
        await self._remove([stub.id for stub in self.writer.served_stubs()])

    async def _remove(self, stub_ids: Sequence[str]) -> None:
        base = self.writer.base_ids()

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            files = [removed(layer.entries[i]) for i in stub_ids if i in layer.entries]
            return layer.without(stub_ids, base), files

        await self.writer.change(make)

    async def reset_mappings(self) -> None:
        """Back to the files and the persisted stubs (WireMock's ``mappings/reset``)."""

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            return layer.reset(), []

        await self.writer.change(make)

    async def save_mappings(self) -> None:
        """Every runtime stub written to the persist folder, ``persistent: false`` or not."""

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            kept = layer
            for entry in layer.entries.values():
                if not entry.persistent:
                    document = {k: v for k, v in entry.document.items() if k != "persistent"}
                    kept = kept.with_entry(
                        RuntimeStub(entry.kind, document, entry.stub, True, entry.seq)
                    )
            return kept, [saved(entry, kept) for entry in kept.entries.values()]

        await self.writer.change(make)

    async def import_mappings(
        self, documents: Sequence[Any], overwrite: bool = True, delete_others: bool = False
    ) -> None:
        """WireMock's ``mappings/import``: every mapping read first (one bad one refuses
        the import), then added; a taken id is replaced (``OVERWRITE``) or kept
        (``IGNORE``); ``delete_others`` removes every stub the import does not name."""
        entries: list[RuntimeStub] = []
        for index, document in enumerate(documents):
            try:
                entries.append(self._runtime_mapping(document))
            except MappingError as exc:
                raise exc.under("mappings", index) from None
        base = self.writer.base_ids()

        def make(layer: StubLayer) -> tuple[StubLayer, list[FileChange]]:
            stub_of = self._mapping_views().stub_of  # mapping id -> the stub it stands for
            served = {stub.id for stub in self.writer.served_stubs()}
            named = {stub_of.get(e.stub.id, e.stub.id) for e in entries}
            files: list[FileChange] = []
            if delete_others:
                others = [i for i in served if i not in named]
                files.extend(removed(layer.entries[i]) for i in others if i in layer.entries)
                layer = layer.without(others, base)
            for entry in entries:
                old = stub_of.get(entry.stub.id)
                if old is not None and not overwrite:
                    continue
                if old is not None and old != entry.stub.id:
                    if old in layer.entries:
                        files.append(removed(layer.entries[old]))
                    layer = layer.without([old], base)
                layer = layer.with_entry(entry)
                files.append(saved(entry, layer))
            return layer, files

        await self.writer.change(make)

    # --- global settings ------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        return {"settings": dict(self.writer.composer.settings.document)}

    async def set_settings(self, document: Any) -> dict[str, Any]:
        settings = read_settings(document)
        composer = self.writer.composer
        async with composer.lock:
            composer.change_settings(settings)
        return self.settings()

    async def extend_settings(self, document: Any) -> dict[str, Any]:
        composer = self.writer.composer
        async with composer.lock:
            composer.change_settings(extend(composer.settings, document))
        return self.settings()

    def mappings_by_metadata(self, pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Mappings whose ``metadata`` (as JSON) matches a WireMock value pattern."""
        compiled = compile_pattern(RequestPattern(body=(body_spec(pattern),)))
        return [
            mapping
            for mapping in self._mapping_views().ordered
            if compiled.test_conditions(_document(mapping.get("metadata", {})))
        ]

    async def remove_mappings_by_metadata(self, pattern: Mapping[str, Any]) -> None:
        ids = {m["id"] for m in self.mappings_by_metadata(pattern)}
        stubs = [stub_id for mid in ids if (stub_id := self._stub_id(mid)) is not None]
        if stubs:
            await self._remove(stubs)

    def unmatched_mappings(self) -> list[dict[str, Any]]:
        """Mappings no journaled request was served by (WireMock counts the kept entries;
        the per-stub counters here survive eviction)."""
        journal = self.engine.journal
        return [
            mapping
            for mapping in self._mapping_views().ordered
            if (stub_id := self._stub_id(str(mapping["id"]))) is not None
            and journal.count(stub=stub_id) == 0
        ]

    async def delete_unmatched_mappings(self) -> None:
        stubs = {self._stub_id(str(m["id"])) for m in self.unmatched_mappings()}
        await self._remove([s for s in stubs if s is not None])


def _document(metadata: Any) -> Request:
    """Metadata as the body of a request, so body patterns (JSONPath, equalToJson...) test it."""
    body = json.dumps(metadata).encode()
    return Request("POST", "/", "", (("Content-Type", "application/json"),), body)
