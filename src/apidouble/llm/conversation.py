"""A request's conversation, read from either provider's body into one shape for rules.

Only what rules match on and usage counts is kept: the model, the system prompt, the last
user text, the tools offered, whether the last message carries a tool result, and all the
text (for the prompt's token count). A body that lacks a required field, or has one of
the wrong type, is a ``ProviderError`` of kind ``bad_request`` with the provider's wording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from apidouble.llm.answer import ProviderError

__all__ = ["Conversation", "read_anthropic", "read_anthropic_count", "read_openai"]


@dataclass(frozen=True, slots=True)
class Conversation:
    """The parts of one request that rules see."""

    model: str
    system: str | None
    last_user: str | None
    tools: tuple[str, ...]
    tool_result: bool
    stream: bool
    include_usage: bool
    prompt_text: str
    """Every message's text, the system prompt and the tools' JSON: what usage counts."""
    messages: int
    max_tokens: int | None = None
    """The most output tokens the request allows."""
    framing: str = ""
    """How the dialect frames a stream when it has more than one way (Gemini: ``sse``)."""

    def as_fact(self) -> dict[str, Any]:
        """The conversation as the journal shows it."""
        return {
            "model": self.model,
            "system": self.system,
            "last_user": self.last_user,
            "tools": list(self.tools),
            "tool_result": self.tool_result,
            "stream": self.stream,
            "messages": self.messages,
        }


def _bad(message: str, param: str | None = None, code: str | None = None) -> ProviderError:
    return ProviderError("bad_request", message, param=param, code=code)


def _json(body: bytes, unparsable: str) -> dict[str, Any] | ProviderError:
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return _bad(unparsable)
    return data


def _text(content: Any) -> str:
    """A message's text: a string, or its text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


_OPENAI_UNPARSABLE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't"
    " using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was"
    " sent was not valid JSON. If you have trouble figuring out how to fix this, please"
    " contact us through our help center at help.openai.com.)"
)


_OPENAI_ROLES = ("system", "assistant", "user", "function", "tool", "developer")

_OPENAI_RANGES = (("temperature", 0, 2), ("top_p", 0, 1))
"""Sampling options and the range the API accepts for each."""


def openai_options(data: dict[str, Any]) -> ProviderError | None:
    """OpenAI's checks of ``stream`` and the sampling options, with its wording."""
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, bool):
        return _bad(f"Invalid type for 'stream': expected a boolean, but got {_kind(stream)}"
                    " instead.", "stream", "invalid_type")  # fmt: skip
    for name, low, high in _OPENAI_RANGES:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            return _bad(f"Invalid type for '{name}': expected a decimal, but got"
                        f" {_kind(value)} instead.", name, "invalid_type")  # fmt: skip
        if value > high:
            return _bad(f"Invalid '{name}': decimal above maximum value. Expected a value <="
                        f" {high}, but got {value:g} instead.", name,
                        "decimal_above_max_value")  # fmt: skip
        if value < low:
            return _bad(f"Invalid '{name}': decimal below minimum value. Expected a value >="
                        f" {low}, but got {value:g} instead.", name,
                        "decimal_below_min_value")  # fmt: skip
    return None


def _openai_missing(name: str) -> ProviderError:
    return _bad(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")


def read_openai(body: bytes) -> Conversation | ProviderError:
    """A chat completions request (``/v1/chat/completions``)."""
    data = _json(body, _OPENAI_UNPARSABLE)
    if isinstance(data, ProviderError):
        return data
    for name in ("model", "messages"):
        if name not in data:
            return _openai_missing(name)
    model, messages = data["model"], data["messages"]
    if not isinstance(model, str):
        return _bad(f"Invalid type for 'model': expected a string, but got {_kind(model)} instead.",
                    "model", "invalid_type")  # fmt: skip
    wrong = openai_options(data)
    if wrong is not None:
        return wrong
    if not isinstance(messages, list):
        return _bad(
            f"Invalid type for 'messages': expected an array, but got {_kind(messages)} instead.",
            "messages",
            "invalid_type",
        )
    if not messages:
        return _bad(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got"
            " an empty array instead.",
            "messages",
            "empty_array",
        )
    system: list[str] = []
    texts: list[str] = []
    last_user: str | None = None
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            return _openai_missing(f"messages[{index}].role")
        role, text = message["role"], _text(message.get("content"))
        if role not in _OPENAI_ROLES:
            return _bad(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user',"
                " 'function', 'tool', and 'developer'.",
                f"messages[{index}].role",
                "invalid_value",
            )
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user" and text:
            last_user = text
        texts.append(text)
        calls = message.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                texts.append(str(call["function"].get("arguments", "")))
    tools = _openai_tools(data.get("tools"))
    options = data.get("stream_options")
    last = messages[-1]
    return Conversation(
        model=model,
        system="\n".join(system) if system else None,
        last_user=last_user,
        tools=tools,
        tool_result=isinstance(last, dict) and last.get("role") in ("tool", "function"),
        stream=data.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        prompt_text="\n".join([*texts, *_dumped(data.get("tools"))]),
        messages=len(messages),
        max_tokens=_limit(data.get("max_completion_tokens", data.get("max_tokens"))),
    )


def _openai_tools(given: Any) -> tuple[str, ...]:
    names = []
    for tool in given if isinstance(given, list) else ():
        if isinstance(tool, dict):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else tool.get("name")
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


_ANTHROPIC_UNPARSABLE = "There was an error parsing the body of your request: invalid JSON"


def _anthropic_missing(name: str) -> ProviderError:
    return _bad(f"{name}: Field required", name)


def read_anthropic(body: bytes) -> Conversation | ProviderError:
    """A messages request (``/v1/messages``)."""
    return _read_anthropic(body, ("model", "max_tokens", "messages"))


def read_anthropic_count(body: bytes) -> Conversation | ProviderError:
    """A token-counting request (``/v1/messages/count_tokens``: no ``max_tokens``)."""
    return _read_anthropic(body, ("model", "messages"))


def _read_anthropic(body: bytes, required: tuple[str, ...]) -> Conversation | ProviderError:
    data = _json(body, _ANTHROPIC_UNPARSABLE)
    if isinstance(data, ProviderError):
        return data
    for name in required:
        if name not in data:
            return _anthropic_missing(name)
    model, messages = data["model"], data["messages"]
    if not isinstance(model, str):
        return _bad("model: Input should be a valid string", "model")
    limit = data.get("max_tokens", 0)
    if not isinstance(limit, int) or isinstance(limit, bool):
        return _bad("max_tokens: Input should be a valid integer", "max_tokens")
    if "max_tokens" in required and limit < 1:
        return _bad("max_tokens: Input should be greater than or equal to 1", "max_tokens")
    temperature = data.get("temperature")
    if isinstance(temperature, int | float) and not 0 <= temperature <= 1:
        return _bad("temperature: range: 0..1", "temperature")
    if not isinstance(messages, list):
        return _bad("messages: Input should be a valid list", "messages")
    if not messages:
        return _bad("messages: at least one message is required", "messages")
    texts: list[str] = []
    last_user: str | None = None
    tool_result = False
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            return _anthropic_missing(f"messages.{index}.role")
        if "content" not in message:
            return _anthropic_missing(f"messages.{index}.content")
        if message["role"] == "system":
            return _bad(
                'messages: Unexpected role "system". The Messages API accepts a top-level'
                ' `system` parameter, not "system" as an input message role.',
                "messages",
            )
        if message["role"] not in ("user", "assistant"):
            return _bad(f"messages.{index}.role: Input should be 'user' or 'assistant'",
                        f"messages.{index}.role")  # fmt: skip
        content = message["content"]
        text = _text(content)
        blocks = content if isinstance(content, list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        texts.append(text)
        texts.extend(_text(b.get("content")) for b in results)
        texts.extend(_dumped([b.get("input") for b in blocks if isinstance(b, dict)
                              and b.get("type") == "tool_use"]))  # fmt: skip
        if message["role"] == "user" and text:
            last_user = text
        tool_result = message["role"] == "user" and bool(results)
    system = data.get("system")
    system_text = _text(system) if system is not None else None
    tools = data.get("tools")
    names = tuple(
        t["name"] for t in (tools if isinstance(tools, list) else ())
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    )  # fmt: skip
    return Conversation(
        model=model,
        system=system_text,
        last_user=last_user,
        tools=names,
        tool_result=tool_result,
        stream=data.get("stream") is True,
        include_usage=True,
        prompt_text="\n".join([*([system_text] if system_text else []), *texts, *_dumped(tools)]),
        messages=len(messages),
        max_tokens=_limit(data.get("max_tokens")),
    )


def _limit(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dumped(value: Any) -> list[str]:
    """Tools or tool inputs as compact JSON, for the prompt's token count."""
    if not value:
        return []
    return [json.dumps(value, separators=(",", ":"), sort_keys=True)]


def _kind(value: Any) -> str:
    """A JSON type's name as OpenAI's type errors say it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else "null"
