"""The journal's LLM calls, picked by what tests ask of them: provider, route, model, the
rule that answered, a tool the answer called (and its arguments), an error kind.

A call is a journal entry whose decision carries ``llm`` facts (``serving`` puts the
parsed conversation, the rule, the usage and the tool calls answered there). ``verify``
fails as the other verifies do: with an ``AssertionError`` saying what was expected and
counted, and the calls that were made, so a test's failure shows why nothing matched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallFilter", "describe"]


def _holds(given: Any, wanted: Any) -> bool:
    """``wanted`` is within ``given``: equal values, objects compared on wanted's keys."""
    if isinstance(wanted, Mapping):
        return isinstance(given, Mapping) and all(
            key in given and _holds(given[key], value) for key, value in wanted.items()
        )
    return bool(given == wanted)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Conditions on one call; each one given must hold."""

    provider: str | None = None
    route: str | None = None
    model: str | None = None
    rule: str | None = None
    tool: str | None = None
    """The answer called this tool."""
    arguments: Mapping[str, Any] | None = None
    """...with arguments holding these (a partial match); with ``tool`` or alone."""
    error: str | None = None
    """The call got this error kind (``rate_limit``, ``bad_request``...)."""
    last_user_contains: str | None = None
    stream: bool | None = None
    conditions: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        given = {
            name: getattr(self, name)
            for name in (
                "provider",
                "route",
                "model",
                "rule",
                "tool",
                "arguments",
                "error",
                "last_user_contains",
                "stream",
            )  # fmt: skip
            if getattr(self, name) is not None
        }
        object.__setattr__(self, "conditions", given)

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """Whether one entry's ``llm`` facts meet every condition."""
        conversation = facts.get("conversation") or {}
        plain = (
            (self.provider, facts.get("provider")),
            (self.route, facts.get("route")),
            (self.model, conversation.get("model")),
            (self.rule, facts.get("rule")),
            (self.error, facts.get("error")),
            (self.stream, conversation.get("stream")),
        )
        if any(wanted is not None and got != wanted for wanted, got in plain):
            return False
        asked = self.last_user_contains
        if asked is not None and asked not in (conversation.get("last_user") or ""):
            return False
        if self.tool is None and self.arguments is None:
            return True
        return any(
            (self.tool is None or call.get("name") == self.tool)
            and (self.arguments is None or _holds(call.get("arguments"), self.arguments))
            for call in facts.get("tool_calls") or ()
        )

    def pick(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries that are LLM calls meeting the conditions, in their order."""
        return [e for e in entries if _facts(e) is not None and self.matches(_facts(e) or {})]


def _facts(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    decision = entry.get("decision") or {}
    facts = decision.get("llm") if isinstance(decision, Mapping) else None
    return facts if isinstance(facts, Mapping) else None


def describe(entry: Mapping[str, Any]) -> str:
    """One call as a failure message lists it."""
    facts = _facts(entry) or {}
    conversation = facts.get("conversation") or {}
    parts = [f"{facts.get('provider')} {facts.get('route')}"]
    if conversation.get("model"):
        parts.append(f"model={conversation['model']}")
    if conversation.get("last_user") is not None:
        parts.append(f"last_user={conversation['last_user']!r}")
    parts.append(f"rule={facts.get('rule') or 'default'}")
    for call in facts.get("tool_calls") or ():
        parts.append(f"called {call.get('name')}({_compact(call.get('arguments'))})")
    if facts.get("error"):
        parts.append(f"error={facts['error']}")
    return " ".join(parts)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
