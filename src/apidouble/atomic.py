"""Files written atomically: after a crash or a ``kill -9`` a file is the old one or the new
one, never a torn mix, and an acknowledged write is on disk.

Runtime stubs, recordings, the mock issuers' keys and their runtime users all go through
here. The temporary file comes from ``mkstemp``, so it is created with mode 0600 (the
keys and the users' passwords stay private) and the rename keeps that mode.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["sync_folder", "write_atomically"]


def write_atomically(target: Path, data: bytes, mtime_ns: int | None = None) -> None:
    """``data`` as ``target``, atomically: a temporary file, fsync, rename, fsync of the
    folder; with ``mtime_ns``, the file keeps that time."""
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mtime_ns is not None:
            os.utime(temporary, ns=(mtime_ns, mtime_ns))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """fsync the folder so the rename or unlink itself survives a crash (POSIX only)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
