"""The WebSocket engine's faces: the upgrade handler and the hub of open sessions.

``WebSocketUpgrade`` is what an ``Upgrade`` outcome carries for one matched entry: the
transport calls ``take_over`` and gets the ``Session`` that owns the connection from then
on. ``Hub`` knows every open session by its concrete path (``/ws/chat/lobby``, not the
route's template): broadcasts, the admin API and ``MockServer`` push through it.

``Offering`` lets an endpoint that answers its own requests (GraphQL) take an upgrade
request too: the transport wraps its handler in one for an upgrade request only, the
endpoint finds the ``UpgradeOffer`` (``upgrade_offer``) and leaves its handler there, and
its ``101`` answer becomes an ``Upgrade``. Plain requests never see any of it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..model import Request
from ..outcome import Handler, Outcome, Respond, Upgrade, UpgradeHandler
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

        def make() -> Session:
            return Session(
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

        return open_session(make, transport, request, leftover)


def open_session(
    make: Callable[[], Session], transport: asyncio.Transport, request: Request, leftover: bytes
) -> asyncio.Protocol:
    """Build a session and start it on ``transport``; never raises: a session that cannot
    be built aborts the connection, one that fails to open is aborted."""
    try:
        session = make()
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


class UpgradeOffer:
    """Where an endpoint serving an upgrade request leaves the protocol that takes the
    connection, beside the engine's hub and message log it should use."""

    __slots__ = ("handler", "hub", "observer")

    def __init__(self, hub: Hub | None, observer: Observer | None) -> None:
        self.handler: UpgradeHandler | None = None
        self.hub = hub
        self.observer = observer

    def outcome(self, outcome: Outcome, request: Request) -> Outcome:
        """A ``101`` ``Respond`` after an endpoint took the offer becomes the ``Upgrade``;
        anything else (a refusal by auth, a rate limit) is sent as it is."""
        handler = self.handler
        if handler is None or not isinstance(outcome, Respond) or outcome.response.status != 101:
            return outcome
        return Upgrade(handler, request, outcome.delay_s, outcome.event, outcome.response)


_OFFER: ContextVar[UpgradeOffer | None] = ContextVar("apidouble_upgrade_offer", default=None)


def upgrade_offer() -> UpgradeOffer | None:
    """The offer of the upgrade request being served; None while serving any other."""
    return _OFFER.get()


class Offering:
    """The transport's handler for one upgrade request: the same answers, with an
    ``UpgradeOffer`` open while the handler decides (``_OFFER``)."""

    __slots__ = ("inner", "served")

    def __init__(self, inner: Handler) -> None:
        self.inner = inner
        self.served = inner.served

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        engine = getattr(self.inner, "engine", self.inner)  # a dispatcher wraps the engine
        log = getattr(engine, "websocket_log", None)
        hub = getattr(engine, "websockets", None)
        offer = UpgradeOffer(hub if isinstance(hub, Hub) else None, getattr(log, "observe", None))
        token = _OFFER.set(offer)
        try:
            result = self.inner.handle(request)
        finally:
            _OFFER.reset(token)
        if isinstance(result, Outcome):
            return offer.outcome(result, request)
        return self._later(result, offer, request)

    @staticmethod
    async def _later(pending: Awaitable[Outcome], offer: UpgradeOffer, request: Request) -> Outcome:
        token = _OFFER.set(offer)
        try:
            outcome = await pending
        finally:
            _OFFER.reset(token)
        return offer.outcome(outcome, request)
