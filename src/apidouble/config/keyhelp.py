"""Help for unknown keys: why a key is refused and what was probably meant."""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

NOT_YET = frozenset({"webhooks", "server", "scenario"})
"""Keys reserved for features that later issues add: rejected as "not supported yet"
(``scenario`` only at the top of a file: in an endpoint it is supported)."""


def unknown_key_message(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    """Explain an unknown key at ``loc`` (a pydantic loc under ``root``): why and what instead."""
    key = str(loc[-1])
    if key in NOT_YET:
        return f"{key!r} is not supported yet"
    allowed = _keys_at(root, loc[:-1])
    if not allowed:
        return f"unknown key {key!r}"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"


def _keys_at(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or n: f for n, f in current.model_fields.items()}
            if part not in fields:
                continue  # a union member tag, not a key
            current = fields[str(part)].annotation
        elif origin in (list, tuple):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation
