"""Webhooks: after a stub's response has left, call other URLs (Mockoon's callbacks,
WireMock's ``webhook`` serve-event listener).

Load time: ``parse_callbacks`` (native ``callbacks:``) and ``parse_wiremock_listeners``
(WireMock's ``serveEventListeners``) validate into ``CallbackSpec``s; ``Webhooks`` compiles
their templates once. Serve time: ``served`` renders and hands a ``Callback`` to the shared
``CallbackSender`` (``callback_log``), which waits, sends and retries off the request path.

What WireMock 3.13.2 does, observed with a local receiver (the tests pin it):

- the request carries the listener's headers (a list value is one line per item), then
  Host, Content-Length (when there is a body), ``Connection: keep-alive`` and its
  client's User-Agent; no Content-Type unless given; ``method`` defaults to GET;
- url, header values and ``body`` are Handlebars templates over ``originalRequest``
  (WireMock's request model), ``parameters`` (the listener's parameters) and the helpers
  (``now``, ``randomValue``, ``jsonPath``...); ``originalResponse`` and ``request`` are
  not in the model (they print empty). ``base64Body`` is sent decoded (not templated
  here); a ``body`` wins over it; a non-string ``body`` is sent empty (refused here); a
  lower-case method goes out as written, without its body (upper-cased here), and a
  configured User-Agent is replaced by the client's (kept here);
- ``delay`` is ``{type: fixed, milliseconds}``, ``{type: uniform, lower, upper}`` or
  ``{type: lognormal, median, sigma}``; another type, a missing or relative url and a
  template syntax error fail when the webhook fires (refused here at load time);
- a webhook fires for a fault response too; a listener of another name is ignored (the
  mapping loads); a receiver that is down or answers 500 is tried once, never again.

So WireMock listeners get ``retries=0``; native callbacks retry 3 times (4 attempts) on
a connection error, a timeout or a 5xx. Both fire whatever the response was, a fault
included (then the native ``response`` is ``{status: None, headers: {}, body: ""}``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import TemplateError

from ..behaviours.latency import LatencyModel
from ..templating import TemplateEnvironment, is_template
from ..templating.handlebars import WIREMOCK_HELPERS, is_handlebars
from ..templating.handlebars.compiler import handlebars_compiler
from ..templating.handlebars.parser import parse
from ..templating.handlebars.request import RequestModel, Root
from ..templating.handlebars.translate import translate
from ..templating.requestview import HeaderView
from ..templating.valuetemplates import Render, compile_text, compile_value
from .callback_log import Callback, CallbackSender
from .flow import Flow

__all__ = ["CallbackSpec", "Webhooks", "parse_callbacks", "parse_wiremock_listeners"]

Flavour = Literal["jinja", "handlebars"]
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_NATIVE_KEYS = frozenset(
    {"url", "method", "headers", "body", "body_base64", "delay_ms", "delay", "retries", "timeout_s"}
)
_OWN_NAMES = ("response",)
"""What a callback's templates read beyond a response's names."""


@dataclass(frozen=True, slots=True)
class CallbackSpec:
    """One callback as configured (frozen and hashable, as stubs are); ``where`` is its
    key path, which load-time and render errors name."""

    url: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    """The body template; for ``body_json`` it is the JSON text of the configured value."""
    body_base64: bytes | None = None
    """A fixed binary body (already decoded), sent when there is no ``body``."""
    body_json: bool = False
    delay: LatencyModel | None = None
    templating: Flavour = "jinja"
    retries: int = 3
    """Attempts after the first (native default 3; WireMock listeners 0, as WireMock)."""
    timeout_s: float = 10.0
    where: str = "callbacks[0]"
    parameters: str = "{}"
    """JSON text of what Handlebars templates read as ``parameters`` (a WireMock
    listener's own parameters)."""
    config: str = ""
    """JSON text of the native entry as written (what the admin API and persistence
    write back); "" for a WireMock listener, which its mapping keeps."""


def parse_callbacks(raw: Any) -> tuple[CallbackSpec, ...]:
    """The native ``callbacks:`` list; ``ValueError("callbacks[i].key ...")`` when bad."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("callbacks must be a list of callbacks")
    return tuple(_native(entry, f"callbacks[{index}]") for index, entry in enumerate(raw))


def _native(entry: Any, where: str) -> CallbackSpec:
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be a mapping with at least a url")
    if unknown := sorted(set(entry) - _NATIVE_KEYS):
        raise ValueError(
            f"{where} has unknown key(s) {', '.join(map(str, unknown))} "
            f"(allowed: {', '.join(sorted(_NATIVE_KEYS))})"
        )
    url = _url(entry.get("url"), f"{where}.url", is_template)
    headers = _headers(entry.get("headers"), f"{where}.headers")
    body, body_json = entry.get("body"), False
    if body is not None and not isinstance(body, str):
        body, body_json = json.dumps(body, ensure_ascii=False, separators=(",", ":")), True
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers += (("Content-Type", "application/json"),)
    if "delay_ms" in entry and "delay" in entry:
        raise ValueError(f"{where} takes delay_ms or delay, not both")
    delay = None
    for key in ("delay_ms", "delay"):
        if key in entry:
            try:
                delay = LatencyModel.from_config(entry[key])
            except ValueError as exc:
                raise ValueError(f"{where}.{key}: {exc}") from None
    return CallbackSpec(
        url,
        _method(entry.get("method", "POST"), f"{where}.method"),
        headers,
        body,
        _base64(entry.get("body_base64"), f"{where}.body_base64"),
        body_json,
        delay,
        "jinja",
        _count(entry.get("retries", 3), f"{where}.retries"),
        _timeout(entry.get("timeout_s", 10), f"{where}.timeout_s"),
        where,
        config=json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str),
    )


REQUEST_PHASES = frozenset(
    {"BEFORE_MATCH", "AFTER_MATCH", "BEFORE_RESPONSE_SENT", "AFTER_COMPLETE"}
)
"""WireMock's serve-event phases: a listener naming another is refused, as WireMock's reader
refuses it (the mapping is kept and shown back as given, so it must fit)."""


def parse_wiremock_listeners(
    raw: Any, where: str = "serveEventListeners"
) -> tuple[CallbackSpec, ...]:
    """WireMock's ``serveEventListeners``: the ``webhook`` ones (others are ignored, as
    WireMock ignores them); ``ValueError("serveEventListeners[i].parameters.key ...")``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"{where} must be a list of listeners")
    specs = []
    for index, listener in enumerate(raw):
        here = f"{where}[{index}]"
        if not isinstance(listener, Mapping):
            raise ValueError(f"{here} must be an object with a name")
        phases = listener.get("requestPhases")
        if phases is not None and (
            not isinstance(phases, list) or any(p not in REQUEST_PHASES for p in phases)
        ):
            shown = ", ".join(sorted(REQUEST_PHASES))
            raise ValueError(f"{here}.requestPhases must be a list of {shown}, got {phases!r}")
        if listener.get("name") != "webhook":
            continue
        params = listener.get("parameters")
        if not isinstance(params, Mapping):
            raise ValueError(f"{here}.parameters must be an object with a url")
        specs.append(_wiremock(params, f"{here}.parameters"))
    return tuple(specs)


def _wiremock(params: Mapping[str, Any], where: str) -> CallbackSpec:
    url = _url(params.get("url"), f"{where}.url", is_handlebars)
    pairs: list[tuple[str, str]] = []
    raw_headers = params.get("headers") or {}
    if not isinstance(raw_headers, Mapping):
        raise ValueError(f"{where}.headers must be an object of names to values")
    for name, value in raw_headers.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.extend(_headers({name: item}, f"{where}.headers"))
    body = params.get("body")
    if body is not None and not isinstance(body, str):
        raise ValueError(f"{where}.body must be a string (WireMock sends any other value empty)")
    return CallbackSpec(
        url,
        _method(params.get("method", "GET"), f"{where}.method"),
        tuple(pairs),
        body,
        _base64(params.get("base64Body"), f"{where}.base64Body"),
        False,
        _wiremock_delay(params.get("delay"), f"{where}.delay"),
        "handlebars",
        0,
        10.0,
        where,
        json.dumps(params, sort_keys=True),
    )


_WIREMOCK_DELAYS: dict[str, tuple[str, dict[str, str]]] = {
    "fixed": ("fixed", {"milliseconds": "ms"}),
    "uniform": ("uniform", {"lower": "min_ms", "upper": "max_ms"}),
    "lognormal": ("lognormal", {"median": "median_ms", "sigma": "sigma", "maxValue": "max_ms"}),
}


def _wiremock_delay(raw: Any, where: str) -> LatencyModel | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or raw.get("type") not in _WIREMOCK_DELAYS:
        raise ValueError(f"{where} must be an object with type fixed, uniform or lognormal")
    distribution, names = _WIREMOCK_DELAYS[raw["type"]]
    if unknown := sorted(set(raw) - set(names) - {"type"}):
        raise ValueError(f"{where} has unknown key(s) {', '.join(unknown)}")
    config = {names[key]: value for key, value in raw.items() if key != "type"}
    try:
        return LatencyModel.from_config({"distribution": distribution, **config})
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _url(value: Any, where: str, templated: Callable[[str], bool]) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where} must be an absolute http(s) URL")
    if not templated(value) and not re.match(r"^https?://[^/?#\s]+", value, re.IGNORECASE):
        raise ValueError(f"{where} must be an absolute http(s) URL, got {value!r}")
    return value


def _method(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise ValueError(f"{where} must be an HTTP method name, got {value!r}")
    return value.upper()


def _headers(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping of names to values")
    pairs = []
    for name, value in raw.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ValueError(f"{where} has an invalid header name {name!r}")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{where}.{name} must be a string, got {value!r}")
        pairs.append((name, str(value)))
    return tuple(pairs)


def _base64(value: Any, where: str) -> bytes | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return base64.b64decode(value, validate=True)
    except binascii.Error:
        pass
    raise ValueError(f"{where} must be base64 text")


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{where} must be a whole number from 0 to 10, got {value!r}")
    return value


def _timeout(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 300:
        raise ValueError(f"{where} must be seconds above 0 and at most 300, got {value!r}")
    return float(value)


# -- load time: templates -------------------------------------------------------------


def _jinja(source: str, where: str) -> tuple[Render | None, set[str]]:
    return compile_text(source, where, _OWN_NAMES)


def _handlebars(source: str, where: str) -> tuple[Render | None, set[str]]:
    """A WireMock Handlebars template rendering over the ``root`` a context carries (it
    holds ``originalRequest`` and ``parameters``), and what its helpers need."""
    if not is_handlebars(source):
        return None, set()
    try:
        translation = translate(parse(source), WIREMOCK_HELPERS)
        jinja = handlebars_compiler().from_string(translation.source)
    except (TemplateError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    scope: dict[str, Any] = dict(translation.constants)
    scope.update((var, spec.fn) for var, spec in translation.helpers.items())
    root_render, new_context = jinja.root_render_func, jinja.new_context

    def run(ctx: dict[str, Any]) -> str:
        values = dict(scope)
        values["hb_s0"] = ctx["root"]
        return "".join(root_render(new_context(values, True)))

    return run, set(translation.needs)


class _Compiled:
    """One spec's templates, compiled; ``render`` makes the ``Callback`` for one flow."""

    __slots__ = (
        "spec",
        "env",
        "url",
        "headers",
        "body",
        "names",
        "templated",
        "make_context",
        "parameters",
    )

    def __init__(self, spec: CallbackSpec, env: TemplateEnvironment) -> None:
        self.spec = spec
        self.env = env
        where = spec.where
        hb = spec.templating == "handlebars"
        compile_text = _handlebars if hb else _jinja
        names: set[str] = set()
        self.url, used = compile_text(spec.url, f"{where}.url")
        names |= used
        self.headers: list[tuple[str, str, Render | None]] = []
        for name, value in spec.headers:
            run, used = compile_text(value, f"{where}.headers.{name}")
            self.headers.append((name, value, run))
            names |= used
        self.body: Render | None = None
        if spec.body is not None:
            if spec.body_json:
                self.body, used = compile_value(json.loads(spec.body), f"{where}.body", _OWN_NAMES)
            else:
                self.body, used = compile_text(spec.body, f"{where}.body")
            names |= used
        self.names = frozenset(names)
        runs = (self.url, self.body, *(run for _, _, run in self.headers))
        self.templated = any(run is not None for run in runs)
        self.make_context = None if hb else env.context_maker(self.names - {"response"})
        self.parameters: dict[str, Any] = json.loads(spec.parameters)

    def render(self, flow: Flow, label: str) -> Callback:
        spec = self.spec
        ctx = self._context(flow)
        url = spec.url if self.url is None else str(self.url(ctx))
        if not re.match(r"^https?://[^/?#\s]+", url, re.IGNORECASE):
            raise ValueError(f"{spec.where}.url rendered to {url!r}, not an absolute http(s) URL")
        headers = tuple(
            (name, value if run is None else str(run(ctx))) for name, value, run in self.headers
        )
        return Callback(
            label,
            spec.method,
            url,
            headers,
            self._body(ctx),
            spec.delay.sample(self.env.random) if spec.delay is not None else 0.0,
            spec.retries,
            spec.timeout_s,
        )

    def _body(self, ctx: dict[str, Any]) -> bytes:
        spec = self.spec
        if spec.body is None:
            return spec.body_base64 or b""
        if self.body is None:
            return spec.body.encode()
        value = self.body(ctx)
        if spec.body_json:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return str(value).encode()

    def _context(self, flow: Flow) -> dict[str, Any]:
        if self.make_context is not None:
            ctx = self.make_context(flow.request, flow.params)
            if "response" in self.names:
                ctx["response"] = _response(flow)
            return ctx
        if not self.templated:
            return {}
        env = self.env
        rng = env.randoms.rng if "random" in self.names else None
        moment = env.clock.now().moment if "now" in self.names else None
        root = Root(RequestModel(None, {}), rng, moment)
        dict.pop(root, "request")  # WireMock's webhook model has no ``request``
        root["originalRequest"] = RequestModel(flow.request, flow.params)
        root["parameters"] = self.parameters
        return {"root": root}


def _response(flow: Flow) -> dict[str, Any]:
    """``response`` in native templates: the reply that was sent (empty for a fault)."""
    reply = flow.response
    if reply is None:
        return {"status": None, "headers": HeaderView(), "body": "", "json": None}
    headers = HeaderView()
    for name, value in reply.headers:
        headers.setdefault(name.lower(), value)
    try:
        parsed = reply.json
    except ValueError:
        parsed = None
    return {"status": reply.status, "headers": headers, "body": reply.text, "json": parsed}


# -- serve time: the addon ------------------------------------------------------------


class Webhooks:
    """The addon for one stub: in ``served``, render each callback and hand it to the
    sender (never awaited). A render that fails is logged as attempt 0, not sent."""

    name = "webhooks"

    def __init__(
        self,
        specs: tuple[CallbackSpec, ...],
        env: TemplateEnvironment,
        sender: CallbackSender,
        label: str,
    ) -> None:
        self.specs = specs
        self.label = label
        self.sender = sender
        self._compiled = tuple(_Compiled(spec, env) for spec in specs)

    def served(self, flow: Flow) -> None:
        for compiled in self._compiled:
            try:
                call = compiled.render(flow, self.label)
            except Exception as exc:  # a template slip must not reach the request path
                spec = compiled.spec
                failed = Callback(self.label, spec.method, spec.url)
                self.sender.log.record(failed, 0, error=f"render failed: {exc}")
                continue
            self.sender.enqueue(call)

    def __repr__(self) -> str:
        return f"Webhooks({self.label!r}, {len(self.specs)} callback(s))"
