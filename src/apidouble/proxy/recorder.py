"""Recording: every proxied exchange becomes a stub, written as a native config.

The recorder listens to the journal (``Journal.listen``) for exchanges the proxy carried
out and keeps one endpoint per distinct request: method, path, the query parameters and
a JSON body when the request had one. A request seen again with a different answer adds
a response to that endpoint (``mode: sequence``, replayed in the order recorded); the
same answer again adds nothing. Secrets are redacted before anything is written:
``Set-Cookie`` and API-key-like response headers, and API-key-like query parameters,
which the recorded stub then matches by presence. Bodies over ``INLINE_LIMIT`` or not
text go into files beside the recording (``response_file``).

The recording is rewritten, atomically, a moment after each new exchange and once more
when the server stops, so an interrupted run keeps what it proxied. A target that is a
folder is a WireMock root instead (``recorder_wiremock``: ``apidouble record --format
wiremock``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import yaml

from ..atomic import write_atomically
from ..importers.wiremock.native import to_yaml
from ..model import HOP_BY_HOP, ServeEvent
from ..naming import unique

if TYPE_CHECKING:
    from .recorder_wiremock import WireMockRoot

log = logging.getLogger("apidouble")

PROXIED = "proxied to "
"""The journal note the engine puts on a forwarded exchange."""
INLINE_LIMIT = 16 * 1024
"""Text bodies up to this size stay in the recording; larger ones go to files."""
WRITE_AFTER_S = 0.2
RECORDED_BODY_CAP = 64 * 1024 * 1024
"""Streamed answers larger than this are relayed but not recorded (logged)."""
SECRET_HEADERS = frozenset({"set-cookie", "authorization", "proxy-authorization", "cookie"})
_SECRET_NAME = re.compile(r"(api[-_]?key|token|secret|passw|signature|^sig$|^key$|session)", re.I)
REDACTED = "REDACTED"
_DROPPED_HEADERS = HOP_BY_HOP | {"content-length", "date"}


def is_secret(name: str) -> bool:
    """Whether a header or query parameter name looks like it carries a credential."""
    return name.lower() in SECRET_HEADERS or _SECRET_NAME.search(name) is not None


class Recorder:
    """Turns proxied exchanges into endpoints and keeps the recording file up to date."""

    def __init__(
        self,
        target: Path,
        *,
        latency: bool = False,
        keep_headers: Sequence[str] = (),
        wiremock: bool | None = None,
    ) -> None:
        self.target = target
        self.wiremock: WireMockRoot | None = None
        """The WireMock root recorded into (``wiremock``; by default when ``target`` is a
        folder), or None for a native YAML recording."""
        if target.is_dir() if wiremock is None else wiremock:
            from .recorder_wiremock import WireMockRoot  # it reads this module's helpers

            self.wiremock = WireMockRoot(
                target, inline_limit=INLINE_LIMIT, keep_headers=keep_headers
            )
        self.latency = latency
        """Record how long the upstream took, as ``latency_ms``."""
        self.keep_headers = tuple(keep_headers)
        """Request headers the recorded stubs match on (none by default)."""
        self._endpoints: dict[str, dict[str, Any]] = {}
        self._answers: dict[str, set[str]] = {}
        self._bodies: dict[str, bytes] = {}
        """Body files by name (relative to the recording) not yet handed to a write: each
        snapshot takes them, so a long recording holds its bodies on disk, not here."""
        self._pending: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writing = threading.Lock()
        self._version = 0
        self._written = 0
        self.recorded = 0

    def resume(self) -> int:
        """Carry on an existing recording at ``target`` (its endpoints kept, a request it
        has already recorded not recorded twice); the number of endpoints found."""
        if self.wiremock is not None:
            return self.wiremock.resume()
        if not self.target.exists():
            return 0
        found = yaml.safe_load(self.target.read_text(encoding="utf-8")) or {}
        endpoints = found.get("endpoints") if isinstance(found, dict) else None
        if not isinstance(endpoints, list):
            raise ValueError(f"{self.target} is not a recording (no endpoints list)")
        for endpoint in endpoints:
            if not isinstance(endpoint, dict) or "path" not in endpoint:
                continue
            method = endpoint.get("method", "GET")
            key = json.dumps(
                [method, endpoint["path"], endpoint.get("match", {})], sort_keys=True, default=str
            )
            self._endpoints[key] = endpoint
            answers = endpoint.get("responses") or [
                {k: v for k, v in endpoint.items() if k in _ANSWER_KEYS}
            ]
            self._answers[key] = {json.dumps(a, sort_keys=True, default=str) for a in answers}
        return len(self._endpoints)

    # --- listening ------------------------------------------------------------------

    def heard(self, event: ServeEvent) -> None:
        """A journal listener: record ``event`` when the proxy answered it."""
        if not any(note.startswith(PROXIED) for note in event.notes):
            return
        response = event.response
        if response is None or not response.status:
            return
        try:
            self.add(event, response.status, _headers_of(response.head), response.body)
        except Exception:  # a listener must never break serving
            log.exception("could not record %s %s", event.request.method, event.request.path)

    def add(
        self, event: ServeEvent, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        if self.wiremock is not None:
            if self.wiremock.add(event, status, headers, body, self.latency):
                self.recorded += 1
                self._schedule()
            return
        request = event.request
        key, match = self._criteria(event)
        answer = self._answer(status, headers, body, event)
        fingerprint = json.dumps(answer, sort_keys=True, default=str)
        seen = self._answers.setdefault(key, set())
        if fingerprint in seen:
            return  # the same request, the same answer: nothing new
        seen.add(fingerprint)
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            endpoint = {"name": self._name(event), "method": request.method}
            endpoint["path"] = request.path
            if match:
                endpoint["match"] = match
            endpoint.update(answer)
            self._endpoints[key] = endpoint
        else:
            if "responses" not in endpoint:
                first = {k: endpoint.pop(k) for k in list(endpoint) if k in _ANSWER_KEYS}
                endpoint["responses"] = [first]
                endpoint["mode"] = "sequence"
            endpoint["responses"].append(answer)
        self.recorded += 1
        self._schedule()

    def _name(self, event: ServeEvent) -> str:
        """A readable name, unique in the recording (names make stub ids)."""
        request = event.request
        name = f"{request.method} {request.path}"
        return unique(name, {endpoint["name"] for endpoint in self._endpoints.values()})

    def _criteria(self, event: ServeEvent) -> tuple[str, dict[str, Any]]:
        """What a replayed request must match, and a key naming it."""
        request = event.request
        match: dict[str, Any] = {}
        query: dict[str, Any] = {}
        for name, value in parse_qsl(request.query_string, keep_blank_values=True):
            query[name] = {"present": True} if is_secret(name) else value
        if query:
            match["query"] = query
        headers: dict[str, Any] = {}
        for name in self.keep_headers:
            sent = request.header(name)
            if sent:  # a credential is matched by presence, never written down
                headers[name] = {"present": True} if is_secret(name) else sent
        if headers:
            match["headers"] = headers
        if request.body:
            parsed = request.json
            if isinstance(parsed, dict | list):
                match["body"] = {"json": parsed}
            else:
                text = request.body.decode("utf-8", "replace")
                match["body"] = {"equals": text}
        key = json.dumps([request.method, request.path, match], sort_keys=True, default=str)
        return key, match

    def _answer(
        self, status: int, headers: list[tuple[str, str]], body: bytes, event: ServeEvent
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {"status": status}
        kept = recorded_headers(headers, _DROPPED_HEADERS)
        if kept:
            answer["headers"] = kept
        answer["templating"] = "none"  # a recorded body is data, never a template
        if body:
            answer.update(self._body(body, kept))
        if self.latency and event.duration_s:
            answer["latency_ms"] = round(event.duration_s * 1000)
        return answer

    def _body(self, body: bytes, headers: dict[str, Any]) -> dict[str, Any]:
        encoding = str(_header(headers, "content-encoding") or "")
        try:
            text = body.decode("utf-8") if not encoding else None
        except UnicodeDecodeError:
            text = None
        if text is not None and len(body) <= INLINE_LIMIT:
            return {"response": text}
        digest = hashlib.sha256(body).hexdigest()[:16]
        folder = self.target.with_name(self.target.stem + "_bodies")
        name = f"{folder.name}/{digest}.bin"
        self._bodies[name] = body
        return {"response_file": name}

    # --- writing --------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        """The recording as a native config."""
        return {"endpoints": list(self._endpoints.values())}

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        if self._pending is None:
            self._pending = loop.call_later(WRITE_AFTER_S, self._write_soon)

    def _write_soon(self) -> None:
        self._pending = None
        loop = self._loop
        assert loop is not None
        loop.run_in_executor(None, self._write, *self._snapshot())

    def _snapshot(self) -> tuple[int, Path, str, dict[Path, bytes]]:
        """What to write, taken on the loop's thread (where the recording changes): the
        version, the recording's file and text, and the body files."""
        self._version += 1
        if self.wiremock is not None:
            text, bodies = self.wiremock.files()
            found = {self.target / name: body for name, body in bodies.items()}
            return self._version, self.wiremock.document, text, found
        found = {self.target.parent / name: body for name, body in self._bodies.items()}
        self._bodies = {}
        return self._version, self.target, to_yaml(self.document()), found

    def write(self) -> None:
        """Write the recording (and its body files) now, each file atomically."""
        self._write(*self._snapshot())

    def _write(self, version: int, target: Path, text: str, bodies: dict[Path, bytes]) -> None:
        with self._writing:  # one writer at a time, and never an older recording last
            for path, body in bodies.items():  # its snapshot alone holds them: always
                if not path.exists():
                    write_atomically(path, body)
            if version <= self._written:
                return
            write_atomically(target, text.encode())
            self._written = version

    async def aclose(self) -> None:
        """Write what is recorded before the server stops."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.recorded:
            snapshot = self._snapshot()
            await asyncio.get_running_loop().run_in_executor(None, self._write, *snapshot)
            log.info("recorded %d exchange(s) into %s", self.recorded, self.target)


_ANSWER_KEYS = frozenset(
    {
        "status",
        "headers",
        "response",
        "response_file",
        "response_base64",
        "templating",
        "latency_ms",
    }
)


def recorded_headers(headers: Iterable[tuple[str, str]], dropped: frozenset[str]) -> dict[str, Any]:
    """Response headers as a recording writes them: ``dropped`` names left out, secrets
    ``REDACTED``, a repeated name as a list of its values."""
    kept: dict[str, Any] = {}
    for name, value in headers:
        if name.lower() in dropped:
            continue
        shown = REDACTED if is_secret(name) else value
        if name in kept:
            previous = kept[name]
            kept[name] = [*previous, shown] if isinstance(previous, list) else [previous, shown]
        else:
            kept[name] = shown
    return kept


def _headers_of(head: bytes) -> list[tuple[str, str]]:
    """The header lines of an encoded response head."""
    lines = head.decode("latin-1").split("\r\n")[1:]
    found = []
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name:
            found.append((name.strip(), value.strip()))
    return found


def _header(headers: dict[str, Any], wanted: str) -> Any:
    for name, value in headers.items():
        if name.lower() == wanted:
            return value
    return None
