"""A cache of loaded documents, so a reload re-reads every file but re-loads only edits.

A file whose text, referenced environment variables, data files and importer sources
(the other files a plugin importer read: ``plugins.Importer``) are unchanged gives the
same stubs as last time: the cache hands those back instead of parsing, validating
and converting the file again. Whatever could make the result differ sends the file
through the full ``Document`` path, which then reports any problem with its line.
OpenAPI specs are stamped with every file their ``$ref``s read (``spec_files``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from apidouble.config.ids import StubIds, name_id
from apidouble.config.schema import FakerConfig
from apidouble.model import Stub

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """What one problem-free document contributed to its config."""

    text: str
    variables: tuple[tuple[str, str | None], ...]
    data_stamps: tuple[tuple[Path, int], ...]
    """The files the document read besides its own (``data:`` files, resources, an
    importer's sources), each with its stamp when it was loaded."""
    stubs: tuple[Stub, ...]
    datasets: Mapping[str, Any]
    seed: int | None
    faker: FakerConfig | None
    server: Mapping[str, Any]

    @property
    def data_files(self) -> list[Path]:
        return [path for path, _ in self.data_stamps]


def variables_of(text: str, environ: Mapping[str, str]) -> tuple[tuple[str, str | None], ...]:
    """The ``${VAR}`` names a text uses, with their values now."""
    names = sorted(set(_VARIABLE.findall(text)))
    return tuple((name, environ.get(name)) for name in names)


MISSING = -1
"""The stamp of a file that does not exist (an importer's source that may appear)."""


def stamps(paths: Sequence[Path]) -> tuple[tuple[Path, int], ...] | None:
    """Modification times and sizes of ``paths``, a missing one ``MISSING`` (None when
    one cannot be read otherwise). The size catches an edit within the clock's step."""
    found: list[tuple[Path, int]] = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            found.append((path, MISSING))
            continue
        except OSError:
            return None
        found.append((path, hash((stat.st_mtime_ns, stat.st_size))))
    return tuple(found)


class DocumentCache:
    """Loaded documents by absolute path; one per reloader."""

    def __init__(self) -> None:
        self._documents: dict[str, LoadedDocument] = {}

    def get(self, key: str, text: str, environ: Mapping[str, str]) -> LoadedDocument | None:
        """The document loaded from exactly this text, if nothing it read has changed."""
        found = self._documents.get(key)
        if found is None or found.text != text:
            return None
        if found.variables != variables_of(text, environ):
            return None
        if stamps(found.data_files) != found.data_stamps:
            return None
        return found

    def put(self, key: str, document: LoadedDocument) -> None:
        self._documents[key] = document

    def retain(self, keys: set[str]) -> None:
        """Forget files no longer part of the config."""
        for key in [k for k in self._documents if k not in keys]:
            del self._documents[key]


def take_ids(ids: StubIds, stubs: Sequence[Stub]) -> bool:
    """Claim the ids (and names) of cached stubs; False, claiming nothing, when another
    file took one meanwhile (the full load then reports the conflict)."""
    for stub in stubs:
        if stub.id in ids.ids:
            return False
        if stub.name is not None and stub.id == name_id(stub.name) and stub.name in ids.names:
            return False
    for stub in stubs:
        ids.reserve(stub)
    return True


def reorder(stubs: Sequence[Stub], first_order: int) -> list[Stub]:
    """The cached stubs at their place in this load's global order."""
    if not stubs or stubs[0].order == first_order:
        return list(stubs)
    return [replace(stub, order=first_order + n) for n, stub in enumerate(stubs)]


def spec_files(path: Path) -> list[Path]:
    """An OpenAPI spec's file and every file its ``$ref``s read, transitively (absolute):
    what is stamped and watched for a spec. Unreadable files are left out (loading the
    spec reports them)."""
    from apidouble.openapi.refs import parse_file

    found: dict[Path, None] = {}
    pending = [path.absolute()]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found[current] = None
        try:
            data = parse_file(current)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue
        for ref in _external_refs(data):
            pending.append((current.parent / unquote(ref)).absolute())
    return list(found)


def _external_refs(data: Any) -> list[str]:
    """The file parts of the ``$ref``s in a parsed document (``pet.yaml#/Pet``)."""
    found: list[str] = []
    stack = [data]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                address = ref.partition("#")[0]
                if address and "://" not in address:
                    found.append(address)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


__all__ = [
    "DocumentCache",
    "LoadedDocument",
    "reorder",
    "spec_files",
    "stamps",
    "take_ids",
    "variables_of",
]
