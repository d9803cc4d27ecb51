"""Rules on the conversation, with no server: bodies read, first match answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apidouble.config.llm import LlmRule
from apidouble.llm.answer import DEFAULT_TEXT, ProviderError
from apidouble.llm.conversation import Conversation, read_anthropic, read_openai
from apidouble.llm.rules import Rules
from apidouble.llm.serving import compile_llm


def openai_body(*messages: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"model": "gpt-4o", "messages": list(messages), **extra}).encode()


def conversation(*messages: dict[str, Any], **extra: Any) -> Conversation:
    read = read_openai(openai_body(*messages, **extra))
    assert isinstance(read, Conversation)
    return read


def rules(*given: dict[str, Any], default: Any = None) -> Rules:
    from apidouble.config.llm import LlmAnswer

    return Rules(
        [LlmRule.model_validate(rule) for rule in given],
        LlmAnswer.model_validate(default) if default else None,
    )


@pytest.mark.parametrize(
    ("matcher", "text", "hit"),
    [
        ("hello", "hello", True),
        ("hello", "hello you", False),
        ({"contains": "wea"}, "the weather", True),
        ({"contains": "WEA", "case_insensitive": True}, "the weather", True),
        ({"regex": "the .*er"}, "the weather", True),
        ({"regex": "weather"}, "the weather", False),  # a full match
        ({"one_of": ["a", "b"]}, "b", True),
        ({"contains": "x", "not": True}, "abc", True),
    ],
)
def test_the_last_user_message_takes_the_native_matchers(
    matcher: Any, text: str, hit: bool
) -> None:
    answer = rules({"id": "r", "match": {"last_user": matcher}, "text": "yes"}).answer(
        conversation({"role": "user", "content": text})
    )
    assert (answer.rule == "r") is hit


def test_the_first_matching_rule_answers_and_else_the_default() -> None:
    table = rules(
        {"id": "one", "match": {"model": {"regex": "gpt-4.*"}}, "text": "1"},
        {"id": "two", "match": {"model": "gpt-4o"}, "text": "2"},
        default={"text": "fallback"},
    )
    assert table.answer(conversation({"role": "user", "content": "x"})).rule == "one"
    other = read_openai(
        json.dumps({"model": "o3", "messages": [{"role": "user", "content": "x"}]}).encode()
    )
    assert isinstance(other, Conversation)
    assert table.answer(other).text == "fallback"
    assert rules().answer(other).text == DEFAULT_TEXT


def test_the_last_user_text_skips_tool_results_and_joins_parts() -> None:
    read = conversation(
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    )  # fmt: skip
    assert read.last_user == "a\nb"
    assert read.tool_result is True
    assert conversation({"role": "user", "content": "q"}).tool_result is False


def test_system_and_developer_messages_are_the_system_prompt() -> None:
    read = conversation(
        {"role": "system", "content": "one"},
        {"role": "developer", "content": "two"},
        {"role": "user", "content": "hi"},
    )
    assert read.system == "one\ntwo"
    table = rules({"id": "s", "match": {"system": {"contains": "two"}}, "text": "t"})
    assert table.answer(read).rule == "s"
    assert table.answer(conversation({"role": "user", "content": "hi"})).rule is None


def test_tools_offered_by_flag_or_by_name() -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    table = rules(
        {"id": "named", "match": {"tools": {"regex": "get_.*"}}, "text": "n"},
        {"id": "none", "match": {"tools": False}, "text": "f"},
    )
    with_tool = conversation({"role": "user", "content": "x"}, tools=[tool])
    without = conversation({"role": "user", "content": "x"})
    assert with_tool.tools == ("get_weather",)
    assert table.answer(with_tool).rule == "named"
    assert table.answer(without).rule == "none"


def test_stream_is_a_condition() -> None:
    table = rules({"id": "s", "match": {"stream": True}, "text": "t"})
    assert table.answer(conversation({"role": "user", "content": "x"}, stream=True)).rule == "s"
    assert table.answer(conversation({"role": "user", "content": "x"})).rule is None


def test_anthropic_tool_results_and_system_blocks() -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 10,
        "system": [{"type": "text", "text": "Be kind."}],
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "w", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": "sun"}],
            },
        ],
    }
    read = read_anthropic(json.dumps(body).encode())
    assert isinstance(read, Conversation)
    assert (read.system, read.last_user, read.tool_result) == ("Be kind.", "weather?", True)
    assert read.max_tokens == 10


def test_a_bad_regex_is_a_load_error_at_its_key() -> None:
    spec = {
        "provider": "openai",
        "route": "chat",
        "rules": [{"match": {"last_user": {"regex": "("}}}],
    }
    with pytest.raises(
        ValueError, match=r"llm rules\.0\.match\.last_user\.regex: .*invalid regular"
    ):
        compile_llm(spec)


def test_an_unparsable_body_is_a_bad_request() -> None:
    assert isinstance(read_openai(b"[1]"), ProviderError)
    assert isinstance(read_anthropic(b""), ProviderError)
