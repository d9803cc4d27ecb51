"""Ollama's wire format: ``/api/chat`` and ``/api/generate`` (NDJSON streams), tags, errors.

Shapes follow Ollama's ``api/types.go`` (``ChatResponse``, ``GenerateResponse``,
``Metrics``). A stream is one JSON object per line (``application/x-ndjson``): one per
token of text (``message.content`` for chat, ``response`` for generate) with ``done:
false``, tool calls whole in one line (their ``arguments`` an object, as Ollama sends
them), then a last line with ``done: true``, the ``done_reason`` and the counts and
durations. Durations (nanoseconds) are nominal: 1 ms per prompt token, 20 ms per output
token, as the answer's timing is the mock's, not a model's. Errors are ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from apidouble.llm.answer import ProviderError
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn
from apidouble.llm.wire import JSON, encode_json, retry_after
from apidouble.outcome import Response

__all__ = ["NDJSON", "chat_frames", "chat_whole", "error_response", "generate_frames",
           "generate_whole", "models_body", "stream_error"]  # fmt: skip

NDJSON = (("content-type", "application/x-ndjson"),)
_DIGEST = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"


def _when(created: int) -> str:
    """``created_at`` as Ollama writes it (RFC 3339 with nanoseconds, UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(created))


def _line(value: dict[str, Any]) -> bytes:
    return encode_json(value) + b"\n"


def _metrics(turn: Turn) -> dict[str, Any]:
    prompt, output = turn.input_tokens * 1_000_000, turn.output_tokens * 20_000_000
    return {
        "done_reason": "length" if turn.stop == "length" else "stop",
        "done": True,
        "total_duration": 1_000_000 + prompt + output,
        "load_duration": 1_000_000,
        "prompt_eval_count": turn.input_tokens,
        "prompt_eval_duration": prompt,
        "eval_count": turn.output_tokens,
        "eval_duration": output,
    }


def _calls(turn: Turn) -> list[dict[str, Any]]:
    return [
        {"function": {"index": i, "name": c.name, "arguments": json.loads(c.arguments)}}
        for i, c in enumerate(turn.calls)
    ]


def _chat_message(content: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return message


def chat_whole(turn: Turn, _ident: str, created: int, headers: list[tuple[str, str]]) -> Response:
    """``/api/chat`` with ``stream: false``: one object, the whole message."""
    body = {
        "model": turn.model,
        "created_at": _when(created),
        "message": _chat_message(turn.content, _calls(turn)),
        **_metrics(turn),
    }
    return Response.build(200, [JSON, *headers], encode_json(body))


def chat_frames(turn: Turn, _ident: str, created: int) -> list[Frame]:
    """``/api/chat`` streamed: a line per token, the tool calls, the closing line."""
    head = {"model": turn.model, "created_at": _when(created)}
    found = [
        Frame(_line({**head, "message": _chat_message(piece, []), "done": False}), 1)
        for piece in turn.text
    ]
    if turn.calls:
        tokens = sum(len(c.fragments) for c in turn.calls)
        line = {**head, "message": _chat_message("", _calls(turn)), "done": False}
        found.append(Frame(_line(line), tokens))
    found.append(Frame(_line({**head, "message": _chat_message("", []), **_metrics(turn)})))
    return found


def generate_whole(
    turn: Turn, _ident: str, created: int, headers: list[tuple[str, str]]
) -> Response:
    """``/api/generate`` with ``stream: false``."""
    body = {
        "model": turn.model,
        "created_at": _when(created),
        "response": turn.content,
        **_metrics(turn),
    }
    return Response.build(200, [JSON, *headers], encode_json(body))


def generate_frames(turn: Turn, _ident: str, created: int) -> list[Frame]:
    """``/api/generate`` streamed: ``response`` pieces, then the closing line."""
    head = {"model": turn.model, "created_at": _when(created)}
    found = [Frame(_line({**head, "response": piece, "done": False}), 1) for piece in turn.text]
    found.append(Frame(_line({**head, "response": "", **_metrics(turn)})))
    return found


_DEFAULTS: dict[str, tuple[int, str]] = {
    "rate_limit": (429, "rate limit exceeded"),
    "overloaded": (503, "server busy, please try again.  maximum pending requests exceeded"),
    "context_length": (400, ""),
    "unauthorized": (401, "unauthorized"),
    "bad_request": (400, "invalid request"),
    "server_error": (500, "an error was encountered while running the model"),
    "not_found": (404, ""),
}
"""Per error kind: the status and the default message."""


def _message(error: ProviderError, model: str, facts: dict[str, Any]) -> str:
    if error.message is not None:
        return error.message
    if error.kind == "context_length":
        return (
            f"the input length ({facts.get('tokens', 4097)} tokens) exceeds the context length"
            f" ({facts.get('window', 4096)} tokens)"
        )
    if error.kind == "not_found":
        return f'model "{model}" not found, try pulling it first'
    return _DEFAULTS[error.kind][1]


def stream_error(error: ProviderError, model: str, facts: dict[str, Any], _rid: str) -> bytes:
    """The error as the stream's next line."""
    return _line({"error": _message(error, model, facts)})


def error_response(
    error: ProviderError,
    model: str,
    headers: list[tuple[str, str]],
    facts: dict[str, Any],
    _request_id: str,
) -> Response:
    """``{"error": "..."}`` with its status (a rate limit's with ``retry-after``)."""
    status = error.status or _DEFAULTS[error.kind][0]
    extra = list(headers)
    wait = retry_after(error)
    if wait is not None:
        extra.append(("retry-after", wait))
    body = {"error": _message(error, model, facts)}
    return Response.build(status, [JSON, *extra], encode_json(body))


def model_object(name: str) -> dict[str, Any]:
    """One local model as ``/api/tags`` lists it."""
    tagged = name if ":" in name else f"{name}:latest"
    family = name.split(":")[0].rstrip("0123456789.") or name
    return {
        "name": tagged,
        "model": tagged,
        "modified_at": "2025-01-01T00:00:00.000000000Z",
        "size": 2_019_393_189,
        "digest": _DIGEST,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "3.2B",
            "quantization_level": "Q4_K_M",
        },
    }


def models_body(names: list[str]) -> dict[str, Any]:
    """``GET /api/tags``."""
    return {"models": [model_object(name) for name in names]}
