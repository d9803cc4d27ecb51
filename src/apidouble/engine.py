"""One request, top to bottom: route, validate, decide, render, and say what to send.

The engine never touches sockets (``transport/`` does) and never sleeps: it returns an
``Outcome`` with the delay it chose. The served config is one reference, swapped
atomically on reload, so a request in flight finishes on the config it started with.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from .behaviours.failure import should_fail
from .behaviours.latency import sample_seconds
from .compiled import CompiledConfig, CompiledStub
from .journal import Journal
from .matching.router import RouteMatch
from .model import INVALID_JSON, Request, ServeEvent
from .nearmiss import near_miss_report, near_miss_text
from .outcome import Outcome, Respond, Response
from .responses import json_response
from .templating import TemplateRenderError

if TYPE_CHECKING:
    from .admin.routes import ControlRoutes

log = logging.getLogger("apidouble")

_PROBLEM = "application/problem+json"


class Engine:
    """Serves requests from the installed config and records them in the journal."""

    def __init__(self, config: CompiledConfig, journal: Journal | None = None) -> None:
        self.config = config
        self.journal = journal if journal is not None else Journal()
        self.control: ControlRoutes | None = None
        """Answers ``/__admin/*``, ``/__logs`` and ``/__reload``; set by the server."""

    def install(self, config: CompiledConfig) -> None:
        """Serve ``config`` from the next request on (one reference swap)."""
        self.config = config

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """Decide the outcome for one request."""
        if request.path.startswith("/__") and self.control is not None:
            answer: Outcome | Awaitable[Outcome] | None = self.control.handle(request)
            if answer is not None:
                return answer
        config = self.config
        event = ServeEvent(request, time.time())
        found = config.router.find(request)
        if found.stub is None:
            return self._unmatched(request, found, event)
        event.stub = found.stub
        return self._respond(config.stubs[found.stub.id], request, found.params, event)

    def _respond(
        self, compiled: CompiledStub, request: Request, params: dict[str, str], event: ServeEvent
    ) -> Respond:
        stub = compiled.stub
        if compiled.validator is not None:
            problem = self._validate(compiled, request)
            if problem is not None:
                event.status = problem.status
                return Respond(problem, 0.0, event)
        rng = self.config.env.random
        chosen = compiled.picker.pick()
        if compiled.failure is not None and should_fail(stub.failure_rate, rng):
            chosen = compiled.failure
            event.failure_injected = True
        try:
            response = chosen.render(request, params)
        except TemplateRenderError as exc:
            log.error("template error in %s (%s): %s", stub.label, stub.source.file, exc)
            body = {"error": "template error", "stub": stub.label, "detail": str(exc)}
            response = json_response(500, body)
        except ValueError as exc:  # a templated status that is not a number
            body = {"error": "template error", "stub": stub.label, "detail": str(exc)}
            response = json_response(500, body)
        delay = sample_seconds(chosen.latency or stub.latency, rng)
        event.status = response.status
        event.delay_s = delay
        return Respond(response, delay, event)

    def _validate(self, compiled: CompiledStub, request: Request) -> Response | None:
        assert compiled.validator is not None
        document = request.json
        if document is INVALID_JSON:
            errors = [{"pointer": "", "message": "the request body is not valid JSON"}]
        else:
            found = sorted(compiled.validator.iter_errors(document), key=lambda e: list(e.path))
            errors = [
                {
                    "pointer": "".join(f"/{part}" for part in err.absolute_path),
                    "message": err.message,
                }
                for err in found
            ]
        if not errors:
            return None
        body = {
            "type": "about:blank",
            "title": "The request body does not match the schema",
            "status": 422,
            "stub": compiled.stub.label,
            "errors": errors,
        }
        return json_response(422, body, _PROBLEM)

    def _unmatched(self, request: Request, found: RouteMatch, event: ServeEvent) -> Respond:
        near = found.near_misses(3)
        if log.isEnabledFor(logging.INFO):
            log.info("%s", near_miss_text(request, near))
        event.status = 404
        return Respond(json_response(404, near_miss_report(request, near)), 0.0, event)

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        """Journal the exchange once the transport is done with it."""
        event = outcome.event
        if event is not None:
            event.duration_s = elapsed_s
            self.journal.record(event)
