"""Load time, second half: turn loaded stubs into what the hot path runs.

``compile_config`` validates and compiles every stub (matchers, templates, files,
schemas), collecting every problem with its file, line and stub before raising one
``ConfigError``, then indexes them into a router. Nothing here runs per request.

State (sequence positions, flaky counters, rate-limit windows, caches) is not kept in
the compiled objects but in the ``StateStore`` they are bound to, under names made of
the stub's stable id and the settings the state depends on: compiling again with the
same store (a reload) keeps the state of every stub that did not change.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .addons.assembly import AddonSet, BoundAddons
from .addons.callback_log import CallbackSender
from .addons.hooks import Chain, Hook
from .addons.webhooks import Webhooks
from .auth.guard import Guard
from .auth.plane import IssuerSet
from .auth.requirement import AnyOf, JwtRequirement, Requirement
from .behaviours.cors import CorsPolicy
from .behaviours.failure import default_failure
from .behaviours.keys import LruDict, compile_key
from .behaviours.latency import LatencyModel
from .behaviours.ratelimit import RateLimiter, key_bound
from .behaviours.spec import NO_BEHAVIOURS, RateLimitSpec, fingerprint, space_name
from .behaviours.trouble import NO_TROUBLE, Trouble, compile_trouble
from .config.convert import behaviour_key
from .errors import ConfigError, ConfigProblem
from .importers.wiremock.unmatched import DocumentRoot
from .matching.pattern import CompiledPattern, Condition, compile_pattern
from .matching.result import Check, MatchResult
from .matching.router import Router
from .model import Request, Stub
from .outcome import Response
from .responses import CompiledResponse, watched_files
from .state.clock import SYSTEM_CLOCK, Clock
from .state.memory import MemorySpace, MemoryStore
from .state.resource_server import ResourceServer
from .state.scenarios import SPACE as SCENARIO_SPACE
from .state.scenarios import ScenarioGate, Scenarios
from .state.store import StateSpace, StateStore
from .templating import TemplateEnvironment

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from .auth.verify import KeySource
    from .openapi.server import SpecSet

MISS_REPORTS = 256
"""Distinct unmatched requests whose report is kept: each key holds a request head (at
most ``max_header_bytes``) and a body of at most 4 KB, each value a few KB."""


class ResponsePicker:
    """Chooses among a stub's responses: ``sequence`` (then stay on the last), ``cycle``,
    or ``random``; one response is a constant.

    The position in a sequence or cycle is a count in a ``StateSpace``, so a reload that
    keeps the stub keeps its place.
    """

    __slots__ = ("_responses", "_mode", "_rng", "_space", "_last")

    def __init__(
        self,
        responses: Sequence[CompiledResponse],
        mode: str,
        rng: random.Random,
        space: StateSpace | None = None,
    ):
        self._responses = tuple(responses)
        self._mode = mode
        self._rng = rng
        self._last = len(self._responses) - 1
        counted = len(responses) > 1 and mode in ("sequence", "cycle")
        self._space: StateSpace | None = (space or MemorySpace(1)) if counted else None

    def pick(self, request: Request) -> CompiledResponse:
        """The response for this request."""
        space = self._space
        if space is not None:
            index = space.count("") - 1
            if self._mode == "cycle":
                return self._responses[index % len(self._responses)]
            return self._responses[min(index, self._last)]
        if self._mode == "random" and self._last > 0:
            return self._rng.choice(self._responses)
        return self._responses[0]

    @property
    def only(self) -> CompiledResponse | None:
        """The one response always picked, or None when there is a choice."""
        return self._responses[0] if self._last == 0 else None

    @property
    def responses(self) -> tuple[CompiledResponse, ...]:
        """Every response it may pick."""
        return self._responses

    @property
    def counted(self) -> bool:
        """Whether picking keeps state (a sequence or cycle of several responses)."""
        return self._space is not None


class ScenarioPicker(ResponsePicker):
    """A picker that moves the stub's scenario on each time it is served."""

    __slots__ = ("_gate",)

    def __init__(self, picker: ResponsePicker, gate: ScenarioGate) -> None:
        self._responses = picker._responses
        self._mode = picker._mode
        self._rng = picker._rng
        self._space = picker._space
        self._last = picker._last
        self._gate = gate

    def pick(self, request: Request) -> CompiledResponse:
        self._gate.served(request)
        return ResponsePicker.pick(self, request)

    @property
    def only(self) -> CompiledResponse | None:
        return None  # never the ready-bytes path: serving has an effect


@dataclass(slots=True)
class CompiledStub:
    """A stub with everything the hot path needs, built once."""

    stub: Stub
    picker: ResponsePicker
    failure: CompiledResponse | None
    validator: Validator | None
    trouble: Trouble = field(default_factory=lambda: NO_TROUBLE)
    latency: LatencyModel | None = None
    pattern: CompiledPattern | None = None
    """The compiled request pattern, handed to the router (compiled once)."""
    state_names: tuple[str, ...] = ()
    """The store spaces this stub uses."""
    hooks: Chain | None = None
    """The addons' hooks this stub runs (None: no addon touches it)."""
    message_hooks: tuple[Hook, ...] = ()
    """The ``websocket_message`` hooks its conversation's sessions run per message."""
    guard: Guard | None = None
    """What a request must present before the stub answers (its ``auth``, or the
    server-wide ``auth.require``); None: nothing."""
    inert: bool = field(init=False)
    """No trouble, no validation, no auth: the stub's own answer takes the short path."""
    plain: bool = field(init=False)
    """Inert and no addon: the engine's short path (decided once, here)."""
    ready: Response | None = field(init=False)
    """Plain, one static response, no latency: the answer is these bytes, every time."""
    rendered: CompiledResponse | None = field(init=False)
    """Plain, one templated response, no latency: the answer is that response rendered
    for the request, with nothing else to decide."""
    protected: Response | None = field(init=False)
    """Plain but for its guard, one static response, no latency: the answer to every
    request the guard admits is these bytes (the express lane's guarded routes)."""
    needs_body: bool = field(init=False)
    """Whether it matches, or what it answers, may depend on the request body (or on
    state): a body condition, a schema to validate, a template, a hook, a scenario. A
    request whose body is still arriving can't be decided by its head past such a stub
    (``Engine.forward_head``)."""

    def __post_init__(self) -> None:
        unguarded = self.trouble.inert and self.validator is None
        self.inert = unguarded and self.guard is None
        self.plain = self.inert and self.hooks is None
        self.ready = self.rendered = self.protected = None
        only = self.picker.only
        fixed = self.latency is None and only is not None and only.latency is None
        if unguarded and self.guard is not None and self.hooks is None and fixed:
            assert only is not None
            self.protected = only.static
        if self.plain and fixed:
            assert only is not None
            self.ready = only.static
            streamed = only.sse is not None or only.websocket is not None
            streamed = streamed or only.graphql is not None or only.llm is not None
            if only.static is None and only.proxy is None and not streamed:
                self.rendered = only
        stub = self.stub
        self.needs_body = (
            bool(stub.pattern.body)
            or bool(stub.pattern.templates)  # a template may read the body
            or self.validator is not None
            or self.hooks is not None
            or stub.scenario is not None
            or any(r.static is None and r.proxy is None for r in self.picker.responses)
        )


@dataclass(slots=True)
class ServerTrouble:
    """Behaviour over every request: CORS, a global rate limit, the decision header."""

    cors: CorsPolicy | None = None
    rate_limit: RateLimiter | None = None
    refusal: Mapping[str, Any] | None = None
    debug_headers: bool = False
    state_names: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether the engine must look at this before routing."""
        return self.cors is not None or self.rate_limit is not None

    @property
    def plain(self) -> bool:
        """Nothing server-wide touches an answer (no CORS headers, no decision header)."""
        return self.cors is None and not self.debug_headers


NotFound = Callable[[Stub | None, Request, str | None], str]
"""Renders a 404 body for a request, the closest stub and its scenario's state."""


@dataclass(slots=True)
class CompiledConfig:
    """One generation of the served config: swapped atomically on reload."""

    router: Router
    stubs: dict[str, CompiledStub]
    files: tuple[Path, ...] = ()
    env: TemplateEnvironment = field(default_factory=TemplateEnvironment)
    server: ServerTrouble = field(default_factory=ServerTrouble)
    any_cors: bool = False
    """Some stub has its own CORS policy, so preflights need a look even without a global one."""
    store: StateStore = field(default_factory=MemoryStore)
    clock: Clock = SYSTEM_CLOCK
    state_names: frozenset[str] = frozenset()
    """Every store space this generation uses; installing it may drop the others."""
    misses: LruDict[tuple[object, ...], tuple[Response, str]] = field(
        default_factory=lambda: LruDict(MISS_REPORTS)
    )
    """Near-miss reports (response, log line) by request, for this generation's stubs."""
    documents: DocumentRoot | None = None
    """WireMock ``__files`` folders: unmatched GETs are answered from them."""
    not_found: NotFound | None = None
    """WireMock's plain-text 404 report, when serving a WireMock root."""
    express_404: bool = False
    """Express's 404 page for what no stub takes, never a 405 (``compat: mockoon``)."""
    stateful_misses: bool = False
    """Some stub has a scenario: a report depends on state, so it is not kept."""
    skipped: tuple[ConfigProblem, ...] = ()
    """Problems that skipped a stub while the rest serve (unreadable WireMock mappings)."""
    addons: BoundAddons | None = None
    """The addons' hooks (None: no addon is loaded)."""
    resources: ResourceServer | None = None
    """A json-server database answering the requests no stub takes."""
    specs: SpecSet | None = None
    """OpenAPI specs answering the requests no stub or resource takes."""
    issuers: IssuerSet | None = None
    """The mock OAuth2/OIDC issuers answering under ``/oauth2/{name}`` (the dispatcher's)."""
    scenarios: Scenarios | None = None
    """Every stub's scenarios, keyed by session when ``state_key`` is set."""
    state_key: str | None = None
    """``state_key``: which part of a request names its session."""
    detour: bool = False
    """Something looks at every request before routing (server-wide CORS or rate limit,
    a stub's CORS, an addon's server-wide hooks): ``Engine.handle`` leaves its short
    path. Decided by ``compile_config``."""
    plain_server: bool = True
    """``server.plain`` as it stood when compiled: read per request, decided once."""


def _guard(
    stub: Stub,
    issuers: IssuerSet | None,
    default: Requirement | None,
    problems: list[ConfigProblem],
) -> Guard | None:
    """The guard of ``stub``'s own ``auth`` (False: none), else of the server default."""
    own = stub.behaviours.auth if stub.behaviours is not None else None
    requirement = default if own is None else own or None
    if stub.pattern.claims and not _verifies_jwt(requirement):
        message = "match.auth needs the endpoint to verify the token: give auth: {jwt: ...}"
        problems.append(problem_at(stub, message, "/match/auth"))
        return None
    if requirement is None:
        return None
    if issuers is None:
        issuers = IssuerSet({})
    try:
        return issuers.guard(requirement)
    except ValueError as exc:
        place, _, message = str(exc).partition(": ")
        own_key = own is not None and place.startswith("auth")
        where = "/" + place.replace(".", "/") if own_key else ""
        problems.append(problem_at(stub, message if own_key else str(exc), where))
        return None


def _verifies_jwt(requirement: Requirement | None) -> bool:
    """Whether ``requirement`` checks a bearer JWT (itself, or one of its any_of options)."""
    if isinstance(requirement, AnyOf):
        return any(_verifies_jwt(option) for option in requirement.options)
    return isinstance(requirement, JwtRequirement)


def problem_at(stub: Stub, message: str, suffix: str = "") -> ConfigProblem:
    """A problem located at ``suffix`` (a JSON pointer) inside the stub's definition."""
    source = stub.source
    return ConfigProblem(source.file, message, source.line, source.pointer + suffix, stub.label)


def _same_templating(
    previous: CompiledConfig | None,
    seed: int | None,
    data: Mapping[str, Any] | None,
    faker_locale: str | None,
    faker_seed: int | None,
) -> bool:
    """Whether templates compiled for ``previous`` would compile the same now."""
    if previous is None:
        return False
    env = previous.env
    return (
        env.seed == seed
        and env.data == (data if data is not None else {})
        and env.faker_locale == faker_locale
        and env.faker_seed == faker_seed
    )


def _reusable(
    previous: CompiledConfig | None, stub: Stub, store: StateStore, clock: Clock
) -> CompiledStub | None:
    """The previous generation's compiled stub when ``stub`` is the same (its place in the
    global order aside) and reads no files, whose content may have changed."""
    if previous is None or previous.store is not store or previous.clock is not clock:
        return None
    old = previous.stubs.get(stub.id)
    if old is None or _reads_files(stub):
        return None
    if old.stub == stub:
        return old
    if old.stub.order != stub.order and replace(old.stub, order=stub.order) == stub:
        return replace(old, stub=stub)
    return None


def _reads_files(stub: Stub) -> bool:
    return any(spec.body_kind == "file" or spec.graphql is not None for spec in stub.response_specs)


def _pattern_of(compiled: CompiledStub) -> CompiledPattern:
    return (
        compiled.pattern if compiled.pattern is not None else compile_pattern(compiled.stub.pattern)
    )


def _compile_validator(schema: Mapping[str, Any]) -> Validator:
    """The stub's ``validate`` schema, checked; ``ValueError`` names what is wrong."""
    from jsonschema import Draft202012Validator, validators  # only stubs that validate
    from jsonschema.exceptions import SchemaError

    cls = validators.validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except SchemaError as exc:
        raise ValueError(f"invalid JSON Schema: {exc.message}") from None
    return cls(schema)


def _compile_stub(
    stub: Stub,
    env: TemplateEnvironment,
    problems: list[ConfigProblem],
    store: StateStore,
    clock: Clock,
    scenarios: Scenarios | None = None,
    issuers: Mapping[str, KeySource] | None = None,
) -> CompiledStub | None:
    names: list[str] = []
    errors_before = len(problems)
    scenarios = scenarios if scenarios is not None else Scenarios(store)
    gate = ScenarioGate(stub.scenario, scenarios) if stub.scenario else None
    try:
        extra = (*_template_conditions(stub, env), *((_gate_condition(gate),) if gate else ()))
        pattern = compile_pattern(stub.pattern, extra)
    except ValueError as exc:
        problems.append(problem_at(stub, str(exc), "/match"))
    responses: list[CompiledResponse] = []
    for index, spec in enumerate(stub.responses):
        suffix = f"/responses/{index}" if len(stub.responses) > 1 else ""
        try:
            responses.append(CompiledResponse(env, spec, stub.label, issuers))
        except (ValueError, OSError) as exc:
            problems.append(problem_at(stub, str(exc), suffix))
    trouble = NO_TROUBLE
    try:
        trouble = compile_trouble(
            stub.behaviours if stub.behaviours is not None else NO_BEHAVIOURS,
            env.random,
            stub_id=stub.id,
            failure_rate=stub.failure_rate,
            store=store,
            content=fingerprint(stub.responses),
        )
    except ValueError as exc:
        key = behaviour_key(exc, stub.behaviours.config if stub.behaviours else {})
        problems.append(problem_at(stub, str(exc), f"/{key}" if key else ""))
    names.extend(trouble.state_names)
    latency = None
    if stub.latency is not None:
        try:
            latency = LatencyModel.from_latency(stub.latency)
        except ValueError as exc:
            problems.append(problem_at(stub, str(exc), "/latency"))
    failure = None
    if trouble.flaky is not None or stub.failure is not None:
        try:
            failure = CompiledResponse(env, stub.failure or default_failure(stub.label), stub.label)
        except (ValueError, OSError) as exc:
            problems.append(problem_at(stub, str(exc), "/failure"))
    validator = None
    if stub.validate_schema is not None:
        try:
            validator = _compile_validator(stub.validate_schema)
        except ValueError as exc:
            problems.append(problem_at(stub, str(exc), "/validate"))
    if len(problems) > errors_before:
        return None
    counted = len(responses) > 1 and stub.response_mode in ("sequence", "cycle")
    space = None
    if counted:
        name = space_name(stub.id, "responses", len(responses), stub.response_mode)
        names.append(name)
        space = store.space(name, 1)
    picker = ResponsePicker(responses, stub.response_mode, env.random, space)
    if any(r.websocket is not None and r.websocket.uses_scenarios for r in responses):
        names.append(SCENARIO_SPACE)
    if gate is not None:
        picker = ScenarioPicker(picker, gate)
        names.append(SCENARIO_SPACE)
    return CompiledStub(stub, picker, failure, validator, trouble, latency, pattern, tuple(names))


def _with_webhooks(
    hooks: Chain | None,
    stub: Stub,
    env: TemplateEnvironment,
    sender: CallbackSender | None,
    problems: list[ConfigProblem],
) -> Chain | None:
    """``hooks`` and, last of the served ones, the stub's callbacks."""
    try:
        webhooks = Webhooks(stub.callbacks, env, sender or CallbackSender(), stub.label)
    except ValueError as exc:
        problems.append(problem_at(stub, str(exc), "/callbacks"))
        return hooks
    base = hooks or Chain()
    served = Hook(webhooks.name, "served", webhooks.served, False)
    return Chain(base.matched, base.response, (*base.served, served), (*base.names, "webhooks"))


def _template_conditions(stub: Stub, env: TemplateEnvironment) -> tuple[Condition, ...]:
    """The stub's ``match.template`` conditions (none, and no import, for most stubs)."""
    if not stub.pattern.templates:
        return ()
    from .matching.paths import compile_path, compile_path_regex
    from .matching.template import template_condition

    given = stub.pattern
    path = None
    if given.path is not None:
        path = compile_path(given.path)
    elif given.path_regex is not None:
        path = compile_path_regex(given.path_regex)
    return tuple(template_condition(env, spec, path) for spec in given.templates)


def _gate_condition(gate: ScenarioGate) -> Condition:
    """A scenario gate as one more condition of the stub's pattern (so near-miss reports
    say "scenario checkout: expected paid, is Started")."""
    label = f"scenario {gate.scenario.name}"

    def explain(request: Request) -> MatchResult:
        current = gate.current(request)
        passed = gate.test(request)
        return MatchResult.of(Check(label, passed, gate.scenario.when or "any", current))

    return Condition(gate.test, explain)


def compile_server(settings: Mapping[str, Any], store: StateStore | None = None) -> ServerTrouble:
    """The server-wide behaviours; raises ``ConfigError`` naming the key."""
    server = ServerTrouble(debug_headers=bool(settings.get("debug_headers", False)))
    try:
        if (cors := settings.get("cors")) is not None:
            server.cors = CorsPolicy.from_config(cors)
        if (limit := settings.get("rate_limit")) is not None:
            rate = RateLimitSpec.from_config(limit)
            space = None
            if store is not None:
                name = space_name("server", "rate", rate.state_key)
                space = store.space(name, key_bound(rate.requests))
                server.state_names = (name,)
            server.rate_limit = rate.limiter(space)
            server.refusal = rate.refusal
    except ValueError as exc:
        raise ConfigError([ConfigProblem("<config>", str(exc))]) from exc
    return server


def compile_config(
    stubs: Sequence[Stub],
    files: Sequence[Path] = (),
    seed: int | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    faker_locale: str | None = None,
    faker_seed: int | None = None,
    server: Mapping[str, Any] | None = None,
    store: StateStore | None = None,
    clock: Clock = SYSTEM_CLOCK,
    previous: CompiledConfig | None = None,
    file_roots: Sequence[Path] = (),
    not_found: NotFound | None = None,
    express_404: bool = False,
    addons: AddonSet | None = None,
    sender: CallbackSender | None = None,
    resources: ResourceServer | None = None,
    specs: SpecSet | None = None,
    issuers: IssuerSet | None = None,
    auth_require: Requirement | None = None,
) -> CompiledConfig:
    """Compile and index every stub; raises ``ConfigError`` listing every problem.

    ``file_roots`` (WireMock ``__files`` folders) answer unmatched GETs; ``not_found``
    renders the 404 body instead of the JSON near-miss report. ``addons`` (loaded with
    the files) give each stub its chain of hooks; stubs with ``callbacks`` hand them to
    ``sender`` (the runtime's, shared by every generation; a fresh one when None).

    ``data`` is what templates read as ``data.NAME``; ``faker_*`` configure ``faker``.
    ``store`` keeps the state (a fresh in-memory one when None): pass the served
    config's store to keep the state of unchanged stubs. ``issuers`` (the served mock
    issuers) give protected stubs their guards; ``auth_require`` is the requirement of
    every stub that states none (``auth: false`` opts out). ``previous`` (the served
    config, on a reload) lends its compiled stubs where a stub did not change and the
    template settings are the same, so a reload recompiles only what was edited.
    """
    store = store if store is not None else MemoryStore()
    state_key = (server or {}).get("state_key")
    scenarios = Scenarios(store, compile_key(state_key) if state_key else None)
    reuse = previous if _same_templating(previous, seed, data, faker_locale, faker_seed) else None
    if reuse is not None and reuse.state_key != state_key:
        reuse = None  # every scenario gate keys its state anew
    env = (
        reuse.env
        if reuse is not None
        else TemplateEnvironment(
            seed, data=data, faker_locale=faker_locale, faker_seed=faker_seed, clock=clock.time
        )
    )
    problems: list[ConfigProblem] = []
    compiled = {}
    names: list[str] = []
    patterns: list[CompiledPattern] = []
    bound = addons.bind(store) if addons else None
    if bound is not None:
        names.extend(bound.state_names)
    rings = issuers.rings() if issuers is not None else None
    for stub in stubs:
        result = _reusable(reuse, stub, store, clock)
        if result is None:
            result = _compile_stub(stub, env, problems, store, clock, scenarios, rings)
        if result is not None:
            hooks = None
            if bound is not None:
                try:
                    hooks = bound.chain_for(stub)
                except LookupError as exc:
                    problems.append(problem_at(stub, str(exc), "/addons"))
            elif stub.addons:
                message = f"addons: no addon named {stub.addons[0]!r} is loaded (loaded: none)"
                problems.append(problem_at(stub, message, "/addons"))
            if stub.callbacks:
                hooks = _with_webhooks(hooks, stub, env, sender, problems)
            if result.hooks is not hooks:
                result = replace(result, hooks=hooks)
            message_hooks: tuple[Hook, ...] = ()
            if bound is not None and any(r.websocket for r in result.picker.responses):
                message_hooks = bound.message_hooks_for(stub)
            if result.message_hooks != message_hooks:
                result = replace(result, message_hooks=message_hooks)
            guard = _guard(stub, issuers, auth_require, problems)
            if result.guard is not guard:
                result = replace(result, guard=guard)
            compiled[stub.id] = result
            patterns.append(_pattern_of(result))
            names.extend(result.state_names)
    if problems:
        raise ConfigError(problems)
    watched = set(files)
    for stub in stubs:
        for spec in stub.response_specs:
            watched.update(watched_files(spec))
    any_cors = any(c.trouble.cors is not None for c in compiled.values())
    server_trouble = compile_server(server or {}, store)
    names.extend(server_trouble.state_names)
    watched.update(addons.files if addons else ())
    return CompiledConfig(
        Router(
            stubs,
            head_via_get=True,
            patterns=patterns,
        ),
        compiled,
        tuple(sorted(watched)),
        env,
        server_trouble,
        any_cors,
        store,
        clock,
        frozenset(names),
        documents=DocumentRoot(file_roots) if file_roots else None,
        not_found=not_found,
        express_404=express_404 and not_found is None,
        stateful_misses=any(stub.scenario is not None for stub in stubs),
        addons=bound,
        resources=resources,
        specs=specs,
        issuers=issuers,
        scenarios=scenarios,
        state_key=state_key,
        detour=(
            server_trouble.active or any_cors or (bound is not None and bound.server is not None)
        ),
        plain_server=server_trouble.plain,
    )
