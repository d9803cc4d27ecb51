"""gRPC stubs added at run time, kept on disk so a restart serves them again.

One file per stub (``ID.json`` in the folder given, the persist folder's ``grpc/``), each
written atomically as the HTTP runtime stubs are (``atomic.write_atomically``: a crash
leaves the old file or the new one, never a torn mix). A file holds the stub as it was
sent, with the id it was given (so a stub without one keeps its id across restarts), and
its place: the stubs are read back in the order that puts them where they were, the
newest added first, as in memory. Needs no grpcio: ``restore`` hands the documents to the
running server, which compiles them as it compiles any added stub.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apidouble.admin.persist import UnsafeId, safe_id
from apidouble.atomic import sync_folder, write_atomically
from apidouble.errors import ConfigError

if TYPE_CHECKING:
    from apidouble.grpc.server import GrpcServer

log = logging.getLogger("apidouble.grpc")

_FILE_NAMES = uuid.UUID("0f1c2e55-7a3b-4c1d-9e2f-5b6a7c8d9e0f")


class SavedGrpcStubs:
    """The folder of the added gRPC stubs (created on the first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, stubs: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Keep stubs just added together, as (id, stub as sent): the first of them is
        tried first, before every stub added earlier."""
        place = max((place for place, _ in self._read()), default=0)
        for offset, (stub_id, stub) in enumerate(reversed(stubs), start=1):
            document = {"place": place + offset, "stub": {**stub, "id": stub_id}}
            data = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
            write_atomically(self._path(stub_id), data)

    def clear(self) -> None:
        """Forget every added stub."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.json"):
            path.unlink(missing_ok=True)
        sync_folder(self.folder)

    def stubs(self) -> list[dict[str, Any]]:
        """The stubs kept, in the order they must be added back (each before the ones
        added before it)."""
        return [stub for _, stub in sorted(self._read(), key=lambda found: found[0])]

    def _path(self, stub_id: str) -> Path:
        try:
            name = safe_id(stub_id)
        except UnsafeId:  # an id with "~" (URL-safe, not for every file system)
            name = str(uuid.uuid5(_FILE_NAMES, stub_id))
        return self.folder / f"{name}.json"

    def _read(self) -> list[tuple[int, dict[str, Any]]]:
        found: list[tuple[int, dict[str, Any]]] = []
        if not self.folder.is_dir():
            return found
        for path in sorted(self.folder.glob("*.json")):
            if path.name.startswith("."):
                continue  # a temporary file a crash left behind
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                place, stub = document["place"], document["stub"]
                if not isinstance(place, int) or not isinstance(stub, dict):
                    raise ValueError("not a saved gRPC stub")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("saved gRPC stub %s skipped: %s", path, exc)
                continue
            found.append((place, stub))
        return found


def restore(server: GrpcServer, saved: SavedGrpcStubs) -> int:
    """Serve the saved stubs again, in their places; how many. One that no longer compiles
    (the protos changed) is skipped with an error in the log. Call it on the server's loop."""
    count = 0
    for stub in saved.stubs():
        try:
            server.add_stubs([stub])
        except ConfigError as exc:
            log.error("saved gRPC stub %s skipped: %s", stub.get("id"), exc)
            continue
        count += 1
    return count
