"""Each provider's side of serving: how it names ids, checks the key and encodes errors
and models (``Provider``), and per conversation route how it reads a request and encodes
a turn (``Dialect``: OpenAI's chat completions and Responses, Anthropic's messages,
Gemini's generateContent, Ollama's chat and generate). ``serving`` runs the same steps
for every one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apidouble.llm import anthropic_wire, gemini_wire, ollama_wire, openai_wire, responses_wire
from apidouble.llm.answer import ProviderError
from apidouble.llm.conversation import (
    Conversation,
    read_anthropic,
    read_anthropic_count,
    read_openai,
)
from apidouble.llm.readers import (
    read_gemini,
    read_ollama_chat,
    read_ollama_generate,
    read_responses,
)
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn, random_id
from apidouble.llm.wire import EVENT_STREAM
from apidouble.model import Request
from apidouble.outcome import Response

__all__ = ["ANTHROPIC", "OPENAI", "PROVIDERS", "Dialect", "Provider"]

Headers = list[tuple[str, str]]
Reader = Callable[[Request, dict[str, str]], Conversation | ProviderError]
"""Reads a request (and the path's parameters) as a conversation, or its 400."""


def _body(read: Callable[[bytes], Conversation | ProviderError]) -> Reader:
    """A reader of the body alone."""
    return lambda request, _params: read(request.body)


def _event_stream(_turn: Turn) -> tuple[tuple[str, str], ...]:
    return EVENT_STREAM


@dataclass(frozen=True, slots=True)
class Dialect:
    """One conversation API: every function takes the ids ``serving`` drew for the request."""

    read: Reader
    call_id: tuple[str, int]
    """Tool-call id prefix and the length of its random part."""
    answer_id: Callable[[random.Random], str]
    whole: Callable[[Turn, str, int, Headers], Response]
    """The whole answer: the turn, its id, its ``created`` time, extra headers."""
    frames: Callable[[Turn, str, int], list[Frame]]
    """The streamed answer's frames."""
    stream_headers: Callable[[Turn], tuple[tuple[str, str], ...]] = _event_stream
    stream_error: Callable[[ProviderError, str, dict[str, Any], Turn, int], bytes] | None = None
    """The error as an event of this stream after so many frames (None: the provider's)."""


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider's ids, key, errors and models, and its conversation routes."""

    name: str
    dialects: dict[str, Dialect]
    """By route (``chat``, ``messages``)."""
    request_id_header: str | None
    """The header that carries a request id (None: the provider sends none)."""
    request_id: Callable[[random.Random], str]
    key: Callable[[Request], str | None]
    """The API key a request presents (None: none)."""
    error: Callable[[ProviderError, str, Headers, dict[str, Any], str], Response]
    stream_error: Callable[[ProviderError, str, dict[str, Any], str], bytes]
    """The error as an event of a stream already under way."""
    models: Callable[[list[str]], dict[str, Any]]
    model: Callable[[str], dict[str, Any]]
    default_models: tuple[str, ...]
    default_window: int
    count: tuple[Reader, Callable[[int], dict[str, Any]]] | None = None
    """The ``count_tokens`` route's reader and its answer's body, if it has one."""


def _bearer(request: Request) -> str | None:
    given = request.header("authorization")
    if given is None:
        return None
    scheme, _, token = given.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _anthropic_key(request: Request) -> str | None:
    return request.header("x-api-key") or _bearer(request)


def _google_key(request: Request) -> str | None:
    """``x-goog-api-key`` (the SDK's), else ``?key=`` (the REST examples')."""
    given = request.header("x-goog-api-key")
    if given is not None:
        return given
    keys = request.query.get("key")
    return keys[0] if keys else None


OPENAI_CHAT = Dialect(
    read=_body(read_openai),
    call_id=("call_", 24),
    answer_id=lambda rng: "chatcmpl-" + random_id(rng, 29),
    whole=openai_wire.chat_response,
    frames=openai_wire.chat_frames,
)

OPENAI_RESPONSES = Dialect(
    read=_body(read_responses),
    call_id=("call_", 24),
    answer_id=lambda rng: "resp_" + "".join(rng.choice("0123456789abcdef") for _ in range(48)),
    whole=responses_wire.response_whole,
    frames=responses_wire.response_frames,
    stream_error=lambda error, model, facts, _turn, sent: responses_wire.stream_error(
        error, model, facts, sent
    ),
)

ANTHROPIC_MESSAGES = Dialect(
    read=_body(read_anthropic),
    call_id=("toolu_01", 22),
    answer_id=lambda rng: "msg_01" + random_id(rng, 22),
    whole=lambda turn, ident, _created, headers: anthropic_wire.message_response(
        turn, ident, headers
    ),
    frames=lambda turn, ident, _created: anthropic_wire.message_frames(turn, ident),
)

OPENAI = Provider(
    name="openai",
    dialects={"chat": OPENAI_CHAT, "responses": OPENAI_RESPONSES},
    request_id_header="x-request-id",
    request_id=lambda rng: "req_" + "".join(rng.choice("0123456789abcdef") for _ in range(32)),
    key=_bearer,
    error=lambda error, model, headers, facts, _rid: openai_wire.error_response(
        error, model, headers, facts
    ),
    stream_error=lambda error, model, facts, _rid: openai_wire.stream_error(error, model, facts),
    models=lambda names: {
        "object": "list",
        "data": [openai_wire.model_object(name) for name in names],
    },
    model=openai_wire.model_object,
    default_models=("gpt-4o-mini", "gpt-4o", "text-embedding-3-small"),
    default_window=128_000,
)

ANTHROPIC = Provider(
    name="anthropic",
    dialects={"messages": ANTHROPIC_MESSAGES},
    request_id_header="request-id",
    request_id=lambda rng: "req_011C" + random_id(rng, 20),
    key=_anthropic_key,
    error=anthropic_wire.error_response,
    stream_error=anthropic_wire.stream_error,
    models=anthropic_wire.models_body,
    model=anthropic_wire.model_object,
    default_models=("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-7"),
    default_window=200_000,
    count=(_body(read_anthropic_count), lambda counted: {"input_tokens": counted}),
)


def _gemini(stream: bool) -> Reader:
    def read(request: Request, params: dict[str, str]) -> Conversation | ProviderError:
        framing = gemini_wire.SSE if "sse" in request.query.get("alt", ()) else ""
        return read_gemini(request.body, params.get("model", ""), stream, framing)

    return read


def _gemini_dialect(stream: bool) -> Dialect:
    return Dialect(
        read=_gemini(stream),
        call_id=("", 0),
        answer_id=lambda rng: random_id(rng, 22),
        whole=gemini_wire.whole,
        frames=gemini_wire.frames,
        stream_headers=gemini_wire.stream_head,
        stream_error=gemini_wire.stream_error,
    )


GEMINI = Provider(
    name="gemini",
    dialects={"generate": _gemini_dialect(False), "stream": _gemini_dialect(True)},
    request_id_header=None,
    request_id=lambda rng: "",
    key=_google_key,
    error=gemini_wire.error_response,
    stream_error=lambda error, model, facts, _rid: gemini_wire.error_item(
        error, model, facts, True
    ),
    models=gemini_wire.models_body,
    model=gemini_wire.model_object,
    default_models=("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"),
    default_window=1_048_576,
    count=(_gemini(False), gemini_wire.count_body),
)


def _ndjson(_turn: Turn) -> tuple[tuple[str, str], ...]:
    return ollama_wire.NDJSON


OLLAMA = Provider(
    name="ollama",
    dialects={
        "chat": Dialect(
            read=_body(read_ollama_chat),
            call_id=("call_", 8),
            answer_id=lambda rng: "",
            whole=ollama_wire.chat_whole,
            frames=ollama_wire.chat_frames,
            stream_headers=_ndjson,
        ),
        "generate": Dialect(
            read=_body(read_ollama_generate),
            call_id=("call_", 8),
            answer_id=lambda rng: "",
            whole=ollama_wire.generate_whole,
            frames=ollama_wire.generate_frames,
            stream_headers=_ndjson,
        ),
    },
    request_id_header=None,
    request_id=lambda rng: "",
    key=_bearer,
    error=ollama_wire.error_response,
    stream_error=ollama_wire.stream_error,
    models=ollama_wire.models_body,
    model=ollama_wire.model_object,
    default_models=("llama3.2", "qwen2.5", "mistral"),
    default_window=131_072,
)

PROVIDERS = {"openai": OPENAI, "anthropic": ANTHROPIC, "gemini": GEMINI, "ollama": OLLAMA}
