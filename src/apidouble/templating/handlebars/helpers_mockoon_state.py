"""Mockoon's server state: what one served environment remembers between requests, and
the global-variable helpers ``setGlobalVar``/``getGlobalVar``.

Mockoon keeps global variables and bucket values per running environment, in memory,
until it stops. Here they are kept per template environment (one per served config, kept
across a reload that leaves seed, ``data:`` and Faker settings alone), found through the
environment's random source: the one per-server object every render carries (``root.rng``,
asked for with ``needs={"random"}``). Several worker processes each keep their own. The
buckets themselves are ``helpers_mockoon_buckets``'s.
"""

from __future__ import annotations

import contextvars
import random
import weakref
from dataclasses import dataclass, field
from typing import Any

from .helpers_mockoon_request import get_path, js_text
from .registry import Helper, arg
from .request import Root

__all__ = ["GLOBAL_HELPERS", "RANDOM", "Bucket", "ServerState", "filling", "server_state"]

P = tuple[Any, ...]
H = dict[str, Any]
RANDOM = frozenset({"random"})


@dataclass
class Bucket:
    id: str
    name: str
    value: Any
    parsed: bool = True
    """False for a template that reads the request, until a render first looks it up."""


@dataclass
class ServerState:
    """What one served environment remembers between requests."""

    globals: dict[str, Any] = field(default_factory=dict)
    buckets: list[Bucket] | None = None
    """Made from the definitions on first use."""
    answered: dict[str, int] = field(default_factory=dict)
    """How many requests each route answered, by route key (``request_number`` rules)."""


_STATES: weakref.WeakKeyDictionary[random.Random, ServerState] = weakref.WeakKeyDictionary()
_NO_SERVER = random.Random()
"""The state of renders that carry no random source (none in serving: every state helper
asks for one)."""


filling: contextvars.ContextVar[ServerState | None] = contextvars.ContextVar(
    "mockoon_buckets_filling", default=None
)
"""The state whose buckets are being made: their templates render with their own random
source but read and write the same buckets."""


def server_state(root: Root) -> ServerState:
    """The state of the environment this render belongs to."""
    made = filling.get()
    if made is not None:
        return made
    key = root.rng if root.rng is not None else _NO_SERVER
    state = _STATES.get(key)
    if state is None:
        state = _STATES[key] = ServerState()
    return state


def _name(value: Any) -> str:
    return js_text(value)


# ---- global variables


def _set_global(p: P, h: H, r: Root) -> None:
    if len(p) >= 2:
        server_state(r).globals[_name(p[0])] = p[1]


def _get_global(p: P, h: H, r: Root) -> Any:
    if not p:
        return None
    default = arg(p, 2)
    default = "" if default is None else default
    values = server_state(r).globals
    name = _name(p[0])
    if name not in values:
        return default
    path = arg(p, 1)
    return get_path(values[name], path, default) if isinstance(path, str) else values[name]


GLOBAL_HELPERS = {
    "setGlobalVar": Helper(_set_global, needs=RANDOM),
    "getGlobalVar": Helper(_get_global, needs=RANDOM),
}
