"""The OpenAI preset, driven by the official ``openai`` SDK over real sockets."""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest

from tests.llm.server import Preset, preset

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}

CONFIG: dict[str, Any] = {
    "provider": "openai",
    "rules": [
        {
            "id": "after-tool",
            "match": {"tool_result": True},
            "text": "It is sunny in Paris.",
        },
        {
            "id": "weather",
            "match": {"last_user": {"contains": "weather"}, "tools": True},
            "text": "Let me look that up.",
            "tool_calls": [
                {"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2, 3]}}
            ],
        },
        {"id": "pirate", "match": {"system": {"contains": "pirate"}}, "text": "Arr, matey!"},
        {
            "id": "refuse",
            "match": {"last_user": {"regex": "(?i).*bomb.*"}},
            "refusal": "I can't help.",
        },
        {
            "id": "busy",
            "match": {"last_user": "rate me"},
            "error": {"type": "rate_limit", "retry_after_s": 0.3},
        },
        {"id": "down", "match": {"last_user": "overload"}, "error": {"type": "overloaded"}},
    ],
    "default": {"text": "Hello there, how can I help you today?"},
    "models": [{"id": "gpt-4o-mini", "context_window": 150}, {"id": "text-embedding-3-small"}],
}


@pytest.fixture
async def served() -> AsyncIterator[Preset]:
    async with preset(CONFIG) as running:
        yield running


def client(served: Preset, **options: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="sk-test", **options)


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


async def test_a_plain_completion_has_the_default_answer_and_usage(served: Preset) -> None:
    async with client(served) as sdk:
        answer = await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("hi there"))
    choice = answer.choices[0]
    assert choice.message.content == "Hello there, how can I help you today?"
    assert choice.finish_reason == "stop"
    assert answer.object == "chat.completion"
    assert answer.id.startswith("chatcmpl-")
    assert answer.model == "gpt-4o-mini"
    assert answer.usage is not None
    assert answer.usage.completion_tokens == math.ceil(len(choice.message.content) / 4)
    assert answer.usage.prompt_tokens == math.ceil(len("hi there") / 4)
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    assert served.calls[-1]["conversation"]["last_user"] == "hi there"
    assert served.calls[-1]["rule"] is None


async def test_the_system_prompt_picks_a_rule(served: Preset) -> None:
    messages: Any = [{"role": "system", "content": "Talk like a pirate."}, *user("hello")]
    async with client(served) as sdk:
        answer = await sdk.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert answer.choices[0].message.content == "Arr, matey!"
    assert served.calls[-1]["rule"] == "pirate"


async def test_a_streamed_completion_with_usage_ends_with_done(served: Preset) -> None:
    async with client(served) as sdk:
        stream = await sdk.chat.completions.create(
            model="gpt-4o-mini",
            messages=user("hi"),
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there, how can I help you today?"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == math.ceil(len(text) / 4)
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


async def test_the_raw_stream_is_data_events_then_done(served: Preset) -> None:
    body = {"model": "gpt-4o-mini", "messages": user("hi"), "stream": True}
    async with httpx.AsyncClient() as http:
        answer = await http.post(served.url + "/v1/chat/completions", json=body)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [e for e in answer.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)
    first = json.loads(events[0][len("data: ") :])
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert "usage" not in first  # only with stream_options.include_usage


async def test_tool_call_arguments_stream_in_fragments_and_reassemble(served: Preset) -> None:
    async with client(served) as sdk:
        async with sdk.chat.completions.stream(
            model="gpt-4o-mini", messages=user("what's the weather?"), tools=[WEATHER_TOOL]
        ) as stream:
            fragments = [
                event.arguments_delta
                async for event in stream
                if event.type == "tool_calls.function.arguments.delta"
            ]
            final = await stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.content == "Let me look that up."
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert call.id.startswith("call_")
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": [1, 2, 3]}
    assert len(fragments) > 3
    assert "".join(fragments) == call.function.arguments


async def test_a_whole_tool_call_and_the_answer_to_its_result(served: Preset) -> None:
    async with client(served) as sdk:
        first = await sdk.chat.completions.create(
            model="gpt-4o-mini", messages=user("weather in Paris?"), tools=[WEATHER_TOOL]
        )
        calls = first.choices[0].message.tool_calls
        assert calls is not None and first.choices[0].finish_reason == "tool_calls"
        call = calls[0]
        messages: Any = [
            *user("weather in Paris?"),
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": '{"sky": "clear"}'},
        ]
        second = await sdk.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL]
        )
    assert second.choices[0].message.content == "It is sunny in Paris."
    assert served.calls[-1]["conversation"]["tool_result"] is True


async def test_without_tools_offered_the_tool_rule_does_not_answer(served: Preset) -> None:
    async with client(served) as sdk:
        answer = await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("weather?"))
    assert answer.choices[0].message.tool_calls is None
    assert answer.choices[0].message.content == "Hello there, how can I help you today?"


async def test_a_refusal_is_the_refusal_field(served: Preset) -> None:
    async with client(served) as sdk:
        answer = await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("a BOMB"))
        stream = await sdk.chat.completions.create(
            model="gpt-4o-mini", messages=user("a bomb"), stream=True
        )
        streamed = "".join([c.choices[0].delta.refusal or "" async for c in stream])
    assert answer.choices[0].message.refusal == "I can't help."
    assert answer.choices[0].message.content is None
    assert streamed == "I can't help."


async def test_rate_limit_is_the_sdks_error_with_the_retry_delay(served: Preset) -> None:
    async with client(served, max_retries=0) as sdk:
        with pytest.raises(openai.RateLimitError) as caught:
            await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("rate me"))
    error = caught.value
    assert error.status_code == 429
    assert error.code == "rate_limit_exceeded"
    assert error.type == "requests"
    assert error.response.headers["retry-after"] == "1"
    assert error.response.headers["retry-after-ms"] == "300"
    assert error.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert error.response.headers["x-ratelimit-reset-requests"] == "0.3s"
    assert "Please try again in 0.3s" in error.message


async def test_the_sdk_waits_the_retry_delay_before_retrying(served: Preset) -> None:
    async with client(served, max_retries=2) as sdk:
        started = time.monotonic()
        with pytest.raises(openai.RateLimitError):
            await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("rate me"))
        waited = time.monotonic() - started
    assert [c.get("error") for c in served.calls] == ["rate_limit"] * 3
    assert 0.6 <= waited < 2.0  # two waits of 0.3 s, as retry-after-ms says


async def test_overloaded_is_a_503_server_error(served: Preset) -> None:
    async with client(served, max_retries=0) as sdk:
        with pytest.raises(openai.InternalServerError) as caught:
            await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("overload"))
    assert caught.value.status_code == 503
    assert caught.value.type == "server_error"


async def test_a_prompt_beyond_the_context_window_is_the_400(served: Preset) -> None:
    async with client(served) as sdk:
        with pytest.raises(openai.BadRequestError) as caught:
            await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("x" * 800))
    error = caught.value
    assert error.code == "context_length_exceeded"
    assert error.param == "messages"
    assert "maximum context length is 150 tokens" in error.message
    assert "resulted in 200 tokens" in error.message


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model", "missing_required_parameter"),
        ({"model": "gpt-4o-mini"}, "messages", "missing_required_parameter"),
        ({"model": "gpt-4o-mini", "messages": "hi"}, "messages", "invalid_type"),
        ({"model": "gpt-4o-mini", "messages": []}, "messages", "empty_array"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "bot", "content": "x"}]},
         "messages[0].role", "invalid_value"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
          "temperature": 3}, "temperature", "decimal_above_max_value"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
          "top_p": -1}, "top_p", "decimal_below_min_value"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
          "stream": "yes"}, "stream", "invalid_type"),
    ],
)  # fmt: skip
async def test_a_request_missing_a_field_gets_openais_400(
    served: Preset, body: dict[str, Any], param: str, code: str
) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(served.url + "/v1/chat/completions", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert (error["param"], error["code"]) == (param, code)


async def test_unparsable_json_gets_openais_400() -> None:
    async with preset(CONFIG) as served, httpx.AsyncClient() as http:
        answer = await http.post(served.url + "/v1/chat/completions", content=b"{nope")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith("We could not parse the JSON body")


async def test_a_wrong_key_is_401_and_the_right_one_passes() -> None:
    async with preset({**CONFIG, "api_key": "sk-right-key-1234"}) as served:
        async with openai.AsyncOpenAI(
            base_url=served.url + "/v1", api_key="sk-wrong-key-9999"
        ) as bad:
            with pytest.raises(openai.AuthenticationError) as caught:
                await bad.chat.completions.create(model="gpt-4o-mini", messages=user("hi"))
        async with openai.AsyncOpenAI(
            base_url=served.url + "/v1", api_key="sk-right-key-1234"
        ) as good:
            answer = await good.chat.completions.create(model="gpt-4o-mini", messages=user("hi"))
    assert caught.value.code == "invalid_api_key"
    assert "sk-**********9999" in caught.value.message
    assert answer.choices[0].message.content


async def test_models_are_listed_and_looked_up(served: Preset) -> None:
    async with client(served) as sdk:
        listed = [model.id async for model in sdk.models.list()]
        one = await sdk.models.retrieve("gpt-4o-mini")
        with pytest.raises(openai.NotFoundError) as caught:
            await sdk.models.retrieve("gpt-nope")
    assert listed == ["gpt-4o-mini", "text-embedding-3-small"]
    assert (one.id, one.object, one.owned_by) == ("gpt-4o-mini", "model", "openai")
    assert caught.value.code == "model_not_found"


async def test_embeddings_are_deterministic_unit_vectors(served: Preset) -> None:
    async with client(served) as sdk:
        first = await sdk.embeddings.create(model="text-embedding-3-small", input=["cat", "dog"])
        again = await sdk.embeddings.create(model="text-embedding-3-small", input="cat")
        floats = await sdk.embeddings.create(
            model="text-embedding-3-small", input="cat", encoding_format="float", dimensions=8
        )
    cat, dog = (item.embedding for item in first.data)
    assert len(cat) == 1536
    assert again.data[0].embedding == pytest.approx(cat, abs=1e-6)  # base64 float32 by default
    assert cat != dog
    assert math.isclose(math.fsum(v * v for v in cat), 1.0, rel_tol=1e-4)
    assert len(floats.data[0].embedding) == 8
    assert first.usage.prompt_tokens == 2


async def test_the_path_prefix_moves_every_route() -> None:
    async with preset({**CONFIG, "path_prefix": "/openai"}) as served:
        async with openai.AsyncOpenAI(base_url=served.url + "/openai/v1", api_key="k") as sdk:
            answer = await sdk.chat.completions.create(model="gpt-4o-mini", messages=user("hi"))
        async with httpx.AsyncClient() as http:
            missing = await http.post(served.url + "/v1/chat/completions", json={})
    assert answer.choices[0].message.content
    assert missing.status_code == 404


async def test_max_tokens_cuts_the_answer_for_length(served: Preset) -> None:
    async with client(served) as sdk:
        answer = await sdk.chat.completions.create(
            model="gpt-4o-mini", messages=user("hi"), max_completion_tokens=2
        )
    assert answer.choices[0].finish_reason == "length"
    assert answer.choices[0].message.content == "Hello th"
    assert answer.usage is not None and answer.usage.completion_tokens == 2


async def test_an_error_mid_stream_raises_the_sdks_api_error() -> None:
    error = {"type": "server_error", "after_tokens": 1}
    config = {"provider": "openai", "default": {"text": "abcdefgh", "error": error}}
    async with preset(config) as served:
        async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="k") as sdk:
            stream = await sdk.chat.completions.create(
                model="gpt-4o-mini", messages=user("hi"), stream=True
            )
            got: list[str] = []
            with pytest.raises(openai.APIError) as caught:
                async for chunk in stream:
                    got.append(chunk.choices[0].delta.content or "")
    assert got == ["", "abcd"]
    assert caught.value.message.startswith("The server had an error")
    assert served.calls[-1]["error"] == "server_error"
