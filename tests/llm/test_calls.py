"""``MockServer.llm_calls`` and ``verify_llm``: the presets' calls read from the journal,
after real SDK traffic through the server itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.testing import MockServer

openai = pytest.importorskip("openai")

CONFIG = """
endpoints:
  - {path: /plain, response: plain}
llm:
  - provider: openai
    rules:
      - id: weather
        match: {last_user: {contains: weather}, tools: true}
        tool_calls: [{name: get_weather, arguments: {city: Paris, unit: c}}]
      - {id: busy, match: {last_user: rate me}, error: {type: rate_limit}}
    default: {text: Hello.}
  - provider: ollama
    default: {text: Local hello.}
"""

TOOL: Any = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[MockServer]:
    config = tmp_path / "api.yaml"
    config.write_text(CONFIG)
    with MockServer(config) as server:
        yield server


def talk(mock: MockServer) -> None:
    with openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0) as client:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}], tools=[TOOL]
        )
        client.responses.create(model="gpt-4.1", input="hi", stream=True).close()
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "rate me"}]
            )
    httpx.post(mock.url + "/api/chat", json={"model": "llama3.2", "messages": [], "stream": False})
    httpx.get(mock.url + "/plain")


def test_llm_calls_are_the_presets_entries_newest_first(mock: MockServer) -> None:
    talk(mock)
    calls = mock.llm_calls()
    assert [c["decision"]["llm"]["route"] for c in calls] == [
        "chat",  # ollama
        "chat",  # rate limited
        "responses",
        "chat",  # the tool call
    ]
    assert [c["decision"]["llm"]["provider"] for c in calls][0] == "ollama"
    assert len(mock.llm_calls(provider="openai", route="chat")) == 2
    assert len(mock.llm_calls(error="rate_limit")) == 1
    assert len(mock.llm_calls(model="gpt-4.1", stream=True)) == 1
    assert len(mock.llm_calls(last_user_contains="weath")) == 1
    called = mock.llm_calls(tool="get_weather")
    assert len(called) == 1
    facts = called[0]["decision"]["llm"]
    assert facts["rule"] == "weather"
    assert facts["tool_calls"][0]["name"] == "get_weather"
    assert facts["tool_calls"][0]["arguments"] == {"city": "Paris", "unit": "c"}
    assert facts["tool_calls"][0]["id"].startswith("call_")


def test_verify_llm_counts_tool_calls_and_their_arguments(mock: MockServer) -> None:
    talk(mock)
    assert mock.verify_llm(tool="get_weather", times=1) == 1
    assert mock.verify_llm(tool="get_weather", arguments={"city": "Paris"}) == 1
    assert mock.verify_llm(arguments={"city": "Rome"}, times=0) == 0
    assert mock.verify_llm(provider="openai", at_least=3) == 3
    assert mock.verify_llm(rule="busy", at_most=1) == 1


def test_a_failed_verify_lists_the_calls_made(mock: MockServer) -> None:
    talk(mock)
    with pytest.raises(AssertionError) as caught:
        mock.verify_llm(tool="get_forecast", times=1)
    message = str(caught.value)
    assert "expected exactly 1 LLM call with tool='get_forecast', counted 0" in message
    assert 'called get_weather({"city":"Paris","unit":"c"})' in message
    assert "rule=busy error=rate_limit" in message


def test_verify_llm_without_calls_says_so(mock: MockServer) -> None:
    httpx.get(mock.url + "/plain")
    assert mock.llm_calls() == []
    with pytest.raises(AssertionError, match="no LLM calls were made"):
        mock.verify_llm()
