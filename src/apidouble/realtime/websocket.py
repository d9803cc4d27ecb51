"""The WebSocket engine's faces: the upgrade handler and the hub of open sessions.

``WebSocketUpgrade`` is what an ``Upgrade`` outcome carries for one matched entry: the
transport calls ``take_over`` and gets the ``Session`` that owns the connection from then
on. ``Hub`` knows every open session by its concrete path (``/ws/chat/lobby``, not the
route's template): broadcasts, the admin API and ``MockServer`` push through it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from ..model import Request
from ..state.clock import SYSTEM_CLOCK, Clock
from .ws_rules import WebSocketRoute, literal_frame
from .ws_session import Observer, Session

if TYPE_CHECKING:
    from ..addons.hooks import Hook
    from ..model import Stub
    from ..state.scenarios import Scenarios

_log = logging.getLogger("apidouble.realtime")


class Hub:
    """Open sessions by concrete path, in the order they opened."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._paths: dict[str, dict[str, Session]] = {}
        self._ids = itertools.count(1)

    def next_id(self) -> str:
        return f"ws-{next(self._ids)}"

    def add(self, session: Session) -> None:
        self._paths.setdefault(session.path, {})[session.id] = session

    def remove(self, session: Session) -> None:
        sessions = self._paths.get(session.path)
        if sessions is not None:
            sessions.pop(session.id, None)
            if not sessions:
                del self._paths[session.path]

    def sessions(self, path: str, route: WebSocketRoute | None = None) -> list[Session]:
        """The open sessions on ``path`` (of ``route`` only, when given)."""
        found = self._paths.get(path, {}).values()
        return [s for s in found if route is None or s.route is route]

    def connections(self, path: str | None = None) -> list[dict[str, Any]]:
        """What the admin API lists: every open session (on ``path`` only, when given)."""
        groups = [self._paths.get(path, {})] if path is not None else self._paths.values()
        return [session.info() for group in groups for session in group.values()]

    def send(self, path: str, message: Any) -> int:
        """Push one message to every session on ``path``; how many it was sent to.

        ``message`` is sent as written, never rendered: text, bytes (binary),
        ``{binary: <base64>}``, ``{json: <any>}`` or any other JSON value. A session whose
        client is not reading skips it (counted in its ``dropped``)."""
        frame = literal_frame(message)
        return sum(session.push([frame]) for session in self.sessions(path))

    def close_all(self, code: int = 1001, reason: str = "going away") -> None:
        """Start the close handshake on every session (a shutdown or a reload)."""
        for group in tuple(self._paths.values()):
            for session in tuple(group.values()):
                session.close(code, reason)

    def __len__(self) -> int:
        return sum(len(group) for group in self._paths.values())


class WebSocketUpgrade:
    """The ``UpgradeHandler`` for one matched entry: its route, path params and hub."""

    __slots__ = ("route", "hub", "params", "observer", "scenarios", "hooks", "stub")

    def __init__(
        self,
        route: WebSocketRoute,
        hub: Hub,
        params: dict[str, str] | None = None,
        observer: Observer | None = None,
        *,
        scenarios: Scenarios | None = None,
        hooks: tuple[Hook, ...] = (),
        stub: Stub | None = None,
    ) -> None:
        self.route = route
        self.hub = hub
        self.params = params if params is not None else {}
        self.observer = observer
        self.scenarios = scenarios
        """Where the rules' scenarios live (the config's, keyed by session)."""
        self.hooks = hooks
        """The stub's ``websocket_message`` hooks."""
        self.stub = stub

    def take_over(
        self, transport: asyncio.Transport, request: Request, leftover: bytes
    ) -> asyncio.Protocol:
        """Answer the handshake (101, or websockets' own 4xx and a close) and return the
        session; never raises: a failure aborts the connection."""
        try:
            session = Session(
                self.route,
                self.hub,
                request,
                self.params,
                transport,
                self.observer,
                self.scenarios,
                self.hooks,
                self.stub,
            )
        except Exception:
            _log.exception("websocket %s: could not start a session", request.path)
            transport.abort()
            return asyncio.Protocol()
        try:
            session.start(leftover)
        except Exception:
            _log.exception("websocket %s: session failed to open", request.path)
            session.abort()
        return session
