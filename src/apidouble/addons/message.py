"""What a ``websocket_message`` hook sees and decides: one message a client sent.

Only sessions of a stub some addon hooks build one (decided at load time: the stub's
``message_hooks``), so a conversation no addon touches pays nothing. The hooks run in
order before the route's rules. One that answers (``reply``, ``broadcast``, ``close``
or ``ignore``) stops the chain, and the rules are skipped; one that assigns ``data``
hands the new message to the next hook and to the rules.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from ..realtime.ws_rules import Frame, close_spec, literal_frame
from .driving import HookFailed, Steps, call_hook, drive
from .hooks import MESSAGE_PHASE, Hook

if TYPE_CHECKING:
    from ..model import Request, Stub
    from ..state.store import StateSpace


class WebSocketMessage:
    """One incoming message on its way through the hooks.

    ``data`` is ``str`` for a text frame and ``bytes`` for a binary one; assigning the
    other type changes the frame type the rules see."""

    __slots__ = (
        "data",
        "request",
        "params",
        "path",
        "session",
        "stub",
        "state",
        "phase",
        "replies",
        "broadcasts",
        "closing",
        "ignored",
    )

    def __init__(
        self,
        data: str | bytes,
        request: Request,
        params: dict[str, str],
        session: str,
        stub: Stub | None = None,
    ) -> None:
        self.data = data
        self.request = request
        """The upgrade request (headers, cookies, query of the handshake)."""
        self.params = params
        self.path = request.path
        self.session = session
        """The session's id, as ``/__admin/websockets`` lists it (``ws-3``)."""
        self.stub = stub
        self.state: StateSpace | None = None
        """The running addon's state space (set while its hook runs)."""
        self.phase = MESSAGE_PHASE
        self.replies: list[Frame] = []
        self.broadcasts: list[Frame] = []
        self.closing: tuple[int, str] | None = None
        self.ignored = False

    @property
    def binary(self) -> bool:
        return isinstance(self.data, bytes | bytearray)

    @property
    def text(self) -> str:
        """The message as text (binary data decoded as UTF-8 with replacement)."""
        data = self.data
        return data if isinstance(data, str) else bytes(data).decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        """The message parsed as JSON (``ValueError`` when it is not JSON)."""
        return jsonlib.loads(self.text)

    def reply(self, message: Any) -> None:
        """Send ``message`` to this client (text, bytes, ``{binary: <base64>}``,
        ``{json: ...}`` or any JSON value, never a template); the rules are skipped."""
        self.replies.append(literal_frame(message))

    def broadcast(self, message: Any) -> None:
        """Send ``message`` to every client on this path (this one too)."""
        self.broadcasts.append(literal_frame(message))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection after the replies (``ValueError`` for a code that cannot
        be sent)."""
        closing = close_spec({"code": code, "reason": reason}, "close")
        assert closing is not None
        self.closing = closing

    def ignore(self) -> None:
        """Answer nothing: neither the rules nor a reply."""
        self.ignored = True

    @property
    def answered(self) -> bool:
        """A hook decided the answer, so no later hook and no rule runs."""
        return bool(self.ignored or self.replies or self.broadcasts or self.closing)

    def frame(self) -> Frame:
        """The message as the rules see it now: (binary, payload)."""
        data = self.data
        if isinstance(data, str):
            return False, data.encode()
        return True, bytes(data)


def run_message_hooks(hooks: tuple[Hook, ...], message: WebSocketMessage) -> Awaitable[None] | None:
    """Run the chain: None when it finished at once, else an awaitable for its end.
    Raises (or the awaitable raises) ``HookFailed`` naming the hook."""
    done = drive(_steps(hooks, message))
    return None if done is None else done


def _steps(hooks: tuple[Hook, ...], message: WebSocketMessage) -> Steps[None]:
    for hook in hooks:
        yield from call_hook(hook, message)
        if message.answered:
            return


__all__ = ["HookFailed", "WebSocketMessage", "run_message_hooks"]
