"""WireMock's recording routes: ``/__admin/recordings/start|stop|status|snapshot``.

``start`` adds, as WireMock does, a catch-all proxy mapping to ``targetBaseUrl`` (not kept
on disk; newest, so it answers every request while the recording runs, stubs or not) and
notes where the journal stands; ``stop`` removes it and turns what was proxied since into
stub mappings (``proxy.wiremock_recording``), adds them to the served stubs (kept on disk
unless ``persist: false``) and answers them; ``snapshot`` does the same from every
proxied exchange the journal holds. Bodies ``extractBodyCriteria`` moves out are written
into the served root's ``__files`` first (persisted or not, as WireMock writes them);
without a ``__files`` folder they stay in the mappings (logged). Answers and errors are
WireMock's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..atomic import write_atomically
from ..engine import Engine
from ..model import Request
from ..outcome import Outcome, Respond
from ..proxy.wiremock_bodies import body_criteria, extract_bodies
from ..proxy.wiremock_recording import SpecProblem, check_spec, exchanges, mappings
from ..responses import json_response

log = logging.getLogger("apidouble")

PREFIX = "/__admin/recordings/"


class MappingWrites(Protocol):
    """The admin plane's mapping writes the recordings use (``LocalAdmin``)."""

    async def create_mapping(self, document: Any) -> dict[str, Any]: ...

    async def delete_mapping(self, mapping_id: str) -> bool: ...

    async def import_mappings(
        self, documents: Any, overwrite: bool = True, delete_others: bool = False
    ) -> None: ...

    def _files(self) -> Path | None:
        """The ``__files`` folder a mapping's ``bodyFileName`` reads from."""
        ...


def _errors(status: int, code: int, title: str) -> Outcome:
    return Respond(json_response(status, {"errors": [{"code": code, "title": title}]}))


def _refused(problem: SpecProblem) -> Outcome:
    return Respond(json_response(422, {"errors": [problem.error()]}))


class RecordingsRoutes:
    """One recording at a time, over the engine's fallback proxy and the journal."""

    def __init__(self, engine: Engine, writes: MappingWrites) -> None:
        self.engine = engine
        self.writes = writes
        self.status = "NeverStarted"
        self._spec: Mapping[str, Any] = {}
        self._after = 0
        """The journal's last entry when the recording started."""
        self._proxy: str | None = None
        """The id of the catch-all proxy mapping while recording."""

    def routes(self) -> list[tuple[tuple[str, ...], str, Callable[[Request], Any]]]:
        return [
            (("POST",), PREFIX + "start", self.start),
            (("POST",), PREFIX + "stop", self.stop),
            (("GET",), PREFIX + "status", self.state),
            (("POST",), PREFIX + "snapshot", self.snapshot),
        ]

    def start(self, request: Request) -> Outcome | Awaitable[Outcome]:
        spec = _spec_of(request)
        problem = check_spec(spec, needs_target=True)
        if problem is not None:
            return _refused(problem)

        async def started() -> Outcome:
            await self._drop_proxy()  # a second start retargets, as WireMock's does
            proxy = str(uuid.uuid4())
            await self.writes.create_mapping(
                {
                    "id": proxy,
                    "request": {"method": "ANY"},
                    "response": {"proxyBaseUrl": str(spec["targetBaseUrl"])},
                    "persistent": False,
                }
            )
            self._proxy = proxy
            newest = self.engine.journal.newest(1)
            self._after = newest[0]["id"] if newest else 0
            self._spec = spec
            self.status = "Recording"
            return Respond(json_response(200, {}))

        return started()

    def stop(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if self.status != "Recording":
            return _errors(400, 30, "Not currently recording.")
        self.status = "Stopped"
        after = self._after
        entries = [e for e in self.engine.journal.newest() if e["id"] > after]

        async def stopped() -> Outcome:
            await self._drop_proxy()
            return await self._answer(entries, self._spec)

        return stopped()

    async def _drop_proxy(self) -> None:
        if self._proxy is not None:
            await self.writes.delete_mapping(self._proxy)
            self._proxy = None

    def state(self, request: Request) -> Outcome:
        return Respond(json_response(200, {"status": self.status}))

    def snapshot(self, request: Request) -> Outcome | Awaitable[Outcome]:
        spec = _spec_of(request) if request.body else {}
        problem = check_spec(spec, needs_target=False)
        if problem is not None:
            return _refused(problem)
        return self._answer(self.engine.journal.newest(), spec)

    async def _answer(self, entries: list[dict[str, Any]], spec: Mapping[str, Any]) -> Outcome:
        try:
            made = mappings(exchanges(entries), spec)
        except re.error as exc:
            return _errors(422, 10, f"filters: {exc}")
        criteria = body_criteria(spec)
        if made and criteria is not None:
            await self._extract(made, criteria)
        if made:
            await self.writes.import_mappings(made)
        if str(spec.get("outputFormat", "FULL")).upper() == "IDS":
            return Respond(json_response(200, {"ids": [m["id"] for m in made]}))
        return Respond(json_response(200, {"mappings": made}))

    async def _extract(self, made: list[dict[str, Any]], criteria: tuple[int, int]) -> None:
        """Bodies over the thresholds into ``__files`` (before the mappings that name them
        are loaded)."""
        folder = self.writes._files()
        if folder is None:
            log.warning("recording: no __files folder beside the mappings; bodies stay inline")
            return
        files = extract_bodies(made, criteria)

        def write() -> None:
            for name, body in files.items():
                write_atomically(folder / name, body)

        await asyncio.get_running_loop().run_in_executor(None, write)


def _spec_of(request: Request) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None
