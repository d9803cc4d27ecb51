"""Load time for one ``websockets:`` entry: messages, rules and timers, compiled once.

Serve time asks ``WebSocketRoute.react`` what to do with one incoming message and gets
plain data back (``Reaction``): the frames to send, a delay, a close or a drop. Nothing
here touches a socket, so every decision is testable without a server.

Message forms (``on_connect``, ``reply``, ``send``; a list at the top is several messages):

- a string: one text frame (a template);
- a dict, number, boolean or null: JSON text (templates in its string leaves);
- ``{binary: <base64>}``: one binary frame (the base64 text may be a template);
- ``{json: <any>}``: JSON text of any value, a list included.

Templates read ``message`` (the incoming text; binary frames decoded as UTF-8 with
replacement), ``json`` (the message parsed, or None), ``request`` (the upgrade request,
``request.params`` its path parameters) and the usual names. They compile on the shared
small compiler for callers with names of their own (``templating.valuetemplates``): the
response compiler knows only a response's names.

A rule (``on_message``) has ``match`` (one body matcher or a list, all must hold),
``frame`` (``text`` or ``binary`` only), then ``reply`` and/or ``echo: true`` (the message
back as it came, same frame type), ``delay_ms``, ``close: {code, reason}`` or ``drop``.
``scenario: {name, when, then}`` gates a rule on a scenario's state and moves it when
the rule answers: the same scenarios as the endpoints' (``state.scenarios``), so an HTTP
call can open a conversation's next act and a message can change what HTTP answers.
No rule matching sends nothing. With ``broadcast``, replies go to every session of the
route on the same concrete path (same room); ``close``/``drop`` stay the sender's, and
``on_connect``, ``every`` and ``sequence`` are always per session.

Message matchers are the body matchers: a message is matched as a ``Request`` whose body
is the message (``as_request``), so every body operator, natives and addons, applies.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from websockets.exceptions import ProtocolError
from websockets.frames import Close

from ..config.convert import native_body_spec
from ..matching.body import BodyMatcher, compile_body
from ..model import INVALID_JSON, Request, Scenario
from ..state.scenarios import Scenarios
from ..templating import RENDER_ERRORS, TemplateEnvironment, render_error
from ..templating.jsonbody import encode_static
from ..templating.valuetemplates import Render, compile_text, compile_value

OWN_NAMES = ("message", "json")
"""Template names a message context adds to the usual ones."""
DEFAULT_MAX_MESSAGE_BYTES = 1 << 20
Frame = tuple[bool, bytes]
"""One outgoing message: (binary, payload); a text payload is UTF-8."""

_ENTRY_KEYS = frozenset(
    {
        "path",
        "match",
        "name",
        "id",
        "description",
        "priority",
        "subprotocol",
        "on_connect",
        "on_message",
        "every",
        "sequence",
        "broadcast",
        "max_message_bytes",
        "idle_timeout_s",
        "compression",
    }
)
_RULE_KEYS = frozenset({"match", "frame", "reply", "echo", "delay_ms", "close", "drop", "scenario"})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: ready bytes, or a template rendered per send."""

    binary: bool
    payload: bytes = b""
    render: Render | None = None
    kind: str = "text"
    """``text``, ``json`` or ``binary``: how a rendered value becomes the payload."""

    def frame(self, ctx: dict[str, Any]) -> Frame:
        """Serve time: the payload for one context (``TemplateRenderError`` on failure)."""
        if self.render is None:
            return self.binary, self.payload
        try:
            value = self.render(ctx)
        except RENDER_ERRORS as exc:
            raise render_error(exc) from exc
        if self.kind == "binary":
            try:
                return True, base64.b64decode(str(value), validate=True)
            except binascii.Error as exc:
                raise render_error(ValueError(f"binary: not base64 ({exc})")) from exc
        text = str(value) if self.kind == "text" else encode_static(value)
        return False, text.encode()


class Messages:
    """Messages sent together, with one context maker over the names they all read."""

    __slots__ = ("items", "names", "_maker")

    def __init__(self, env: TemplateEnvironment, raw: Any, where: str) -> None:
        values = raw if isinstance(raw, list) else [raw]
        names: set[str] = set()
        items = []
        for index, value in enumerate(values):
            item, used = _outgoing(value, f"{where}/{index}" if isinstance(raw, list) else where)
            items.append(item)
            names |= used
        self.items: tuple[Outgoing, ...] = tuple(items)
        self.names = frozenset(names)
        own = self.names - set(OWN_NAMES)
        self._maker = env.context_maker(own) if own else None

    def frames(
        self, request: Request, params: dict[str, str], message: Request | None = None
    ) -> list[Frame]:
        """Serve time: every message rendered against one context (one ``uuid``)."""
        ctx: dict[str, Any] = {} if self._maker is None else self._maker(request, params)
        if "message" in self.names:
            ctx["message"] = message.text if message is not None else None
        if "json" in self.names:
            parsed = message.json if message is not None else INVALID_JSON
            ctx["json"] = None if parsed is INVALID_JSON else parsed
        return [item.frame(ctx) for item in self.items]


def _outgoing(value: Any, where: str) -> tuple[Outgoing, set[str]]:
    if isinstance(value, dict) and len(value) == 1 and "binary" in value:
        data = value["binary"]
        if not isinstance(data, str):
            raise ValueError(f"{where}/binary: give the bytes as base64 text")
        run, names = compile_text(data, f"{where}/binary", OWN_NAMES)
        if run is not None:
            return Outgoing(True, render=run, kind="binary"), names
        try:
            return Outgoing(True, base64.b64decode(data, validate=True)), set()
        except binascii.Error as exc:
            raise ValueError(f"{where}/binary: not base64 ({exc})") from None
    if isinstance(value, dict) and len(value) == 1 and "json" in value:
        value = value["json"]
    elif isinstance(value, str):
        run, names = compile_text(value, where, OWN_NAMES)
        return Outgoing(False, b"" if run else value.encode(), run, "text"), names
    run, names = compile_value(value, where, OWN_NAMES)
    return Outgoing(False, b"" if run else encode_static(value).encode(), run, "json"), names


@dataclass(frozen=True, slots=True)
class Reaction:
    """What to do about one incoming message: send ``frames`` (to every session on the
    path when ``broadcast``) after ``delay_s``, then close or drop."""

    frames: list[Frame]
    delay_s: float = 0.0
    close: tuple[int, str] | None = None
    drop: bool = False
    broadcast: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``on_message`` rule: conditions, then what to answer."""

    matchers: tuple[BodyMatcher, ...]
    frame: bool | None
    """Only binary (True) or only text (False) messages; None: both."""
    replies: Messages | None
    echo: bool
    delay_s: float
    close: tuple[int, str] | None
    drop: bool
    scenario: Scenario | None = None

    def matches(
        self, message: Request, binary: bool, upgrade: Request, scenarios: Scenarios | None
    ) -> bool:
        if self.frame is not None and self.frame is not binary:
            return False
        if not all(matcher.test(message) for matcher in self.matchers):
            return False
        scenario = self.scenario
        if scenario is None or scenario.when is None:
            return True
        return scenarios is not None and scenarios.state(scenario.name, upgrade) == scenario.when


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a ``sequence``: wait ``delay_s`` after the previous one, then send
    (and maybe close)."""

    delay_s: float
    messages: Messages | None
    close: tuple[int, str] | None


@dataclass(frozen=True, slots=True)
class WebSocketRoute:
    """One compiled ``websockets:`` entry (the router's ``path``/``match`` aside)."""

    path: str
    subprotocols: tuple[str, ...]
    on_connect: Messages | None
    rules: tuple[Rule, ...]
    every: tuple[float, Messages] | None
    sequence: tuple[Step, ...]
    repeat: int | None
    """How many times ``sequence`` plays; None: until the connection closes."""
    broadcast: bool
    max_message_bytes: int | None
    idle_timeout_s: float | None
    compression: bool

    @property
    def uses_scenarios(self) -> bool:
        """Some rule reads or moves a scenario (the config then keeps their state)."""
        return any(rule.scenario is not None for rule in self.rules)

    def react(
        self,
        request: Request,
        params: dict[str, str],
        payload: bytes,
        binary: bool,
        scenarios: Scenarios | None = None,
    ) -> Reaction | None:
        """Serve time: the first matching rule's answer to one message (None: no rule
        matches, nothing is sent). A rule's scenario is read and moved in ``scenarios``
        for the session of the upgrade ``request``. Raises ``TemplateRenderError``."""
        message = as_request(request, payload)
        for rule in self.rules:
            if rule.matches(message, binary, request, scenarios):
                scenario = rule.scenario
                if scenario is not None and scenario.then is not None and scenarios is not None:
                    scenarios.move(scenario.name, scenario.then, scenario.when, request)
                frames = [(binary, payload)] if rule.echo else []
                if rule.replies is not None:
                    frames += rule.replies.frames(request, params, message)
                return Reaction(frames, rule.delay_s, rule.close, rule.drop, self.broadcast)
        return None


def as_request(upgrade: Request, payload: bytes) -> Request:
    """A message as the body matchers see it: the upgrade request with the message as
    its body."""
    return Request(
        upgrade.method, upgrade.path, upgrade.query_string, body=payload, client=upgrade.client
    )


def compile_websocket(entry: Mapping[str, Any], env: TemplateEnvironment) -> WebSocketRoute:
    """Load time: compile one entry; ``ValueError`` names the place (``on_message/1/match``)."""
    if not isinstance(entry, Mapping):
        raise ValueError("a websockets entry must be a mapping")
    _known(entry, _ENTRY_KEYS, "")
    raw_rules = entry.get("on_message", [])
    if not isinstance(raw_rules, list):
        raise ValueError("on_message: must be a list of rules")
    every = entry.get("every")
    steps, repeat = _sequence(env, entry.get("sequence"))
    on_connect = entry.get("on_connect")
    return WebSocketRoute(
        path=str(entry.get("path", "")),
        subprotocols=_subprotocols(entry.get("subprotocol")),
        on_connect=None if on_connect is None else Messages(env, on_connect, "on_connect"),
        rules=tuple(_rule(env, raw, f"on_message/{i}") for i, raw in enumerate(raw_rules)),
        every=None if every is None else _every(env, every),
        sequence=steps,
        repeat=repeat,
        broadcast=_flag(entry, "broadcast", ""),
        max_message_bytes=_size(entry.get("max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES)),
        idle_timeout_s=_seconds(entry.get("idle_timeout_s"), "idle_timeout_s"),
        compression=_flag(entry, "compression", "", default=True),
    )


def _rule(env: TemplateEnvironment, raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a rule is a mapping (match, reply, close...)")
    _known(raw, _RULE_KEYS, where)
    frame = raw.get("frame")
    if frame not in (None, "text", "binary"):
        raise ValueError(f"{where}/frame: text or binary, not {frame!r}")
    drop = _flag(raw, "drop", where)
    echo = _flag(raw, "echo", where)
    if drop and ("reply" in raw or echo or "close" in raw):
        raise ValueError(f"{where}/drop: a dropped connection sends nothing (no reply, close)")
    return Rule(
        matchers=_matchers(raw.get("match"), f"{where}/match"),
        frame=None if frame is None else frame == "binary",
        replies=Messages(env, raw["reply"], f"{where}/reply") if "reply" in raw else None,
        echo=echo,
        delay_s=_millis(raw.get("delay_ms", 0), f"{where}/delay_ms"),
        close=close_spec(raw.get("close"), f"{where}/close"),
        drop=drop,
        scenario=_scenario(raw.get("scenario"), f"{where}/scenario"),
    )


def _scenario(raw: Any, where: str) -> Scenario | None:
    """``{name, when, then}`` as an endpoint's ``scenario`` is written."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ValueError(f"{where}: give {{name: <scenario>, when: <state>, then: <state>}}")
    _known(raw, frozenset({"name", "when", "then"}), where)
    for key in ("when", "then"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ValueError(f"{where}/{key}: a state name (text)")
    return Scenario(raw["name"], raw.get("when"), raw.get("then"))


def _matchers(raw: Any, where: str) -> tuple[BodyMatcher, ...]:
    if raw is None:
        return ()
    found = []
    for index, item in enumerate(raw if isinstance(raw, list) else [raw]):
        at = f"{where}/{index}" if isinstance(raw, list) else where
        try:
            found.append(compile_body(native_body_spec(item)))
        except ValidationError as exc:
            first = exc.errors()[0]
            inner = "/".join(str(part) for part in first["loc"])
            text = str(first["msg"]).removeprefix("Value error, ")
            raise ValueError(f"{at}{'/' + inner if inner else ''}: {text}") from None
        except ValueError as exc:
            raise ValueError(f"{at}: {exc}") from None
    return tuple(found)


def _every(env: TemplateEnvironment, raw: Any) -> tuple[float, Messages]:
    if not isinstance(raw, dict) or "send" not in raw or "ms" not in raw:
        raise ValueError("every: give {ms: <period>, send: <message(s)>}")
    _known(raw, frozenset({"ms", "send"}), "every")
    period = _millis(raw["ms"], "every/ms")
    if period <= 0:
        raise ValueError("every/ms: the period must be above 0")
    return period, Messages(env, raw["send"], "every/send")


def _sequence(env: TemplateEnvironment, raw: Any) -> tuple[tuple[Step, ...], int | None]:
    """``[{send, delay_ms, close}...]``, or ``{steps: [...], repeat: N | forever}``."""
    if raw is None:
        return (), 1
    repeat: int | None = 1
    where = "sequence"
    if isinstance(raw, dict):
        _known(raw, frozenset({"steps", "repeat"}), where)
        given = raw.get("repeat", 1)
        if given == "forever":
            repeat = None
        elif isinstance(given, int) and not isinstance(given, bool) and given >= 1:
            repeat = given
        else:
            raise ValueError("sequence/repeat: a count of at least 1, or forever")
        raw, where = raw.get("steps"), "sequence/steps"
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: a non-empty list of steps ({{send, delay_ms, close}})")
    steps = []
    for index, item in enumerate(raw):
        at = f"{where}/{index}"
        if not isinstance(item, dict) or not ({"send", "close"} & item.keys()):
            raise ValueError(f"{at}: a step is {{send, delay_ms}} (or close)")
        _known(item, frozenset({"send", "delay_ms", "close"}), at)
        send = Messages(env, item["send"], f"{at}/send") if "send" in item else None
        close = close_spec(item.get("close"), f"{at}/close")
        steps.append(Step(_millis(item.get("delay_ms", 0), f"{at}/delay_ms"), send, close))
    if repeat is None and sum(step.delay_s for step in steps) <= 0:
        raise ValueError("sequence/repeat: forever needs a delay_ms in some step")
    return tuple(steps), repeat


def close_spec(raw: Any, where: str) -> tuple[int, str] | None:
    """``{code, reason}`` (or a bare code) checked as websockets checks a close frame."""
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = {"code": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("code", 1000), int):
        raise ValueError(f"{where}: give {{code: <int>, reason: <text>}}")
    _known(raw, frozenset({"code", "reason"}), where)
    code, reason = raw.get("code", 1000), str(raw.get("reason", ""))
    try:
        Close(code, reason).check()
    except ProtocolError:
        raise ValueError(
            f"{where}/code: {code} cannot be sent (1000-1003, 1007-1014, 3000-4999)"
        ) from None
    if len(reason.encode()) > 123:
        raise ValueError(f"{where}/reason: at most 123 bytes in a close frame")
    return code, reason


def _subprotocols(raw: Any) -> tuple[str, ...]:
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    if not all(isinstance(value, str) and value for value in values):
        raise ValueError("subprotocol: a name or a list of names")
    return tuple(values)


def _known(raw: Mapping[str, Any], keys: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in raw if key not in keys)
    if unknown:
        prefix = f"{where}/" if where else ""
        raise ValueError(f"{prefix}{unknown[0]}: unknown key (use {', '.join(sorted(keys))})")


def _flag(raw: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{where + '/' if where else ''}{key}: true or false")
    return value


def _millis(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise ValueError(f"{where}: milliseconds, a number of at least 0")
    return float(raw) / 1000


def _seconds(raw: Any, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
        raise ValueError(f"{where}: seconds, a number above 0")
    return float(raw)


def _size(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ValueError("max_message_bytes: a byte count of at least 1 (or null: no cap)")
    return raw


def literal_frame(value: Any) -> Frame:
    """A message pushed from outside (``Hub.send``), in the config's forms but never a
    template: text, bytes (binary), ``{binary: <base64>}``, ``{json: <any>}`` or JSON."""
    if isinstance(value, bytes | bytearray):
        return True, bytes(value)
    if isinstance(value, str):
        return False, value.encode()
    if isinstance(value, dict) and len(value) == 1 and "binary" in value:
        try:
            return True, base64.b64decode(str(value["binary"]), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"binary: not base64 ({exc})") from None
    if isinstance(value, dict) and len(value) == 1 and "json" in value:
        value = value["json"]
    return False, encode_static(value).encode()
