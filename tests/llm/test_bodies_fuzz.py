"""Whatever JSON a client sends, the preset answers (an answer or the provider's 400)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apidouble.llm import compile_llm
from apidouble.model import Request

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["model", "messages", "max_tokens", "role", "content", "tools", "tool_calls", "type",
     "text", "system", "stream", "stream_options", "input", "dimensions", "function", "name",
     "instructions", "contents", "parts", "systemInstruction", "functionCall",
     "functionResponse", "generationConfig", "functionDeclarations", "prompt", "options",
     "temperature", "max_output_tokens", "call_id", "output"]
)  # fmt: skip
SHAPED = st.recursive(
    JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELDS, inner, max_size=5),
    max_leaves=20,
)
ENDPOINTS = [
    compile_llm({"provider": provider, "route": route, "context_window": 50})
    for provider, route in (
        ("openai", "chat"),
        ("openai", "responses"),
        ("openai", "embeddings"),
        ("anthropic", "messages"),
        ("anthropic", "count_tokens"),
        ("gemini", "generate"),
        ("gemini", "stream"),
        ("gemini", "count_tokens"),
        ("ollama", "chat"),
        ("ollama", "generate"),
    )
]


@settings(max_examples=300, deadline=None)
@given(body=SHAPED)
def test_any_body_gets_an_answer_or_a_400(body: Any) -> None:
    raw = json.dumps(body).encode()
    for endpoint in ENDPOINTS:
        served = endpoint.serve(Request("POST", "/", body=raw), {"model": "m"})
        assert served.response.status in (200, 400), endpoint.route
