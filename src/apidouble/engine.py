"""One request, top to bottom: route, validate, decide, render, and say what to send.

The engine never touches sockets (``transport/``) and never sleeps: it returns an
``Outcome`` with the delay it chose. Control routes are not its business either: the
runtime's dispatcher sends those to the admin plane. The served config is one
reference, swapped atomically on reload, so a request in flight finishes on the config
it started with.

The phases, in order: CORS preflight, route, server-wide rate limit, the stub's rate
limit, request validation, flaky decision and fault, render, caching, latency and
pacing. A stub with none of these (and nothing server-wide) takes ``_respond_plainly``.
"""

from __future__ import annotations

import html
import logging
import random
from bisect import bisect_left
from collections.abc import Awaitable, Callable
from typing import Any

from . import serving_trouble as trouble
from .addons.pipeline import run_request, run_served, run_stub
from .behaviours.cors import CorsPolicy
from .behaviours.decision import Decision
from .behaviours.pacing import Step
from .behaviours.ratelimit import RateDecision
from .compiled import CompiledConfig, CompiledStub
from .express import ExpressLane
from .journal import Journal
from .matching.router import RouteMatch
from .metrics import BUCKETS, Counters
from .model import INVALID_JSON, Headers, Request, ServeEvent
from .nearmiss import near_miss_report, near_miss_text
from .outcome import Fail, Forward, Outcome, Respond, Response, Upgrade
from .realtime.messages import MessageLog
from .realtime.websocket import Hub, WebSocketUpgrade
from .realtime.ws_rules import WebSocketRoute
from .responses import CompiledResponse, json_response
from .state.scenarios import Scenarios
from .templating import TemplateRenderError

log = logging.getLogger("apidouble")

_PROBLEM = "application/problem+json"
_FIRST_BUCKET = BUCKETS[0]
_MISS_BODY_CAP = 4096
"""Unmatched requests with larger bodies are explained afresh (their reports not kept)."""


class Engine:
    """Serves requests from the installed config and records them in the journal."""

    def __init__(
        self,
        config: CompiledConfig,
        journal: Journal | None = None,
        counters: Counters | None = None,
    ) -> None:
        self.config = config
        self.journal = journal if journal is not None else Journal()
        self.counters = counters if counters is not None else Counters()
        """Per-exchange counts for the metrics, across every installed config."""
        self.fallback: tuple[str, dict[str, Any]] | None = None
        """``--proxy-to``: (upstream, options) for requests no stub matches."""
        self.pass_through: Callable[[Request], tuple[str, dict[str, Any]] | None] | None = None
        """``--proxy-pass-through``: the (upstream, options) of an unmatched request that
        named another host (``proxy.pass_through``); it goes before ``fallback``."""
        self.websockets = Hub(config.clock)
        """Every open WebSocket session, across installed configs (a reload keeps them)."""
        self.websocket_log = MessageLog()
        """What those sessions received and sent (``realtime.messages``)."""
        self.express = ExpressLane(self.journal, self.counters)
        """Static stubs the transport answers itself (see ``express``)."""
        self.express.install(config)

    def install(self, config: CompiledConfig) -> None:
        """Serve ``config`` from the next request on (one reference swap), and let the state
        store forget what no stub of it uses any more."""
        self.config = config
        self.express.install(config)
        config.store.retain(config.state_names)

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """Decide the outcome for one request."""
        config = self.config
        event = ServeEvent(request, config.clock.time())
        if config.detour:
            addons = config.addons
            if addons is not None and addons.server is not None:
                return run_request(self, config, request, event)
            return self._handle_with_server_trouble(config, request, event)
        found = config.router.find(request)
        stub = found.stub
        if stub is None:
            return self._unmatched(config, request, found, event, None, [])
        event.stub = stub
        compiled = config.stubs[stub.id]
        if config.plain_server:
            ready = compiled.ready
            if ready is not None:  # a static stub: the ready bytes, nothing to decide
                event.status = ready.status
                event.response = ready
                return Respond(ready, 0.0, event)
            rendered = compiled.rendered
            if rendered is not None:  # a templated one: render, nothing else to decide
                response = self._render(config, rendered, compiled, request, found.params, None)
                event.status = response.status
                event.response = response
                return Respond(response, 0.0, event)
            if compiled.plain:
                return self._respond_plainly(config, compiled, request, found.params, event)
        return self._respond(config, compiled, request, found.params, event, [], None)

    def forward_head(self, request: Request) -> Forward | None:
        """The ``Forward`` for a request whose body is still arriving, when its head alone
        decides it: every stub tried before the winner needs nothing of the body
        (``CompiledStub.needs_body``, decided at load time), and the winner, a plain stub,
        always forwards (or none could match and ``--proxy-to`` takes it). None: read
        the body first, as for any request. Only asked for large or chunked bodies."""
        config = self.config
        if config.detour or not config.server.plain or request.path.startswith("/__"):
            return None  # something looks at every request, or maybe a control route
        method = request.method
        if method == "HEAD":
            return None
        stubs = config.stubs
        for stub, methods in config.router.methods_for_path(request.path):
            if methods and method not in methods:
                continue
            compiled = stubs[stub.id]
            if compiled.needs_body:
                return None
            pattern = compiled.pattern
            if pattern is None:
                return None
            if not pattern.test_conditions(request):
                continue
            only = compiled.picker.only
            if not compiled.plain or only is None or only.proxy is None:
                return None
            event = ServeEvent(request, config.clock.time(), stub)
            return _forward(only.proxy, request, _delay(only, compiled, config.env.random), event)
        fallback = self.fallback_for(request)
        if fallback is None or config.resources is not None or config.specs is not None:
            return None
        return _forward(fallback, request, 0.0, ServeEvent(request, config.clock.time()))

    def fallback_for(self, request: Request) -> tuple[str, dict[str, Any]] | None:
        """Where an unmatched request goes: the host it named (``pass_through``), else
        ``--proxy-to``; None: it is answered here."""
        choose = self.pass_through
        if choose is not None:
            chosen = choose(request)
            if chosen is not None:
                return chosen
        return self.fallback

    def answer(
        self, config: CompiledConfig, request: Request, event: ServeEvent
    ) -> Outcome | Awaitable[Outcome]:
        """Route and answer: ``handle`` once the addons' request phase is past."""
        if config.server.active or config.any_cors:
            return self._handle_with_server_trouble(config, request, event)
        found = config.router.find(request)
        stub = found.stub
        if stub is None:
            return self._unmatched(config, request, found, event, None, [])
        event.stub = stub
        compiled = config.stubs[stub.id]
        return self._respond(config, compiled, request, found.params, event, [], None)

    def unmatched(
        self,
        config: CompiledConfig,
        request: Request,
        found: RouteMatch,
        event: ServeEvent,
        vetoed: str | None = None,
    ) -> Respond | Forward | Awaitable[Respond]:
        """The answer to a request no stub takes. ``vetoed`` says which stub an addon
        vetoed, and who: then the report says so and is never a 405 (that stub matched)."""
        if vetoed is None:
            return self._unmatched(config, request, found, event, None, [])
        documents = config.documents
        if documents is not None and (served := documents.answer(request)) is not None:
            if isinstance(served, Response):
                return self._sent(Respond(served, 0.0, event))
            return self._document(served, config, request, found, event, None, [])
        if config.not_found is not None:
            cached = _wiremock_report(config, request, found)
        else:
            near = found.near_misses(3)
            report = near_miss_report(request, near)
            report["error"] = vetoed
            cached = json_response(404, report), near_miss_text(request, near)
        return self._reported(config, request, event, None, [], cached)

    def _handle_with_server_trouble(
        self, config: CompiledConfig, request: Request, event: ServeEvent
    ) -> Outcome | Awaitable[Outcome]:
        """The same phases with server-wide CORS and rate limits around them."""
        answer = trouble.preflight(config, request)
        if answer is not None:
            return self._sent(Respond(answer, 0.0, event))
        found = config.router.find(request)
        event.stub = found.stub
        server = config.server
        extra: Headers = []
        admitted: RateDecision | None = None
        decision = Decision() if server.debug_headers or server.rate_limit else None
        if server.rate_limit is not None:
            refusal, verdict = trouble.rate_limited(
                server.rate_limit, server.refusal, request, decision, config.clock.monotonic()
            )
            if refusal is not None:
                cors = self._cors_for(config, found)
                return self._finish(refusal, 0.0, event, decision, cors, request, extra)
            admitted = verdict
            extra.extend(server.rate_limit.headers(verdict))
        if found.stub is None:
            return self._unmatched(config, request, found, event, decision, extra)
        return self._respond(
            config,
            config.stubs[found.stub.id],
            request,
            found.params,
            event,
            extra,
            admitted,
            decision,
        )

    def _cors_for(self, config: CompiledConfig, found: RouteMatch) -> CorsPolicy | None:
        if found.stub is not None:
            own = config.stubs[found.stub.id].trouble.cors
            if own is not None:
                return own
        return config.server.cors

    def _respond(
        self,
        config: CompiledConfig,
        compiled: CompiledStub,
        request: Request,
        params: dict[str, str],
        event: ServeEvent,
        extra: Headers,
        admitted: RateDecision | None,
        decision: Decision | None = None,
    ) -> Outcome | Awaitable[Outcome]:
        if compiled.hooks is not None:
            return run_stub(
                self, config, compiled, request, params, event, extra, admitted, decision
            )
        return self.respond_core(
            config, compiled, request, params, event, extra, admitted, decision
        )

    def respond_core(
        self,
        config: CompiledConfig,
        compiled: CompiledStub,
        request: Request,
        params: dict[str, str],
        event: ServeEvent,
        extra: Headers,
        admitted: RateDecision | None,
        decision: Decision | None = None,
    ) -> Outcome:
        """The stub's own answer: trouble, validation, render, caching, delay."""
        rules = compiled.trouble
        if compiled.inert and not extra and config.server.plain:
            return self._respond_plainly(config, compiled, request, params, event)
        server = config.server
        if decision is None and (server.debug_headers or not rules.inert):
            decision = Decision()
        cors = rules.cors or server.cors
        now = config.clock.monotonic()
        if rules.rate_limit is not None:
            refusal, verdict = trouble.rate_limited(
                rules.rate_limit, rules.refusal, request, decision, now
            )
            if refusal is not None:
                if admitted is not None and server.rate_limit is not None:
                    server.rate_limit.release(admitted)  # refused: it must not count
                return self._finish(refusal, 0.0, event, decision, cors, request, extra)
            # the endpoint's own limit is the one its answer reports (one set of headers)
            extra[:] = [h for h in extra if not h[0].startswith("RateLimit-")]
            extra.extend(rules.rate_limit.headers(verdict))
        if compiled.guard is not None:
            admission = compiled.guard.admit(request)
            if isinstance(admission, Response):
                return self._finish(admission, 0.0, event, decision, cors, request, extra)
            request.auth = admission
            if decision is None:
                decision = Decision()
            decision.auth = admission.as_dict()
        if compiled.validator is not None:
            problem = self._validate(compiled, request)
            if problem is not None:
                return self._finish(problem, 0.0, event, decision, cors, request, extra)
        rng = config.env.random
        chosen = compiled.picker.pick(request)
        failed = rules.flaky.reason(request, now) if rules.flaky else None
        if failed is not None:
            event.failure_injected = True
            if decision is not None:
                decision.failure = failed
        if rules.fault is not None and (failed is not None or rules.fault_always):
            plan = rules.fault.plan(rng)
            delay = compiled.latency.sample(rng) if compiled.latency else 0.0
            if decision is not None:
                decision.fault = plan
                if compiled.latency is not None:
                    decision.latency_s = delay
                event.decision = decision.as_dict()
            event.delay_s = delay
            return Fail(plan, delay, event)
        if failed is not None and compiled.failure is not None:
            chosen = compiled.failure
        if chosen.proxy is not None:
            delay = _delay(chosen, compiled, rng)
            if decision is not None:
                event.decision = decision.as_dict()
            return _forward(chosen.proxy, request, delay, event, _inspection(config, request))
        if chosen.websocket is not None:
            if decision is not None:
                event.decision = decision.as_dict()
            return self._upgrade(chosen.websocket, config, compiled, request, params, event)
        if chosen.sse is not None:
            delay = _delay(chosen, compiled, rng)
            if decision is not None and (chosen.latency or compiled.latency):
                decision.latency_s = delay
            stream = _event_stream(chosen, request, params)
            respond = self._finish(stream.response, delay, event, decision, cors, request, extra)
            respond.stream = stream.stream
            return respond
        if chosen.graphql is not None:
            served = chosen.graphql.serve(request, params)
            if served.facts:
                decision = decision or Decision()
                decision.graphql = served.facts
            delay = _delay(chosen, compiled, rng) + served.delay_s
            if served.fault is not None:  # an operation's fault breaks the connection
                decision = decision or Decision()
                decision.fault = served.fault
                event.decision = decision.as_dict()
                event.delay_s = delay
                return Fail(served.fault, delay, event)
            return self._finish(served.response, delay, event, decision, cors, request, extra)
        if chosen.llm is not None:
            answered = chosen.llm.serve(request, params)
            decision = decision or Decision()
            decision.llm = answered.facts
            delay = _delay(chosen, compiled, rng) + answered.delay_s
            respond = self._finish(answered.response, delay, event, decision, cors, request, extra)
            respond.stream = answered.stream
            return respond
        response = self._render(config, chosen, compiled, request, params, decision)
        if rules.cache is not None:
            response = trouble.cache_headers(rules, request, response)
            if response.status == 304 and decision is not None:
                decision.cache = "not_modified"
        delay = _delay(chosen, compiled, rng)
        pacing = rules.pacing(len(response.body)) if response.body else ()
        if decision is not None:
            if chosen.latency is not None or compiled.latency is not None:
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
    ) -> Respond | Forward | Upgrade | Fail:
        """The common case, kept short: no trouble, no validation, nothing server-wide."""
        chosen = compiled.picker.pick(request)
        response = chosen.static
        if response is None:
            if chosen.proxy is not None:
                delay = _delay(chosen, compiled, config.env.random)
                return _forward(chosen.proxy, request, delay, event, _inspection(config, request))
            if chosen.sse is not None:
                delay = _delay(chosen, compiled, config.env.random)
                event.delay_s = delay
                stream = _event_stream(chosen, request, params)
                return self._sent(Respond(stream.response, delay, event, stream=stream.stream))
            if chosen.websocket is not None:
                return self._upgrade(chosen.websocket, config, compiled, request, params, event)
            if chosen.graphql is not None:
                served = chosen.graphql.serve(request, params)
                if served.facts:
                    event.decision = {"graphql": served.facts}
                delay = _delay(chosen, compiled, config.env.random) + served.delay_s
                if served.fault is not None:  # an operation's fault breaks the connection
                    facts = served.facts or None
                    event.decision = Decision(fault=served.fault, graphql=facts).as_dict()
                    event.delay_s = delay
                    return Fail(served.fault, delay, event)
                response = served.response
                event.status = response.status
                event.delay_s = delay
                event.response = response
                return Respond(response, delay, event)
            if chosen.llm is not None:
                answered = chosen.llm.serve(request, params)
                event.decision = {"llm": answered.facts}
                delay = _delay(chosen, compiled, config.env.random) + answered.delay_s
                event.delay_s = delay
                return self._sent(Respond(answered.response, delay, event, stream=answered.stream))
            response = self._render(config, chosen, compiled, request, params, None)
        delay = _delay(chosen, compiled, config.env.random)
        event.status = response.status
        event.delay_s = delay
        event.response = response
        return Respond(response, delay, event)

    def _upgrade(
        self,
        route: WebSocketRoute,
        config: CompiledConfig,
        compiled: CompiledStub,
        request: Request,
        params: dict[str, str],
        event: ServeEvent,
    ) -> Upgrade | Respond:
        """Hand an upgrade request to the conversation; a plain request for it gets 426."""
        if not _asks_for_websocket(request):
            return self._sent(Respond(_UPGRADE_REQUIRED, 0.0, event))
        event.status = 101
        handler = WebSocketUpgrade(
            route,
            self.websockets,
            dict(params),
            self.websocket_log.observe,
            scenarios=config.scenarios,
            hooks=compiled.message_hooks,
            stub=compiled.stub,
        )
        return Upgrade(handler, request, 0.0, event, _SWITCHED)

    def _render(
        self,
        config: CompiledConfig,
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
            cached = server_cache.get(key, config.clock.monotonic())
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
            server_cache.put(key, response, config.clock.monotonic())
        return response

    def _finish(
        self,
        response: Response,
        delay: float,
        event: ServeEvent,
        decision: Decision | None,
        cors: CorsPolicy | None,
        request: Request,
        extra: Headers,
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
        event.delay_s = delay
        return self._sent(Respond(response, delay, event, pacing))

    @staticmethod
    def _sent(outcome: Respond) -> Respond:
        event = outcome.event
        if event is not None:
            event.status = outcome.response.status
            event.response = outcome.response
        return outcome

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

    def _unmatched(
        self,
        config: CompiledConfig,
        request: Request,
        found: RouteMatch,
        event: ServeEvent,
        decision: Decision | None,
        extra: Headers,
    ) -> Respond | Forward | Awaitable[Respond]:
        """404 with the near-miss report; 405 with ``Allow`` when only the method differs
        (after the CRUD resources, the OpenAPI specs and ``--proxy-to`` had their say).

        Server-wide CORS and decision headers apply, so a browser can read the report.
        Reports are kept per distinct request for the life of the config (bounded), so a
        client probing the same unknown path does not cost a fresh explanation each time.
        """
        resources = config.resources
        if resources is not None and (answered := resources.answer(request)) is not None:
            event.notes = (*event.notes, "json-server resource")
            return self._beside_stubs(config, request, event, decision, extra, answered)
        specs = config.specs
        fallback = self.fallback if self.pass_through is None else self.fallback_for(request)
        if specs is not None and fallback is not None and specs.validating:
            screened = specs.screen(request)  # a validation proxy: the spec's own go upstream
            if isinstance(screened, Response):
                event.notes = (*event.notes, "openapi")
                return self._beside_stubs(config, request, event, decision, extra, screened)
            if screened is not None:
                return _forward(fallback, request, 0.0, event, screened)
        elif (
            specs is not None
            and (answered := specs.answer(request, last=fallback is None)) is not None
        ):
            event.notes = (*event.notes, "openapi")
            return self._beside_stubs(config, request, event, decision, extra, answered)
        if fallback is not None:  # --proxy-to: what no stub takes goes upstream
            return _forward(fallback, request, 0.0, event)
        documents = config.documents
        if documents is not None and (served := documents.answer(request)) is not None:
            if isinstance(served, Response):
                return self._sent(Respond(served, 0.0, event))
            return self._document(served, config, request, found, event, decision, extra)
        return self._report(config, request, found, event, decision, extra)

    async def _document(
        self,
        pending: Awaitable[Response | None],
        config: CompiledConfig,
        request: Request,
        found: RouteMatch,
        event: ServeEvent,
        decision: Decision | None,
        extra: Headers,
    ) -> Respond:
        """A document-root file read off the loop; the report if it vanished meanwhile."""
        response = await pending
        if response is None:
            return self._report(config, request, found, event, decision, extra)
        return self._sent(Respond(response, 0.0, event))

    def _report(
        self,
        config: CompiledConfig,
        request: Request,
        found: RouteMatch,
        event: ServeEvent,
        decision: Decision | None,
        extra: Headers,
    ) -> Respond:
        """The near-miss report (WireMock's plain text when serving a WireMock root)."""
        key = _miss_key(request) if len(request.body) <= _MISS_BODY_CAP else None
        cached = config.misses.get(key) if key is not None else None
        if cached is None:
            if config.not_found is not None:
                cached = _wiremock_report(config, request, found)
            elif config.express_404:
                cached = _express_report(request, found)
            else:
                cached = _explain(request, found)
            if key is not None and not config.stateful_misses:
                config.misses[key] = cached
        return self._reported(config, request, event, decision, extra, cached)

    def _reported(
        self,
        config: CompiledConfig,
        request: Request,
        event: ServeEvent,
        decision: Decision | None,
        extra: Headers,
        cached: tuple[Response, str],
    ) -> Respond:
        """A miss's report sent: logged, with server-wide CORS and decision headers."""
        response, text = cached
        if log.isEnabledFor(logging.INFO):
            log.info("%s", text)
        return self._beside_stubs(config, request, event, decision, extra, response)

    def _beside_stubs(
        self,
        config: CompiledConfig,
        request: Request,
        event: ServeEvent,
        decision: Decision | None,
        extra: Headers,
        response: Response,
    ) -> Respond:
        """An answer no stub gave (a report, a resource), with the server-wide CORS and
        decision headers every answer carries."""
        server = config.server
        if server.debug_headers and decision is None:
            decision = Decision()
        if extra or decision is not None or server.cors is not None:
            return self._finish(response, 0.0, event, decision, server.cors, request, extra)
        return self._sent(Respond(response, 0.0, event))

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        """Journal and count the exchange once the transport is done with it (plain
        numbers: ``metrics_export`` reads them when scraped)."""
        event = outcome.event
        if event is not None:
            event.duration_s = elapsed_s
            self.journal.record(event)
            if event.flow is not None:
                run_served(event.flow)
            counters = self.counters
            stub = event.stub
            label = stub.label if stub is not None else ""
            key = (label, event.request.method, event.status)
            cell = counters.requests.get(key)
            if cell is None:
                cell = counters.cell(key)
            cell.hits += 1
            delay = event.delay_s
            processing = elapsed_s - delay  # our own time: the injected delay is apart
            if processing <= _FIRST_BUCKET:  # almost always: no search
                counters.duration[0] += 1
            else:
                counters.duration[bisect_left(BUCKETS, processing)] += 1
            counters.duration_sum += processing
            if delay:
                counters.delay[bisect_left(BUCKETS, delay)] += 1
                counters.delay_sum += delay
            if event.decision:
                counters.trouble(label, event.decision)


def _miss_key(request: Request) -> tuple[object, ...]:
    """Everything a near-miss explanation can read: the same request gets the same one."""
    headers: object = request.head  # the head as received, when that is what was kept
    if headers is None:
        raw = request.raw_headers
        headers = tuple(raw) if raw is not None else request.headers
    return (request.method, request.path, request.query_string, headers, request.body)


def _wiremock_report(
    config: CompiledConfig, request: Request, found: RouteMatch
) -> tuple[Response, str]:
    """WireMock's 404: its plain-text report on the closest stub (no 405: WireMock has none)."""
    assert config.not_found is not None
    near = found.near_misses(1)
    stub = near[0].stub if near else None
    state = None
    if stub is not None and stub.scenario is not None:
        scenarios = config.scenarios or Scenarios(config.store)
        state = scenarios.state(stub.scenario.name, request)
    text = config.not_found(stub, request, state)
    headers = [("Content-Type", "text/plain;charset=UTF-8")]
    return Response.build(404, headers, text.encode()), near_miss_text(
        request, found.near_misses(3)
    )


_EXPRESS_404_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Type", "text/html; charset=utf-8"),
]


def _express_report(request: Request, found: RouteMatch) -> tuple[Response, str]:
    """Express's 404 page (its ``finalhandler``), as mockoon-cli sends for what no route
    takes, whatever the method; the near-miss report goes to the log and the journal."""
    target = html.escape(request.path)  # the path only, as ``finalhandler`` names it
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Error</title>\n</head>\n<body>\n<pre>Cannot {html.escape(request.method)}"
        f" {target}</pre>\n</body>\n</html>\n"
    )
    response = Response.build(404, _EXPRESS_404_HEADERS, page.encode())
    return response, near_miss_text(request, found.near_misses(3))


def _explain(request: Request, found: RouteMatch) -> tuple[Response, str]:
    """The 404 (or 405 with ``Allow``) report and its log line."""
    near = found.near_misses(3)
    allowed = found.allowed_methods()
    report = near_miss_report(request, near)
    if not allowed:
        return json_response(404, report), near_miss_text(request, near)
    report["error"] = "no stub answers this method here"
    report["allow"] = sorted(allowed)
    response = json_response(405, report).with_headers([("Allow", ", ".join(sorted(allowed)))])
    return response, near_miss_text(request, near)


def _asks_for_websocket(request: Request) -> bool:
    """An upgrade as the transport takes one (RFC 6455 §4.2.1, RFC 9110 §7.8): HTTP/1.1
    with ``Upgrade: websocket`` and ``upgrade`` among the ``Connection`` options. Anything
    less is a plain request (426), never handed a connection the transport kept."""
    wanted = request.header("upgrade")
    if wanted is None or wanted.strip().lower() != "websocket" or request.http_version != "1.1":
        return False
    options = request.header("connection") or ""
    return "upgrade" in (option.strip().lower() for option in options.split(","))


_UPGRADE_REQUIRED = Response.build(
    426,
    [("upgrade", "websocket"), ("connection", "Upgrade"), ("content-type", "text/plain")],
    b"This endpoint speaks WebSocket: send an upgrade request.\n",
)
_SWITCHED = Response(101, b"", b"")
"""What the journal shows for a handed-over connection (the session writes the 101)."""


def _forward(
    proxy: tuple[str, dict[str, Any]],
    request: Request,
    delay: float,
    event: ServeEvent,
    check: Callable[[Respond], Respond] | None = None,
) -> Forward:
    """Send the request on (the transport's forwarder answers after ``delay``), with
    ``check`` to look at the answer first (``Forward.check``)."""
    upstream, options = proxy
    event.delay_s = delay
    event.notes = (*event.notes, f"proxied to {upstream}")
    return Forward(upstream, request, delay, event, options, check=check)


def _event_stream(chosen: CompiledResponse, request: Request, params: dict[str, str]) -> Respond:
    """The head and the event stream of an ``sse:`` response (``realtime.sse``)."""
    assert chosen.sse is not None and chosen.sse_head is not None
    return Respond(chosen.sse_head, stream=chosen.sse.stream(request, params))


def _inspection(config: CompiledConfig, request: Request) -> Callable[[Respond], Respond] | None:
    """``--validate-responses``: the check of a stub-proxied answer, when a spec owns it."""
    specs = config.specs
    if specs is None or not specs.validating:
        return None
    return specs.inspection(request)


def _delay(chosen: CompiledResponse, compiled: CompiledStub, rng: random.Random) -> float:
    """The response's own latency wins over its stub's; no latency is no delay."""
    if chosen.latency is not None:
        return chosen.latency.sample(rng)
    return compiled.latency.sample(rng) if compiled.latency is not None else 0.0
