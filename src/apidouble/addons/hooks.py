"""An addon's hooks, found once at load time, and the chains a stub runs.

An addon is any object with optional methods named after the phases (``PHASES``), sync
or async. ``hooks_of`` looks them up once; ``Chain`` is what one stub (or the whole
server) runs per phase, decided when the config is compiled, so a stub no addon touches
has no chain and pays nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ..state.store import StateSpace

PHASES: Final = ("request", "matched", "response", "served")
"""The per-request phases, in the order a request meets them."""
MESSAGE_PHASE: Final = "websocket_message"
"""The phase of one message a WebSocket client sent (``addons.message``)."""

SLOW_HOOK_S: Final = 0.05
"""A sync hook that holds the event loop longer than this is logged with its name."""


@dataclass(frozen=True, slots=True)
class Hook:
    """One addon's function for one phase."""

    addon: str
    phase: str
    call: Callable[..., Any]
    """``call(flow)``; a middleware's is ``call(request, call_next)``."""
    is_async: bool
    state: StateSpace | None = None
    """The addon's state space, handed to the hook as ``flow.state``."""

    @property
    def where(self) -> str:
        """How errors and logs name it: ``addon signer, response hook``."""
        return f"addon {self.addon}, {self.phase} hook"


def is_async_callable(call: Any) -> bool:
    """Whether calling ``call`` gives an awaitable by declaration (``async def``, or an
    object whose ``__call__`` is one)."""
    if inspect.iscoroutinefunction(call):
        return True
    method = getattr(call, "__call__", None)  # noqa: B004 - a callable object's method
    return method is not None and inspect.iscoroutinefunction(method)


def hooks_of(addon: Any, name: str, state: StateSpace | None = None) -> dict[str, Hook]:
    """The phase hooks ``addon`` defines, by phase (attributes that are not callable are
    not hooks: a module's ``request = None`` is allowed)."""
    found: dict[str, Hook] = {}
    for phase in (*PHASES, MESSAGE_PHASE):
        call = getattr(addon, phase, None)
        if call is None or not callable(call) or inspect.isclass(call):
            continue
        found[phase] = Hook(name, phase, call, is_async_callable(call), state)
    return found


@dataclass(frozen=True, slots=True)
class Chain:
    """The hooks one stub runs, per phase, in order (the server's, then its own)."""

    matched: tuple[Hook, ...] = ()
    response: tuple[Hook, ...] = ()
    served: tuple[Hook, ...] = ()
    names: tuple[str, ...] = ()
    """The addons in it, for reports."""

    def __bool__(self) -> bool:
        return bool(self.matched or self.response or self.served)


@dataclass(frozen=True, slots=True)
class ServerHooks:
    """What every request runs: ``request`` hooks, middlewares around the rest, and the
    chain of unmatched requests (the server-wide ``response`` and ``served`` hooks)."""

    request: tuple[Hook, ...] = ()
    middlewares: tuple[Hook, ...] = ()
    """``async def middleware(request, call_next) -> Reply`` functions (phase
    "middleware"), outermost first."""
    unmatched: Chain = Chain()
