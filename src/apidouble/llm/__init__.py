"""LLM provider presets: OpenAI's (chat completions and Responses), Anthropic's, Gemini's
and Ollama's APIs mocked from rules on the conversation.

One provider-neutral ``Answer`` (text, tool calls, a refusal or a provider error) is
encoded in each provider's exact wire format, whole or streamed with seeded timing. An
``LlmEndpoint`` serves one of a preset's routes as the engine serves a ``graphql:`` one.
"""

from apidouble.llm.answer import Answer, ProviderError, Timing, ToolCall
from apidouble.llm.serving import LlmEndpoint, Served, compile_llm

__all__ = ["Answer", "LlmEndpoint", "ProviderError", "Served", "Timing", "ToolCall", "compile_llm"]
