"""The express lane: static stubs answered without the engine's general machinery.

A stub found by method and literal path alone, with no condition to test, no trouble,
one static response and nothing server-wide around it, answers every request for that
method and path with the same bytes. Load time lists those (method, target) pairs in
``ExpressLane.routes``; the HTTP/1 transport looks a whole head's request line up there
first, writes the route's bytes and journals the exchange through ``Journal.record_express``
(the same entry the general path writes).

A literal path whose candidates all answer with ready bytes but test conditions first
(a header, a query parameter, a cookie) is a guarded path: ``ExpressLane.guards`` (for a
request without a query string) and ``query_guards`` (with one) list its candidates in
the router's winning order, each with the router's own compiled test. The transport
builds the ``Request``, takes the first candidate that passes (``pick``) and answers with
its bytes; when none passes, the general path decides (a 404 with its near misses).
Where every candidate of such a path tests only headers and query parameters (and none
is protected), ``head_guards`` and ``head_query_guards`` hold the same candidates with
those conditions as ``matching.headtest.HeadTest``s, looked up by the path as received:
they are tested on the head's bytes and the query string before any ``Request`` is made
(``pick_by_head``).

Whatever the tables do not hold (a percent escape, HEAD, a control path, a template,
anything the engine would have to decide) takes the general path, so the lane changes
how fast an answer comes, never which answer.

The tables are rebuilt with every installed config (``Engine.install``); a feature that
must see every request (addons) clears them at load time by not being inert. Metrics need
no such thing: each route holds its ``metrics.Cell`` and adds one to it per exchange.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .auth.plane import PATHS as ISSUER_PATHS
from .auth.recorded import ADMITTED
from .matching.headtest import HeadTest, head_test
from .matching.index import Entry
from .metrics import Cell, Counters
from .model import Request, ServeEvent, Stub
from .outcome import Response
from .transport.replies import END_KEEP

if TYPE_CHECKING:
    from .compiled import CompiledConfig
    from .journal import Journal

_ADMITTED = {"auth": ADMITTED}
MAX_EXPRESS_BODY = 64 * 1024
"""Larger bodies are written in two parts by the general path, not joined per route."""

_BODYLESS = frozenset({204, 304})


class ExpressRoute:
    """One (method, path) and the bytes that answer it on a persistent HTTP/1.1 connection."""

    __slots__ = (
        "stub",
        "method",
        "path",
        "response",
        "wire",
        "cell",
        "gate",
        "head_gate",
        "decision",
        "journal_constants",
    )

    def __init__(
        self,
        stub: Stub,
        method: str,
        path: str,
        response: Response,
        cell: Cell | None = None,
        gate: Test | None = None,
        head_gate: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.stub = stub
        self.method = method
        self.path = path
        self.response = response
        self.gate = gate
        """A protected stub's ``Guard.passes``: a request it refuses goes to the general
        path (which answers the 401 or 403); None for an unprotected stub."""
        self.head_gate = head_gate
        """The guard's test of the head as received (a bearer JWT's): with one, the route
        is in the routes table too, served when it is True (``Guard.head_test``)."""
        self.decision = None if gate is None else _ADMITTED
        """What the journal records as decided: that the guard admitted the request
        (who it admitted is read back from the journaled head when the entry is read)."""
        self.journal_constants: tuple[int, bytes] | None = None
        """The journal's constant fields of this route's entries, for its body cap (made
        by the journal on first use: ``Journal.record_express``)."""
        self.cell = cell if cell is not None else Cell()
        """Exchanges served from this route (kept across installs by ``Counters``)."""
        bodyless = response.status in _BODYLESS or response.status < 200
        self.wire = response.head + END_KEEP + (b"" if bodyless else response.body)
        """Exactly what the general path writes for this response (``connection._write``)."""

    def event(
        self,
        head: bytes,
        client: tuple[str, int] | None,
        received_at: float,
        elapsed_s: float,
        query: str = "",
    ) -> ServeEvent:
        """The ``ServeEvent`` the general path would have journaled for this exchange."""
        request = Request(self.method, self.path, query, (), b"", client, "1.1", None, head)
        event = ServeEvent(request, received_at, self.stub, self.response.status)
        event.duration_s = elapsed_s
        event.response = self.response
        event.decision = self.decision
        return event


Routes = dict[bytes, dict[bytes, ExpressRoute]]
"""Method as sent -> request target as sent -> route."""

Test = Callable[[Request], bool]
Guard = tuple[Test | None, ExpressRoute]
"""A guarded path's candidate: the router's test of its conditions (None: it always
passes) and the route that answers when it does."""
Guards = dict[bytes, dict[str, tuple[Guard, ...]]]
"""Method as sent -> raw request path -> candidates in the router's winning order."""


HeadGuard = tuple[HeadTest | None, ExpressRoute]
"""A guarded path's candidate tested on the head as received (None: it always passes)."""
HeadGuards = dict[bytes, dict[bytes, tuple[HeadGuard, ...]]]
"""Method as sent -> raw request path as sent -> candidates in the router's winning order."""


def pick_by_head(guards: tuple[HeadGuard, ...], head: bytes, query: str) -> ExpressRoute | None:
    """``pick`` for candidates that read only the head and the query string (none is
    protected); None when none passes (the general path decides)."""
    for test, route in guards:
        if test is None or test(head, query):
            return route
    return None


def pick(guards: tuple[Guard, ...], request: Request) -> ExpressRoute | None:
    """The route of the first candidate whose conditions ``request`` meets, as
    ``Router.find`` would choose it; None when none does, or when that candidate's auth
    refuses the request (the general path decides: a 404 with its near misses, a 401)."""
    for test, route in guards:
        if test is None or test(request):
            gate = route.gate
            return route if gate is None or gate(request) else None
    return None


class ExpressLane:
    """The engine's table of express routes, and how their exchanges are journaled.

    The object stays for the engine's life (the transport keeps a reference); only
    ``routes`` and ``clock`` change, each with one assignment, on install.
    """

    __slots__ = (
        "routes",
        "guards",
        "query_guards",
        "head_guards",
        "head_query_guards",
        "clock",
        "journal",
        "counters",
    )

    def __init__(self, journal: Journal, counters: Counters | None = None) -> None:
        self.routes: Routes = {}
        self.guards: Guards = {}
        self.query_guards: Guards = {}
        self.head_guards: HeadGuards = {}
        self.head_query_guards: HeadGuards = {}
        self.journal = journal
        self.counters = counters if counters is not None else Counters()
        self.clock: Callable[[], float] = _no_clock

    def install(self, config: CompiledConfig) -> None:
        self.clock = config.clock.time
        lanes = Lanes(config, self.counters)
        self.routes = lanes.routes()
        self.guards, self.query_guards, self.head_guards, self.head_query_guards = lanes.guards()

    def served(
        self,
        route: ExpressRoute,
        head: bytes,
        client: tuple[str, int] | None,
        elapsed_s: float,
        query: str = "",
    ) -> None:
        """Journal and count one exchange served from ``route`` (``head``: the request as
        received, ``query``: its query string)."""
        route.cell.hits += 1
        self.journal.record_express(route, head, client, self.clock(), elapsed_s, query)


def _by_head(found: tuple[Guard, ...], entries: tuple[Entry, ...]) -> tuple[HeadGuard, ...] | None:
    """``found`` (made from ``entries``, in step) with each test read off the head as
    received; None when one candidate reads more than headers and the query string, or
    is protected (its auth reads the ``Request``)."""
    made: list[HeadGuard] = []
    for (test, route), entry in zip(found, entries, strict=False):
        if route.gate is not None:
            return None
        tested = None if test is None else head_test(entry.pattern)
        if test is not None and tested is None:
            return None
        made.append((tested, route))
    return tuple(made)


def _no_clock() -> float:
    return 0.0


def express_routes(config: CompiledConfig, counters: Counters | None = None) -> Routes:
    """Every (method, target) the engine would answer with ready bytes whatever else the
    request holds (the conditions of ``Engine.handle``'s ready path, decided once), each
    with its cell in ``counters``."""
    return Lanes(config, counters).routes()


class Lanes:
    """Builds one config's tables; one ``ExpressRoute`` per (method, stub) shared by both,
    so an exchange counts in one cell whichever table served it."""

    __slots__ = ("config", "counters", "open", "_made")

    def __init__(self, config: CompiledConfig, counters: Counters | None) -> None:
        server = config.server
        self.config = config
        self.counters = counters
        self.open = not (config.detour or not server.plain)
        """Nothing server-wide stands around the stubs (no CORS, rate limit, decision
        header or addon that sees every request), else both tables stay empty."""
        self._made: dict[tuple[str, str], ExpressRoute | None] = {}

    def routes(self) -> Routes:
        made: Routes = {}
        if not self.open:
            return made
        for method, path, stub in self.config.router.ready_hits():
            if not self._lane(method, path):
                continue
            route = self.route(method, path, stub)
            if route is not None and (route.gate is None or route.head_gate is not None):
                made.setdefault(method.encode("latin-1"), {})[path.encode("latin-1")] = route
        return made

    def guards(self) -> tuple[Guards, Guards, HeadGuards, HeadGuards]:
        """The guarded paths for requests without and with a query string, and those of
        them whose candidates can be tested on the head as received (keyed by the path's
        bytes: the lane's paths are latin-1)."""
        plain: Guards = {}
        queried: Guards = {}
        by_head: HeadGuards = {}
        by_head_queried: HeadGuards = {}
        if not self.open:
            return plain, queried, by_head, by_head_queried
        for method, path, with_query, entries in self.config.router.literal_candidates():
            if not entries or not self._lane(method, path):
                continue
            first = entries[0]
            if not with_query and first.hit is not None and not self._protected(first.stub):
                continue  # the routes table answers it (or, not ready, the engine does)
            found = self._guards(method, path, entries, with_query)
            if found is None:
                continue
            key = method.encode("latin-1")
            (queried if with_query else plain).setdefault(key, {})[path] = found
            tested = _by_head(found, entries)
            if tested is not None:
                table = by_head_queried if with_query else by_head
                table.setdefault(key, {})[path.encode("latin-1")] = tested
        return plain, queried, by_head, by_head_queried

    def _guards(
        self, method: str, path: str, entries: tuple[Entry, ...], with_query: bool
    ) -> tuple[Guard, ...] | None:
        """Each candidate's test and route; None unless every one is a literal path
        answered with ready bytes (else the engine may have more to decide)."""
        made: list[Guard] = []
        for entry in entries:
            route = self.route(method, path, entry.stub) if entry.literal else None
            if route is None:
                return None
            test = entry.conditions
            if test is not None and not with_query and entry.bare:
                test = None  # its one condition, "no query string", holds here
            made.append((test, route))
            if test is None:
                break  # it always answers: nothing after it is ever reached
        return tuple(made)

    def route(self, method: str, path: str, stub: Stub) -> ExpressRoute | None:
        """The route answering ``stub``'s ready bytes to ``method`` for its literal
        ``path``; None when the engine has to decide its answer."""
        key = (method, stub.id)
        if key in self._made:
            return self._made[key]
        compiled = self.config.stubs[stub.id]
        ready = compiled.ready or compiled.protected
        route = None
        if ready is not None and len(ready.body) < MAX_EXPRESS_BODY:
            counters = self.counters
            cell = counters.cell((stub.label, method, ready.status)) if counters else None
            guard = compiled.guard if compiled.protected is not None else None
            gate = guard.passes if guard is not None else None
            head_gate = guard.head_test if guard is not None else None
            route = ExpressRoute(stub, method, path, ready, cell, gate, head_gate)
        self._made[key] = route
        return route

    def _lane(self, method: str, path: str) -> bool:
        """A path the lane may answer: see ``_lane_path``; and none of the issuers' (under
        ``/oauth2/``) while mock issuers are served: the dispatcher gives those to them."""
        if path.startswith(ISSUER_PATHS):
            issuers = self.config.issuers
            if issuers is not None and issuers.providers:
                return False
        return _lane_path(method, path)

    def _protected(self, stub: Stub) -> bool:
        return self.config.stubs[stub.id].protected is not None


def _lane_path(method: str, path: str) -> bool:
    """HEAD has its own rules and control paths may belong to the admin plane. A method
    that is not an HTTP token (a stub may name any text) never arrives as one: no key."""
    plain = method != "HEAD" and not path.startswith("/__") and _plain_target(path)
    return plain and _TOKEN.fullmatch(method) is not None


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""RFC 9110 §5.6.2: what a method may be."""


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
