"""What an addon's hooks see and change: one request's ``Flow`` and its ``Reply``.

A ``Flow`` is made only for requests some addon looks at (decided at load time), so a
stub no addon touches never builds one. Hooks change the flow in place; the pipeline
(``addons.pipeline``) reads it back after each phase.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..behaviours.faults import FAULT_NAMES
from ..model import Request, ServeEvent, Stub
from ..outcome import Response, reason_phrase

if TYPE_CHECKING:
    from ..outcome import Respond
    from ..state.store import StateSpace
    from .hooks import Hook

_NOT_SENT = ("content-length",)
"""Header names a reply never carries itself: the encoder adds them."""


class Reply:
    """A response an addon can read and change: status, header lines in order, body.

    ``headers`` is a plain list of (name, value) pairs (names as they will be sent);
    ``content-length`` is computed when the reply is sent, never set here. A reply read
    from an encoded response parses its head only when headers or reason are asked for,
    and ``unchanged`` tells whether the hooks changed anything at all.
    """

    __slots__ = ("status", "body", "_headers", "_reason", "_source", "_pristine")

    def __init__(
        self,
        status: int = 200,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | str = b"",
        reason: str | None = None,
    ) -> None:
        self.status = status
        self._headers: list[tuple[str, str]] | None = [
            (name, value) for name, value in headers if name.lower() not in _NOT_SENT
        ]
        self.body = body.encode() if isinstance(body, str) else body
        self._reason = reason
        self._source: Response | None = None
        self._pristine: tuple[tuple[tuple[str, str], ...], str | None] | None = None

    @classmethod
    def of(cls, response: Response) -> Reply:
        """The reply an encoded ``Response`` is (its head parsed back on first need)."""
        reply = cls.__new__(cls)
        reply.status = response.status
        reply.body = response.body
        reply._headers = None
        reply._reason = None
        reply._source = response
        reply._pristine = None
        return reply

    def _parse(self) -> list[tuple[str, str]]:
        source = self._source
        assert source is not None
        lines = source.head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        reason = status_line[2] if len(status_line) > 2 else None
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep and name.lower() not in _NOT_SENT:
                headers.append((name, value.strip()))
        if reason is not None and reason == reason_phrase(source.status):
            reason = None
        self._headers, self._reason = headers, reason
        self._pristine = (tuple(headers), reason)
        return headers

    @property
    def headers(self) -> list[tuple[str, str]]:
        headers = self._headers
        return self._parse() if headers is None else headers

    @headers.setter
    def headers(self, value: list[tuple[str, str]]) -> None:
        if self._headers is None and self._source is not None:
            self._parse()
        self._headers = value

    @property
    def reason(self) -> str | None:
        """A reason phrase in place of the standard one (None: the standard one)."""
        if self._headers is None and self._source is not None:
            self._parse()
        return self._reason

    @reason.setter
    def reason(self, value: str | None) -> None:
        if self._headers is None and self._source is not None:
            self._parse()
        self._reason = value

    def unchanged(self) -> bool:
        """Whether this is still exactly the response it was read from."""
        source = self._source
        if source is None or self.status != source.status or self.body != source.body:
            return False
        if self._headers is None:
            return True
        return self._pristine == (tuple(self._headers), self._reason)

    def encode(self) -> Response:
        """The reply as the transport sends it (the response it was read from, when it is
        unchanged)."""
        if self._source is not None and self.unchanged():
            return self._source
        return Response.build(self.status, self.headers, self.body, self.reason)

    def header(self, name: str) -> str | None:
        """The first value of a header (any case), or None."""
        wanted = name.lower()
        for given, value in self.headers:
            if given.lower() == wanted:
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        """Replace every line of header ``name`` with one carrying ``value``."""
        self.remove_header(name)
        self.headers.append((name, value))

    def add_header(self, name: str, value: str) -> None:
        """One more line of header ``name`` (earlier ones stay)."""
        self.headers.append((name, value))

    def remove_header(self, name: str) -> None:
        """Drop every line of header ``name`` (any case)."""
        wanted = name.lower()
        self.headers = [(n, v) for n, v in self.headers if n.lower() != wanted]

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    @text.setter
    def text(self, value: str) -> None:
        self.body = value.encode()

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not JSON)."""
        return jsonlib.loads(self.body)

    @json.setter
    def json(self, value: Any) -> None:
        self.body = jsonlib.dumps(value, separators=(",", ":")).encode()
        if self.header("content-type") is None:
            self.headers.append(("Content-Type", "application/json"))

    def __repr__(self) -> str:
        return f"Reply({self.status}, {len(self.headers)} headers, {len(self.body)} bytes)"


class Flow:
    """One request on its way through the addons' phases.

    - ``request``: the request; a ``request`` hook may replace it (routing uses the new one);
    - ``stub`` and ``params``: the chosen stub and its path parameters (None before routing
      and when nothing matched);
    - ``response``: the ``Reply`` once there is one; setting it in ``request`` or ``matched``
      (``respond``) answers at once;
    - ``delay_s``: the delay before the answer leaves (``response`` may change it);
    - ``fault``: a fault name to send instead of the response (``fail``);
    - ``decision``: the trouble decided for this request (latency, failure, rate limit),
      read-only;
    - ``state``: this addon's own state space (``count``, ``value``/``set_value``), shared
      through the configured store;
    - ``scratch``: a dict for the hooks of one request to pass things along;
    - ``event``: the journal's record of the exchange.
    """

    __slots__ = (
        "request",
        "stub",
        "params",
        "response",
        "delay_s",
        "fault",
        "decision",
        "state",
        "scratch",
        "event",
        "phase",
        "vetoed",
        "replacement",
        "served_by",
        "sent",
        "_states",
    )

    def __init__(
        self,
        request: Request,
        event: ServeEvent,
        states: Mapping[str, StateSpace] | None = None,
    ) -> None:
        self.request = request
        self.event = event
        self.stub: Stub | None = None
        self.params: dict[str, str] = {}
        self.response: Reply | None = None
        self.delay_s = 0.0
        self.fault: str | None = None
        self.decision: Mapping[str, Any] | None = None
        self.state: StateSpace | None = None
        """The running addon's state space (set by the pipeline before each hook)."""
        self.scratch: dict[str, Any] = {}
        self.phase = "request"
        """The phase being run: request, matched, response or served."""
        self.vetoed = False
        self.replacement: str | None = None
        self.served_by: tuple[Hook, ...] = ()
        """The ``served`` hooks to run once the answer left (the pipeline sets them)."""
        self.sent: Respond | None = None
        """The outcome ``response`` was read from or encoded into (the pipeline's)."""
        self._states = states or {}

    def respond(
        self,
        status: int = 200,
        body: bytes | str = b"",
        *,
        json: Any = None,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
    ) -> Reply:
        """Answer with this reply: in ``request`` or ``matched``, the rest is skipped."""
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        reply = Reply(status, pairs, body)
        if json is not None:
            reply.json = json
        self.response = reply
        return reply

    def veto(self) -> None:
        """In ``matched``: the chosen stub does not answer (the request is unmatched)."""
        self.vetoed = True

    def use(self, stub: str) -> None:
        """In ``matched``: answer with another stub, by name or id."""
        self.replacement = stub

    def fail(self, fault: str) -> None:
        """Send a fault instead of the response (``connection_reset``, ``empty_response``,
        ``malformed_chunk``, ``random_data_then_close`` or ``timeout``)."""
        if fault not in FAULT_NAMES:
            raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULT_NAMES)})")
        self.fault = fault

    def state_of(self, addon: str) -> StateSpace | None:
        """Another addon's state space, by its name (None when it has none)."""
        return self._states.get(addon)

    def __repr__(self) -> str:
        label = self.stub.label if self.stub is not None else None
        return f"Flow({self.request.method} {self.request.path}, stub={label!r}, {self.phase})"
