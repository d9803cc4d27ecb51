"""What a WireMock root answers when no stub matches.

WireMock serves unmatched GETs from ``__files`` as a document root, then answers 404
with its plain-text "Request was not matched" report. The file list is read at load
time (a miss costs a dict lookup, not a disk probe); a file's bytes are read off the
event loop the first time and kept in a bounded cache.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from collections.abc import Awaitable, Sequence
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote

from apidouble.behaviours.keys import LruDict
from apidouble.importers.wiremock.export import stub_mappings
from apidouble.importers.wiremock.notfound import render_not_found
from apidouble.model import Request, Stub
from apidouble.outcome import Response

MAX_FILES = 100_000
"""Files indexed per root; a bigger tree serves the first ones found (sorted walk)."""
CACHED_BYTES = 256 * 1024
"""Files up to this size stay in memory after their first read."""
CACHED_FILES = 512
INDEX_NAMES = ("index.html", "index.json")
FILES_PREFIX = "__files"
"""WireMock also serves the root under its folder's own name (``/__files/a.txt``)."""


def _index(roots: Sequence[Path]) -> tuple[dict[str, Path], set[str]]:
    """(URL path -> file, folders) for every file and folder under the roots, URL paths
    without the leading slash; the first root that has a path wins. Hidden entries are
    skipped, symlinks that leave a root too."""
    files: dict[str, Path] = {}
    folders: set[str] = {""}
    for root in roots:
        base = root.resolve()
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            relative = Path(folder).relative_to(base).as_posix()
            folders.add("" if relative == "." else relative)
            for name in sorted(names):
                if name.startswith(".") or len(files) >= MAX_FILES:
                    continue
                path = Path(folder, name)
                real = path.resolve()
                if real.is_relative_to(base):
                    files.setdefault(path.relative_to(base).as_posix(), real)
    return files, folders


FORBIDDEN = Response.build(403, [("Content-Type", "text/html")], b"<h2>403 Forbidden</h2>\n")
"""A folder without an index file (WireMock's Jetty refuses to list it)."""
BAD_PATH = Response.build(400, [("Content-Type", "text/html")], b"<h1>400 Bad path</h1>\n")
"""A path that climbs out of the root."""


def _mime(path: Path) -> str:
    """The content type WireMock's Jetty gives a file: by extension, no charset,
    ``application/json`` when it cannot tell."""
    found, _ = mimetypes.guess_type(path.name, strict=False)
    return found or "application/json"


def _segments(raw: str) -> list[str] | None:
    """The path's segments with dot segments resolved; None when it climbs above the root
    (or hides dots behind percent-encoding, which Jetty refuses outright)."""
    if "%2e" in raw.lower():
        return None
    parts: list[str] = []
    for part in unquote(raw).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return parts


class DocumentRoot:
    """``__files`` served for unmatched GETs, as WireMock serves them."""

    __slots__ = ("_files", "_folders", "_cache")

    def __init__(self, roots: Sequence[Path]) -> None:
        self._files, self._folders = _index(roots)
        self._cache: LruDict[tuple[Path, str], Response] = LruDict(CACHED_FILES)

    def __len__(self) -> int:
        return len(self._files)

    def answer(self, request: Request) -> Response | Awaitable[Response | None] | None:
        """The answer from the document root, or None when it has nothing for this."""
        if request.method != "GET":
            return None
        parts = _segments(request.path)
        if parts is None:
            return BAD_PATH
        if parts[:1] == [FILES_PREFIX]:
            parts = parts[1:]
        key = "/".join(parts)
        found = self._files.get(key)
        if found is not None:
            return self._response(found, _mime(found))
        if key in self._folders:
            for name in INDEX_NAMES:
                index = self._files.get(f"{key}/{name}" if key else name)
                if index is not None:
                    kind = _mime(index)
                    return self._response(index, f"{kind};charset=utf-8")
            return FORBIDDEN
        return None

    def _response(self, path: Path, content_type: str) -> Response | Awaitable[Response | None]:
        cached = self._cache.get((path, content_type))
        if cached is not None:
            return cached
        return self._read(path, content_type)

    async def _read(self, path: Path, content_type: str) -> Response | None:
        try:
            body, modified = await asyncio.to_thread(_read, path)
        except OSError:
            return None  # gone since load: answer as unmatched
        headers = [
            ("Content-Type", content_type),
            ("Last-Modified", formatdate(modified, usegmt=True)),
            ("Accept-Ranges", "bytes"),
        ]
        response = Response.build(200, headers, body)
        if len(body) <= CACHED_BYTES:
            self._cache[path, content_type] = response
        return response


def _read(path: Path) -> tuple[bytes, float]:
    return path.read_bytes(), path.stat().st_mtime


def wiremock_report(stub: Stub | None, request: Request, scenario_state: str | None) -> str:
    """WireMock's plain-text "Request was not matched" report for the closest stub (a
    native one, added beside the mappings, shown as its export would write it)."""
    mapping = None
    if stub is not None:
        mapping = stub.origin if stub.origin is not None else stub_mappings(stub, None)[0]
    return render_not_found(mapping, request, scenario_state=scenario_state)
