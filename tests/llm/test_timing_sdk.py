"""Seeded timing as the SDK clients see it: time to the first token and the token rate.

Bounded and small: 40 tokens at 100 per second (0.39 s between the first and the last).
"""

from __future__ import annotations

import time
from typing import Any

import anthropic
import httpx
import openai

from tests.llm.server import preset

TEXT = "abcd" * 40  # 40 tokens by the 4-characters estimate
TIMING = {"ttft_ms": 150, "tokens_per_s": 100}
RATE_SPAN = 39 / 100  # seconds from the first token to the last


def within(measured: float, expected: float, share: float = 0.10) -> bool:
    return abs(measured - expected) <= expected * share


async def test_openai_stream_keeps_ttft_and_rate() -> None:
    config: dict[str, Any] = {"provider": "openai", "default": {"text": TEXT}, "timing": TIMING}
    async with preset(config) as served:
        async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="k") as sdk:
            stream = await sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "go"}], stream=True
            )
            timed = [(time.monotonic(), chunk) async for chunk in stream]
    opened = timed[0][0]  # the role chunk leaves with the head, before the first token
    arrivals = [at for at, chunk in timed if chunk.choices and chunk.choices[0].delta.content]
    assert len(arrivals) == 40
    assert within(arrivals[0] - opened, 0.150)
    assert within(arrivals[-1] - arrivals[0], RATE_SPAN)


async def test_anthropic_stream_keeps_the_rate_with_jitter() -> None:
    timing = {**TIMING, "jitter": 0.2}
    config: dict[str, Any] = {"provider": "anthropic", "default": {"text": TEXT}, "timing": timing}
    async with preset(config) as served:
        async with anthropic.AsyncAnthropic(base_url=served.url, api_key="k") as sdk:
            async with sdk.messages.stream(
                model="claude-haiku-4-5",
                max_tokens=100,
                messages=[{"role": "user", "content": "go"}],
            ) as stream:
                arrivals = [time.monotonic() async for _ in stream.text_stream]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(arrivals) == 40
    assert within(arrivals[-1] - arrivals[0], RATE_SPAN)
    assert max(gaps) - min(gaps) > 0.002  # the waits vary


async def test_a_whole_answer_takes_its_generation_time() -> None:
    config: dict[str, Any] = {"provider": "openai", "default": {"text": TEXT}, "timing": TIMING}
    async with preset(config) as served:
        async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="k") as sdk:
            await sdk.models.list()  # the connection is open before timing starts
            started = time.monotonic()
            await sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "go"}]
            )
            took = time.monotonic() - started
    assert within(took, 0.150 + RATE_SPAN)


async def test_a_rule_has_its_own_timing() -> None:
    config: dict[str, Any] = {
        "provider": "openai",
        "timing": TIMING,
        "rules": [{"match": {"last_user": "fast"}, "text": TEXT, "timing": {"ttft_ms": 0}}],
    }
    async with preset(config) as served:
        async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="k") as sdk:
            await sdk.models.list()
            started = time.monotonic()
            await sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "fast"}]
            )
            took = time.monotonic() - started
    assert took < 0.1


async def test_responses_stream_keeps_ttft_and_rate() -> None:
    config: dict[str, Any] = {"provider": "openai", "default": {"text": TEXT}, "timing": TIMING}
    async with preset(config) as served:
        async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key="k") as sdk:
            # the SDK builds its event types on the first stream's first event: not timed
            warm = await sdk.responses.create(model="gpt-4.1", input="go", stream=True)
            assert [event async for event in warm]
            stream = await sdk.responses.create(model="gpt-4.1", input="go", stream=True)
            timed = [(time.monotonic(), event) async for event in stream]
    opened = timed[0][0]  # response.created leaves with the head
    arrivals = [at for at, event in timed if event.type == "response.output_text.delta"]
    assert len(arrivals) == 40
    assert within(arrivals[0] - opened, 0.150)
    assert within(arrivals[-1] - arrivals[0], RATE_SPAN)


async def test_ollama_ndjson_lines_keep_the_rate() -> None:
    config: dict[str, Any] = {"provider": "ollama", "default": {"text": TEXT}, "timing": TIMING}
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "go"}]}
    async with preset(config) as served, httpx.AsyncClient() as http:
        async with http.stream("POST", served.url + "/api/chat", json=body) as answer:
            arrivals = [
                time.monotonic() async for line in answer.aiter_lines() if '"done":false' in line
            ]
    assert len(arrivals) == 40
    assert within(arrivals[-1] - arrivals[0], RATE_SPAN)
