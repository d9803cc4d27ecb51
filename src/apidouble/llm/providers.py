"""Each provider's side of serving: how it names ids, checks the key and encodes errors
and models (``Provider``), and per conversation route how it reads a request and encodes
a turn (``Dialect``: OpenAI's chat completions, Anthropic's messages; another API of the
same provider is another dialect). ``serving`` runs the same steps for every one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apidouble.llm import anthropic_wire, openai_wire
from apidouble.llm.answer import ProviderError
from apidouble.llm.conversation import Conversation, read_anthropic, read_openai
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn, random_id
from apidouble.llm.wire import EVENT_STREAM
from apidouble.model import Request
from apidouble.outcome import Response

__all__ = ["ANTHROPIC", "OPENAI", "PROVIDERS", "Dialect", "Provider"]

Headers = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Dialect:
    """One conversation API: every function takes the ids ``serving`` drew for the request."""

    read: Callable[[bytes], Conversation | ProviderError]
    call_id: tuple[str, int]
    """Tool-call id prefix and the length of its random part."""
    answer_id: Callable[[random.Random], str]
    whole: Callable[[Turn, str, int, Headers], Response]
    """The whole answer: the turn, its id, its ``created`` time, extra headers."""
    frames: Callable[[Turn, str, int], list[Frame]]
    """The streamed answer's frames."""
    stream_headers: tuple[tuple[str, str], ...] = EVENT_STREAM


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider's ids, key, errors and models, and its conversation routes."""

    name: str
    dialects: dict[str, Dialect]
    """By route (``chat``, ``messages``)."""
    request_id_header: str
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


def _bearer(request: Request) -> str | None:
    given = request.header("authorization")
    if given is None:
        return None
    scheme, _, token = given.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _anthropic_key(request: Request) -> str | None:
    return request.header("x-api-key") or _bearer(request)


OPENAI_CHAT = Dialect(
    read=read_openai,
    call_id=("call_", 24),
    answer_id=lambda rng: "chatcmpl-" + random_id(rng, 29),
    whole=openai_wire.chat_response,
    frames=openai_wire.chat_frames,
)

ANTHROPIC_MESSAGES = Dialect(
    read=read_anthropic,
    call_id=("toolu_01", 22),
    answer_id=lambda rng: "msg_01" + random_id(rng, 22),
    whole=lambda turn, ident, _created, headers: anthropic_wire.message_response(
        turn, ident, headers
    ),
    frames=lambda turn, ident, _created: anthropic_wire.message_frames(turn, ident),
)

OPENAI = Provider(
    name="openai",
    dialects={"chat": OPENAI_CHAT},
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
)

PROVIDERS = {"openai": OPENAI, "anthropic": ANTHROPIC}
