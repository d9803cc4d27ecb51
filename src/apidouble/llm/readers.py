"""The conversation of the other APIs: OpenAI's Responses, Gemini's and Ollama's.

Each reader keeps what ``conversation`` keeps for chat completions and messages (model,
system prompt, last user text, tools offered, a tool result last, the prompt's text) and
answers a malformed body with the provider's own 400 wording, as ``ProviderError``.
"""

from __future__ import annotations

from typing import Any

from apidouble.llm.answer import ProviderError
from apidouble.llm.conversation import (
    _OPENAI_UNPARSABLE,
    Conversation,
    _bad,
    _dumped,
    _json,
    _kind,
    _limit,
    _openai_missing,
    _text,
    openai_options,
)

__all__ = ["read_gemini", "read_ollama_chat", "read_ollama_generate", "read_responses"]


def _parts_text(content: Any) -> str:
    """Responses content: a string, or ``input_text``/``output_text`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)
                 and p.get("type") in ("input_text", "output_text", "text")]  # fmt: skip
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def read_responses(body: bytes) -> Conversation | ProviderError:
    """A Responses request (``/v1/responses``): ``input`` a string or a list of items."""
    data = _json(body, _OPENAI_UNPARSABLE)
    if isinstance(data, ProviderError):
        return data
    if "model" not in data:
        return _openai_missing("model")
    model, given = data["model"], data.get("input")
    if not isinstance(model, str):
        return _bad(f"Invalid type for 'model': expected a string, but got {_kind(model)} instead.",
                    "model", "invalid_type")  # fmt: skip
    wrong = openai_options(data)
    if wrong is not None:
        return wrong
    if given is not None and not isinstance(given, str | list):
        return _bad(
            f"Invalid type for 'input': expected one of a string or array of input items, but"
            f" got {_kind(given)} instead.",
            "input",
            "invalid_type",
        )
    items: list[Any] = (
        [{"role": "user", "content": given}] if isinstance(given, str) else given or []
    )
    instructions = data.get("instructions")
    system = [instructions] if isinstance(instructions, str) and instructions else []
    texts: list[str] = list(system)
    last_user: str | None = None
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return _bad(f"Invalid type for 'input[{index}]': expected an input item, but got"
                        f" {_kind(item)} instead.", f"input[{index}]", "invalid_type")  # fmt: skip
        kind = item.get("type", "message")
        if kind == "message":
            if "role" not in item:
                return _openai_missing(f"input[{index}].role")
            if item["role"] not in ("user", "assistant", "system", "developer"):
                return _bad(
                    f"Invalid value: '{item['role']}'. Supported values are: 'assistant',"
                    " 'system', 'developer', and 'user'.",
                    f"input[{index}].role",
                    "invalid_value",
                )
            text = _parts_text(item.get("content"))
            if item["role"] in ("system", "developer"):
                system.append(text)
            elif item["role"] == "user" and text:
                last_user = text
            texts.append(text)
        elif kind == "function_call":
            texts.append(str(item.get("arguments", "")))
        elif kind == "function_call_output":
            texts.append(str(item.get("output", "")))
    tools = data.get("tools")
    names = tuple(
        str(t.get("name") or (t.get("function") or {}).get("name") or "")
        for t in (tools if isinstance(tools, list) else ())
        if isinstance(t, dict) and (t.get("name") or isinstance(t.get("function"), dict))
    )
    last = items[-1] if items else None
    return Conversation(
        model=model,
        system="\n".join(system) if system else None,
        last_user=last_user,
        tools=names,
        tool_result=isinstance(last, dict) and last.get("type") == "function_call_output",
        stream=data.get("stream") is True,
        include_usage=True,
        prompt_text="\n".join([*texts, *_dumped(tools)]),
        messages=len(items),
        max_tokens=_limit(data.get("max_output_tokens")),
    )


def _gemini_bad(message: str) -> ProviderError:
    return ProviderError("bad_request", message)


def _gemini_text(parts: Any) -> str:
    found = [p.get("text") for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []
    return "\n".join(p for p in found if isinstance(p, str))


def read_gemini(
    body: bytes, model: str, stream: bool, framing: str = ""
) -> Conversation | ProviderError:
    """A ``generateContent`` request: the model is the path's, ``contents`` the turns;
    ``framing`` is ``sse`` when a stream was asked for with ``alt=sse``."""
    data = _json(
        body,
        "Invalid JSON payload received. Unexpected token.",
    )
    if isinstance(data, ProviderError):
        return data
    contents = data.get("contents")
    if contents is None:
        return _gemini_bad("* GenerateContentRequest.contents: contents is not specified\n")
    if not isinstance(contents, list):
        return _gemini_bad(
            'Invalid JSON payload received. Unknown name "contents": Proto field is not'
            " repeating, cannot start list."
        )
    if not contents:
        return _gemini_bad("* GenerateContentRequest.contents: contents is not specified\n")
    texts: list[str] = []
    last_user: str | None = None
    tool_result = False
    for index, content in enumerate(contents):
        parts = content.get("parts") if isinstance(content, dict) else None
        if not isinstance(parts, list) or not parts:
            return _gemini_bad(
                f"* GenerateContentRequest.contents[{index}].parts: contents.parts must not"
                " be empty.\n"
            )
        text = _gemini_text(parts)
        texts.append(text)
        calls = [p["functionCall"] for p in parts if isinstance(p, dict) and "functionCall" in p]
        results = [p for p in parts if isinstance(p, dict) and "functionResponse" in p]
        texts.extend(_dumped([c.get("args") for c in calls if isinstance(c, dict)]))
        texts.extend(_dumped([r["functionResponse"] for r in results]))
        role = content.get("role", "user")
        if role == "user" and text:
            last_user = text
        tool_result = role in ("user", "function") and bool(results)
    system_given = data.get("systemInstruction", data.get("system_instruction"))
    system = _gemini_text(system_given.get("parts")) if isinstance(system_given, dict) else None
    tools = data.get("tools")
    names: list[str] = []
    for tool in tools if isinstance(tools, list) else ():
        declared = (
            tool.get("functionDeclarations", tool.get("function_declarations"))
            if isinstance(tool, dict)
            else None
        )
        for declaration in declared if isinstance(declared, list) else ():
            if isinstance(declaration, dict) and isinstance(declaration.get("name"), str):
                names.append(declaration["name"])
    config = data.get("generationConfig", data.get("generation_config"))
    limit = config.get("maxOutputTokens") if isinstance(config, dict) else None
    return Conversation(
        model=model.removeprefix("models/"),
        system=system or None,
        last_user=last_user,
        tools=tuple(names),
        tool_result=tool_result,
        stream=stream,
        include_usage=True,
        prompt_text="\n".join([*([system] if system else []), *texts, *_dumped(tools)]),
        messages=len(contents),
        max_tokens=_limit(limit),
        framing=framing,
    )


def _ollama_common(data: dict[str, Any]) -> ProviderError | None:
    model = data.get("model")
    if not model:
        return ProviderError("bad_request", "model is required")
    if not isinstance(model, str):
        return ProviderError(
            "bad_request",
            f"json: cannot unmarshal {_go_kind(model)} into Go struct field"
            " ChatRequest.model of type string",
        )
    return None


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "object"


def _ollama_json(body: bytes) -> dict[str, Any] | ProviderError:
    return _json(body, "invalid character looking for beginning of value")


def _num_predict(data: dict[str, Any]) -> int | None:
    options = data.get("options")
    limit = options.get("num_predict") if isinstance(options, dict) else None
    return _limit(limit) if isinstance(limit, int) and limit >= 0 else None


def read_ollama_chat(body: bytes) -> Conversation | ProviderError:
    """Ollama's ``/api/chat``: streamed unless ``stream`` is false."""
    data = _ollama_json(body)
    if isinstance(data, ProviderError):
        return data
    wrong = _ollama_common(data)
    if wrong is not None:
        return wrong
    messages = data.get("messages") or []
    if not isinstance(messages, list):
        return ProviderError(
            "bad_request",
            f"json: cannot unmarshal {_go_kind(messages)} into Go struct field"
            " ChatRequest.messages of type []api.Message",
        )
    system: list[str] = []
    texts: list[str] = []
    last_user: str | None = None
    for message in messages:
        if not isinstance(message, dict):
            return ProviderError("bad_request", "invalid message format")
        role, text = message.get("role"), _text(message.get("content"))
        if role == "system":
            system.append(text)
        elif role == "user" and text:
            last_user = text
        texts.append(text)
        calls = message.get("tool_calls")
        texts.extend(_dumped([c.get("function") for c in calls if isinstance(c, dict)])
                     if isinstance(calls, list) else [])  # fmt: skip
    tools = data.get("tools")
    names = tuple(
        t["function"]["name"] for t in (tools if isinstance(tools, list) else ())
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
    )  # fmt: skip
    last = messages[-1] if messages else None
    return Conversation(
        model=data["model"],
        system="\n".join(system) if system else None,
        last_user=last_user,
        tools=names,
        tool_result=isinstance(last, dict) and last.get("role") == "tool",
        stream=data.get("stream", True) is not False,
        include_usage=True,
        prompt_text="\n".join([*texts, *_dumped(tools)]),
        messages=len(messages),
        max_tokens=_num_predict(data),
    )


def read_ollama_generate(body: bytes) -> Conversation | ProviderError:
    """Ollama's ``/api/generate``: a ``prompt`` (and ``system``) instead of messages."""
    data = _ollama_json(body)
    if isinstance(data, ProviderError):
        return data
    wrong = _ollama_common(data)
    if wrong is not None:
        return wrong
    prompt, system = data.get("prompt"), data.get("system")
    if prompt is not None and not isinstance(prompt, str):
        return ProviderError(
            "bad_request",
            f"json: cannot unmarshal {_go_kind(prompt)} into Go struct field"
            " GenerateRequest.prompt of type string",
        )
    system_text = system if isinstance(system, str) and system else None
    return Conversation(
        model=data["model"],
        system=system_text,
        last_user=prompt or None,
        tools=(),
        tool_result=False,
        stream=data.get("stream", True) is not False,
        include_usage=True,
        prompt_text="\n".join([*([system_text] if system_text else []), prompt or ""]),
        messages=1 if prompt else 0,
        max_tokens=_num_predict(data),
    )
