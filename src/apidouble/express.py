"""The express lane: static stubs answered before a ``Request`` exists.

A stub found by method and literal path alone, with no condition to test, no trouble,
one static response and nothing server-wide around it, answers every request for that
method and path with the same bytes. Load time lists those (method, target) pairs in
``ExpressLane.routes``; the HTTP/1 transport looks a whole head's request line up there
first, writes the route's bytes and journals the exchange through ``Journal.record_express``
(the same entry the general path writes). Whatever the table does not hold (a query, a
percent escape, HEAD, a control path, anything the engine would have to decide) takes
the general path, so the lane changes how fast an answer comes, never which answer.

The table is rebuilt with every installed config (``Engine.install``); a feature that
must see every request (addons) clears it at load time by not being inert. Metrics need
no such thing: each route holds its ``metrics.Cell`` and adds one to it per exchange.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .metrics import Cell, Counters
from .model import Request, ServeEvent, Stub
from .outcome import Response
from .transport.replies import END_KEEP

if TYPE_CHECKING:
    from .compiled import CompiledConfig
    from .journal import Journal

MAX_EXPRESS_BODY = 64 * 1024
"""Larger bodies are written in two parts by the general path, not joined per route."""

_BODYLESS = frozenset({204, 304})


class ExpressRoute:
    """One (method, path) and the bytes that answer it on a persistent HTTP/1.1 connection."""

    __slots__ = ("stub", "method", "path", "response", "wire", "cell")

    def __init__(
        self, stub: Stub, method: str, path: str, response: Response, cell: Cell | None = None
    ) -> None:
        self.stub = stub
        self.method = method
        self.path = path
        self.response = response
        self.cell = cell if cell is not None else Cell()
        """Exchanges served from this route (kept across installs by ``Counters``)."""
        bodyless = response.status in _BODYLESS or response.status < 200
        self.wire = response.head + END_KEEP + (b"" if bodyless else response.body)
        """Exactly what the general path writes for this response (``connection._write``)."""

    def event(
        self, head: bytes, client: tuple[str, int] | None, received_at: float, elapsed_s: float
    ) -> ServeEvent:
        """The ``ServeEvent`` the general path would have journaled for this exchange."""
        request = Request(self.method, self.path, "", (), b"", client, "1.1", None, head)
        event = ServeEvent(request, received_at, self.stub, self.response.status)
        event.duration_s = elapsed_s
        event.response = self.response
        return event


Routes = dict[bytes, dict[bytes, ExpressRoute]]
"""Method as sent -> request target as sent -> route."""


class ExpressLane:
    """The engine's table of express routes, and how their exchanges are journaled.

    The object stays for the engine's life (the transport keeps a reference); only
    ``routes`` and ``clock`` change, each with one assignment, on install.
    """

    __slots__ = ("routes", "clock", "journal", "counters")

    def __init__(self, journal: Journal, counters: Counters | None = None) -> None:
        self.routes: Routes = {}
        self.journal = journal
        self.counters = counters if counters is not None else Counters()
        self.clock: Callable[[], float] = _no_clock

    def install(self, config: CompiledConfig) -> None:
        self.clock = config.clock.time
        self.routes = express_routes(config, self.counters)

    def served(
        self, route: ExpressRoute, head: bytes, client: tuple[str, int] | None, elapsed_s: float
    ) -> None:
        """Journal and count one exchange served from ``route`` (``head``: the request as
        received)."""
        route.cell.hits += 1
        self.journal.record_express(route, head, client, self.clock(), elapsed_s)


def _no_clock() -> float:
    return 0.0


def express_routes(config: CompiledConfig, counters: Counters | None = None) -> Routes:
    """Every (method, target) the engine would answer with ready bytes whatever else the
    request holds (the conditions of ``Engine.handle``'s ready path, decided once), each
    with its cell in ``counters``."""
    server = config.server
    if server.active or config.any_cors or not server.plain:
        return {}
    routes: Routes = {}
    for method, path, stub in config.router.ready_hits():
        if method == "HEAD" or path.startswith("/__") or not _plain_target(path):
            continue  # HEAD has its own rules; control paths may belong to the admin plane
        ready = config.stubs[stub.id].ready
        if ready is None or len(ready.body) >= MAX_EXPRESS_BODY:
            continue
        target = path.encode("latin-1")  # the transport decodes targets as latin-1
        cell = counters.cell((stub.label, method, ready.status)) if counters is not None else None
        route = ExpressRoute(stub, method, path, ready, cell)
        routes.setdefault(method.encode("latin-1"), {})[target] = route
    return routes


def _plain_target(path: str) -> bool:
    """A path the transport hands over unchanged: origin-form, no escape, query or
    fragment, latin-1 (so a target that has any of those never meets this key)."""
    if not path.startswith("/") or "%" in path or "?" in path or "#" in path:
        return False
    try:
        path.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
