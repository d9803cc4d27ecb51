"""Load time: a validated ``grpc:`` section -> ``GrpcConfig``, every answer pre-encoded.

Each stub's conditions become a ``RequestPattern`` compiled by ``matching`` (the request
message is the body, as JSON; metadata are headers), so gRPC calls are tested, explained
and reported exactly as HTTP requests are. Each stub is also a ``model.Stub`` (``POST
/package.Service/Method``), which is what the journal records calls against.

A client stream is matched as one request whose body is the list of its messages (and,
with ``match.each``, message by message); a bidi call is chosen on its metadata, then each
message it sends is matched against the stub's ``on_message`` rules, as a WebSocket's.
The trouble settings (flaky keys, ``rate_limit``) are validated here into the endpoints'
``Behaviours``; the server binds them to their state (``behaviours.trouble``).

An answer written without templates is encoded here, once, with the journal's record of
it (``CompiledGrpcStub.answered``); one with template marks (``{{ request.json.id }}``)
is compiled to a ``Reply``, rendered per call with the request message as
``request.json`` and the metadata as ``request.headers``, then fitted to its type.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from apidouble.behaviours.latency import LatencyModel
from apidouble.behaviours.ratelimit import REFUSAL_KEYS
from apidouble.behaviours.spec import NO_BEHAVIOURS, Behaviours, build_behaviours
from apidouble.config.convert import native_body_spec
from apidouble.config.grpc import (
    STATUS_NAMES,
    GrpcMatch,
    GrpcMessageMatch,
    GrpcSection,
    GrpcStub,
    match_pattern,
)
from apidouble.config.ids import content_id, name_id
from apidouble.config.positions import line_of
from apidouble.errors import ConfigProblem
from apidouble.grpc.messages import MessageProblem, MessageType, check_fields
from apidouble.grpc.protos import MethodInfo, ProtoProblem, Protos, load_protos
from apidouble.grpc.richstatus import STATUS_TRAILER, encode_status
from apidouble.matching.pattern import CompiledPattern, compile_pattern
from apidouble.model import (
    BodySpec,
    Request,
    RequestPattern,
    ResponseSpec,
    Source,
    Stub,
    ValueSpec,
)
from apidouble.outcome import Response
from apidouble.templating import RENDER_ERRORS, JsonBody, TemplateEnvironment, render_error
from apidouble.templating.environment import ContextMaker

Lines = dict[str, int]
Trailers = tuple[tuple[str, str | bytes], ...]
OK = 0


@dataclass(frozen=True, slots=True)
class Reply:
    """A message written with templates: rendered for each call, then fitted to its type."""

    body: JsonBody
    context: ContextMaker
    output: MessageType

    def render(self, request: Request) -> tuple[bytes, dict[str, Any]]:
        """The wire bytes and canonical JSON for ``request``; ``TemplateRenderError`` when a
        template fails, ``MessageProblem`` when what it made does not fit the type."""
        try:
            text = self.body.render(self.context(request, {}))
        except RENDER_ERRORS as exc:
            raise render_error(exc) from exc
        return self.output.parse(text)


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send: its bytes, its JSON (for the journal), the wait before it;
    with a ``reply``, bytes and JSON are made per call instead (``payload`` is empty and
    ``json`` is the message as written)."""

    payload: bytes
    json: dict[str, Any]
    delay_s: float = 0.0
    reply: Reply | None = None

    body: bytes = field(init=False)
    """The JSON bytes the journal keeps, made once."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", encode_json(self.json))


@dataclass(frozen=True, slots=True)
class Fault:
    """A call broken on purpose: after ``after`` messages sent, end with ``code`` (or hang
    until the client's deadline)."""

    after: int
    code: int
    details: str | None
    hang: bool = False

    @property
    def name(self) -> str:
        return "hang" if self.hang else STATUS_NAMES[self.code]


FAILED = Fault(0, STATUS_NAMES.index("UNAVAILABLE"), "unavailable (a flaky failure)")
"""What a call the flaky keys fail answers when the stub gives no ``fault``."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``on_message`` rule of a bidi stub, compiled."""

    pattern: CompiledPattern | None
    """None: any message."""
    messages: tuple[Message, ...]
    delay_s: float
    close: tuple[int, str | None] | None
    """(code, details) to end the call with after the reply."""
    index: int


@dataclass(frozen=True, slots=True)
class CompiledGrpcStub:
    """One stub, ready to serve: its test and an answer that needs no more encoding."""

    stub: Stub
    pattern: CompiledPattern
    messages: tuple[Message, ...]
    """One message for a unary method (unless the status is an error), any number for a
    server stream."""
    code: int
    """The status code the call ends with (``STATUS_NAMES[code]``)."""
    details: str | None
    metadata: tuple[tuple[str, str], ...]
    trailing_metadata: tuple[tuple[str, str], ...]
    delay_s: float
    each: CompiledPattern | None = None
    """A client stream: what every message must hold."""
    rules: tuple[Rule, ...] = ()
    fault: Fault | None = None
    latency: LatencyModel | None = None
    behaviours: Behaviours = NO_BEHAVIOURS
    """The flaky keys and rate limit, bound to their state by the server."""
    status_details: bytes | None = None
    """The ``google.rpc.Status`` of an error status with ``details``, encoded."""
    shown_details: tuple[dict[str, Any], ...] = ()
    """Those details as written (for the journal)."""
    by_body: bool = False
    """Its conditions read the request message only (``match.json``, or none): whether it
    matches follows from the request's bytes, so a route can remember it per bytes."""

    answered: tuple[dict[str, Any], Response] | None = field(init=False)
    """A static answer that ends OK: the journal's decision and response for it, made
    once (a call with trouble, a deadline or a rendered answer builds its own)."""
    troubled: bool = field(init=False)
    """A fault, flaky keys or a rate limit: the trouble engine has a say."""
    waits: bool = field(init=False)
    """Initial metadata, a delay or a latency come before the answer."""
    error_trailers: Trailers = field(init=False)
    """What its error status is sent with: the trailing metadata, and the rich details."""

    def __post_init__(self) -> None:
        trailers: Trailers = self.trailing_metadata
        if self.status_details is not None:
            trailers = (*trailers, (STATUS_TRAILER, self.status_details))
        object.__setattr__(self, "error_trailers", trailers)
        troubled = self.fault is not None or not self.behaviours.inert
        object.__setattr__(self, "troubled", troubled)
        waits = bool(self.metadata) or self.delay_s > 0 or self.latency is not None
        object.__setattr__(self, "waits", waits)
        answered = None
        if self.code == OK and len(self.messages) == 1 and self.messages[0].reply is None:
            headers = [("content-type", "application/grpc"), ("grpc-status", "0")]
            headers.extend(self.trailing_metadata)
            decision = {"grpc": {"status": "OK", "code": OK, "messages": 1}}
            answered = decision, Response.build(200, headers, self.messages[0].body)
        object.__setattr__(self, "answered", answered)

    @property
    def label(self) -> str:
        return self.stub.label


_CHOSEN_MAX = 256
"""Request bytes a route remembers the chosen stub of (cleared when full)."""
_CHOSEN_BYTES = 1024
"""Only requests this small are remembered."""
_UNSEEN = object()


@dataclass(frozen=True, slots=True)
class MethodRoute:
    """One served method and its stubs, in file order."""

    info: MethodInfo
    input: MessageType
    stubs: tuple[CompiledGrpcStub, ...]

    chosen: dict[bytes, CompiledGrpcStub | None] = field(init=False, default_factory=dict)
    """By request bytes, the stub that answered them (None: none did), when every stub
    matches on the message alone; a route with stubs added is a new route, remembering
    nothing."""
    by_body: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_body", all(stub.by_body for stub in self.stubs))

    def remembered(self, data: bytes) -> Any:
        """The stub chosen for these request bytes before (None: no stub), or ``UNSEEN``."""
        return self.chosen.get(data, _UNSEEN) if self.by_body else _UNSEEN

    def remember(self, data: bytes, stub: CompiledGrpcStub | None) -> None:
        if self.by_body and len(data) <= _CHOSEN_BYTES:
            if len(self.chosen) >= _CHOSEN_MAX:
                self.chosen.clear()
            self.chosen[data] = stub


UNSEEN = _UNSEEN
"""``MethodRoute.remembered`` of bytes not seen yet."""


@dataclass(frozen=True, slots=True)
class GrpcConfig:
    """One loaded ``grpc:`` section: what the server serves."""

    port: int
    protos: Protos
    services: tuple[str, ...]
    routes: dict[str, MethodRoute]
    """By ``/package.Service/Method``, every method of the served services."""
    reflection: bool = True
    health: bool = True
    env: TemplateEnvironment = field(default_factory=TemplateEnvironment)
    """What templated answers render in (stubs added at run time too)."""

    @property
    def stubs(self) -> tuple[CompiledGrpcStub, ...]:
        return tuple(stub for route in self.routes.values() for stub in route.stubs)


class _Problems:
    """The problems found so far, located in the file."""

    def __init__(self, file: str, lines: Lines, base: str) -> None:
        self.file = file
        self.lines = lines
        self.base = base
        self.found: list[ConfigProblem] = []

    def add(self, message: str, pointer: str, stub: str | None = None) -> None:
        ptr = self.base + pointer
        self.found.append(ConfigProblem(self.file, message, line_of(self.lines, ptr), ptr, stub))


def compile_section(
    section: GrpcSection,
    file: Path,
    lines: Lines | None = None,
    pointer: str = "/grpc",
    env: TemplateEnvironment | None = None,
) -> tuple[GrpcConfig | None, list[ConfigProblem]]:
    """Compile the protos and every stub; the config, or None and every problem found.

    ``file`` is the config file (paths are relative to its folder), ``lines`` its JSON
    pointer -> line map, ``pointer`` where the section sits in it; ``env`` what templated
    answers render in (default: one of their own, unseeded)."""
    env = env if env is not None else TemplateEnvironment()
    problems = _Problems(str(file), lines or {}, pointer)
    try:
        protos = load_protos(section.protos, file.parent, section.import_paths)
    except ProtoProblem as exc:
        where = "/protos" if exc.entry is None else f"/protos/{exc.entry}"
        problems.add(str(exc), where)
        return None, problems.found
    services = _services(section, protos, problems)
    served = {k: info for k, info in protos.methods.items() if info.service in services}
    scope = _Scope(
        served,
        {k: MessageType(v.input, protos.pool) for k, v in served.items()},
        protos,
        file,
        problems,
        env,
    )
    compiled: dict[str, list[CompiledGrpcStub]] = {k: [] for k in served}
    for index, given in enumerate(section.stubs):
        stub = _stub(given, index, scope)
        if stub is not None:
            compiled[given.method].append(stub)
    if problems.found:
        return None, problems.found
    routes = {
        info.path: MethodRoute(info, scope.inputs[key], tuple(compiled[key]))
        for key, info in served.items()
    }
    config = GrpcConfig(
        section.port, protos, services, routes, section.reflection, section.health, env
    )
    return config, []


def _services(section: GrpcSection, protos: Protos, problems: _Problems) -> tuple[str, ...]:
    if section.services is None:
        return protos.services
    for index, name in enumerate(section.services):
        if name not in protos.services:
            problems.add(
                f"no service {name!r} in the protos{_hint(name, protos.services)}",
                f"/services/{index}",
            )
    return tuple(name for name in section.services if name in protos.services)


@dataclass(slots=True)
class _Scope:
    """What compiling one stub reads: the served methods, their input types, the ids
    given so far."""

    served: dict[str, MethodInfo]
    inputs: dict[str, MessageType]
    protos: Protos
    file: Path
    problems: _Problems
    env: TemplateEnvironment
    taken: set[str] = field(default_factory=set)


def _stub(given: GrpcStub, index: int, scope: _Scope) -> CompiledGrpcStub | None:
    at = f"/stubs/{index}"
    label = given.name or given.id or given.method
    served, problems = scope.served, scope.problems
    info = served.get(given.method)
    if info is None:
        hint = _hint(given.method, list(served))
        problems.add(
            f"no method {given.method} in the served services{hint}", f"{at}/method", label
        )
        return None
    if not _fits(given, info, at, label, problems):
        return None
    before = len(problems.found)
    pattern = _pattern(given, info, at, label, problems)
    output = MessageType(info.output, scope.protos.pool)
    writer = _Writer(output, scope.env, label, problems)
    messages = _messages(given, writer, info.server_streaming, at)
    each = _each(given.match, info, at, label, problems)
    rules = _rules(given, info, writer, at)
    latency, behaviours = _trouble(given, at, label, problems)
    status_details = None
    if given.details is not None:
        code = STATUS_NAMES.index(given.status)
        try:
            status_details = encode_status(scope.protos.pool, code, given.message, given.details)
        except MessageProblem as exc:
            problems.add(str(exc), f"{at}/details", label)
    stub_id = _stub_id(given, scope.file, scope.taken)
    if stub_id is None:
        key = "id" if given.id is not None else "name"
        problems.add(f"{key} {label!r} is given to another stub", f"{at}/{key}", label)
    if len(problems.found) > before or pattern is None or messages is None or stub_id is None:
        return None
    file = scope.file
    stub = Stub(
        stub_id,
        RequestPattern(frozenset({"POST"}), info.path, headers=pattern[1], body=pattern[2]),
        (ResponseSpec(200, body_kind="json", body=_shown(messages, info.server_streaming)),),
        name=given.name,
        source=Source(str(file), line_of(problems.lines, problems.base + at), problems.base + at),
    )
    return CompiledGrpcStub(
        stub,
        pattern[0],
        messages,
        STATUS_NAMES.index(given.status),
        given.message,
        tuple(given.metadata.items()),
        tuple(given.trailing_metadata.items()),
        given.delay_ms / 1000,
        each,
        rules,
        _fault(given),
        latency,
        behaviours,
        status_details,
        tuple(given.details or ()),
        given.match is None or not (given.match.metadata or given.match.body),
    )


def _kind(info: MethodInfo) -> str:
    if info.client_streaming:
        return "bidi" if info.server_streaming else "client-streaming"
    return "server-streaming" if info.server_streaming else "unary"


def _fits(given: GrpcStub, info: MethodInfo, at: str, label: str, problems: _Problems) -> bool:
    """The keys given suit the method's kind; a problem per key that does not."""
    kind, match = _kind(info), given.match
    wrong: list[tuple[str, str]] = []
    if given.stream is not None and not info.server_streaming:
        wrong.append((f"{given.method} is {kind}: give response, not stream", "stream"))
    if given.response is not None and kind == "bidi":
        wrong.append((f"{given.method} is bidi: give stream and on_message", "response"))
    if given.on_message is not None and kind != "bidi":
        wrong.append((f"{given.method} is {kind}: on_message is for bidi methods", "on_message"))
    if match is not None and match.each is not None and kind != "client-streaming":
        wrong.append((f"{given.method} is {kind}: match.each is for client streams", "match/each"))
    if match is not None and kind == "bidi" and (match.json_ is not None or match.body):
        text = f"{given.method} is bidi: match metadata only; match messages in on_message"
        wrong.append((text, "match"))
    if match is not None and isinstance(match.json_, list) != (kind == "client-streaming"):
        if match.json_ is not None:
            text = (
                "match.json of a client stream is the list of its messages (or use match.each)"
                if kind == "client-streaming"
                else f"{given.method} is {kind}: match.json is one message, not a list"
            )
            wrong.append((text, "match/json"))
    if given.fault is not None and given.fault.after and not info.server_streaming:
        wrong.append((f"{given.method} is {kind}: it sends one message, fault.after must be 0",
                      "fault/after"))  # fmt: skip
    for message, key in wrong:
        problems.add(message, f"{at}/{key}", label)
    return not wrong


def _each(
    match: GrpcMatch | None, info: MethodInfo, at: str, label: str, problems: _Problems
) -> CompiledPattern | None:
    if match is None or match.each is None:
        return None
    return _message_pattern(match.each, info, f"{at}/match/each", label, problems)


def _message_pattern(
    match: GrpcMessageMatch, info: MethodInfo, at: str, label: str, problems: _Problems
) -> CompiledPattern | None:
    """One message's conditions (its JSON as the body)."""
    body: list[BodySpec] = []
    if match.json_ is not None:
        try:
            check_fields(match.json_, info.input)
        except MessageProblem as exc:
            problems.add(f"match.json: {exc}", f"{at}/json", label)
            return None
        body.append(BodySpec("json", match.json_))
    try:
        body.extend(
            native_body_spec(m.model_dump(by_alias=True, exclude_unset=True)) for m in match.body
        )
        return compile_pattern(RequestPattern(body=tuple(body)))
    except ValueError as exc:
        problems.add(f"match: {exc}", at, label)
        return None


def _rules(given: GrpcStub, info: MethodInfo, writer: _Writer, at: str) -> tuple[Rule, ...]:
    label, problems = writer.label, writer.problems
    rules = []
    for index, rule in enumerate(given.on_message or ()):
        where = f"{at}/on_message/{index}"
        pattern = None
        if rule.match is not None:
            pattern = _message_pattern(rule.match, info, f"{where}/match", label, problems)
        replies: list[dict[str, Any]] = []
        if rule.reply is not None:
            replies = rule.reply if isinstance(rule.reply, list) else [rule.reply]
        messages = []
        for number, value in enumerate(replies):
            pointer = f"{where}/reply" + (f"/{number}" if isinstance(rule.reply, list) else "")
            message = writer.message(value, 0.0, pointer)
            if message is not None:
                messages.append(message)
        close = rule.close
        ending = (STATUS_NAMES.index(close.status), close.message) if close else None
        rules.append(Rule(pattern, tuple(messages), rule.delay_ms / 1000, ending, index))
    return tuple(rules)


def _trouble(
    given: GrpcStub, at: str, label: str, problems: _Problems
) -> tuple[LatencyModel | None, Behaviours]:
    """The latency model and the flaky/rate-limit behaviours, validated as an endpoint's."""
    latency = None
    if given.latency is not None:
        try:
            latency = LatencyModel.from_config(given.latency)
        except ValueError as exc:
            problems.add(f"latency: {exc}", f"{at}/latency", label)
    keys: dict[str, Any] = given.flaky_keys
    if given.rate_limit is not None:
        if refusal := sorted(given.rate_limit.keys() & REFUSAL_KEYS):
            text = (
                f"rate_limit: {', '.join(refusal)} are HTTP's;"
                " a refused call ends RESOURCE_EXHAUSTED"
            )
            problems.add(text, f"{at}/rate_limit", label)
            return latency, NO_BEHAVIOURS
        keys["rate_limit"] = given.rate_limit
    if not keys:
        return latency, NO_BEHAVIOURS
    try:
        return latency, build_behaviours(keys)
    except ValueError as exc:
        problems.add(str(exc), at, label)
        return latency, NO_BEHAVIOURS


def _fault(given: GrpcStub) -> Fault | None:
    fault = given.fault
    if fault is None:
        return None
    return Fault(fault.after, STATUS_NAMES.index(fault.status), fault.message, fault.hang)


Conditions = tuple[CompiledPattern, tuple[tuple[str, ValueSpec], ...], tuple[BodySpec, ...]]


def _pattern(
    given: GrpcStub, info: MethodInfo, at: str, label: str, problems: _Problems
) -> Conditions | None:
    """The stub's conditions, compiled: metadata as headers, the message as the body."""
    match = given.match
    if match is not None and match.json_ is not None:
        try:
            for part in match.json_ if isinstance(match.json_, list) else [match.json_]:
                check_fields(part, info.input)
        except MessageProblem as exc:
            problems.add(f"match.json: {exc}", f"{at}/match/json", label)
            return None
    try:
        pattern = match_pattern(match)
        return compile_pattern(pattern), pattern.headers, pattern.body
    except ValueError as exc:
        problems.add(f"match: {exc}", f"{at}/match", label)
        return None


def _shown(messages: tuple[Message, ...], streaming: bool) -> Any:
    """The answer as the stub's response shows it: the message, or the stream's list."""
    if streaming:
        return [m.json for m in messages]
    return messages[0].json if messages else None


@dataclass(frozen=True, slots=True)
class _Writer:
    """Turns the messages a stub writes into ``Message``s of its output type: encoded
    now, or compiled to a ``Reply`` when they hold template marks."""

    output: MessageType
    env: TemplateEnvironment
    label: str
    problems: _Problems

    def message(self, value: dict[str, Any], delay_ms: float, pointer: str) -> Message | None:
        """The message, or None with the problem noted."""
        output = self.output
        try:
            body = JsonBody(self.env, value)
        except ValueError as exc:
            self.problems.add(f"template: {exc}", pointer, self.label)
            return None
        try:
            if body.static:
                payload, canonical = output.encode(value)
                return Message(payload, canonical, delay_ms / 1000)
            check_fields(value, output.descriptor)  # the keys, at least, are known now
        except MessageProblem as exc:
            self.problems.add(f"{output.name}: {exc}", pointer, self.label)
            return None
        reply = Reply(body, self.env.context_maker(body.names), output)
        return Message(b"", value, delay_ms / 1000, reply)


def _messages(
    given: GrpcStub, writer: _Writer, streaming: bool, at: str
) -> tuple[Message, ...] | None:
    """The reply as bytes: ``response`` (an empty message when a unary stub that ends OK
    leaves it out), or every message of ``stream`` (``response``: a stream of one)."""
    if given.stream is not None:
        written = [
            (m.message, m.delay_ms, f"{at}/stream/{i}/message") for i, m in enumerate(given.stream)
        ]
    elif given.response is not None:
        written = [(given.response, 0.0, f"{at}/response")]
    elif given.status == "OK" and not streaming:
        written = [({}, 0.0, f"{at}/response")]
    else:
        written = []
    messages = []
    for value, delay_ms, pointer in written:
        message = writer.message(value, delay_ms, pointer)
        if message is None:
            return None
        messages.append(message)
    return tuple(messages)


def _stub_id(given: GrpcStub, file: Path, taken: set[str]) -> str | None:
    """The stub's stable id (as an endpoint's: ``id``, else its name, else its content);
    None when an ``id`` or name is used twice."""
    if given.id is not None or given.name is not None:
        stub_id = given.id if given.id is not None else name_id(f"grpc:{given.name}")
        if stub_id in taken:
            return None
    else:
        raw, occurrence = given.model_dump(by_alias=True, exclude_unset=True), 1
        while (stub_id := content_id(f"{file}#grpc", raw, occurrence)) in taken:
            occurrence += 1
    taken.add(stub_id)
    return stub_id


def _hint(name: str, known: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def encode_json(value: Any) -> bytes:
    """Compact JSON bytes, as the journal keeps a body."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def compile_added(
    config: GrpcConfig, raw: list[Any], taken: set[str], file: Path = Path("<admin>")
) -> tuple[list[CompiledGrpcStub], list[ConfigProblem]]:
    """Stubs added at run time (``{method, match, response...}`` each), compiled against
    the served protos as the file's are; every problem, pointing into the list given.
    ``taken`` (the ids served) gains the new ids only when every stub compiles."""
    problems = _Problems(str(file), {}, "")
    given: list[tuple[int, GrpcStub]] = []
    for index, item in enumerate(raw):
        try:
            given.append((index, GrpcStub.model_validate(item)))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                where = "".join(f"/{part}" for part in error["loc"])
                message = error["msg"].removeprefix("Value error, ")
                problems.add(message, f"/stubs/{index}{where}")
    served = {route.info.key: route.info for route in config.routes.values()}
    inputs = {route.info.key: route.input for route in config.routes.values()}
    ids = set(taken)
    scope = _Scope(served, inputs, config.protos, file, problems, config.env, ids)
    compiled = [stub for index, item in given if (stub := _stub(item, index, scope)) is not None]
    if problems.found:
        return [], problems.found
    taken |= ids
    return compiled, []
