"""Keeping imported text literal: what another tool recorded must reach the client as it
was, not be read by the loader as a ``${VAR}`` or a template."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["env_escaped", "has_template_marks", "strings"]

_TEMPLATE_MARK = re.compile(r"\{\{|\{%|\{#")
_ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}")


def strings(value: Any) -> list[str]:
    """Every string in a JSON-like value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def has_template_marks(value: Any) -> bool:
    """Whether any string in ``value`` would be read as a template (``{{``, ``{%``,
    ``{#``): such an answer needs ``templating: none``."""
    return any(_TEMPLATE_MARK.search(text) for text in strings(value))


def env_escaped(value: Any) -> Any:
    """``value`` with every ``${X}`` written ``$${X}``, which the loader's environment
    substitution reads back as the literal text."""
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(lambda m: "$" + m.group(0), value) if "${" in value else value
    if isinstance(value, dict):
        return {key: env_escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [env_escaped(item) for item in value]
    return value
