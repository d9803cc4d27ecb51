"""WireMock's recording routes: ``/__admin/recordings/start|stop|status|snapshot``.

``start`` forwards every request no stub answers to ``targetBaseUrl`` (as ``--proxy-to``
does) and notes where the journal stands; ``stop`` turns what was proxied since into stub
mappings (``proxy.wiremock_recording``), adds them to the served stubs (kept on disk
unless ``persist: false``) and answers them; ``snapshot`` does the same from every
proxied exchange the journal holds. Answers and errors are WireMock's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..engine import Engine
from ..model import Request
from ..outcome import Outcome, Respond
from ..proxy.wiremock_recording import check_spec, exchanges, mappings
from ..responses import json_response

PREFIX = "/__admin/recordings/"
Importer = Callable[[Sequence[Any]], Awaitable[None]]


def _errors(status: int, code: int, title: str) -> Outcome:
    return Respond(json_response(status, {"errors": [{"code": code, "title": title}]}))


class RecordingsRoutes:
    """One recording at a time, over the engine's fallback proxy and the journal."""

    def __init__(self, engine: Engine, add_mappings: Importer) -> None:
        self.engine = engine
        self.add_mappings = add_mappings
        self.status = "NeverStarted"
        self._spec: Mapping[str, Any] = {}
        self._after = 0
        """The journal's last entry when the recording started."""
        self._before: tuple[str, dict[str, Any]] | None = None
        """The fallback proxy the recording replaced (``--proxy-to``, or none)."""

    def routes(self) -> list[tuple[tuple[str, ...], str, Callable[[Request], Any]]]:
        return [
            (("POST",), PREFIX + "start", self.start),
            (("POST",), PREFIX + "stop", self.stop),
            (("GET",), PREFIX + "status", self.state),
            (("POST",), PREFIX + "snapshot", self.snapshot),
        ]

    def start(self, request: Request) -> Outcome:
        spec = _spec_of(request)
        problem = check_spec(spec, needs_target=True)
        if problem is not None:
            return _errors(422, 10, problem)
        if self.status != "Recording":
            self._before = self.engine.fallback
        newest = self.engine.journal.newest(1)
        self._after = newest[0]["id"] if newest else 0
        self._spec = spec
        self.engine.fallback = (str(spec["targetBaseUrl"]), {})
        self.status = "Recording"
        return Respond(json_response(200, {}))

    def stop(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if self.status != "Recording":
            return _errors(400, 30, "Not currently recording.")
        self.engine.fallback = self._before
        self.status = "Stopped"
        after = self._after
        entries = [e for e in self.engine.journal.newest() if e["id"] > after]
        return self._answer(entries, self._spec)

    def state(self, request: Request) -> Outcome:
        return Respond(json_response(200, {"status": self.status}))

    def snapshot(self, request: Request) -> Outcome | Awaitable[Outcome]:
        spec = _spec_of(request) if request.body else {}
        problem = check_spec(spec, needs_target=False)
        if problem is not None:
            return _errors(422, 10, problem)
        return self._answer(self.engine.journal.newest(), spec)

    def _answer(
        self, entries: list[dict[str, Any]], spec: Mapping[str, Any]
    ) -> Outcome | Awaitable[Outcome]:
        try:
            made = mappings(exchanges(entries), spec)
        except re.error as exc:
            return _errors(422, 10, f"filters: {exc}")

        async def added() -> Outcome:
            if made:
                await self.add_mappings(made)
            if str(spec.get("outputFormat", "FULL")).upper() == "IDS":
                return Respond(json_response(200, {"ids": [m["id"] for m in made]}))
            return Respond(json_response(200, {"mappings": made}))

        return added()


def _spec_of(request: Request) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None
