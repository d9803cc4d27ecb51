"""The one internal model every stub source is turned into, plus the parsed request.

Everything here is plain data with no I/O. Config-time objects (``Stub`` and its parts)
are frozen; ``Request`` computes its derived views (query, cookies, JSON) lazily, once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .addons.webhooks import CallbackSpec
    from .behaviours.spec import Behaviours
    from .matching.template import TemplateSpec

Headers = list[tuple[str, str]]
"""Header (name, value) pairs in order, as behaviours add them to an answer."""

ANY_METHOD: frozenset[str] = frozenset()
"""Marker for ``RequestPattern.methods``: every method matches."""

_UNSET: Any = object()
INVALID_JSON: Any = object()
"""What ``Request.json`` is when the body is not JSON (compare with ``is``)."""


def _split_head(head: bytes) -> list[tuple[bytes, bytes]]:
    """``transport.heads.head_fields``, imported on first use (the transport imports this
    module) and then called directly: this name is rebound to it."""
    global _split_head
    from .transport.heads import head_fields

    _split_head = head_fields
    return head_fields(head)


_NEEDLES: dict[str, bytes] = {}
"""Lower-case header name -> what precedes its value in a head (b"" when no header sent
can have that name); bounded by ``_MAX_NEEDLES``."""
_MAX_NEEDLES = 1024


def _needle(key: str) -> bytes:
    try:
        name = key.encode("latin-1")
    except UnicodeEncodeError:
        name = b""  # no header sent can have this name
    needle = b"" if not name or b":" in name else b"\r\n" + name + b":"
    if len(_NEEDLES) < _MAX_NEEDLES:
        _NEEDLES[key] = needle
    return needle


def header_needle(key: str) -> bytes:
    """What precedes the values of header ``key`` (lower-case) in a strict head, for
    ``head_values``; b"" when no header sent can have that name."""
    needle = _NEEDLES.get(key)
    return _needle(key) if needle is None else needle


def head_values(head: bytes, lowered: bytes, needle: bytes) -> list[str] | None:
    """Every value of the header ``needle`` spells (``header_needle``), in order, searched
    in a head that passed the strict parser (``lowered`` is ``head.lower()``, made once
    for every header a caller looks for); None when it is absent."""
    start = lowered.find(needle)
    if start < 0:
        return None
    found: list[str] = []
    size = len(needle)
    while start >= 0:
        begin = start + size
        end = head.find(b"\r", begin)  # one byte: a long value is walked fast
        if head[end + 1 : end + 2] != b"\n":
            end = line_end(head, begin)
        found.append(head[begin:end].decode("latin-1").strip(" \t"))
        start = lowered.find(needle, end)
    return found


def line_end(head: bytes, start: int) -> int:
    """Where the line holding ``start`` ends (its CR of CRLF), or -1. A one-byte search
    first: ``find(b"\r\n")`` walks a long value (a bearer token) several times slower."""
    end = head.find(b"\r", start)
    while end >= 0 and head[end + 1 : end + 2] != b"\n":
        end = head.find(b"\r", end + 1)
    return end


def _loose(head: bytes) -> bool:
    """Whether a head has folded lines or bare LFs (a strict parser refuses both)."""
    return b"\n " in head or b"\n\t" in head or head.count(b"\n") != head.count(b"\r\n")


class Request:
    """One parsed HTTP request, as the transport hands it to the engine."""

    __slots__ = (
        "method",
        "path",
        "query_string",
        "_headers",
        "_raw",
        "head",
        "strict_head",
        "body",
        "client",
        "http_version",
        "_header_map",
        "_query",
        "_cookies",
        "_json",
        "auth",
    )

    scheme: ClassVar[str] = "http"
    """``https`` for a request that came over TLS (the HTTPS port, a CONNECT tunnel): its
    class is then ``dispatch.TlsRequest``, so no request carries the flag itself."""

    auth: Any
    """What the matched stub's ``auth`` admitted (an ``auth.guard.Admission``), set by the
    engine before it answers; unset otherwise (read it with ``getattr(request, "auth",
    None)``), so an unprotected request pays nothing for it."""

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        client: tuple[str, int] | None = None,
        http_version: str = "1.1",
        raw_headers: list[tuple[bytes, bytes]] | None = None,
        head: bytes | None = None,
        strict_head: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        wire = raw_headers is not None or head is not None
        self._headers: tuple[tuple[str, str], ...] | None = None if wire else headers
        self._raw = raw_headers
        self.head = head
        """The whole head as received, when the transport kept only that (``raw_headers``
        split from it on first use); None when it handed over the header lines."""
        self.strict_head = strict_head
        """``head`` passed the transport's strict parser: CRLF line ends and no folded
        lines, so one header can be searched for in it without splitting it."""
        self.body = body
        self.client = client
        self.http_version = http_version
        self._header_map: dict[str, list[str]] | None = None
        self._query: dict[str, list[str]] | None = None
        self._cookies: dict[str, str] | None = None
        self._json: Any = _UNSET

    def replace(self, **changes: Any) -> Request:
        """A copy with some of ``method``, ``path``, ``query_string``, ``headers``,
        ``body``, ``client`` and ``http_version`` changed: how a ``request`` hook rewrites
        a request before routing (``flow.request = flow.request.replace(path="/v2")``)."""
        given: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query_string": self.query_string,
            "headers": self.headers,
            "body": self.body,
            "client": self.client,
            "http_version": self.http_version,
        }
        unknown = set(changes) - set(given)
        if unknown:
            raise TypeError(f"Request.replace: no field {', '.join(sorted(unknown))}")
        given.update(changes)
        return Request(**given)

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]] | None:
        """The header lines as received (the transport's form); ``headers`` decodes them
        on first use, so a request nobody inspects never pays for decoding."""
        raw = self._raw
        if raw is None and self.head is not None:
            raw = self._raw = _split_head(self.head)
        return raw

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """Header (name, value) pairs in order, names as sent, values without trailing OWS."""
        if self._headers is None:
            self._headers = tuple(
                (name.decode("latin-1"), value.decode("latin-1").rstrip(" \t"))
                for name, value in self.raw_headers or ()
            )
        return self._headers

    @property
    def url(self) -> str:
        """Path plus query string, as the client sent it."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def header_map(self) -> dict[str, list[str]]:
        """Headers by lower-case name, every value kept in order."""
        if self._header_map is None:
            found: dict[str, list[str]] = {}
            raw = self.raw_headers
            if raw is not None and self._headers is None:  # straight from the wire form
                for name, value in raw:
                    key = name.decode("latin-1").lower()
                    text = value.decode("latin-1").rstrip(" \t")
                    if key in found:
                        found[key].append(text)
                    else:
                        found[key] = [text]
            else:
                for given, text in self.headers:
                    found.setdefault(given.lower(), []).append(text)
            self._header_map = found
        return self._header_map

    def header_values(self, key: str) -> list[str] | None:
        """Every value of the header ``key`` (lower-case), in order, or None: what
        ``header_map.get(key)`` gives. A head kept as received is searched directly for
        that one name, so a stub testing one header does not decode them all."""
        head = self.head
        if head is None or self._header_map is not None or self._headers is not None:
            return self.header_map.get(key)
        if not self.strict_head and _loose(head):
            return self.header_map.get(key)  # folded lines or bare LFs: llhttp's reading
        needle = header_needle(key)
        if not needle:
            return self.header_map.get(key)  # not a name this search can spell
        return head_values(head, head.lower(), needle)

    def header(self, name: str) -> str | None:
        """The first value of a header, any case, or None."""
        values = self.header_map.get(name.lower())
        return values[0] if values else None

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, every value kept, blanks included."""
        if self._query is None:
            self._query = parse_query(self.query_string)
        return self._query

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from every ``Cookie`` header; tolerant of odd spacing."""
        if self._cookies is None:
            jar: dict[str, str] = {}
            for line in self.header_map.get("cookie", ()):
                for part in line.split(";"):
                    name, sep, value = part.strip().partition("=")
                    if sep and name:
                        jar.setdefault(name, value.strip().strip('"'))
            self._cookies = jar
        return self._cookies

    @property
    def text(self) -> str:
        """The body decoded as UTF-8, undecodable bytes replaced."""
        return self.body.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``INVALID_JSON``."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.body) if self.body else INVALID_JSON
            except (ValueError, RecursionError):  # nested past the parser's depth: not JSON here
                self._json = INVALID_JSON
        return self._json


def parse_query(query: str) -> dict[str, list[str]]:
    """``parse_qs(query, keep_blank_values=True)``, without its cost when nothing needs
    decoding (no ``%`` and no ``+``): the same pairs, split by hand."""
    if "%" in query or "+" in query:
        return parse_qs(query, keep_blank_values=True)
    found: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            if name in found:
                found[name].append(value)
            else:
                found[name] = [value]
    return found


def query_values(query: str, name: str) -> list[str] | None:
    """``parse_query(query).get(name)`` without building the whole map: for a test of
    one parameter on a query string no ``Request`` was made for."""
    if "%" in query or "+" in query:
        return parse_query(query).get(name)
    found: list[str] | None = None
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == name and pair:
            if found is None:
                found = [value]
            else:
                found.append(value)
    return found


@dataclass(frozen=True, slots=True)
class Source:
    """Where a stub was defined, for error messages and the admin API."""

    file: str
    line: int | None = None
    pointer: str = ""


ValueOp = str
"""A value operator's registered name (``equals``, ``contains``, ``regex``, ``present``,
``one_of`` natively; importers and addons register more in ``matching``)."""


@dataclass(frozen=True, slots=True)
class ValueSpec:
    """One operator on one text value (a query parameter, header or cookie)."""

    op: ValueOp
    expected: Any
    case_insensitive: bool = False
    negate: bool = False


BodyOp = str
"""A body operator's registered name (``equals``, ``contains``, ``regex``, ``json``,
``jsonpath``, ``schema`` natively; more may be registered in ``matching``)."""


@dataclass(frozen=True, slots=True)
class BodySpec:
    """One condition on the request body.

    ``json`` is a partial match (every given key must be present and equal, recursively);
    ``jsonpath`` selects with ``expression`` and checks the selection with ``value`` (or
    only that something is selected when ``value`` is None); ``schema`` is JSON Schema.
    """

    op: BodyOp
    expected: Any = None
    expression: str | None = None
    value: ValueSpec | None = None


@dataclass(frozen=True, slots=True)
class RequestPattern:
    """What must hold for a request to match a stub; every present condition must hold."""

    methods: frozenset[str] = ANY_METHOD
    path: str | None = None
    path_regex: str | None = None
    query: tuple[tuple[str, ValueSpec], ...] = ()
    headers: tuple[tuple[str, ValueSpec], ...] = ()
    cookies: tuple[tuple[str, ValueSpec], ...] = ()
    body: tuple[BodySpec, ...] = ()
    params: tuple[tuple[str, ValueSpec], ...] = ()
    """Conditions on path parameters (WireMock's ``pathParameters``)."""
    url: ValueSpec | None = None
    """A condition on the whole request target, path and query as received (WireMock's
    ``url`` and ``urlPattern``); ``path`` still narrows the candidates when it can."""
    no_query: bool = False
    """The request must carry no query string (WireMock's ``url`` without ``?``)."""
    host: ValueSpec | None = None
    """A condition on the host the request names (its ``Host`` header, without the port)."""
    port: int | None = None
    """The port the request names (its ``Host`` header; 80 when it gives none)."""
    scheme: str | None = None
    """``http`` or ``https``."""
    claims: tuple[tuple[str, ValueSpec], ...] = ()
    """Conditions on the bearer token's claims (``match.auth.claims``): read from the
    token as sent; the stub's own ``auth`` is what verifies it, once the stub is chosen."""
    templates: tuple[TemplateSpec, ...] = ()
    """Templates rendered for the request whose text must satisfy a value condition
    (``match.template``); compiled with the config's template environment."""


BodyKind = Literal["empty", "json", "text", "base64", "file"]
Templating = Literal["jinja", "handlebars", "mockoon", "none"]


@dataclass(frozen=True, slots=True)
class Latency:
    """A delay to sample per response; ``fixed`` uses ``params['ms']``."""

    distribution: str = "fixed"
    params: Mapping[str, float] = field(default_factory=dict)


HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""RFC 9110 7.6.1: headers for one connection only (the proxy never forwards them, and
recordings and imports never replay them)."""


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One Server-Sent Event as written: every text field may be a template; ``data``
    that is not a string is sent as JSON. ``delay_ms`` is the wait before it."""

    data: Any = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None
    delay_ms: float | None = None


@dataclass(frozen=True, slots=True)
class SseSpec:
    """An event stream (``sse:``): ``events`` played ``repeat`` times (None: until the
    client leaves), ``every_ms`` apart unless an event gives its own ``delay_ms``."""

    events: tuple[SseEvent, ...]
    repeat: int | None = 1
    every_ms: float = 0.0
    keepalive_ms: float | None = None
    """While waiting longer than this, send a ``: keep-alive`` comment every so often."""
    drop_after: int | None = None
    """Cut the connection (no clean end) after this many events: a mid-stream fault."""


@dataclass(frozen=True, slots=True)
class ProxySpec:
    """Answer by forwarding to a real API: ``to`` is its base URL; the request's path (less
    ``strip_prefix``) and query follow it."""

    to: str
    strip_prefix: str | None = None
    add_headers: tuple[tuple[str, str], ...] = ()
    remove_headers: tuple[str, ...] = ()
    timeout_ms: float | None = None
    verify: bool = True
    """Verify the upstream's TLS certificate (the default; False for a self-signed one)."""

    def to_config(self) -> dict[str, Any]:
        """``proxy:`` as a native config writes it (defaults left out)."""
        found = {"to": self.to, **self.options()}
        if self.verify:
            del found["verify"]
        return found

    def options(self) -> dict[str, Any]:
        """What the proxy (``Forward.options``) reads."""
        found: dict[str, Any] = {"verify": self.verify}
        if self.strip_prefix:
            found["strip_prefix"] = self.strip_prefix
        if self.add_headers:
            found["add_headers"] = dict(self.add_headers)
        if self.remove_headers:
            found["remove_headers"] = list(self.remove_headers)
        if self.timeout_ms is not None:
            found["timeout_ms"] = self.timeout_ms
        return found


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """What to answer with, before rendering.

    ``body`` is a JSON value (kind ``json``), text, base64 text, or a file path that was
    resolved and confined to the config's folder at load time (kind ``file``). A templated
    file name (kind ``file``, ``body`` None) is ``file_template``, rendered per request and
    confined to ``base_dir``.
    """

    status: int | str = 200
    headers: tuple[tuple[str, str], ...] = ()
    body_kind: BodyKind = "empty"
    body: Any = None
    latency: Latency | None = None
    file_template: str | None = None
    base_dir: str | None = None
    reason: str | None = None
    """The status line's reason phrase (WireMock's ``statusMessage``); None: the standard one."""
    templating: Templating = "jinja"
    """How strings of this response are templates: ``jinja`` (native), ``handlebars``
    (WireMock's ``response-template``), ``none`` (served as written)."""
    infer_type: bool = True
    """Add a ``content-type`` implied by the body when none is given (WireMock adds none)."""
    proxy: ProxySpec | None = None
    """Forward the request instead of answering it (the rest of the spec is unused)."""
    sse: SseSpec | None = None
    """Answer with an event stream (``text/event-stream``) instead of a body."""
    websocket: Mapping[str, Any] | None = None
    """Answer an upgrade request with this WebSocket conversation (``realtime``)."""
    graphql: Mapping[str, Any] | None = None
    """Answer GraphQL from a schema (``schema`` files resolved, ``mocks``, ``operations``,
    ``list_length``, ``introspection``): the rest of the spec is unused."""
    llm: Mapping[str, Any] | None = None
    """Answer as one route of an LLM provider preset (``config.llm.LlmRoute``): the rest
    of the spec is unused."""


ResponseMode = Literal["sequence", "cycle", "random"]
Ordering = Literal["specific", "insertion"]
"""How stubs of equal priority rank: ``specific`` (native) puts the most specific path
first, then file order; ``insertion`` (WireMock's) uses ``order`` alone."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A state machine gate: the stub matches only while scenario ``name`` is in state
    ``when`` (None: any state), and serving it moves the scenario to ``then``."""

    name: str
    when: str | None = None
    then: str | None = None


SCENARIO_START = "Started"
"""Every scenario's first state (WireMock's name for it)."""


@dataclass(frozen=True, slots=True)
class Stub:
    """One rule: a request pattern, what to answer, and how to behave while answering."""

    id: str
    pattern: RequestPattern
    responses: tuple[ResponseSpec, ...]
    name: str | None = None
    priority: int | None = None
    response_mode: ResponseMode = "sequence"
    latency: Latency | None = None
    failure_rate: float = 0.0
    failure: ResponseSpec | None = None
    validate_schema: Mapping[str, Any] | None = None
    source: Source = field(default_factory=lambda: Source("<memory>"))
    order: int = 0
    ordering: Ordering = "specific"
    scenario: Scenario | None = None
    origin: Mapping[str, Any] | None = None
    """The stub as its source format wrote it, when that is not native (a WireMock
    mapping), for exports and the admin API."""
    behaviours: Behaviours | None = None
    """Flaky rules, fault, rate limit, cache, CORS, pacing (and room for scenario, auth,
    metadata) as typed specs (``behaviours.spec.build_behaviours``), validated once by
    the loader; None: none of them."""
    addons: tuple[str, ...] = ()
    """Addons this stub runs besides the server-wide ones: names of loaded addons, or
    specs of its own (``hooks.py``, ``module:Attr``, an entry-point name)."""
    callbacks: tuple[CallbackSpec, ...] = ()
    """HTTP requests to make after each answer (native ``callbacks``, WireMock's webhook
    ``serveEventListeners``), validated by the loader."""

    @property
    def response_specs(self) -> tuple[ResponseSpec, ...]:
        """Every response this stub may send: its responses, then its failure if any."""
        return (*self.responses, self.failure) if self.failure is not None else self.responses

    def to_config(self) -> dict[str, Any]:
        """This stub as a native ``endpoints:`` entry (for the admin API and persistence)."""
        from .stubconfig import stub_to_config

        return stub_to_config(self)

    label: str = field(init=False, compare=False, repr=False)
    """How logs and reports name this stub: its name, else ``METHODS path`` (made once:
    the journal reads it per request)."""

    def __post_init__(self) -> None:
        label = self.name
        if not label:
            methods = "|".join(sorted(self.pattern.methods)) or "ANY"
            label = f"{methods} {self.pattern.path or self.pattern.path_regex}"
        object.__setattr__(self, "label", label)


@dataclass(slots=True, init=False)
class ServeEvent:
    """The record of one exchange: filled in by the engine, finished by the transport.

    Mutable on purpose: the engine writes its decisions as it takes them, so the journal,
    logs and hooks can explain what happened (which stub, which delay, which failure).
    Built once per request: the hand-written ``__init__`` costs half the generated one.
    """

    request: Request
    received_at: float
    stub: Stub | None
    status: int
    delay_s: float
    failure_injected: bool
    duration_s: float
    notes: tuple[str, ...]
    """Free-form remarks for the journal (none by default: nothing allocated per request)."""
    decision: dict[str, Any] | None
    """The trouble decided (latency, failure, fault, rate limit, cache), journal-ready."""
    response: Any
    """The ``outcome.Response`` sent (status, encoded head, body), or None when nothing
    was sent (a fault); the journal keeps a summary of it."""
    flow: Any
    """The addons' ``Flow`` of this exchange, when some addon looks at it (else None)."""

    def __init__(
        self,
        request: Request,
        received_at: float,
        stub: Stub | None = None,
        status: int = 0,
        delay_s: float = 0.0,
        failure_injected: bool = False,
        duration_s: float = 0.0,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.request = request
        self.received_at = received_at
        self.stub = stub
        self.status = status
        self.delay_s = delay_s
        self.failure_injected = failure_injected
        self.duration_s = duration_s
        self.notes = notes
        self.decision = None
        self.response = None
        self.flow = None
