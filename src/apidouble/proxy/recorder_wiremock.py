"""The recorder's WireMock output: a root (``mappings/`` + ``__files/``) WireMock loads.

``apidouble record --format wiremock -o DIR`` (and ``--record-to`` naming a folder)
records into a WireMock root instead of a native YAML file. The mappings are the ones
WireMock's own recorder makes (``wiremock_recording.mappings``): one per request, a
request answered differently over time a scenario, credential-like query parameters and
headers matched by presence, response secrets ``REDACTED``. Bodies larger than the
native recording keeps inline, and every binary one, go into ``__files`` named as
WireMock names them. One session writes one file, ``mappings/recording-N.json`` (the
first free N); a request a mapping of the root already answers is not recorded again.
Ids are derived from the requests, so rewriting the file after each exchange keeps them,
and the body files they name, the same.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..model import ServeEvent
from .wiremock_bodies import extract_bodies
from .wiremock_recording import Exchange, mappings, request_key

log = logging.getLogger("apidouble")

MAPPINGS = "mappings"
FILES = "__files"
_IDS = uuid.UUID("0c9b8f52-3d0e-4a8e-9a3f-5d1e7c2b6a10")


class WireMockRoot:
    """What one recording session adds to a WireMock root."""

    def __init__(self, root: Path, *, inline_limit: int, keep_headers: Sequence[str] = ()) -> None:
        self.root = root
        self.spec: dict[str, Any] = {
            "captureHeaders": {name: {} for name in keep_headers},
            "repeatsAsScenarios": True,
        }
        self.criteria = (inline_limit, 0)
        """(text, binary) sizes over which a body goes into ``__files``."""
        self.known: set[str] = set()
        """Requests the root's mappings already answer (from earlier sessions)."""
        self.exchanges: list[Exchange] = []
        self._seen: set[str] = set()
        self.document = root / MAPPINGS / "recording-1.json"

    def resume(self) -> int:
        """Read the mappings already in the root and choose this session's file; the
        number of mappings found."""
        folder = self.root / MAPPINGS
        found = 0
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"{path} is not a WireMock mapping file: {exc}") from exc
            listed = data.get("mappings") if isinstance(data, dict) else None
            for mapping in listed if isinstance(listed, list) else [data]:
                if isinstance(mapping, dict) and isinstance(mapping.get("request"), dict):
                    self.known.add(request_key(mapping["request"]))
                    found += 1
        number = 1
        while (folder / f"recording-{number}.json").exists():
            number += 1
        self.document = folder / f"recording-{number}.json"
        return found

    def add(self, event: ServeEvent, status: int, headers: list[tuple[str, str]], body: bytes,
            latency: bool) -> bool:  # fmt: skip
        """Keep one proxied exchange; False when it adds nothing (seen, or known)."""
        request = event.request
        delay = round(event.duration_s * 1000) if latency and event.duration_s else None
        exchange = Exchange(
            request.method,
            request.path,
            request.query_string,
            tuple(request.headers),
            request.body,
            status,
            tuple(headers),
            body,
            delay,
        )
        alone = mappings([exchange], self.spec, ids=lambda key, index: "", known=self.known)
        if not alone:
            return False
        fingerprint = json.dumps(alone[0], sort_keys=True)
        if fingerprint in self._seen:
            return False
        self._seen.add(fingerprint)
        self.exchanges.append(exchange)
        return True

    def files(self) -> tuple[str, dict[str, bytes]]:
        """The session's mapping file's text, and the body files (relative to the root)."""
        made = mappings(self.exchanges, self.spec, ids=_stable_id, known=self.known)
        bodies = extract_bodies(made, self.criteria)
        text = json.dumps({"mappings": made}, indent=2, ensure_ascii=False) + "\n"
        return text, {f"{FILES}/{name}": body for name, body in bodies.items()}


def _stable_id(request: str, index: int) -> str:
    return str(uuid.uuid5(_IDS, f"{index}:{request}"))
