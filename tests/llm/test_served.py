"""A config's ``llm:`` presets served by the server itself (``MockServer``, real sockets),
with the official SDKs as clients: the same engine, journal and stubs as everything else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apidouble.testing import MockServer

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

CONFIG = """
endpoints:
  - {path: /hello, response: hi}
llm:
  - provider: openai
    id: oa
    timing: {ttft_ms: 0, tokens_per_s: 2000}
    rules:
      - match: {last_user: {contains: weather}}
        text: It is sunny.
    default: {text: Hello there.}
  - provider: anthropic
    id: an
    path_prefix: /anthropic
    timing: {ttft_ms: 0, tokens_per_s: 2000}
    default: {text: Bonjour.}
"""


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[MockServer]:
    config = tmp_path / "api.yaml"
    config.write_text(CONFIG)
    with MockServer(config) as server:
        yield server


def test_openai_sdk_against_the_served_preset(mock: MockServer) -> None:
    with openai.OpenAI(base_url=mock.url + "/v1", api_key="sk-any", max_retries=0) as client:
        _talk_to_openai(client)
    entries = mock.requests.find(path="/v1/chat/completions")
    assert len(entries) == 2 and all(e["stub_id"] == "oa-chat" for e in entries)
    asked = {e["decision"]["llm"]["conversation"]["last_user"] for e in entries}
    assert asked == {"the weather?", "hi"}


def _talk_to_openai(client: Any) -> None:
    plain = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "the weather?"}]
    )
    assert plain.choices[0].message.content == "It is sunny."
    streamed = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
    assert text == "Hello there."


def test_anthropic_sdk_against_the_served_preset(mock: MockServer) -> None:
    base = mock.url + "/anthropic"
    with anthropic.Anthropic(base_url=base, api_key="k", max_retries=0) as client:
        message = client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
        assert message.content[0].text == "Bonjour."
        with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            assert stream.get_final_text() == "Bonjour."


def test_the_other_stubs_still_serve(mock: MockServer) -> None:
    import httpx

    assert httpx.get(mock.url + "/hello").text == "hi"


def test_a_file_of_presets_alone_serves_them(tmp_path: Path) -> None:
    config = tmp_path / "llm.yaml"
    config.write_text("llm:\n  - provider: openai\n    default: {text: alone}\n")
    with MockServer(config) as mock:
        with openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0) as client:
            answer = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    assert answer.choices[0].message.content == "alone"


def test_the_responses_route_is_served_with_the_entrys_rules(mock: MockServer) -> None:
    with openai.OpenAI(base_url=mock.url + "/v1", api_key="sk-any", max_retries=0) as client:
        answer = client.responses.create(model="gpt-4.1", input="the weather?")
        with client.responses.stream(model="gpt-4.1", input="hi") as stream:
            final = stream.get_final_response()
    assert answer.output_text == "It is sunny."
    assert final.output_text == "Hello there."
    entries = mock.requests.find(path="/v1/responses")
    assert [e["stub_id"] for e in entries] == ["oa-responses", "oa-responses"]
