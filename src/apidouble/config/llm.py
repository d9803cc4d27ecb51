"""The config's ``llm`` keys: a model provider's API, mocked from rules on the conversation.

``llm: [{provider: openai, rules: [...], default: {...}}]`` at the top of a file mounts the
provider's standard paths (under ``path_prefix``): for OpenAI ``/v1/chat/completions``,
``/v1/responses``, ``/v1/embeddings`` and ``/v1/models``; for Anthropic ``/v1/messages``,
``/v1/messages/count_tokens`` and ``/v1/models``; for Gemini ``generateContent``,
``streamGenerateContent``, ``countTokens`` and the models under ``/v1beta/models``; for
Ollama ``/api/chat``, ``/api/generate`` and ``/api/tags``.
Each rule matches the conversation (the last user message, model, system prompt, tools
offered, a tool result) and gives one provider-neutral answer: text, tool calls, a
refusal or a provider error, encoded in the provider's own wire format
(``apidouble.llm``). ``LlmEntry.endpoints`` turns one entry into the endpoints it serves.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from apidouble.config.fields import STUB_ID_PATTERN, ConfigModel, path_text
from apidouble.config.matchers import ValueMatcherField

Provider = Literal["openai", "anthropic", "gemini", "ollama"]

ROUTES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "openai": (
        ("chat", "POST", "/v1/chat/completions"),
        ("responses", "POST", "/v1/responses"),
        ("embeddings", "POST", "/v1/embeddings"),
        ("models", "GET", "/v1/models"),
        ("model", "GET", "/v1/models/{model}"),
    ),
    "anthropic": (
        ("messages", "POST", "/v1/messages"),
        ("count_tokens", "POST", "/v1/messages/count_tokens"),
        ("models", "GET", "/v1/models"),
        ("model", "GET", "/v1/models/{model}"),
    ),
    "gemini": (
        ("generate", "POST", "/v1beta/models/{model}:generateContent"),
        ("stream", "POST", "/v1beta/models/{model}:streamGenerateContent"),
        ("count_tokens", "POST", "/v1beta/models/{model}:countTokens"),
        ("models", "GET", "/v1beta/models"),
        ("model", "GET", "/v1beta/models/{model}"),
    ),
    "ollama": (
        ("chat", "POST", "/api/chat"),
        ("generate", "POST", "/api/generate"),
        ("models", "GET", "/api/tags"),
    ),
}
"""Per provider: (route, method, path) of every endpoint an entry mounts."""

ErrorKind = Literal[
    "rate_limit", "overloaded", "context_length", "unauthorized", "bad_request", "server_error"
]


class LlmTiming(ConfigModel):
    """How fast answers come: seeded, so the same seed gives the same delays."""

    ttft_ms: float = Field(
        0, ge=0, description="Time to the first token (streamed) or added to the whole answer."
    )
    tokens_per_s: float | None = Field(
        None, gt=0, description="Output tokens per second (none: all at once)."
    )
    jitter: float = Field(
        0, ge=0, lt=1, description="Each wait varies by up to this share (0.1: +-10 %), seeded."
    )


class LlmToolCall(ConfigModel):
    """One tool the answer calls."""

    name: str = Field(min_length=1, description="The tool's name.")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="Its arguments (sent as JSON, streamed in fragments)."
    )
    id: str | None = Field(None, description="The call's id (default: a seeded one).")


class LlmError(ConfigModel):
    """A provider error instead of an answer, in the provider's exact body."""

    type: ErrorKind = Field(
        description="rate_limit (429), overloaded (529 Anthropic, 503 the others),"
        " context_length (400), unauthorized (401; Gemini 400), bad_request (400),"
        " server_error (500)."
    )
    message: str | None = Field(None, description="The message (default: the provider's).")
    retry_after_s: float | None = Field(
        None,
        ge=0,
        description="Sent as retry-after (Gemini: a RetryInfo detail); rate_limit default: 1.",
    )
    status: int | None = Field(None, ge=400, le=599, description="Another HTTP status.")
    after_tokens: int | None = Field(
        None,
        ge=0,
        description="Streamed: send the answer's first tokens, then the error as an event"
        " in the stream (the status is 200 by then).",
    )


class LlmUsage(ConfigModel):
    """Token counts to report instead of the estimate."""

    input_tokens: int | None = Field(None, ge=0, description="Prompt tokens.")
    output_tokens: int | None = Field(None, ge=0, description="Completion tokens.")


class LlmAnswer(ConfigModel):
    """One provider-neutral answer: text and tool calls, a refusal, or an error."""

    text: str | None = Field(None, description="The assistant's text.")
    tool_calls: list[LlmToolCall] = Field(
        default_factory=list, description="Tools the assistant calls (after its text)."
    )
    refusal: str | None = Field(None, description="A refusal instead of text.")
    error: LlmError | None = Field(None, description="A provider error instead of an answer.")
    finish: Literal["stop", "length"] | None = Field(
        None, description="Why the answer ended (default: stop, or tool calls when it has some)."
    )
    model: str | None = Field(None, description="The model named in the answer (default: asked).")
    usage: LlmUsage | None = Field(None, description="Token counts instead of the estimate.")
    timing: LlmTiming | None = Field(
        None, description="This answer's timing (default: the entry's)."
    )


class LlmMatch(ConfigModel):
    """What the conversation must hold; every given condition must hold."""

    last_user: ValueMatcherField | None = Field(
        None, description="The text of the last user message that has text."
    )
    model: ValueMatcherField | None = Field(None, description="The model asked for.")
    system: ValueMatcherField | None = Field(
        None, description="The system prompt (OpenAI: system and developer messages joined)."
    )
    tools: bool | ValueMatcherField | None = Field(
        None, description="true/false: tools are offered or not; a matcher: one tool's name."
    )
    tool_result: bool | None = Field(
        None, description="true: the last message carries a tool's result; false: it does not."
    )
    stream: bool | None = Field(None, description="The client asked for a stream, or not.")


class LlmRule(LlmAnswer):
    """An answer for the conversations that match it (the first rule that matches answers)."""

    id: str | None = Field(None, description="A name for the journal.")
    match: LlmMatch = Field(
        default_factory=lambda: LlmMatch.model_validate({}), description="What must hold."
    )


class LlmModel(ConfigModel):
    """A model the preset lists and accepts."""

    id: str = Field(min_length=1, description="The model's name.")
    context_window: int | None = Field(
        None, gt=0, description="Prompt tokens beyond this get the context-length error."
    )


class Llm(ConfigModel):
    """A provider preset: its answers, models, keys and timing."""

    provider: Provider = Field(description="Whose API: openai, anthropic, gemini or ollama.")
    rules: list[LlmRule] = Field(default_factory=list, description="Answers, first match wins.")
    default: LlmAnswer | None = Field(
        None, description="The answer when no rule matches (default: a fixed sentence)."
    )
    timing: LlmTiming = Field(
        default_factory=lambda: LlmTiming.model_validate({}), description="How fast answers come."
    )
    models: list[LlmModel] = Field(
        default_factory=list,
        description="The models listed (/v1/models, /v1beta/models, /api/tags; default: a few"
        " per provider); others are still answered.",
    )
    context_window: int | None = Field(
        None, gt=0, description="Prompt tokens beyond this get the context-length error."
    )
    api_key: str | None = Field(
        None, description="The only key accepted (else 401); none: any key, or none, is."
    )
    embedding_dimensions: int = Field(
        1536, ge=1, le=8192, description="Length of embedding vectors (a request's wins)."
    )
    seed: int | None = Field(None, description="Seed for ids and timing (default: the file's).")


class LlmRoute(Llm):
    """What one endpoint of an entry serves: the entry's settings and its route."""

    route: Literal[
        "chat",
        "responses",
        "embeddings",
        "models",
        "model",
        "messages",
        "count_tokens",
        "generate",
        "stream",
    ] = Field(description="Which of the provider's paths this endpoint answers.")


class LlmEntry(Llm):
    """One top-level ``llm:`` entry: the provider's endpoints under ``path_prefix``."""

    id: str | None = Field(None, pattern=STUB_ID_PATTERN, description="A stable id.")
    name: str | None = Field(None, description="A name for logs and the admin API.")
    path_prefix: Annotated[str, AfterValidator(lambda p: path_text(p) if p else p)] = Field(
        "", description='Put before every path ("/openai": /openai/v1/chat/completions).'
    )

    def endpoints(self) -> list[dict[str, Any]]:
        """The endpoints this entry stands for, as config data: one per route, each with
        the same ``llm`` settings and its ``route``."""
        own = set(Llm.model_fields) & self.model_fields_set
        settings = self.model_dump(include=own | {"provider"}, by_alias=True, exclude_unset=True)
        prefix = self.path_prefix.rstrip("/")
        found = []
        for route, method, path in ROUTES[self.provider]:
            named = {k: f"{v}-{route}" for k, v in (("id", self.id), ("name", self.name)) if v}
            llm = {**settings, "route": route}
            found.append({**named, "path": prefix + path, "method": [method], "llm": llm})
        return found
