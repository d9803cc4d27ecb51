"""OpenAI's Responses API (``/v1/responses``): the whole ``response`` and its event stream.

Shapes follow the ``openai`` SDK's ``types/responses`` (``response.py``,
``response_output_message.py``, ``response_function_tool_call.py``, the
``response_*_event.py`` files). A stream is named events, each with its
``sequence_number``: ``response.created``, ``response.in_progress``; for the text a
``message`` item (``response.output_item.added``, ``response.content_part.added``,
``response.output_text.delta`` per token, ``response.output_text.done``,
``response.content_part.done``, ``response.output_item.done``; a refusal uses
``response.refusal.delta``/``.done``); per tool call a ``function_call`` item whose
arguments come as ``response.function_call_arguments.delta`` fragments then ``.done``;
last ``response.completed`` (``response.incomplete`` when cut by ``max_output_tokens``).
Items' ids share the response id's random part, as the API's do.
"""

from __future__ import annotations

from typing import Any

from apidouble.llm import openai_wire
from apidouble.llm.answer import ProviderError
from apidouble.llm.timing import Frame
from apidouble.llm.turn import Turn
from apidouble.llm.wire import JSON, encode_json, sse
from apidouble.outcome import Response

__all__ = ["response_frames", "response_whole", "stream_error"]


def _usage(turn: Turn) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": turn.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }


def _status(turn: Turn) -> str:
    return "incomplete" if turn.stop == "length" else "completed"


def _ids(ident: str, turn: Turn) -> tuple[str, list[str]]:
    """The message item's id and each function call item's, from the response's."""
    body = ident.removeprefix("resp_")
    return "msg_" + body, [f"fc_{body[:-2]}{index:02x}" for index in range(len(turn.calls))]


def _part(turn: Turn, text: str) -> dict[str, Any]:
    if turn.refusal:
        return {"type": "refusal", "refusal": text}
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _message(ident: str, turn: Turn, done: bool) -> dict[str, Any]:
    return {
        "id": ident,
        "type": "message",
        "status": _status(turn) if done else "in_progress",
        "content": [_part(turn, turn.content)] if done else [],
        "role": "assistant",
    }


def _call(ident: str, index: int, turn: Turn, done: bool) -> dict[str, Any]:
    call = turn.calls[index]
    return {
        "id": ident,
        "type": "function_call",
        "status": "completed" if done else "in_progress",
        "arguments": call.arguments if done else "",
        "call_id": call.id,
        "name": call.name,
    }


def _outputs(ident: str, turn: Turn) -> list[dict[str, Any]]:
    message_id, call_ids = _ids(ident, turn)
    found = [_message(message_id, turn, done=True)] if turn.text else []
    found.extend(_call(call_ids[i], i, turn, done=True) for i in range(len(turn.calls)))
    return found


def _response(turn: Turn, ident: str, created: int, done: bool) -> dict[str, Any]:
    status = _status(turn) if done else "in_progress"
    return {
        "id": ident,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": None,
        "max_output_tokens": None,
        "model": turn.model,
        "output": _outputs(ident, turn) if done else [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _usage(turn) if done else None,
        "user": None,
        "metadata": {},
    }


def response_whole(
    turn: Turn, ident: str, created: int, headers: list[tuple[str, str]]
) -> Response:
    """The whole ``response`` object."""
    body = _response(turn, ident, created, done=True)
    return Response.build(200, [JSON, *headers], encode_json(body))


def response_frames(turn: Turn, ident: str, created: int) -> list[Frame]:
    """The named events of a streamed response, in the API's order."""
    frames: list[Frame] = []

    def event(name: str, data: dict[str, Any], tokens: int = 0) -> None:
        payload = {"type": name, "sequence_number": len(frames), **data}
        frames.append(Frame(sse(payload, name), tokens))

    event("response.created", {"response": _response(turn, ident, created, done=False)})
    event("response.in_progress", {"response": _response(turn, ident, created, done=False)})
    message_id, call_ids = _ids(ident, turn)
    output = 0
    if turn.text:
        kind = "refusal" if turn.refusal else "output_text"
        at = {"item_id": message_id, "output_index": 0, "content_index": 0}
        event("response.output_item.added",
              {"output_index": 0, "item": _message(message_id, turn, done=False)})  # fmt: skip
        event("response.content_part.added", {**at, "part": _part(turn, "")})
        for piece in turn.text:
            extra: dict[str, Any] = {} if turn.refusal else {"logprobs": []}
            event(f"response.{kind}.delta", {**at, "delta": piece, **extra}, tokens=1)
        if turn.refusal:
            event("response.refusal.done", {**at, "refusal": turn.content})
        else:
            event("response.output_text.done", {**at, "text": turn.content, "logprobs": []})
        event("response.content_part.done", {**at, "part": _part(turn, turn.content)})
        event("response.output_item.done",
              {"output_index": 0, "item": _message(message_id, turn, done=True)})  # fmt: skip
        output = 1
    for index, call in enumerate(turn.calls):
        at = {"item_id": call_ids[index], "output_index": output + index}
        event("response.output_item.added",
              {"output_index": output + index,
               "item": _call(call_ids[index], index, turn, done=False)})  # fmt: skip
        for part in call.fragments:
            event("response.function_call_arguments.delta", {**at, "delta": part}, tokens=1)
        event("response.function_call_arguments.done",
              {**at, "name": call.name, "arguments": call.arguments})  # fmt: skip
        event("response.output_item.done",
              {"output_index": output + index,
               "item": _call(call_ids[index], index, turn, done=True)})  # fmt: skip
    ending = "response.incomplete" if turn.stop == "length" else "response.completed"
    event(ending, {"response": _response(turn, ident, created, done=True)})
    return frames


def stream_error(error: ProviderError, model: str, facts: dict[str, Any], sent: int) -> bytes:
    """An ``error`` event after ``sent`` events (the SDK yields a ``ResponseErrorEvent``)."""
    _, kind, code, _ = openai_wire._DEFAULTS[error.kind]
    body = {
        "type": "error",
        "sequence_number": sent,
        "code": error.code or code or kind,
        "message": openai_wire.error_message(error, model, facts),
        "param": error.param,
    }
    return sse(body, "error")
