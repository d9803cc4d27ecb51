"""Load time, second half: turn loaded stubs into what the hot path runs.

``compile_config`` validates and compiles every stub (matchers, templates, files,
schemas), collecting every problem with its file, line and stub before raising one
``ConfigError``, then indexes them into a router. Nothing here runs per request.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

from .behaviours.cors import CorsPolicy
from .behaviours.failure import default_failure
from .behaviours.latency import LatencyModel
from .behaviours.ratelimit import RateLimiter
from .behaviours.trouble import Trouble, compile_trouble
from .errors import ConfigError, ConfigProblem
from .matching.pattern import compile_pattern
from .matching.router import Router
from .model import Stub
from .responses import CompiledResponse, watched_files
from .templating import TemplateEnvironment


class ResponsePicker:
    """Chooses among a stub's responses: ``sequence`` (then stay on the last), ``cycle``,
    or ``random``; one response is a constant."""

    __slots__ = ("_responses", "_next", "_mode", "_rng")

    def __init__(self, responses: Sequence[CompiledResponse], mode: str, rng: random.Random):
        self._responses = tuple(responses)
        self._mode = mode
        self._rng = rng
        self._next: Iterator[CompiledResponse] | None = None
        if len(responses) > 1 and mode == "cycle":
            self._next = itertools.cycle(self._responses)
        elif len(responses) > 1 and mode == "sequence":
            last = self._responses[-1]
            self._next = itertools.chain(self._responses, itertools.repeat(last))

    def pick(self) -> CompiledResponse:
        """The response for this request."""
        if self._next is not None:
            return next(self._next)
        if self._mode == "random" and len(self._responses) > 1:
            return self._rng.choice(self._responses)
        return self._responses[0]


@dataclass(slots=True)
class CompiledStub:
    """A stub with everything the hot path needs, built once."""

    stub: Stub
    picker: ResponsePicker
    failure: CompiledResponse | None
    validator: Validator | None
    trouble: Trouble = field(default_factory=Trouble)
    latency: LatencyModel | None = None


@dataclass(slots=True)
class ServerTrouble:
    """Behaviour over every request: CORS, a global rate limit, the decision header."""

    cors: CorsPolicy | None = None
    rate_limit: RateLimiter | None = None
    refusal: Mapping[str, Any] | None = None
    debug_headers: bool = False

    @property
    def active(self) -> bool:
        """Whether the engine must look at this before routing."""
        return self.cors is not None or self.rate_limit is not None

    @property
    def plain(self) -> bool:
        """Nothing server-wide touches an answer (no CORS headers, no decision header)."""
        return self.cors is None and not self.debug_headers


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


def _problem(stub: Stub, message: str, suffix: str = "") -> ConfigProblem:
    source = stub.source
    return ConfigProblem(source.file, message, source.line, source.pointer + suffix, stub.label)


def _compile_validator(schema: Mapping[str, Any]) -> Validator:
    cls = validators.validator_for(schema, default=Draft202012Validator)
    cls.check_schema(dict(schema))
    return cls(schema)


def _compile_stub(
    stub: Stub, env: TemplateEnvironment, problems: list[ConfigProblem]
) -> CompiledStub | None:
    errors_before = len(problems)
    try:
        compile_pattern(stub.pattern)
    except ValueError as exc:
        problems.append(_problem(stub, str(exc), "/match"))
    responses: list[CompiledResponse] = []
    for index, spec in enumerate(stub.responses):
        suffix = f"/responses/{index}" if len(stub.responses) > 1 else ""
        try:
            responses.append(CompiledResponse(env, spec, stub.label))
        except (ValueError, OSError) as exc:
            problems.append(_problem(stub, str(exc), suffix))
    trouble = Trouble()
    try:
        trouble = compile_trouble(stub.trouble, env.random, time.monotonic)
    except ValueError as exc:
        key = str(exc).split(":", 1)[0].split(".", 1)[0].strip()
        problems.append(_problem(stub, str(exc), f"/{key}" if key in stub.trouble else ""))
    latency = None
    if stub.latency is not None:
        try:
            latency = LatencyModel.from_latency(stub.latency)
        except ValueError as exc:
            problems.append(_problem(stub, str(exc), "/latency"))
    failure = None
    if trouble.flaky is not None or stub.failure is not None:
        try:
            failure = CompiledResponse(env, stub.failure or default_failure(stub.label), stub.label)
        except (ValueError, OSError) as exc:
            problems.append(_problem(stub, str(exc), "/failure"))
    validator = None
    if stub.validate_schema is not None:
        try:
            validator = _compile_validator(stub.validate_schema)
        except SchemaError as exc:
            problems.append(_problem(stub, f"invalid JSON Schema: {exc.message}", "/validate"))
    if len(problems) > errors_before:
        return None
    picker = ResponsePicker(responses, stub.response_mode, env.random)
    return CompiledStub(stub, picker, failure, validator, trouble, latency)


def compile_server(settings: Mapping[str, Any]) -> ServerTrouble:
    """The server-wide behaviours; raises ``ConfigError`` naming the key."""
    server = ServerTrouble(debug_headers=bool(settings.get("debug_headers", False)))
    try:
        if (cors := settings.get("cors")) is not None:
            server.cors = CorsPolicy.from_config(cors)
        if (limit := settings.get("rate_limit")) is not None:
            server.rate_limit = RateLimiter.from_config(limit)
            refusal = {key: limit[key] for key in ("status", "response", "headers") if key in limit}
            server.refusal = refusal or None
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
) -> CompiledConfig:
    """Compile and index every stub; raises ``ConfigError`` listing every problem.

    ``data`` is what templates read as ``data.NAME``; ``faker_*`` configure ``faker``.
    """
    env = TemplateEnvironment(seed, data=data, faker_locale=faker_locale, faker_seed=faker_seed)
    problems: list[ConfigProblem] = []
    compiled = {}
    for stub in stubs:
        result = _compile_stub(stub, env, problems)
        if result is not None:
            compiled[stub.id] = result
    if problems:
        raise ConfigError(problems)
    watched = set(files)
    for stub in stubs:
        for spec in (*stub.responses, *((stub.failure,) if stub.failure else ())):
            watched.update(watched_files(spec))
    any_cors = any(c.trouble.cors is not None for c in compiled.values())
    return CompiledConfig(
        Router(stubs),
        compiled,
        tuple(sorted(watched)),
        env,
        compile_server(server or {}),
        any_cors,
    )
