"""Stable stub ids, so an edit to one endpoint leaves every other stub's id alone.

An id is, in order: the endpoint's explicit ``id``; else made from its ``name`` (names
are then unique in the config); else made from its content: a hash of its raw data as
written (before ``${VAR}`` substitution) and its file, with an occurrence number for
identical endpoints in one file. Inserting, removing or reordering endpoints changes no
other id; journal entries, admin calls and per-stub state keep following their stub
across reloads.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from apidouble.config.schema import Endpoint
from apidouble.model import Stub

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://apidouble.dev/stub")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a key was written, as messages name it."""

    file: str
    line: int | None
    pointer: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} ({self.pointer})"


class IdConflict(ValueError):
    """Two endpoints claim one id (or one name that makes an id); ``key`` is the key to
    point the problem at (``id`` or ``name``)."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


def canonical(value: Any) -> str:
    """One text per value whatever its key order (keys as text; YAML allows others)."""
    return json.dumps(_keys_as_text(value), sort_keys=True, separators=(",", ":"), default=repr)


def _keys_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _keys_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys_as_text(v) for v in value]
    return value


@functools.lru_cache(maxsize=65_536)
def name_id(name: str) -> str:
    """The id an endpoint without ``id`` gets from its name."""
    return str(uuid.uuid5(_NAMESPACE, f"name:{name}"))


def content_id(file_key: str, raw: Any, occurrence: int = 1) -> str:
    """The id an endpoint with neither ``id`` nor ``name`` gets from what it says."""
    return str(uuid.uuid5(_NAMESPACE, f"content:{file_key}\n{canonical(raw)}#{occurrence}"))


@dataclass
class StubIds:
    """The ids and names given out so far in one config (all its files)."""

    ids: dict[str, Place] = field(default_factory=dict)
    names: dict[str, Place] = field(default_factory=dict)

    def reserve(self, stub: Stub) -> None:
        """Count an already loaded stub as taken (stubs added to a running config)."""
        source = stub.source
        place = Place(source.file, source.line, source.pointer)
        self.ids.setdefault(stub.id, place)
        if stub.name is not None and stub.id == name_id(stub.name):
            self.names.setdefault(stub.name, place)

    def assign(self, ep: Endpoint, raw: Any, file_key: str, place: Place) -> str:
        """The id of one endpoint; raises ``IdConflict`` when it is taken.

        Identical endpoints without id or name get the next free occurrence number, so
        they never conflict."""
        if ep.id is None and ep.name is None:
            occurrence = 1
            while (stub_id := content_id(file_key, raw, occurrence)) in self.ids:
                occurrence += 1
            self.ids[stub_id] = place
            return stub_id
        if ep.id is not None:
            stub_id, key = ep.id, "id"
        else:
            assert ep.name is not None
            first = self.names.setdefault(ep.name, place)
            if first is not place:
                raise IdConflict(
                    f"name {ep.name!r} is also the name of the endpoint at {first}; names"
                    " must be unique, since they make stub ids: rename one, or give it an id",
                    "name",
                )
            stub_id, key = name_id(ep.name), "name"
        first = self.ids.setdefault(stub_id, place)
        if first is not place:
            raise IdConflict(f"id {stub_id!r} is also the id of the endpoint at {first}", key)
        return stub_id
