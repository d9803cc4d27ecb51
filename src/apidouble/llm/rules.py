"""Rules on the conversation, compiled once at load time: the first that matches answers.

Text conditions (last user message, model, system prompt, a tool's name) are the native
value matchers endpoints use (``equals``, ``contains``, ``regex``, ``one_of``,
``present``; a plain string means ``equals``), compiled with ``matching.values``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apidouble.config.convert import native_value_spec
from apidouble.config.llm import LlmAnswer, LlmMatch, LlmRule, LlmTiming
from apidouble.config.matchers import ValueMatcher as ValueMatcherConfig
from apidouble.llm.answer import DEFAULT_TEXT, Answer, ProviderError, Timing, ToolCall
from apidouble.llm.conversation import Conversation
from apidouble.matching.values import ValueMatcher, compile_value

__all__ = ["Rules", "answer_of", "timing_of"]


def timing_of(config: LlmTiming) -> Timing:
    """The config's timing in seconds."""
    return Timing(config.ttft_ms / 1000, config.tokens_per_s, config.jitter)


def answer_of(config: LlmAnswer, rule: str | None = None) -> Answer:
    """The neutral answer a config answer stands for."""
    error = config.error
    usage = config.usage
    return Answer(
        text=config.text,
        tool_calls=tuple(ToolCall(c.name, dict(c.arguments), c.id) for c in config.tool_calls),
        refusal=config.refusal,
        error=None
        if error is None
        else ProviderError(
            error.type,
            error.message,
            error.retry_after_s,
            error.status,
            after_tokens=error.after_tokens,
        ),
        finish=config.finish,
        model=config.model,
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
        timing=timing_of(config.timing) if config.timing else None,
        rule=rule,
    )


def _matcher(config: ValueMatcherConfig | None, label: str) -> ValueMatcher | None:
    if config is None:
        return None
    written = config.model_dump(by_alias=True, exclude_defaults=True)
    written.update(config.model_dump(by_alias=True, include={"case_insensitive", "not_"}))
    return compile_value(native_value_spec(written), label)


def _one(matcher: ValueMatcher | None, value: str | None) -> bool:
    return matcher is None or matcher.test(None if value is None else (value,))


@dataclass(frozen=True, slots=True)
class _Rule:
    answer: Answer
    last_user: ValueMatcher | None
    model: ValueMatcher | None
    system: ValueMatcher | None
    tools_offered: bool | None
    tool: ValueMatcher | None
    tool_result: bool | None
    stream: bool | None

    @classmethod
    def compile(cls, rule: LlmRule, index: int) -> _Rule:
        when: LlmMatch = rule.match
        tools = when.tools
        return cls(
            answer_of(rule, rule.id or f"rule-{index}"),
            _matcher(when.last_user, "last user message"),
            _matcher(when.model, "model"),
            _matcher(when.system, "system prompt"),
            tools if isinstance(tools, bool) else None,
            _matcher(tools, "tool") if isinstance(tools, ValueMatcherConfig) else None,
            when.tool_result,
            when.stream,
        )

    def matches(self, conversation: Conversation) -> bool:
        if self.tools_offered is not None and self.tools_offered != bool(conversation.tools):
            return False
        if self.tool_result is not None and self.tool_result != conversation.tool_result:
            return False
        if self.stream is not None and self.stream != conversation.stream:
            return False
        if self.tool is not None and not self.tool.test(conversation.tools):
            return False
        return (
            _one(self.last_user, conversation.last_user)
            and _one(self.model, conversation.model)
            and _one(self.system, conversation.system)
        )


class Rules:
    """An entry's rules and its default answer."""

    __slots__ = ("_rules", "default")

    def __init__(self, rules: Sequence[LlmRule], default: LlmAnswer | None) -> None:
        """ValueError when a matcher cannot compile (a bad regex), naming the rule."""
        compiled = []
        for index, rule in enumerate(rules):
            try:
                compiled.append(_Rule.compile(rule, index))
            except ValueError as exc:
                raise ValueError(f"llm rule {rule.id or index}: {exc}") from None
        self._rules = tuple(compiled)
        self.default = answer_of(default) if default else Answer(text=DEFAULT_TEXT)

    def answer(self, conversation: Conversation) -> Answer:
        """The first matching rule's answer, else the default."""
        for rule in self._rules:
            if rule.matches(conversation):
                return rule.answer
        return self.default
