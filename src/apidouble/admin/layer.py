"""The runtime layer: stubs made, replaced or removed through the admin API, over the files.

The served stubs are the files' stubs (or those given in code) with the layer applied:
a runtime stub whose id is a file stub's replaces it (an edit through the API never
touches the user's file), removed file stubs are hidden, and runtime stubs come after
every file stub in order, newest last (WireMock's newest-first precedence follows from
``Stub.order``). A file reload replaces the files' stubs and keeps the layer, so runtime
stubs survive reloads; persistent ones also survive restarts (``persist.py``).

A disabled stub (file or runtime) is listed but not served: requests fall to the next
candidate. A runtime stub's disabled state is kept in its persisted file (``DISABLED``),
so it survives a restart when the stub does; a file stub's lasts until a reset, as a
delete of one does.

The layer is changed copy-on-write (``with_entry``, ``without``...), so a change that
fails to persist or compile leaves the served one as it was.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..config.ids import StubIds
from ..config.load import load_data
from ..errors import ConfigError, ConfigProblem
from ..importers.wiremock.mapping import MappingDocument
from ..importers.wiremock.problems import MappingError
from ..model import Stub
from .persist import Kind, PersistDir, safe_id

log = logging.getLogger("apidouble")

ADMIN_SOURCE = "<admin>"
DISABLED = "disabled"
"""The key a persisted runtime stub's document carries when the stub is disabled."""


@dataclass(frozen=True, slots=True)
class RuntimeStub:
    """One stub made through the API: its document as sent and what it compiled to."""

    kind: Kind
    document: Mapping[str, Any]
    stub: Stub
    persistent: bool = True
    seq: int = 0
    """When it was first made (its rank among runtime stubs; kept when replaced)."""


@dataclass(frozen=True, slots=True)
class StubLayer:
    """Runtime stubs by id (in the order made), the file stubs hidden by a delete and the
    stubs (of either kind) disabled."""

    entries: Mapping[str, RuntimeStub] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    next_seq: int = 0
    disabled: frozenset[str] = frozenset()

    def apply(self, base: Sequence[Stub]) -> list[Stub]:
        """The stubs to serve: ``base`` less what is hidden, replaced or disabled, then the
        layer's enabled stubs."""
        shadowed = self.hidden | self.entries.keys() | self.disabled
        served = [stub for stub in base if stub.id not in shadowed]
        first = max((stub.order for stub in base), default=-1) + 1
        served.extend(
            replace(e.stub, order=first + e.seq)
            for key, e in self.entries.items()
            if key not in self.disabled
        )
        return served

    def switched(self, stub_id: str, disabled: bool) -> StubLayer:
        """The layer with ``stub_id`` disabled (listed, not served) or enabled again."""
        off = self.disabled | {stub_id} if disabled else self.disabled - {stub_id}
        return replace(self, disabled=frozenset(off))

    def disabled_stubs(self, base: Sequence[Stub]) -> list[Stub]:
        """The disabled stubs as they would be served (runtime ones over file ones)."""
        if not self.disabled:
            return []
        found = {stub.id: stub for stub in base if stub.id in self.disabled}
        found.update((key, e.stub) for key, e in self.entries.items() if key in self.disabled)
        return [found[key] for key in sorted(found) if key not in self.hidden]

    def with_entry(self, entry: RuntimeStub) -> StubLayer:
        """The layer with ``entry`` added, or replacing the runtime stub of its id (which
        keeps its rank)."""
        old = self.entries.get(entry.stub.id)
        seq = old.seq if old is not None else self.next_seq
        entries = dict(self.entries)
        entries[entry.stub.id] = replace(entry, seq=seq)
        next_seq = self.next_seq if old is not None else self.next_seq + 1
        return StubLayer(entries, self.hidden, next_seq, self.disabled)

    def without(self, ids: Iterable[str], base_ids: Iterable[str]) -> StubLayer:
        """The layer with the stubs ``ids`` gone: runtime ones dropped, file ones hidden."""
        gone = set(ids)
        entries = {key: e for key, e in self.entries.items() if key not in gone}
        hidden = self.hidden | (gone & set(base_ids))
        return StubLayer(entries, frozenset(hidden), self.next_seq, self.disabled - gone)

    def reset(self) -> StubLayer:
        """Back to what is kept on disk: non-persistent stubs dropped, file stubs shown
        and enabled (a kept runtime stub stays as its file says)."""
        kept = {key: e for key, e in self.entries.items() if e.persistent}
        return StubLayer(kept, frozenset(), self.next_seq, self.disabled & kept.keys())


def wiremock_stub(
    document: Mapping[str, Any],
    files: Path | None = None,
    templating: bool = False,
    source: str = ADMIN_SOURCE,
) -> tuple[dict[str, Any], Stub]:
    """A WireMock mapping as the API received it -> (the mapping with its id, the stub).

    A mapping without ``id`` (or ``uuid``) gets a random UUID, as WireMock gives it; a
    UUID id is written in WireMock's lower-case form. Raises ``MappingError`` with the
    pointer to blame."""
    if not isinstance(document, Mapping):
        raise MappingError("a mapping must be a JSON object with 'request' and 'response'")
    mapping = dict(document)
    if "mappings" in mapping:
        raise MappingError(
            "one mapping here: a 'mappings' list goes to mappings/import", "/mappings"
        )
    given = mapping.get("id") or mapping.get("uuid")
    if given is None:
        mapping_id = str(uuid.uuid4())
    elif not isinstance(given, str):
        raise MappingError("id must be a string (a UUID)", "/id")
    else:
        try:
            mapping_id = str(uuid.UUID(given))
        except ValueError:
            mapping_id = given
    try:
        safe_id(mapping_id)
    except ValueError as exc:
        raise MappingError(str(exc), "/id") from None
    mapping["id"] = mapping_id
    mapping.pop("uuid", None)
    mapping = _as_wiremock_keeps(mapping)
    problems: list[ConfigProblem] = []
    converter = MappingDocument(source, source, {}, problems, StubIds(), files, templating)
    stubs = converter.load(mapping)
    if problems or not stubs:
        problem = problems[0]
        raise MappingError(problem.message, problem.pointer or "")
    return mapping, stubs[0]


def _as_wiremock_keeps(mapping: dict[str, Any]) -> dict[str, Any]:
    """The mapping as WireMock stores it: null fields left out (at the top, in ``request``
    and ``response``; a JSON body or metadata is kept as written), ``method`` ``ANY`` and
    ``status`` 200 when not given."""
    kept = {key: value for key, value in mapping.items() if value is not None}
    for part, defaults in (("request", {"method": "ANY"}), ("response", {"status": 200})):
        given = kept.get(part)
        if isinstance(given, Mapping):
            fields = {key: value for key, value in given.items() if value is not None}
            kept[part] = {**fields, **{k: v for k, v in defaults.items() if k not in fields}}
    return kept


def native_stub(document: Mapping[str, Any], base_dir: Path | None = None) -> Stub:
    """One native endpoint as the API received it; raises ``ConfigError`` (each problem
    with its pointer)."""
    loaded = load_data({"endpoints": [dict(document)]}, source=ADMIN_SOURCE, base_dir=base_dir)
    stub = loaded.stubs[0]
    try:
        safe_id(stub.id)
    except ValueError as exc:
        problem = ConfigProblem(ADMIN_SOURCE, str(exc), None, "/id", stub.label)
        raise ConfigError([problem]) from None
    return stub


def load_layer(
    persist: PersistDir,
    files: Path | None = None,
    templating: bool = False,
    base_dir: Path | None = None,
) -> StubLayer:
    """The runtime stubs a previous run persisted, oldest first. A file that no longer
    reads as a stub is skipped with a log line naming it (the rest serve)."""
    layer = StubLayer()
    for found in persist.read_all():
        source = str(found.path)
        kept = dict(found.document)
        off = kept.pop(DISABLED, False) is True
        try:
            if found.kind == "wiremock":
                document, stub = wiremock_stub(kept, files, templating, source)
            else:
                document, stub = kept, native_stub(kept, base_dir)
        except (MappingError, ConfigError) as exc:
            log.error("persisted stub %s skipped: %s", source, exc)
            continue
        layer = layer.with_entry(RuntimeStub(found.kind, document, stub))
        if off:
            layer = layer.switched(stub.id, True)
    return layer
