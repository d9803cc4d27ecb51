"""Stubs made through the admin API, on disk: one file per stub, written atomically.

A write goes to a temporary file in the same folder, is flushed and fsynced, renamed
over the stub's file, and the folder is fsynced: after a crash or a ``kill -9`` the
file is either the old one or the new one, never a torn mix, and an acknowledged write
is on disk. One file per stub means concurrent writes never touch the same bytes.

Layout under the persist folder: ``mappings/ID.json`` holds a WireMock mapping as the
client sent it, ``endpoints/ID.json`` a native endpoint. File names come from ids that
``safe_id`` accepted, so no id can name a path outside the folder.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..atomic import sync_folder, write_atomically

log = logging.getLogger("apidouble")

Kind = Literal["wiremock", "native"]
_FOLDERS: dict[Kind, str] = {"wiremock": "mappings", "native": "endpoints"}
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class UnsafeId(ValueError):
    """An id that cannot name a file (path separators, dots first, too long)."""


def safe_id(stub_id: str) -> str:
    """``stub_id`` when it can be a file name as it is; raises ``UnsafeId`` otherwise."""
    if not _SAFE_ID.fullmatch(stub_id):
        raise UnsafeId(
            f"id {stub_id!r} must be 1-128 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return stub_id


@dataclass(frozen=True, slots=True)
class Saved:
    """One stub document read back from the persist folder."""

    kind: Kind
    stub_id: str
    document: dict[str, Any]
    path: Path


class PersistDir:
    """The folder runtime stubs are kept in (created on the first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, kind: Kind, stub_id: str) -> Path:
        return self.root / _FOLDERS[kind] / f"{safe_id(stub_id)}.json"

    def write(self, kind: Kind, stub_id: str, document: Mapping[str, Any]) -> None:
        """Replace the stub's file atomically (see the module docstring); a file of the
        other kind for the same id goes (one file per stub, whatever it was before). A
        replaced stub keeps its file's time, which orders the stubs when they are read
        back, so it keeps its precedence across a restart, as it does in memory."""
        target = self.path(kind, stub_id)
        kept = self.snapshot(stub_id)
        since = min((mtime for _, mtime in kept.values()), default=None)
        data = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        write_atomically(target, data, since)
        for other in _FOLDERS:
            if other != kind:
                self._unlink(other, stub_id)

    def delete(self, kind: Kind, stub_id: str) -> None:
        """Remove the stub's files (of either kind), if there are any. An id no file can
        have has none."""
        try:
            safe_id(stub_id)
        except UnsafeId:
            return
        for each in _FOLDERS:
            self._unlink(each, stub_id)

    def snapshot(self, stub_id: str) -> dict[Path, tuple[bytes, int]]:
        """The stub's files as they are (bytes and time), to ``restore`` after a failed
        change; none for an id no file can have."""
        try:
            safe_id(stub_id)
        except UnsafeId:
            return {}
        found: dict[Path, tuple[bytes, int]] = {}
        for kind in _FOLDERS:
            path = self.path(kind, stub_id)
            try:
                found[path] = (path.read_bytes(), path.stat().st_mtime_ns)
            except FileNotFoundError:
                continue
        return found

    def restore(self, stub_id: str, files: Mapping[Path, tuple[bytes, int]]) -> None:
        """Put the stub's files back as ``snapshot`` saw them."""
        if not self.snapshot(stub_id) and not files:
            return
        for kind in _FOLDERS:
            path = self.path(kind, stub_id)
            if path in files:
                data, mtime = files[path]
                write_atomically(path, data, mtime)
            else:
                self._unlink(kind, stub_id)

    def _unlink(self, kind: Kind, stub_id: str) -> None:
        target = self.path(kind, stub_id)
        try:
            target.unlink()
        except FileNotFoundError:
            return
        sync_folder(target.parent)

    def read_all(self) -> Iterator[Saved]:
        """Every stub file, oldest first (by modification time, then name). A file that is
        not a JSON object is skipped with a log line, never served half-read."""
        found: list[tuple[int, str, Kind, Path]] = []
        for kind, name in _FOLDERS.items():
            folder = self.root / name
            if not folder.is_dir():
                continue
            for path in folder.glob("*.json"):
                if path.name.startswith("."):
                    continue  # a temporary file a crash left behind
                found.append((path.stat().st_mtime_ns, path.name, kind, path))
        for _, _, kind, path in sorted(found):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.error("persisted stub %s skipped: %s", path, exc)
                continue
            if not isinstance(document, dict):
                log.error("persisted stub %s skipped: not a JSON object", path)
                continue
            yield Saved(kind, path.stem, document, path)
