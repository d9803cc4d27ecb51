"""An ``llm:`` endpoint as the engine serves it: settings and rules compiled at load time,
each request read as a conversation, answered by the first matching rule and encoded in
the provider's wire format, whole or as a paced event stream.

``serve`` returns a ``Served``: a ready ``Response`` (with ``delay_s``, the whole answer's
generation time, for the transport's non-blocking wait), or a streamed head and its
``stream`` of bytes that sleeps between frames itself. ``facts`` is the parsed
conversation, the rule that answered and the usage, for the journal.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from apidouble.config.llm import ROUTES, LlmRoute
from apidouble.llm import tokens
from apidouble.llm.answer import Answer, ProviderError, Timing
from apidouble.llm.conversation import Conversation
from apidouble.llm.embeddings import embeddings_response
from apidouble.llm.providers import PROVIDERS, Provider
from apidouble.llm.rules import Rules, timing_of
from apidouble.llm.timing import Frame, paced, schedule, whole_delay
from apidouble.llm.turn import make_turn
from apidouble.llm.wire import JSON, encode_json
from apidouble.model import Request
from apidouble.outcome import Response

__all__ = ["LlmEndpoint", "Served", "compile_llm"]


@dataclass(slots=True)
class Served:
    """What one request to the endpoint gets, for the engine."""

    response: Response
    """Ready bytes, or (with ``stream``) a head made by ``Response.build_streamed``."""
    stream: AsyncIterator[bytes] | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    """The conversation, the rule and the usage, as the journal shows them."""
    delay_s: float = 0.0
    """Wait this long before sending ``response`` (a whole answer's generation time)."""


class LlmEndpoint:
    """One route of a provider preset (``chat``, ``messages``, ``embeddings``, ``models``)."""

    __slots__ = ("settings", "provider", "route", "rules", "timing", "windows", "models",
                 "_rng", "_clock")  # fmt: skip

    def __init__(
        self, settings: LlmRoute, seed: int | None, clock: Callable[[], float] = time.time
    ) -> None:
        """ValueError when a rule's matcher does not compile, or the provider has no
        such route."""
        served = [route for route, _, _ in ROUTES[settings.provider]]
        if settings.route not in served:
            raise ValueError(f"llm route: {settings.provider} serves {', '.join(served)}")
        self.settings = settings
        self.provider: Provider = PROVIDERS[settings.provider]
        self.route = settings.route
        self.rules = Rules(settings.rules, settings.default)
        self.timing = timing_of(settings.timing)
        self.windows = {m.id: m.context_window for m in settings.models if m.context_window}
        self.models = [m.id for m in settings.models] or list(self.provider.default_models)
        self._rng = random.Random(None if seed is None else f"{seed}/{settings.route}")
        """Ids and timing: one seeded source, drawn in the order requests are served."""
        self._clock = clock

    def serve(self, request: Request, params: dict[str, str]) -> Served:
        """The answer to one request (never raises for what a client sent)."""
        provider = self.provider
        named = provider.request_id_header
        headers = [(named, provider.request_id(self._rng))] if named else []
        facts: dict[str, Any] = {"provider": provider.name, "route": self.route}
        wanted = self.settings.api_key
        if wanted is not None:
            key = provider.key(request)
            if key != wanted:
                refused = ProviderError("unauthorized") if key else _no_key(provider)
                facts["error"] = "unauthorized"
                return Served(self._error(refused, "", headers, {"key": key}), facts=facts)
        if self.route in ("models", "model"):
            return Served(self._models(params.get("model"), headers), facts=facts)
        if self.route == "embeddings":
            dims = self.settings.embedding_dimensions
            answered = embeddings_response(request.body, dims, headers)
            if isinstance(answered, ProviderError):
                facts["error"] = answered.kind
                return Served(self._error(answered, "", headers, {}), facts=facts)
            return Served(answered, facts=facts)
        if self.route == "count_tokens":
            return Served(self._count(request, params, headers, facts), facts=facts)
        return self._converse(request, params, headers, facts)

    def _count(
        self,
        request: Request,
        params: dict[str, str],
        headers: list[tuple[str, str]],
        facts: dict[str, Any],
    ) -> Response:
        """``count_tokens``: the prompt's input tokens, as a message's usage would count."""
        assert self.provider.count is not None  # the route is served only where it exists
        reader, body_of = self.provider.count
        read = reader(request, params)
        if isinstance(read, ProviderError):
            facts["error"] = read.kind
            return self._error(read, "", headers, {})
        facts["conversation"] = read.as_fact()
        counted = body_of(max(1, tokens.count(read.prompt_text)))
        return Response.build(200, [JSON, *headers], encode_json(counted))

    def _converse(
        self,
        request: Request,
        params: dict[str, str],
        headers: list[tuple[str, str]],
        facts: dict[str, Any],
    ) -> Served:
        read = self.provider.dialects[self.route].read(request, params)
        if isinstance(read, ProviderError):
            facts["error"] = read.kind
            return Served(self._error(read, "", headers, {}), facts=facts)
        conversation: Conversation = read
        facts["conversation"] = conversation.as_fact()
        prompt = tokens.count(conversation.prompt_text)
        window = self.windows.get(conversation.model, self.settings.context_window)
        if window is not None and prompt > window:
            facts["error"] = "context_length"
            too_long = ProviderError("context_length")
            numbers = {"tokens": prompt, "window": window}
            response = self._error(too_long, conversation.model, headers, numbers)
            return Served(response, facts=facts)
        answer = self.rules.answer(conversation)
        facts["rule"] = answer.rule
        timing = answer.timing or self.timing
        error = answer.error
        if error is not None:
            facts["error"] = error.kind
            numbers = {"tokens": prompt, "window": window or self.provider.default_window}
            if error.after_tokens is not None and conversation.stream:
                return self._broken(answer, conversation, timing, headers, facts, numbers)
            response = self._error(error, conversation.model, headers, numbers)
            return Served(response, facts=facts, delay_s=timing.ttft_s)
        return self._answer(answer, conversation, timing, headers, facts)

    def _answer(
        self,
        answer: Answer,
        conversation: Conversation,
        timing: Timing,
        headers: list[tuple[str, str]],
        facts: dict[str, Any],
    ) -> Served:
        dialect, rng = self.provider.dialects[self.route], self._rng
        turn = make_turn(answer, conversation, rng, dialect.call_id, conversation.max_tokens)
        ident = dialect.answer_id(rng)
        created = int(self._clock())
        facts["usage"] = {"input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens}
        facts["stop"] = turn.stop
        if turn.calls:
            facts["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": json.loads(c.arguments)}
                for c in turn.calls
            ]
        if not conversation.stream:
            delay = whole_delay(turn.output_tokens, timing, rng)
            return Served(dialect.whole(turn, ident, created, headers), facts=facts, delay_s=delay)
        frames = dialect.frames(turn, ident, created)
        waits = schedule(frames, timing, rng)
        head = Response.build_streamed(200, [*dialect.stream_headers(turn), *headers])
        return Served(head, paced(frames, waits), facts)

    def _broken(
        self,
        answer: Answer,
        conversation: Conversation,
        timing: Timing,
        headers: list[tuple[str, str]],
        facts: dict[str, Any],
        numbers: dict[str, Any],
    ) -> Served:
        """A stream that starts as the answer does and breaks off with the error after
        ``after_tokens`` tokens, as a provider's does when it fails mid-answer."""
        error = answer.error
        assert error is not None and error.after_tokens is not None
        provider, rng = self.provider, self._rng
        dialect = provider.dialects[self.route]
        turn = make_turn(answer, conversation, rng, dialect.call_id, conversation.max_tokens)
        frames = dialect.frames(turn, dialect.answer_id(rng), int(self._clock()))
        kept, left = [], error.after_tokens
        for frame in frames[:-1]:  # never the stream's proper end
            if frame.tokens and left <= 0:
                break
            kept.append(frame)
            left -= frame.tokens
        if dialect.stream_error is not None:
            event = dialect.stream_error(error, turn.model, numbers, turn, len(kept))
        else:
            event = provider.stream_error(error, turn.model, numbers, _request_id(headers))
        kept.append(Frame(event))
        head = Response.build_streamed(200, [*dialect.stream_headers(turn), *headers])
        return Served(head, paced(kept, schedule(kept, timing, rng)), facts)

    def _models(self, name: str | None, headers: list[tuple[str, str]]) -> Response:
        if name is None:
            body = self.provider.models(self.models)
        elif name in self.models:
            body = self.provider.model(name)
        else:
            return self._error(ProviderError("not_found"), name, headers, {})
        return Response.build(200, [JSON, *headers], encode_json(body))

    def _error(
        self,
        error: ProviderError,
        model: str,
        headers: list[tuple[str, str]],
        facts: dict[str, Any],
    ) -> Response:
        return self.provider.error(error, model, headers, facts, _request_id(headers))


def _request_id(headers: list[tuple[str, str]]) -> str:
    """The request id drawn for the request ("" when the provider sends none)."""
    return headers[0][1] if headers else ""


def _no_key(provider: Provider) -> ProviderError:
    if provider.name == "anthropic":
        return ProviderError("unauthorized", "x-api-key header is required")
    if provider.name == "gemini":
        return ProviderError(
            "unauthorized",
            "Method doesn't allow unregistered callers (callers without established identity)."
            " Please use API Key or other form of API consumer identity to call this API.",
            status=403,
        )
    if provider.name == "ollama":
        return ProviderError("unauthorized")
    return ProviderError(
        "unauthorized",
        "You didn't provide an API key. You need to provide your API key in an Authorization"
        " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password"
        " field (with blank username) if you're accessing the API from your browser and are"
        " prompted for a username. You can obtain an API key from"
        " https://platform.openai.com/account/api-keys.",
        code="missing_api_key",
    )


def compile_llm(
    spec: Mapping[str, Any], seed: int | None = None, clock: Callable[[], float] = time.time
) -> LlmEndpoint:
    """Build one route's endpoint from its ``llm`` settings (an ``LlmEntry.endpoints``
    item's ``llm``); ``seed`` is the file's, used unless the settings give their own.
    ValueError (with the setting's location) when the settings are wrong."""
    try:
        settings = LlmRoute.model_validate(spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"llm {where}: {first['msg']}") from None
    return LlmEndpoint(settings, settings.seed if settings.seed is not None else seed, clock)
