"""One provider-neutral answer, written once and encoded by each provider's wire module.

An answer is text and tool calls (the assistant may say something, then call tools), a
refusal, or a provider error. Encoders read only these types, so a new provider is one
more module that encodes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ErrorKind = Literal[
    "rate_limit",
    "overloaded",
    "context_length",
    "unauthorized",
    "bad_request",
    "server_error",
    "not_found",
]


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds to the first token, output tokens per second (None: instant), jitter share."""

    ttft_s: float = 0.0
    tokens_per_s: float | None = None
    jitter: float = 0.0


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the assistant makes; ``id`` None gets a seeded one when served."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderError:
    """A provider error: the kind picks the status and body shape of each provider."""

    kind: ErrorKind
    message: str | None = None
    retry_after_s: float | None = None
    status: int | None = None
    param: str | None = None
    """The request field at fault (OpenAI's ``param``)."""
    code: str | None = None
    """OpenAI's ``code`` instead of the kind's."""
    after_tokens: int | None = None
    """Streamed: the answer's first tokens, then this error as an event in the stream."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the assistant answers; ``error`` wins over everything else."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    refusal: str | None = None
    error: ProviderError | None = None
    finish: Literal["stop", "length"] | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    timing: Timing | None = None
    rule: str | None = None
    """Which rule gave it, for the journal (None: the default answer)."""

    @property
    def stopped_for_tools(self) -> bool:
        """The answer ends by calling tools (OpenAI ``tool_calls``, Anthropic ``tool_use``)."""
        return bool(self.tool_calls) and self.finish is None and self.refusal is None


DEFAULT_TEXT = "This is a mock response."
"""What a preset answers when no rule matches and the entry gives no ``default``."""
