"""One request, top to bottom: route, validate, decide, render, and say what to send.

The engine never touches sockets (``transport/`` does) and never sleeps: it returns an
``Outcome`` with the delay it chose. The served config is one reference, swapped
atomically on reload, so a request in flight finishes on the config it started with.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from . import serving_trouble as trouble
from .behaviours.cors import CorsPolicy
from .behaviours.decision import Decision
from .behaviours.latency import sample_seconds
from .behaviours.pacing import Step
from .compiled import CompiledConfig, CompiledStub
from .journal import Journal
from .matching.router import RouteMatch
from .model import INVALID_JSON, Request, ServeEvent
from .nearmiss import near_miss_report, near_miss_text
from .outcome import Fail, Outcome, Respond, Response
from .responses import CompiledResponse, json_response
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
        server = config.server
        extra: list[tuple[str, str]] = []
        if server.active or config.any_cors:
            early = self._before_routing(config, request, event, extra)
            if early is not None:
                return early
        found = config.router.find(request)
        if found.stub is None:
            return self._unmatched(request, found, event)
        event.stub = found.stub
        return self._respond(
            config, config.stubs[found.stub.id], request, found.params, event, extra
        )

    def _before_routing(
        self,
        config: CompiledConfig,
        request: Request,
        event: ServeEvent,
        extra: list[tuple[str, str]],
    ) -> Respond | None:
        """Server-wide trouble: the automatic CORS preflight, then the global rate limit."""
        answer = trouble.preflight(config, request)
        if answer is None and config.server.rate_limit is not None:
            limiter = config.server.rate_limit
            answer, headers = trouble.rate_limited(limiter, config.server.refusal, request, None)
            extra.extend(headers)
            if answer is not None:
                answer = answer.with_headers(trouble.cors_headers(config.server.cors, request))
        if answer is None:
            return None
        event.status = answer.status
        return Respond(answer, 0.0, event)

    def _respond(
        self,
        config: CompiledConfig,
        compiled: CompiledStub,
        request: Request,
        params: dict[str, str],
        event: ServeEvent,
        extra: list[tuple[str, str]],
    ) -> Outcome:
        rules = compiled.trouble
        if rules.inert and compiled.validator is None and not extra and config.server.plain:
            return self._respond_plainly(config, compiled, request, params, event)
        decision = Decision() if config.server.debug_headers or not rules.inert else None
        cors = rules.cors or config.server.cors
        if rules.rate_limit is not None:
            refusal, headers = trouble.rate_limited(
                rules.rate_limit, rules.refusal, request, decision
            )
            if refusal is not None:
                return self._finish(refusal, 0.0, event, decision, cors, request, extra)
            extra.extend(headers)
        if compiled.validator is not None:
            problem = self._validate(compiled, request)
            if problem is not None:
                return self._finish(problem, 0.0, event, decision, cors, request, extra)
        rng = config.env.random
        chosen = compiled.picker.pick()
        failed = rules.flaky.reason(request, time.monotonic()) if rules.flaky else None
        if failed is not None:
            event.failure_injected = True
            if decision is not None:
                decision.failure = failed
        if rules.fault is not None and (failed is not None or rules.flaky is None):
            plan = rules.fault.plan(rng)
            delay = compiled.latency.sample(rng) if compiled.latency else 0.0
            if decision is not None:
                decision.fault, decision.latency_s = plan, delay
                event.decision = decision.as_dict()
            event.delay_s = delay
            return Fail(plan, delay, event)
        if failed is not None and compiled.failure is not None:
            chosen = compiled.failure
        response = self._render(chosen, compiled, request, params, decision)
        if rules.cache is not None:
            response = trouble.cache_headers(rules, request, response)
            if response.status == 304 and decision is not None:
                decision.cache = "not_modified"
        delay = _delay(chosen, compiled, rng)
        pacing = rules.pacing(len(response.body)) if response.body else ()
        if decision is not None:
            decision.latency_s = delay
            if pacing:
                decision.pacing_s = sum(step.delay_s for step in pacing)
        return self._finish(response, delay, event, decision, cors, request, extra, pacing)

    def _respond_plainly(
        self,
        config: CompiledConfig,
        compiled: CompiledStub,
        request: Request,
        params: dict[str, str],
        event: ServeEvent,
    ) -> Respond:
        """The common case, kept short: no trouble, no validation, nothing server-wide."""
        chosen = compiled.picker.pick()
        response = chosen.static or self._render(chosen, compiled, request, params, None)
        delay = _delay(chosen, compiled, config.env.random)
        event.status = response.status
        event.delay_s = delay
        return Respond(response, delay, event)

    def _render(
        self,
        chosen: CompiledResponse,
        compiled: CompiledStub,
        request: Request,
        params: dict[str, str],
        decision: Decision | None,
    ) -> Response:
        """Render (or reuse a server-cached render), or explain a template failure as a 500
        naming the stub."""
        stub = compiled.stub
        server_cache = compiled.trouble.server_cache
        key = None
        if server_cache is not None and chosen.static is None:
            key = server_cache.key_for(request)
            cached = server_cache.get(key, time.monotonic())
            if decision is not None:
                decision.cache = "miss" if cached is None else "hit"
            if cached is not None:
                return cached
        try:
            response = chosen.render(request, params)
        except TemplateRenderError as exc:
            log.error("template error in %s (%s): %s", stub.label, stub.source.file, exc)
            body = {"error": "template error", "stub": stub.label, "detail": str(exc)}
            return json_response(500, body)
        except ValueError as exc:  # a templated status that is not a number
            body = {"error": "template error", "stub": stub.label, "detail": str(exc)}
            return json_response(500, body)
        if key is not None and server_cache is not None:
            server_cache.put(key, response, time.monotonic())
        return response

    def _finish(
        self,
        response: Response,
        delay: float,
        event: ServeEvent,
        decision: Decision | None,
        cors: CorsPolicy | None,
        request: Request,
        extra: list[tuple[str, str]],
        pacing: tuple[Step, ...] = (),
    ) -> Respond:
        """Add the headers trouble asked for and record what was decided."""
        headers = [*extra, *trouble.cors_headers(cors, request)]
        if decision is not None:
            event.decision = decision.as_dict()
            if self.config.server.debug_headers:
                headers.extend(trouble.decision_header(decision))
        if headers:
            response = response.with_headers(headers)
        event.status = response.status
        event.delay_s = delay
        return Respond(response, delay, event, pacing)

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


def _delay(chosen: CompiledResponse, compiled: CompiledStub, rng: random.Random) -> float:
    """The response's own latency wins over its stub's; no latency is no delay."""
    if chosen.latency is not None:
        return sample_seconds(chosen.latency, rng)
    return compiled.latency.sample(rng) if compiled.latency is not None else 0.0
