"""Gemini's wire format: ``generateContent``, ``streamGenerateContent``, models and errors.

Shapes follow the Generative Language API (``v1beta``): a ``GenerateContentResponse`` has
``candidates`` (``content.parts``, ``finishReason``, ``index``), ``usageMetadata`` and
``modelVersion``/``responseId``. A stream is one such response per token of text (a
function call whole, in one chunk, as Gemini sends them), the last with the
``finishReason`` and the full usage: ``data: {...}`` events with ``alt=sse``, else one
JSON array written as it goes. Errors are ``{"error": {code, message, status}}`` (a
rate limit's ``details`` hold a ``RetryInfo`` with the delay, which is how Gemini says it).
"""

from __future__ import annotations

import json
import math
from typing import Any

from apidouble.llm.answer import ProviderError
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn
from apidouble.llm.wire import EVENT_STREAM, JSON, encode_json
from apidouble.outcome import Response

__all__ = [
    "count_body",
    "error_item",
    "error_response",
    "frames",
    "model_object",
    "models_body",
    "stream_error",
    "stream_head",
    "whole",
]

_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP", "refusal": "SAFETY"}
_BLOCKED = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]
SSE = "sse"
"""The ``framing`` of a stream asked for with ``alt=sse`` (else: one JSON array)."""


def _usage(turn: Turn, done: bool) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": turn.input_tokens}
    output = turn.output_tokens if done and not turn.refusal else 0
    if output:
        usage["candidatesTokenCount"] = output
    usage["totalTokenCount"] = turn.input_tokens + output
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": turn.input_tokens}]
    return usage


def _chunk(turn: Turn, ident: str, parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {}
    if parts:
        candidate["content"] = {"parts": parts, "role": "model"}
    if last:
        candidate["finishReason"] = _FINISH[turn.stop]
        if turn.refusal:
            candidate["safetyRatings"] = _BLOCKED
    candidate["index"] = 0
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(turn, last),
        "modelVersion": turn.model,
        "responseId": ident,
    }


def _calls(turn: Turn) -> list[dict[str, Any]]:
    return [{"functionCall": {"name": c.name, "args": json.loads(c.arguments)}} for c in turn.calls]


def whole(turn: Turn, ident: str, _created: int, headers: list[tuple[str, str]]) -> Response:
    """The whole ``GenerateContentResponse``."""
    parts = [] if turn.refusal else [{"text": turn.content}] if turn.text else []
    body = _chunk(turn, ident, [*parts, *_calls(turn)], last=True)
    return Response.build(200, [JSON, *headers], encode_json(body))


def frames(turn: Turn, ident: str, _created: int) -> list[Frame]:
    """The streamed chunks: SSE events, or the items of one JSON array."""
    sse = turn.framing == SSE
    pieces: list[tuple[list[dict[str, Any]], int]] = []
    if not turn.refusal:
        pieces.extend(([{"text": piece}], 1) for piece in turn.text)
        pieces.extend(([part], len(call.fragments)) for part, call in
                      zip(_calls(turn), turn.calls, strict=True))  # fmt: skip
    if not pieces:
        pieces.append(([], 0))
    found = []
    for index, (parts, tokens) in enumerate(pieces):
        chunk = _chunk(turn, ident, parts, last=index == len(pieces) - 1)
        found.append(Frame(_framed(chunk, sse, index == 0), tokens))
    if not sse:
        found.append(Frame(b"]"))
    return found


def _framed(value: dict[str, Any], sse: bool, first: bool) -> bytes:
    if sse:
        return b"data: " + encode_json(value) + b"\r\n\r\n"
    return (b"[" if first else b",\r\n") + encode_json(value)


def stream_head(turn: Turn) -> tuple[tuple[str, str], ...]:
    """SSE's headers, or JSON's for the array."""
    return EVENT_STREAM if turn.framing == SSE else (JSON,)


def stream_error(
    error: ProviderError, model: str, facts: dict[str, Any], turn: Turn, _sent: int
) -> bytes:
    """The error as the stream's next item (an SSE event, or the array's last item)."""
    return error_item(error, model, facts, turn.framing == SSE)


def error_item(error: ProviderError, model: str, facts: dict[str, Any], sse: bool) -> bytes:
    """The error body framed as a stream's item."""
    _, body = _error(error, model, facts)
    return _framed(body, True, first=False) if sse else b",\r\n" + encode_json(body) + b"]"


_DEFAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For"
        " more information on this error, head to: https://ai.google.dev/gemini-api/docs/"
        "rate-limits.",
    ),
    "overloaded": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "context_length": (400, "INVALID_ARGUMENT", ""),
    "unauthorized": (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    "bad_request": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "server_error": (
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in"
        " https://developers.generativeai.google/guide/troubleshooting",
    ),
    "not_found": (404, "NOT_FOUND", ""),
}
"""Per error kind: the HTTP status, the ``google.rpc`` status and the default message."""


def _error(error: ProviderError, model: str, facts: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, name, message = _DEFAULTS[error.kind]
    if error.message is not None:
        message = error.message
    elif error.kind == "context_length":
        message = (
            f"The input token count ({facts.get('tokens', 1048577)}) exceeds the maximum"
            f" number of tokens allowed ({facts.get('window', 1048576)})."
        )
    elif error.kind == "not_found":
        message = (
            f"models/{model} is not found for API version v1beta, or is not supported for"
            " generateContent. Call ListModels to see the list of available models and"
            " their supported methods."
        )
    if error.status is not None:
        status = error.status
        if status == 403:
            name = "PERMISSION_DENIED"
    body: dict[str, Any] = {"code": status, "message": message, "status": name}
    if error.kind == "rate_limit":
        wait = error.retry_after_s if error.retry_after_s is not None else 1.0
        body["details"] = [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{wait:g}s"}
        ]
    elif error.kind == "unauthorized" and error.message is None:
        body["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    return status, {"error": body}


def error_response(
    error: ProviderError,
    model: str,
    headers: list[tuple[str, str]],
    facts: dict[str, Any],
    _request_id: str,
) -> Response:
    """``{"error": {code, message, status, details?}}`` with its status."""
    status, body = _error(error, model, facts)
    extra = list(headers)
    if error.retry_after_s is not None and error.kind != "rate_limit":
        extra.append(("retry-after", str(math.ceil(error.retry_after_s))))
    return Response.build(status, [JSON, *extra], encode_json(body))


def model_object(name: str) -> dict[str, Any]:
    """One model as ``models.list`` and ``models.get`` show it."""
    return {
        "name": f"models/{name}",
        "version": "001",
        "displayName": name,
        "description": f"{name} (mock)",
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
    }


def models_body(names: list[str]) -> dict[str, Any]:
    """``GET /v1beta/models``: one page with every model."""
    return {"models": [model_object(name) for name in names]}


def count_body(tokens: int) -> dict[str, Any]:
    """``countTokens``'s answer."""
    return {
        "totalTokens": tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}],
    }
