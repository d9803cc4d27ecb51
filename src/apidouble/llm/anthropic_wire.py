"""Anthropic's wire format: messages (whole and streamed), models and errors.

Shapes follow the ``anthropic`` SDK's own types (``types/message.py``, ``usage.py``,
``raw_message_*_event.py``, ``raw_content_block_*_event.py``, ``shared/error_response.py``).
A stream is named events in this order: ``message_start`` (the message with no content
and ``output_tokens`` 1), then per content block ``content_block_start``,
``content_block_delta``s (``text_delta``; ``input_json_delta`` for a tool's input, an
empty fragment first) and ``content_block_stop``, with one ``ping`` after the first
block's start; then ``message_delta`` (stop reason and output tokens) and
``message_stop``.
"""

from __future__ import annotations

import json
from typing import Any

from apidouble.llm.answer import ProviderError
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn
from apidouble.llm.wire import JSON, encode_json, retry_after, sse
from apidouble.outcome import Response

__all__ = ["error_response", "message_frames", "message_response", "models_body", "stream_error"]

_STOPS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "refusal": "refusal",
}
MODEL_CREATED = "2025-02-19T00:00:00Z"


def _usage(turn: Turn, output: int) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output,
        "service_tier": "standard",
    }


def _message(turn: Turn, ident: str, content: list[dict[str, Any]], done: bool) -> dict[str, Any]:
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": content,
        "stop_reason": _STOPS[turn.stop] if done else None,
        "stop_sequence": None,
        "usage": _usage(turn, turn.output_tokens if done else 1),
    }


def message_response(turn: Turn, ident: str, headers: list[tuple[str, str]]) -> Response:
    """The whole ``message`` object."""
    content: list[dict[str, Any]] = []
    if turn.text:
        content.append({"type": "text", "text": turn.content})
    content.extend(
        {"type": "tool_use", "id": c.id, "name": c.name, "input": _input(c.arguments)}
        for c in turn.calls
    )
    body = _message(turn, ident, content, done=True)
    return Response.build(200, [JSON, *headers], encode_json(body))


def _input(arguments: str) -> Any:
    return json.loads(arguments)


def message_frames(turn: Turn, ident: str) -> list[Frame]:
    """The named events of a streamed answer."""

    def event(name: str, data: dict[str, Any], tokens: int = 0) -> Frame:
        return Frame(sse({"type": name, **data}, name), tokens)

    frames = [event("message_start", {"message": _message(turn, ident, [], done=False)})]
    index = 0
    if turn.text:
        frames.append(
            event(
                "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
            )
        )
        frames.append(event("ping", {}))
        frames.extend(
            event(
                "content_block_delta",
                {"index": 0, "delta": {"type": "text_delta", "text": piece}},
                tokens=1,
            )
            for piece in turn.text
        )
        frames.append(event("content_block_stop", {"index": 0}))
        index = 1
    for offset, call in enumerate(turn.calls):
        at = index + offset
        block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        frames.append(event("content_block_start", {"index": at, "content_block": block}))
        if at == 0:
            frames.append(event("ping", {}))
        for part in ("", *call.fragments):
            delta = {"type": "input_json_delta", "partial_json": part}
            frames.append(
                event("content_block_delta", {"index": at, "delta": delta}, tokens=1 if part else 0)
            )
        frames.append(event("content_block_stop", {"index": at}))
    if not turn.text and not turn.calls:
        frames.append(event("ping", {}))
    ending: dict[str, Any] = {"stop_reason": _STOPS[turn.stop], "stop_sequence": None}
    frames.append(
        event("message_delta", {"delta": ending, "usage": {"output_tokens": turn.output_tokens}})
    )
    frames.append(event("message_stop", {}))
    return frames


def models_body(names: list[str]) -> dict[str, Any]:
    """``/v1/models``: one page with every model."""
    return {
        "data": [model_object(name) for name in names],
        "has_more": False,
        "first_id": names[0] if names else None,
        "last_id": names[-1] if names else None,
    }


def model_object(name: str) -> dict[str, Any]:
    return {"type": "model", "id": name, "display_name": name, "created_at": MODEL_CREATED}


_DEFAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per"
        " minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can"
        " see the response headers for current usage. Please reduce the prompt length or the"
        " maximum tokens requested, or try again later.",
    ),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "context_length": (400, "invalid_request_error", ""),
    "unauthorized": (401, "authentication_error", "invalid x-api-key"),
    "bad_request": (400, "invalid_request_error", "Invalid request."),
    "server_error": (500, "api_error", "Internal server error"),
    "not_found": (404, "not_found_error", ""),
}
"""Per error kind: status, error ``type`` and the default message."""


def error_body(
    error: ProviderError, model: str, facts: dict[str, Any], request_id: str
) -> dict[str, Any]:
    _, kind, message = _DEFAULTS[error.kind]
    if error.message is not None:
        message = error.message
    elif error.kind == "context_length":
        message = (
            f"prompt is too long: {facts.get('tokens', 200001)} tokens >"
            f" {facts.get('window', 200000)} maximum"
        )
    elif error.kind == "not_found":
        message = f"model: {model}"
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}


def stream_error(error: ProviderError, model: str, facts: dict[str, Any], request_id: str) -> bytes:
    """An ``error`` event in a stream that has begun (the SDK raises its status error)."""
    body = error_body(error, model, facts, request_id)
    return sse({"type": "error", "error": body["error"]}, "error")


def error_response(
    error: ProviderError,
    model: str,
    headers: list[tuple[str, str]],
    facts: dict[str, Any],
    request_id: str,
) -> Response:
    """``{"type": "error", "error": {type, message}, "request_id"}`` with its status."""
    status = error.status or _DEFAULTS[error.kind][0]
    extra = list(headers)
    wait = retry_after(error)
    if wait is not None:
        extra.append(("retry-after", wait))
    if error.kind == "rate_limit":  # the limit the message names: 50 requests a minute
        extra += [
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
        ]
    if error.kind in ("rate_limit", "overloaded", "server_error"):
        extra.append(("x-should-retry", "true"))
    body = error_body(error, model, facts, request_id)
    return Response.build(status, [JSON, *extra], encode_json(body))
