"""``${VAR}`` / ``${VAR:-default}`` substitution in string values, before validation.

Substituting in the parsed data (not the text) keeps YAML/JSON quoting intact and lets
an unset variable be reported at the pointer, hence the line, of the value using it.
Keys are never substituted: they are part of the schema, not configuration values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apidouble.config.positions import child

_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, slots=True)
class Unset:
    """A variable used without a default that the environment does not define."""

    pointer: str
    name: str


def substitute(data: Any, environ: Mapping[str, str]) -> tuple[Any, list[Unset]]:
    """Return ``data`` with every string value expanded, and the unset variables.

    ``$${X}`` is an escape for a literal ``${X}``. ``${X:-d}`` uses ``d`` when ``X`` is
    unset or empty, like the shell.
    """
    unset: list[Unset] = []
    return _walk(data, "", environ, unset), unset


def _walk(value: Any, ptr: str, environ: Mapping[str, str], unset: list[Unset]) -> Any:
    if isinstance(value, str):
        return _expand(value, ptr, environ, unset) if "${" in value else value
    if isinstance(value, dict):
        return {k: _walk(v, child(ptr, k), environ, unset) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, child(ptr, i), environ, unset) for i, v in enumerate(value)]
    return value


def _expand(text: str, ptr: str, environ: Mapping[str, str], unset: list[Unset]) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        found = environ.get(name)
        if found:
            return found
        if default is not None:
            return default
        if found is None:
            unset.append(Unset(ptr, name))
        return ""

    return _REFERENCE.sub(replace, text)
