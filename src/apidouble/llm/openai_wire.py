"""OpenAI's wire format: chat completions (whole and streamed), models and errors.

Shapes follow the ``openai`` SDK's own types (``types/chat/chat_completion.py``,
``chat_completion_chunk.py``, ``completion_usage.py``, ``model.py``). A stream is
``data: {chunk}`` events: a first chunk with the role, one per token of content (or
refusal, or a tool call's arguments, the call's id and name in its first chunk with empty
arguments), a last chunk with ``finish_reason`` and an empty delta, with
``stream_options.include_usage`` one more with no choices and the usage (every chunk
before it then has ``"usage": null``), then ``data: [DONE]``.
"""

from __future__ import annotations

import math
from typing import Any

from apidouble.llm.answer import ProviderError
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn
from apidouble.llm.wire import JSON, encode_json, sse
from apidouble.outcome import Response

__all__ = ["chat_frames", "chat_response", "error_response", "model_object", "stream_error"]

FINGERPRINT = "fp_mock0000"
OWNED_BY = "openai"
MODEL_CREATED = 1686935002
"""The ``created`` every listed model shows (a fixed date: the list does not change)."""
DONE = b"data: [DONE]\n\n"


def _finish(turn: Turn) -> str:
    return "stop" if turn.stop == "refusal" else turn.stop


def _usage(turn: Turn) -> dict[str, Any]:
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_response(turn: Turn, ident: str, created: int, headers: list[tuple[str, str]]) -> Response:
    """The whole ``chat.completion`` object."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if turn.refusal or (not turn.text and turn.calls) else turn.content,
        "refusal": turn.content if turn.refusal else None,
        "annotations": [],
    }
    if turn.calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in turn.calls
        ]
    body = {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": turn.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(turn)}
        ],
        "usage": _usage(turn),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    return Response.build(200, [JSON, *headers], encode_json(body))


def chat_frames(turn: Turn, ident: str, created: int) -> list[Frame]:
    """The ``chat.completion.chunk`` events of a streamed answer, ending with ``[DONE]``."""
    usage_null = {"usage": None} if turn.include_usage else {}

    def head(choices: list[dict[str, Any]]) -> dict[str, Any]:
        """What every chunk of the answer says besides its ``choices``' contents."""
        return {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": turn.model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        }

    def chunk(delta: dict[str, Any], finish: str | None = None, tokens: int = 0) -> Frame:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return Frame(sse({**head([choice]), **usage_null}), tokens)

    field = "refusal" if turn.refusal else "content"
    first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
    if turn.refusal or (turn.calls and not turn.text):
        first["content"] = None
    frames = [chunk(first)]
    frames.extend(chunk({field: piece}, tokens=1) for piece in turn.text)
    for index, call in enumerate(turn.calls):
        opening = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        frames.append(chunk({"tool_calls": [opening]}))
        frames.extend(
            chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]}, tokens=1)
            for part in call.fragments
        )
    frames.append(chunk({}, _finish(turn)))
    if turn.include_usage:
        frames.append(Frame(sse({**head([]), "usage": _usage(turn)})))
    frames.append(Frame(DONE))
    return frames


def stream_error(error: ProviderError, model: str, facts: dict[str, Any]) -> bytes:
    """An error in a stream that has begun: ``data: {"error": {...}}`` (the SDK raises
    ``APIError`` with its message)."""
    _, kind, code, _ = _DEFAULTS[error.kind]
    body = {"message": error_message(error, model, facts), "type": kind, "param": error.param,
            "code": error.code or code}  # fmt: skip
    return sse({"error": body})


def model_object(name: str) -> dict[str, Any]:
    """One ``model`` as ``/v1/models`` lists it."""
    return {"id": name, "object": "model", "created": MODEL_CREATED, "owned_by": OWNED_BY}


_DEFAULTS: dict[str, tuple[int, str, str | None, str]] = {
    "rate_limit": (429, "requests", "rate_limit_exceeded", ""),
    "overloaded": (
        503,
        "server_error",
        None,
        "The server is overloaded or not ready yet.",
    ),
    "context_length": (400, "invalid_request_error", "context_length_exceeded", ""),
    "unauthorized": (401, "invalid_request_error", "invalid_api_key", ""),
    "bad_request": (400, "invalid_request_error", None, "Invalid request."),
    "server_error": (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    "not_found": (404, "invalid_request_error", "model_not_found", ""),
}
"""Per error kind: status, ``type``, ``code``, and the message when the kind has no
wording that depends on the request."""


def error_message(error: ProviderError, model: str, facts: dict[str, Any]) -> str:
    """The provider's wording for an error; ``facts`` fill in its numbers."""
    if error.message is not None:
        return error.message
    kind = error.kind
    if kind == "rate_limit":
        wait = error.retry_after_s if error.retry_after_s is not None else 1
        return (
            f"Rate limit reached for {model} in organization org-mock on requests per min"
            f" (RPM): Limit 3, Used 3, Requested 1. Please try again in {wait:g}s. Visit"
            " https://platform.openai.com/account/rate-limits to learn more."
        )
    if kind == "context_length":
        return (
            f"This model's maximum context length is {facts.get('window', 128000)} tokens."
            f" However, your messages resulted in {facts.get('tokens', 128001)} tokens."
            " Please reduce the length of the messages."
        )
    if kind == "unauthorized":
        return (
            f"Incorrect API key provided: {_masked(facts.get('key') or '')}. You can find your"
            " API key at https://platform.openai.com/account/api-keys."
        )
    if kind == "not_found":
        return f"The model `{model}` does not exist or you do not have access to it."
    return _DEFAULTS[kind][3]


def _masked(key: str) -> str:
    """How OpenAI shows a wrong key: its start and its last four characters."""
    return key if len(key) <= 8 else f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}"


def error_response(
    error: ProviderError, model: str, headers: list[tuple[str, str]], facts: dict[str, Any]
) -> Response:
    """``{"error": {message, type, param, code}}`` with its status (and ``retry-after``)."""
    status, kind, code, _ = _DEFAULTS[error.kind]
    param = error.param
    if param is None and error.kind == "context_length":
        param = "messages"
    body = {
        "error": {
            "message": error_message(error, model, facts),
            "type": kind,
            "param": param,
            "code": error.code or code,
        }
    }
    extra = list(headers)
    wait = error.retry_after_s
    if wait is None and error.kind == "rate_limit":
        wait = 1.0
    if wait is not None:
        extra += [
            ("retry-after", str(math.ceil(wait))),
            ("retry-after-ms", str(round(wait * 1000))),
        ]
    if error.kind == "rate_limit":  # the limit the message names: 3 requests a minute
        extra += [
            ("x-ratelimit-limit-requests", "3"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", f"{wait:g}s"),
        ]
    return Response.build(error.status or status, [JSON, *extra], encode_json(body))
