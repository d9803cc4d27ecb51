"""The ``llm:`` entry model: what it accepts and the endpoints it stands for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apidouble.config.llm import LlmEntry, LlmRoute
from apidouble.llm import compile_llm


def test_an_openai_entry_mounts_its_routes_under_the_prefix() -> None:
    entry = LlmEntry.model_validate(
        {"provider": "openai", "id": "gpt", "path_prefix": "/ai/", "default": {"text": "x"}}
    )
    shown = [(e["id"], e["method"], e["path"], e["llm"]["route"]) for e in entry.endpoints()]
    assert shown == [
        ("gpt-chat", ["POST"], "/ai/v1/chat/completions", "chat"),
        ("gpt-responses", ["POST"], "/ai/v1/responses", "responses"),
        ("gpt-embeddings", ["POST"], "/ai/v1/embeddings", "embeddings"),
        ("gpt-models", ["GET"], "/ai/v1/models", "models"),
        ("gpt-model", ["GET"], "/ai/v1/models/{model}", "model"),
    ]
    settings = entry.endpoints()[0]["llm"]
    assert settings == {"provider": "openai", "default": {"text": "x"}, "route": "chat"}
    assert LlmRoute.model_validate(settings).default is not None


def test_an_anthropic_entry_mounts_messages_and_models() -> None:
    entry = LlmEntry.model_validate({"provider": "anthropic"})
    assert [e["path"] for e in entry.endpoints()] == [
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/models",
        "/v1/models/{model}",
    ]
    assert all("id" not in e for e in entry.endpoints())


def test_gemini_and_ollama_entries_mount_their_paths() -> None:
    gemini = LlmEntry.model_validate({"provider": "gemini", "id": "g"})
    assert [(e["id"], e["method"], e["path"]) for e in gemini.endpoints()] == [
        ("g-generate", ["POST"], "/v1beta/models/{model}:generateContent"),
        ("g-stream", ["POST"], "/v1beta/models/{model}:streamGenerateContent"),
        ("g-count_tokens", ["POST"], "/v1beta/models/{model}:countTokens"),
        ("g-models", ["GET"], "/v1beta/models"),
        ("g-model", ["GET"], "/v1beta/models/{model}"),
    ]
    ollama = LlmEntry.model_validate({"provider": "ollama"})
    assert [e["path"] for e in ollama.endpoints()] == ["/api/chat", "/api/generate", "/api/tags"]


@pytest.mark.parametrize(
    "config",
    [
        {"provider": "cohere"},
        {"provider": "openai", "path_prefix": "nope"},
        {"provider": "openai", "rules": [{"match": {"tool_result": "maybe"}}]},
        {"provider": "openai", "default": {"error": {"type": "teapot"}}},
        {"provider": "openai", "timing": {"jitter": 1.5}},
        {"provider": "openai", "rules": [{"txt": "typo"}]},
    ],
)
def test_mistakes_are_errors(config: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LlmEntry.model_validate(config)


def test_compile_needs_a_route() -> None:
    with pytest.raises(ValueError, match="llm route: Field required"):
        compile_llm({"provider": "openai"})


def test_the_endpoints_settings_validate_again_as_written() -> None:
    config = {
        "provider": "anthropic",
        "rules": [
            {"match": {"tools": True, "last_user": {"regex": "a.*", "not": True}}, "text": "t"},
            {"match": {"tools": "get_weather"}, "tool_calls": [{"name": "f"}]},
            {"error": {"type": "overloaded"}, "timing": {"ttft_ms": 5}},
        ],
        "timing": {"tokens_per_s": 10},
        "seed": 3,
    }
    entry = LlmEntry.model_validate(config)
    settings = entry.endpoints()[0]["llm"]
    again = LlmRoute.model_validate(settings)
    assert again.rules == entry.rules
    assert again.model_dump(exclude={"route"}) == entry.model_dump(
        exclude={"id", "name", "path_prefix"}
    )


def test_a_route_the_provider_lacks_is_a_load_error() -> None:
    with pytest.raises(
        ValueError, match="openai serves chat, responses, embeddings, models, model"
    ):
        compile_llm({"provider": "openai", "route": "messages"})
