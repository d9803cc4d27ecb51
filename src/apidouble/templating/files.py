"""Templated ``response_file`` names: every file they could name, read at load time.

Why pre-read instead of reading (and caching) at first use: the render runs on the event
loop, and a first-use read would block it on the disk (a slow or network disk stalls
every connection). Reading the candidates at load time happens off the loop (reloads
run in a worker thread), makes serve time a dict lookup, and keeps a file's bytes
consistent with the config generation that served them. The cost is memory, so the
candidates are bounded: the files under the template's literal folder prefix
(``bodies/`` in ``bodies/{{ request.params.id }}.json``), at most ``MAX_FILES`` files
and ``MAX_BYTES`` bytes; more is a config error that asks for a narrower prefix. Files
added later are served after the next reload. Hidden files and anything whose real path
leaves the config's folder are never candidates.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import re
from pathlib import Path

from .compile import TemplateRenderError

MAX_FILES = 1_000
MAX_BYTES = 64 * 1024 * 1024

_FIRST_TAG = re.compile(r"\{\{|\{%|\{#")


def content_type_of(name: str) -> str:
    """The content type a file's name implies (text types in UTF-8)."""
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def shown_name(name: str) -> str:
    """A file name as a message quotes it: repr, cut at 60 characters (hostile names are
    long)."""
    text = repr(name)
    return text if len(text) <= 60 else text[:57] + "..."


def check_name(path: Path | str, what: str, name: str | None = None) -> None:
    """ValueError naming ``what`` when no file system can hold ``path`` (a NUL character,
    a name past the system's length limit), so callers that stat or resolve it get a
    config problem instead of the OS's exception."""
    quoted = shown_name(str(path) if name is None else name)
    if "\x00" in str(path):
        raise ValueError(f"{what} {quoted} holds a NUL character, which no file name can")
    try:
        os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL):
            raise ValueError(f"{what} {quoted}: {exc.strerror}") from None


def resolved(folder: Path, name: str, what: str) -> Path:
    """``folder / name`` with symlinks resolved; ValueError naming ``what`` for a name no
    file system can hold (see ``check_name``)."""
    check_name(folder / name, what, name)
    try:
        return (folder / name).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise ValueError(f"{what} {shown_name(name)}: {exc}") from None


def is_file_at(path: Path) -> bool:
    """``path.is_file()``, False for a name the system refuses instead of an OSError."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_folder_at(path: Path) -> bool:
    """``path.is_dir()``, False for a name the system refuses instead of an OSError."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def confined_file(folder: Path, name: str, what: str) -> Path:
    """The existing file ``name`` inside ``folder``; ValueError naming ``what`` when it is
    absolute, leaves the folder (symlinks included), is missing or cannot be a name."""
    root = folder.resolve()
    if Path(name).is_absolute():
        raise ValueError(f"{what} must be relative to {root}, got {shown_name(name)}")
    target = resolved(root, name, what)
    if not target.is_relative_to(root):
        raise ValueError(f"{what} {shown_name(name)} leads outside the config's folder {root}")
    if not is_file_at(target):
        raise ValueError(f"{what} {shown_name(name)} not found (looked for {target})")
    return target


def resolve_response_file(folder: Path, name: str) -> str:
    """A literal ``response_file`` inside ``folder`` (symlinks may not leave it)."""
    return str(confined_file(folder, name, "response_file"))


def candidate_folder(base_dir: str, source: str) -> Path:
    """The folder every rendering of ``source`` lies under; ValueError when it leaves."""
    root = Path(base_dir).resolve()
    match = _FIRST_TAG.search(source)
    prefix = source[: match.start()] if match else source
    if Path(prefix).is_absolute() or prefix.startswith(("/", "\\")):
        raise ValueError(f"response_file must be relative to {root}, got {source!r}")
    folder = Path(os.path.normpath(root / prefix.rpartition("/")[0]))
    if folder != root and not folder.is_relative_to(root):
        raise ValueError(
            f"response_file {shown_name(source)} leads outside the config's folder {root}"
        )
    check_name(folder, "response_file", source)
    if not is_folder_at(folder):
        raise ValueError(f"response_file {shown_name(source)}: folder {folder} not found")
    return folder


def candidate_files(base_dir: str, source: str) -> list[Path]:
    """Every file a rendering of ``source`` may name (bounded; ValueError past the bounds)."""
    root = os.path.realpath(base_dir)
    found: list[Path] = []
    for folder, dirs, names in os.walk(candidate_folder(base_dir, source)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = os.path.join(folder, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            if not os.path.realpath(path).startswith(root + os.sep):
                continue
            found.append(Path(path))
            if len(found) > MAX_FILES:
                raise ValueError(
                    f"response_file {source!r} could name more than {MAX_FILES} files under"
                    f" {candidate_folder(base_dir, source)}; give it a narrower folder prefix"
                )
    return found


class FileTable:
    """The files a templated ``response_file`` may name, by normalised path."""

    __slots__ = ("root", "source", "files")

    def __init__(self, base_dir: str, source: str) -> None:
        self.root = str(Path(base_dir).resolve())
        self.source = source
        self.files: dict[str, tuple[bytes, str]] = {}
        total = 0
        for path in candidate_files(self.root, source):
            body = path.read_bytes()
            total += len(body)
            if total > MAX_BYTES:
                raise ValueError(
                    f"response_file {source!r}: the files it could name exceed"
                    f" {MAX_BYTES // (1024 * 1024)} MB; give it a narrower folder prefix"
                )
            self.files[os.path.normpath(path)] = (body, content_type_of(path.name))

    def lookup(self, name: str) -> tuple[bytes, str]:
        """Serve time: the body and content type for a rendered name (no disk I/O)."""
        target = os.path.normpath(os.path.join(self.root, name))
        if "\x00" in name or not target.startswith(self.root + os.sep):
            raise TemplateRenderError(
                f"response_file {name!r} leads outside the config's folder {self.root}"
            )
        found = self.files.get(target)
        if found is None:
            raise TemplateRenderError(f"response_file {name!r} not found in {self.root}")
        return found
