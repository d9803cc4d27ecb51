"""OpenAI's Responses API (``/v1/responses``), driven by the official ``openai`` SDK."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest

from apidouble.llm import tokens
from tests.llm.server import Preset, preset

WEATHER_TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}

CONFIG: dict[str, Any] = {
    "provider": "openai",
    "rules": [
        {"id": "after-tool", "match": {"tool_result": True}, "text": "It is sunny in Paris."},
        {
            "id": "weather",
            "match": {"last_user": {"contains": "weather"}, "tools": "get_weather"},
            "text": "Let me look.",
            "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "n": [1, 2]}}],
        },
        {"id": "pirate", "match": {"system": {"contains": "pirate"}}, "text": "Arr, matey!"},
        {"id": "refuse", "match": {"last_user": "bomb"}, "refusal": "I can't help."},
        {
            "id": "busy",
            "match": {"last_user": "rate me"},
            "error": {"type": "rate_limit", "retry_after_s": 2},
        },
        {
            "id": "breaks",
            "match": {"last_user": "break"},
            "text": "one two three four five six",
            "error": {"type": "server_error", "after_tokens": 2},
        },
        {
            "id": "late",
            "match": {"last_user": "late"},
            "text": "all of it",
            "error": {"type": "server_error", "after_tokens": 100},
        },
    ],
    "default": {"text": "Hello there, how can I help you today?"},
}


@pytest.fixture
async def served() -> AsyncIterator[Preset]:
    async with preset(CONFIG) as running:
        yield running


def client(served: Preset) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="sk-test", max_retries=0)


async def test_a_plain_response_has_its_text_and_usage(served: Preset) -> None:
    async with client(served) as sdk:
        answer = await sdk.responses.create(model="gpt-4.1-mini", input="hi there")
    assert answer.output_text == "Hello there, how can I help you today?"
    assert answer.object == "response" and answer.status == "completed"
    assert answer.id.startswith("resp_") and len(answer.id) == 53
    message = answer.output[0]
    assert message.type == "message" and message.id == "msg_" + answer.id[5:]
    assert answer.usage is not None and answer.usage.output_tokens > 0
    total = answer.usage.input_tokens + answer.usage.output_tokens
    assert answer.usage.total_tokens == total
    assert served.calls[-1]["conversation"]["last_user"] == "hi there"


async def test_instructions_are_the_system_prompt(served: Preset) -> None:
    async with client(served) as sdk:
        answer = await sdk.responses.create(
            model="gpt-4.1-mini", instructions="Talk like a pirate.", input="hello"
        )
    assert answer.output_text == "Arr, matey!"


async def test_a_stream_is_the_apis_events_in_order(served: Preset) -> None:
    async with client(served) as sdk:
        stream = await sdk.responses.create(model="gpt-4.1-mini", input="hi", stream=True)
        events = [event async for event in stream]
    names = [event.type for event in events]
    deltas = names.count("response.output_text.delta")
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert deltas > 3
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Hello there, how can I help you today?"
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == text


async def test_function_call_arguments_stream_in_fragments(served: Preset) -> None:
    async with client(served) as sdk:
        async with sdk.responses.stream(
            model="gpt-4.1-mini", input="weather in Paris?", tools=[WEATHER_TOOL]
        ) as stream:
            events = [event async for event in stream]
            final = await stream.get_final_response()
    fragments = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(fragments) > 2
    assert json.loads("".join(fragments)) == {"city": "Paris", "n": [1, 2]}
    call = final.output[1]
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.call_id.startswith("call_") and call.id is not None and call.id.startswith("fc_")
    assert json.loads(call.arguments) == {"city": "Paris", "n": [1, 2]}
    assert final.output_text == "Let me look."
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert done[0].output_index == 1 and done[0].arguments == call.arguments


async def test_a_function_result_gets_the_answer_after_the_tool(served: Preset) -> None:
    async with client(served) as sdk:
        first = await sdk.responses.create(
            model="gpt-4.1-mini", input="weather in Paris?", tools=[WEATHER_TOOL]
        )
        call = next(item for item in first.output if item.type == "function_call")
        items: Any = [
            {"role": "user", "content": "weather in Paris?"},
            {"type": "function_call", "call_id": call.call_id, "name": call.name,
             "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": '{"sky":"sun"}'},
        ]  # fmt: skip
        second = await sdk.responses.create(model="gpt-4.1-mini", input=items, tools=[WEATHER_TOOL])
    assert second.output_text == "It is sunny in Paris."
    assert served.calls[-1]["rule"] == "after-tool"


async def test_a_refusal_is_a_refusal_part(served: Preset) -> None:
    async with client(served) as sdk:
        whole = await sdk.responses.create(model="gpt-4.1-mini", input="bomb")
        stream = await sdk.responses.create(model="gpt-4.1-mini", input="bomb", stream=True)
        names = [event.type async for event in stream]
    message: Any = whole.output[0]
    part = message.content[0]
    assert part.type == "refusal" and part.refusal == "I can't help."
    assert "response.refusal.delta" in names and "response.refusal.done" in names
    assert "response.output_text.delta" not in names


async def test_max_output_tokens_leaves_the_response_incomplete(served: Preset) -> None:
    async with client(served) as sdk:
        whole = await sdk.responses.create(model="gpt-4.1-mini", input="hi", max_output_tokens=3)
        stream = await sdk.responses.create(
            model="gpt-4.1-mini", input="hi", max_output_tokens=3, stream=True
        )
        events = [event async for event in stream]
    assert whole.status == "incomplete"
    assert whole.incomplete_details is not None
    assert whole.incomplete_details.reason == "max_output_tokens"
    assert whole.usage is not None and whole.usage.output_tokens == 3
    assert events[-1].type == "response.incomplete"


async def test_rate_limit_is_the_sdks_error_with_retry_after(served: Preset) -> None:
    async with client(served) as sdk:
        with pytest.raises(openai.RateLimitError) as caught:
            await sdk.responses.create(model="gpt-4.1-mini", input="rate me")
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.code == "rate_limit_exceeded"


async def test_an_error_mid_stream_is_an_error_event(served: Preset) -> None:
    async with client(served) as sdk:
        stream = await sdk.responses.create(model="gpt-4.1-mini", input="break", stream=True)
        events = [event async for event in stream]
    sent = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert sent == tokens.pieces("one two three four five six")[:2]
    last = events[-1]
    assert last.type == "error" and last.code == "server_error"
    assert last.sequence_number == len(events) - 1
    assert "response.completed" not in [e.type for e in events]


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"input": "hi"}, "model", "missing_required_parameter"),
        ({"model": 3, "input": "hi"}, "model", "invalid_type"),
        ({"model": "gpt-4.1", "input": 5}, "input", "invalid_type"),
        ({"model": "gpt-4.1", "input": [{"content": "x"}]}, "input[0].role",
         "missing_required_parameter"),
    ],
)  # fmt: skip
async def test_a_malformed_request_gets_openais_400(
    served: Preset, body: dict[str, Any], param: str, code: str
) -> None:
    async with client(served) as sdk:
        with pytest.raises(openai.BadRequestError) as caught:
            await sdk.post("/responses", cast_to=httpx.Response, body=body)
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == param and error["code"] == code
    assert error["type"] == "invalid_request_error"


async def test_an_error_after_the_whole_text_still_replaces_the_end(served: Preset) -> None:
    async with client(served) as sdk:
        stream = await sdk.responses.create(model="gpt-4.1-mini", input="late", stream=True)
        names = [event.type async for event in stream]
    assert "response.output_item.done" in names
    assert names[-1] == "error" and "response.completed" not in names
