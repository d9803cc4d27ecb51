"""Gemini's and Ollama's presets served by the server itself (``MockServer``), read with
httpx as their REST clients would: whole answers, streams, tool calls, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apidouble.llm import tokens
from apidouble.testing import MockServer

CONFIG = """
llm:
  - provider: gemini
    id: gem
    api_key: g-key
    rules:
      - id: after-tool
        match: {tool_result: true}
        text: It is sunny in Paris.
      - id: weather
        match: {last_user: {contains: weather}, tools: get_weather}
        tool_calls: [{name: get_weather, arguments: {city: Paris}}]
      - {id: pirate, match: {system: {contains: pirate}}, text: Arr!}
      - {id: busy, match: {last_user: rate me}, error: {type: rate_limit, retry_after_s: 7}}
      - {id: full, match: {last_user: flood}, error: {type: overloaded}}
      - {id: refuse, match: {last_user: bomb}, refusal: "no"}
      - id: breaks
        match: {last_user: break}
        text: one two three four five six
        error: {type: server_error, after_tokens: 1}
    default: {text: Hello from Gemini.}
    models: [{id: gemini-2.5-flash, context_window: 90}]
  - provider: ollama
    id: oll
    rules:
      - {id: after-tool, match: {tool_result: true}, text: Sunny.}
      - id: weather
        match: {last_user: {contains: weather}, tools: true}
        tool_calls: [{name: get_weather, arguments: {city: Paris}}]
      - {id: poem, match: {system: {contains: poet}}, text: Roses are red.}
      - {id: busy, match: {last_user: rate me}, error: {type: rate_limit, retry_after_s: 3}}
    default: {text: Hello from Ollama.}
    models: [{id: llama3.2}]
"""

GEMINI = "/v1beta/models/gemini-2.5-flash"
KEY = {"x-goog-api-key": "g-key"}
TOOLS = [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "object"}}]}]


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    config = tmp_path_factory.mktemp("llm") / "api.yaml"
    config.write_text(CONFIG)
    with MockServer(config) as server:
        yield server


def said(text: str, role: str = "user") -> dict[str, Any]:
    return {"role": role, "parts": [{"text": text}]}


def gemini(mock: MockServer, body: dict[str, Any], method: str = "generateContent",
           **options: Any) -> httpx.Response:  # fmt: skip
    headers = options.pop("headers", KEY)
    return httpx.post(f"{mock.url}{GEMINI}:{method}", json=body, headers=headers, **options)


def sse_items(response: httpx.Response) -> list[dict[str, Any]]:
    events = [e for e in response.text.split("\r\n\r\n") if e]
    assert all(e.startswith("data: ") for e in events)
    return [json.loads(e.removeprefix("data: ")) for e in events]


def test_gemini_generate_content_answers_in_its_shape(mock: MockServer) -> None:
    answer = gemini(mock, {"contents": [said("hi")]})
    assert answer.status_code == 200
    body = answer.json()
    candidate = body["candidates"][0]
    assert candidate["content"] == {"parts": [{"text": "Hello from Gemini."}], "role": "model"}
    assert candidate["finishReason"] == "STOP" and candidate["index"] == 0
    usage = body["usageMetadata"]
    assert usage["candidatesTokenCount"] == len(tokens.pieces("Hello from Gemini."))
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert body["modelVersion"] == "gemini-2.5-flash"
    entry = mock.requests.find(path=f"{GEMINI}:generateContent")[0]
    assert entry["stub_id"] == "gem-generate"
    assert entry["decision"]["llm"]["conversation"]["model"] == "gemini-2.5-flash"


def test_gemini_system_instruction_picks_a_rule(mock: MockServer) -> None:
    body = {"systemInstruction": {"parts": [{"text": "You are a pirate."}]},
            "contents": [said("hello")]}  # fmt: skip
    answer = gemini(mock, body).json()
    assert answer["candidates"][0]["content"]["parts"] == [{"text": "Arr!"}]


def test_gemini_sse_stream_is_a_chunk_per_token_then_the_finish(mock: MockServer) -> None:
    answer = gemini(mock, {"contents": [said("hi")]}, "streamGenerateContent",
                    params={"alt": "sse"})  # fmt: skip
    assert answer.headers["content-type"].startswith("text/event-stream")
    chunks = sse_items(answer)
    text = "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
    assert text == "Hello from Gemini."
    assert len(chunks) == len(tokens.pieces(text))
    assert [c["candidates"][0].get("finishReason") for c in chunks][-2:] == [None, "STOP"]
    assert "candidatesTokenCount" in chunks[-1]["usageMetadata"]
    assert "candidatesTokenCount" not in chunks[0]["usageMetadata"]


def test_gemini_stream_without_alt_sse_is_one_json_array(mock: MockServer) -> None:
    answer = gemini(mock, {"contents": [said("hi")]}, "streamGenerateContent")
    assert answer.headers["content-type"] == "application/json"
    chunks = answer.json()
    assert isinstance(chunks, list) and chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_gemini_function_calls_and_their_response(mock: MockServer) -> None:
    asked = {"contents": [said("weather in Paris?")], "tools": TOOLS}
    whole = gemini(mock, asked).json()
    call = whole["candidates"][0]["content"]["parts"][0]
    assert call == {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
    streamed = sse_items(gemini(mock, asked, "streamGenerateContent", params={"alt": "sse"}))
    assert [c["candidates"][0]["content"]["parts"] for c in streamed] == [[call]]
    reply = {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"sky": "sun"}}}]}  # fmt: skip
    after = {"contents": [*asked["contents"], {"role": "model", "parts": [call]}, reply],
             "tools": TOOLS}  # fmt: skip
    answer = gemini(mock, after).json()
    assert answer["candidates"][0]["content"]["parts"] == [{"text": "It is sunny in Paris."}]


def test_gemini_refusal_is_a_safety_finish(mock: MockServer) -> None:
    candidate = gemini(mock, {"contents": [said("bomb")]}).json()["candidates"][0]
    assert candidate["finishReason"] == "SAFETY" and "content" not in candidate


def test_gemini_errors_are_googles(mock: MockServer) -> None:
    busy = gemini(mock, {"contents": [said("rate me")]})
    assert busy.status_code == 429
    error = busy.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["code"] == 429
    assert error["details"][0]["retryDelay"] == "7s"
    full = gemini(mock, {"contents": [said("flood")]})
    assert (full.status_code, full.json()["error"]["status"]) == (503, "UNAVAILABLE")
    long = gemini(mock, {"contents": [said("word " * 200)]})
    assert long.status_code == 400
    assert "exceeds the maximum number of tokens allowed (90)" in long.json()["error"]["message"]


def test_gemini_checks_the_key_and_the_body(mock: MockServer) -> None:
    wrong = gemini(mock, {"contents": [said("hi")]}, headers={"x-goog-api-key": "nope"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    none = gemini(mock, {"contents": [said("hi")]}, headers={})
    assert (none.status_code, none.json()["error"]["status"]) == (403, "PERMISSION_DENIED")
    by_query = gemini(mock, {"contents": [said("hi")]}, headers={}, params={"key": "g-key"})
    assert by_query.status_code == 200
    missing = gemini(mock, {})
    assert missing.status_code == 400
    assert missing.json()["error"]["message"].startswith("* GenerateContentRequest.contents")


def test_gemini_error_mid_stream_is_the_last_event(mock: MockServer) -> None:
    answer = gemini(mock, {"contents": [said("break")]}, "streamGenerateContent",
                    params={"alt": "sse"})  # fmt: skip
    items = sse_items(answer)
    assert len(items) == 2 and items[-1]["error"]["status"] == "INTERNAL"


def test_gemini_models_and_count_tokens(mock: MockServer) -> None:
    listed = httpx.get(mock.url + "/v1beta/models", headers=KEY).json()
    assert [m["name"] for m in listed["models"]] == ["models/gemini-2.5-flash"]
    one = httpx.get(mock.url + GEMINI, headers=KEY)
    assert one.json()["name"] == "models/gemini-2.5-flash"
    missing = httpx.get(mock.url + "/v1beta/models/gemini-0", headers=KEY)
    assert (missing.status_code, missing.json()["error"]["status"]) == (404, "NOT_FOUND")
    counted = gemini(mock, {"contents": [said("hello there")]}, "countTokens").json()
    assert counted["totalTokens"] == tokens.count("hello there")


def ollama(mock: MockServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(mock.url + path, json=body)


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


def test_ollama_chat_streams_ndjson_by_default(mock: MockServer) -> None:
    answer = ollama(mock, "/api/chat", {"model": "llama3.2", "messages": [said_o("hi")]})
    assert answer.headers["content-type"] == "application/x-ndjson"
    found = lines(answer)
    text = "".join(line["message"]["content"] for line in found)
    assert text == "Hello from Ollama."
    assert [line["done"] for line in found] == [False] * (len(found) - 1) + [True]
    last = found[-1]
    assert last["done_reason"] == "stop" and last["eval_count"] == len(tokens.pieces(text))
    assert last["prompt_eval_count"] >= 1 and last["total_duration"] > last["eval_duration"]
    assert last["model"] == "llama3.2" and last["created_at"].endswith("Z")


def said_o(text: str, role: str = "user") -> dict[str, Any]:
    return {"role": role, "content": text}


def test_ollama_chat_whole_and_tool_calls(mock: MockServer) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    body = {"model": "llama3.2", "messages": [said_o("weather?")], "tools": tools,
            "stream": False}  # fmt: skip
    whole = ollama(mock, "/api/chat", body).json()
    call = whole["message"]["tool_calls"][0]["function"]
    assert (call["name"], call["arguments"]) == ("get_weather", {"city": "Paris"})
    assert whole["done"] is True
    streamed = lines(ollama(mock, "/api/chat", {**body, "stream": True}))
    assert [line["message"].get("tool_calls") for line in streamed][0][0]["function"] == call
    result = {**body, "messages": [said_o("weather?"), whole["message"],
                                   {"role": "tool", "content": "sunny"}]}  # fmt: skip
    assert ollama(mock, "/api/chat", result).json()["message"]["content"] == "Sunny."


def test_ollama_generate_whole_and_streamed(mock: MockServer) -> None:
    body = {"model": "llama3.2", "prompt": "hi", "system": "You are a poet.", "stream": False}
    whole = ollama(mock, "/api/generate", body).json()
    assert whole["response"] == "Roses are red." and whole["done"] is True
    streamed = lines(ollama(mock, "/api/generate", {**body, "stream": True}))
    assert "".join(line["response"] for line in streamed) == "Roses are red."
    assert streamed[-1]["done_reason"] == "stop"
    limited = ollama(mock, "/api/generate", {**body, "options": {"num_predict": 2}}).json()
    assert limited["done_reason"] == "length" and limited["eval_count"] == 2


def test_ollama_errors_and_tags(mock: MockServer) -> None:
    busy = ollama(mock, "/api/chat", {"model": "llama3.2", "messages": [said_o("rate me")]})
    assert busy.status_code == 429 and busy.headers["retry-after"] == "3"
    assert busy.json() == {"error": "rate limit exceeded"}
    no_model = ollama(mock, "/api/chat", {"messages": []})
    assert (no_model.status_code, no_model.json()) == (400, {"error": "model is required"})
    tags = httpx.get(mock.url + "/api/tags").json()
    assert [m["name"] for m in tags["models"]] == ["llama3.2:latest"]
