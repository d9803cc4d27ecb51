"""One answer made concrete for one request: ids, token pieces, usage and why it stopped.

The encoders of each provider read a ``Turn`` only, so the text is cut into tokens once,
ids are drawn once from the endpoint's seeded random source, and the streamed and the
whole answer report the same usage. A ``max_tokens`` the request sets cuts the answer
there and stops it for length, as the providers do.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from typing import Literal

from apidouble.llm import tokens
from apidouble.llm.answer import Answer
from apidouble.llm.conversation import Conversation

__all__ = ["Stop", "Turn", "make_turn", "random_id"]

Stop = Literal["stop", "length", "tool_calls", "refusal"]

_ALPHABET = string.ascii_letters + string.digits


def random_id(rng: random.Random, length: int) -> str:
    """Letters and digits, as the providers' ids are."""
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


@dataclass(frozen=True, slots=True)
class Call:
    """A tool call with its id and its arguments' JSON cut into streamed fragments."""

    id: str
    name: str
    arguments: str
    fragments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Turn:
    """Everything an encoder writes for one answer."""

    model: str
    text: tuple[str, ...]
    """The text (or the refusal's text) in token pieces."""
    refusal: bool
    calls: tuple[Call, ...]
    stop: Stop
    input_tokens: int
    output_tokens: int
    include_usage: bool
    framing: str = ""
    """The conversation's ``framing``: how a stream is written."""

    @property
    def content(self) -> str:
        return "".join(self.text)


def make_turn(
    answer: Answer,
    conversation: Conversation,
    rng: random.Random,
    call_id: tuple[str, int],
    max_tokens: int | None = None,
) -> Turn:
    """``call_id`` is the provider's tool-call id prefix and the length of its random part."""
    refusal = answer.refusal is not None
    text = tokens.pieces(answer.refusal or "" if refusal else answer.text or "")
    calls = []
    prefix, size = call_id
    for call in () if refusal else answer.tool_calls:
        arguments = json.dumps(call.arguments, separators=(",", ":"), ensure_ascii=False)
        fragments = tuple(tokens.pieces(arguments))
        calls.append(
            Call(call.id or prefix + random_id(rng, size), call.name, arguments, fragments)
        )
    stop: Stop = "refusal" if refusal else "tool_calls" if calls else "stop"
    if answer.finish is not None and not refusal:
        stop = answer.finish
    if max_tokens is not None and len(text) + sum(len(c.fragments) for c in calls) > max_tokens:
        text, calls, stop = text[:max_tokens], [], "length"
    output = sum(len(c.fragments) for c in calls) + len(text)
    return Turn(
        model=answer.model or conversation.model,
        text=tuple(text),
        refusal=refusal,
        calls=tuple(calls),
        stop=stop,
        input_tokens=answer.input_tokens
        if answer.input_tokens is not None
        else max(1, tokens.count(conversation.prompt_text)),
        output_tokens=answer.output_tokens if answer.output_tokens is not None else output,
        include_usage=conversation.include_usage,
        framing=conversation.framing,
    )
