"""The Anthropic preset, driven by the official ``anthropic`` SDK over real sockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.llm.server import Preset, preset

WEATHER_TOOL: Any = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}

CONFIG: dict[str, Any] = {
    "provider": "anthropic",
    "rules": [
        {"id": "after-tool", "match": {"tool_result": True}, "text": "Sunny, 21 degrees."},
        {
            "id": "weather",
            "match": {"last_user": {"contains": "weather"}, "tools": "get_weather"},
            "text": "I'll check.",
            "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}],
        },
        {"id": "only-tool", "match": {"last_user": "just call"}, "tool_calls": [{"name": "ping"}]},
        {"id": "haiku", "match": {"model": {"regex": "claude-haiku-.*"}}, "text": "Short."},
        {"id": "no", "match": {"last_user": {"contains": "weapon"}}, "refusal": "I can't."},
        {
            "id": "busy",
            "match": {"last_user": "busy"},
            "error": {"type": "rate_limit", "retry_after_s": 3},
        },
        {"id": "over", "match": {"last_user": "over"}, "error": {"type": "overloaded"}},
    ],
    "default": {"text": "Hello! How can I help?"},
}

MODEL = "claude-sonnet-4-6"


@pytest.fixture
async def served() -> AsyncIterator[Preset]:
    async with preset(CONFIG) as running:
        yield running


def client(served: Preset, **options: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=served.url, api_key="sk-ant-test", **options)


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


async def test_a_plain_message_has_the_default_answer_and_usage(served: Preset) -> None:
    async with client(served) as sdk:
        message = await sdk.messages.create(model=MODEL, max_tokens=100, messages=user("hello"))
    assert message.id.startswith("msg_01")
    assert message.type == "message" and message.role == "assistant"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Hello! How can I help?"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 6  # 22 characters, about 4 a token
    assert message.usage.input_tokens == 2


async def test_the_model_and_the_system_prompt_are_seen(served: Preset) -> None:
    async with client(served) as sdk:
        message = await sdk.messages.create(
            model="claude-haiku-4-5", max_tokens=100, system="Be brief.", messages=user("hi")
        )
    assert message.content[0].text == "Short."  # type: ignore[union-attr]
    assert served.calls[-1]["conversation"]["system"] == "Be brief."
    assert served.calls[-1]["rule"] == "haiku"


async def test_the_raw_stream_has_the_exact_event_names_and_order(served: Preset) -> None:
    body = {"model": MODEL, "max_tokens": 100, "messages": user("weather?"), "stream": True,
            "tools": [WEATHER_TOOL]}  # fmt: skip
    async with httpx.AsyncClient() as http:
        answer = await http.post(served.url + "/v1/messages", json=body)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = []
    for raw in answer.text.split("\n\n"):
        if raw:
            name_line, data_line = raw.split("\n")
            name = name_line.removeprefix("event: ")
            data = json.loads(data_line.removeprefix("data: "))
            assert data["type"] == name
            events.append((name, data))
    names = [name for name, _ in events]
    deltas = names.count("content_block_delta")
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == names.count("content_block_stop") == 2
    assert deltas > 4
    start = events[0][1]["message"]
    assert (start["content"], start["stop_reason"], start["usage"]["output_tokens"]) == (
        [],
        None,
        1,
    )
    kinds = [d["delta"]["type"] for n, d in events if n == "content_block_delta"]
    assert kinds[0] == "text_delta" and kinds[-1] == "input_json_delta"
    tool_start = [d for n, d in events if n == "content_block_start"][1]
    assert tool_start["index"] == 1
    assert tool_start["content_block"]["input"] == {}
    ending = events[-2][1]
    assert ending["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}


async def test_a_streamed_text_reassembles(served: Preset) -> None:
    async with client(served) as sdk:
        async with sdk.messages.stream(model=MODEL, max_tokens=100, messages=user("hi")) as stream:
            pieces = [text async for text in stream.text_stream]
            final = await stream.get_final_message()
    assert len(pieces) == 6
    assert "".join(pieces) == "Hello! How can I help?"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 6


async def test_tool_input_streams_as_json_deltas_and_reassembles(served: Preset) -> None:
    async with client(served) as sdk:
        async with sdk.messages.stream(
            model=MODEL, max_tokens=100, messages=user("the weather?"), tools=[WEATHER_TOOL]
        ) as stream:
            partials = [event.partial_json async for event in stream if event.type == "input_json"]
            final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    text, tool = final.content
    assert text.type == "text" and text.text == "I'll check."
    assert tool.type == "tool_use"
    assert tool.name == "get_weather"
    assert tool.input == {"city": "Paris", "unit": "c"}
    assert tool.id.startswith("toolu_01")
    assert len(partials) > 3
    assert json.loads("".join(partials)) == tool.input


async def test_a_tool_result_gets_its_own_answer(served: Preset) -> None:
    async with client(served) as sdk:
        first = await sdk.messages.create(
            model=MODEL, max_tokens=100, messages=user("weather?"), tools=[WEATHER_TOOL]
        )
        tool = first.content[-1]
        assert tool.type == "tool_use"
        result = {"type": "tool_result", "tool_use_id": tool.id, "content": "sunny"}
        messages: Any = [
            *user("weather?"),
            {
                "role": "assistant",
                "content": [block.model_dump(exclude_none=True) for block in first.content],
            },
            {"role": "user", "content": [result]},
        ]
        second = await sdk.messages.create(
            model=MODEL, max_tokens=100, messages=messages, tools=[WEATHER_TOOL]
        )
    assert second.content[0].text == "Sunny, 21 degrees."  # type: ignore[union-attr]
    assert served.calls[-1]["conversation"]["last_user"] == "weather?"


async def test_an_answer_of_only_a_tool_call(served: Preset) -> None:
    async with client(served) as sdk:
        async with sdk.messages.stream(
            model=MODEL, max_tokens=100, messages=user("just call")
        ) as stream:
            final = await stream.get_final_message()
    assert [block.type for block in final.content] == ["tool_use"]
    assert final.content[0].input == {}  # type: ignore[union-attr]


async def test_a_refusal_stops_for_refusal(served: Preset) -> None:
    async with client(served) as sdk:
        message = await sdk.messages.create(model=MODEL, max_tokens=100, messages=user("a weapon"))
    assert message.stop_reason == "refusal"
    assert message.content[0].text == "I can't."  # type: ignore[union-attr]


async def test_rate_limit_is_the_sdks_error_with_retry_after(served: Preset) -> None:
    async with client(served, max_retries=0) as sdk:
        with pytest.raises(anthropic.RateLimitError) as caught:
            await sdk.messages.create(model=MODEL, max_tokens=100, messages=user("busy"))
    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "3"
    assert error.response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    body: Any = error.body
    assert body["type"] == "error"
    assert body["error"]["type"] == "rate_limit_error"
    assert body["request_id"] == error.request_id == error.response.headers["request-id"]


async def test_overloaded_is_529_overloaded_error(served: Preset) -> None:
    async with client(served, max_retries=0) as sdk:
        with pytest.raises(anthropic.OverloadedError) as caught:
            await sdk.messages.create(model=MODEL, max_tokens=100, messages=user("over"))
        with pytest.raises(anthropic.OverloadedError):
            async with sdk.messages.stream(model=MODEL, max_tokens=9, messages=user("over")) as s:
                await s.get_final_message()
    assert caught.value.status_code == 529
    body: Any = caught.value.body
    assert body["error"] == {"type": "overloaded_error", "message": "Overloaded"}


async def test_a_prompt_too_long_is_the_400() -> None:
    async with preset({**CONFIG, "context_window": 10}) as served:
        async with client(served) as sdk:
            with pytest.raises(anthropic.BadRequestError) as caught:
                await sdk.messages.create(model=MODEL, max_tokens=5, messages=user("y" * 80))
    body: Any = caught.value.body
    assert body["error"] == {
        "type": "invalid_request_error",
        "message": "prompt is too long: 20 tokens > 10 maximum",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
            "max_tokens: Field required",
        ),
        ({"max_tokens": 5, "messages": []}, "model: Field required"),
        ({"model": MODEL, "max_tokens": 5}, "messages: Field required"),
        (
            {"model": MODEL, "max_tokens": "5", "messages": []},
            "max_tokens: Input should be a valid integer",
        ),
        (
            {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user"}]},
            "messages.0.content: Field required",
        ),
        (
            {"model": MODEL, "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
            'messages: Unexpected role "system". The Messages API accepts a top-level `system`'
            ' parameter, not "system" as an input message role.',
        ),
        (
            {"model": MODEL, "max_tokens": 5, "messages": [{"role": "bot", "content": "x"}]},
            "messages.0.role: Input should be 'user' or 'assistant'",
        ),
        (
            {"model": MODEL, "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]},
            "max_tokens: Input should be greater than or equal to 1",
        ),
        (
            {
                "model": MODEL,
                "max_tokens": 5,
                "temperature": 1.5,
                "messages": [{"role": "user", "content": "x"}],
            },
            "temperature: range: 0..1",
        ),  # fmt: skip
    ],
)
async def test_a_request_missing_a_field_gets_anthropics_400(
    served: Preset, body: dict[str, Any], message: str
) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(served.url + "/v1/messages", json=body)
    assert answer.status_code == 400
    got = answer.json()
    assert got["type"] == "error"
    assert got["error"] == {"type": "invalid_request_error", "message": message}
    assert got["request_id"] == answer.headers["request-id"]


async def test_a_wrong_or_missing_key_is_authentication_error() -> None:
    async with preset({**CONFIG, "api_key": "sk-ant-right"}) as served:
        async with anthropic.AsyncAnthropic(base_url=served.url, api_key="sk-ant-wrong") as bad:
            with pytest.raises(anthropic.AuthenticationError) as caught:
                await bad.messages.create(model=MODEL, max_tokens=5, messages=user("hi"))
        async with httpx.AsyncClient() as http:
            bare = await http.post(served.url + "/v1/messages", json={})
        async with anthropic.AsyncAnthropic(base_url=served.url, api_key="sk-ant-right") as good:
            message = await good.messages.create(model=MODEL, max_tokens=5, messages=user("hi"))
    body: Any = caught.value.body
    assert body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert bare.status_code == 401
    assert bare.json()["error"]["message"] == "x-api-key header is required"
    assert message.content


async def test_max_tokens_stops_at_max_tokens(served: Preset) -> None:
    async with client(served) as sdk:
        message = await sdk.messages.create(model=MODEL, max_tokens=2, messages=user("hello"))
    assert message.stop_reason == "max_tokens"
    assert message.content[0].text == "Hello! H"  # type: ignore[union-attr]


async def test_models_are_listed(served: Preset) -> None:
    async with client(served) as sdk:
        listed = [model.id async for model in sdk.models.list()]
        one = await sdk.models.retrieve("claude-haiku-4-5")
    assert listed == ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-7"]
    assert one.type == "model"


async def test_an_error_mid_stream_is_an_error_event_after_the_first_tokens() -> None:
    error = {"type": "overloaded", "after_tokens": 2}
    config = {"provider": "anthropic", "default": {"text": "abcdefghijklmnop", "error": error}}
    async with preset(config) as served:
        async with client(served, max_retries=0) as sdk:
            body = {"model": MODEL, "max_tokens": 50, "messages": user("hi"), "stream": True}
            async with httpx.AsyncClient() as http:
                raw = await http.post(served.url + "/v1/messages", json=body)
            got: list[str] = []
            with pytest.raises(anthropic.APIStatusError) as caught:
                async with sdk.messages.stream(
                    model=MODEL, max_tokens=50, messages=user("hi")
                ) as s:
                    async for text in s.text_stream:
                        got.append(text)
    assert raw.status_code == 200
    names = [
        line.removeprefix("event: ") for line in raw.text.split("\n") if line.startswith("event: ")
    ]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta",
                     "content_block_delta", "error"]  # fmt: skip
    assert got == ["abcd", "efgh"]
    body_seen: Any = caught.value.body
    assert body_seen["error"] == {"type": "overloaded_error", "message": "Overloaded"}


async def test_count_tokens_counts_the_prompt_as_a_message_does(served: Preset) -> None:
    async with client(served) as sdk:
        counted = await sdk.messages.count_tokens(
            model=MODEL, system="Be brief.", messages=user("what is the weather like?")
        )
        message = await sdk.messages.create(
            model=MODEL,
            max_tokens=9,
            system="Be brief.",
            messages=user("what is the weather like?"),
        )
        with pytest.raises(anthropic.BadRequestError):
            await sdk.messages.count_tokens(model=MODEL, messages=[])
    assert counted.input_tokens == message.usage.input_tokens == 9
