"""Compile a ``ResponseSpec`` at load time into ready bytes, or into a fast renderer.

Static responses (no template anywhere) are encoded once and served as the same bytes
every time. Templated ones keep only the templated parts to evaluate per request: the
status line and static headers are pre-encoded, a JSON body is pre-encoded around its
template slots, and one context (just the names the templates use) is built per
response and shared by status, headers, body and ``response_file`` name.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .behaviours.latency import LatencyModel
from .model import Request, ResponseSpec
from .outcome import Response
from .realtime.sse import EVENT_STREAM_HEADERS, CompiledSse
from .realtime.ws_rules import WebSocketRoute, compile_websocket

if TYPE_CHECKING:
    from .auth.verify import KeySource
    from .graphql.serving import GraphQLEndpoint
    from .llm.serving import LlmEndpoint
from .templating import (
    RENDER_ERRORS,
    JsonBody,
    Template,
    TemplateEnvironment,
    TemplateRenderError,
    compile_template,
    is_template,
    render_error,
)
from .templating.files import FileTable, candidate_files, content_type_of
from .templating.filters import json_default

JSON_TYPE = "application/json"

log = logging.getLogger("apidouble")


@dataclass(frozen=True, slots=True)
class _Engine:
    """How one ``ResponseSpec.templating`` finds and compiles templates."""

    is_template: Callable[[str], bool]
    compile: Callable[[TemplateEnvironment, str, bool], Template]


def _never(_text: str) -> bool:
    return False


def _no_compile(env: TemplateEnvironment, source: str, typed: bool = False) -> Template:
    raise ValueError("templating is off for this response")


def _handlebars(env: TemplateEnvironment, source: str, typed: bool = False) -> Template:
    from .templating.handlebars import compile_handlebars

    return compile_handlebars(env, source)


def _mockoon(env: TemplateEnvironment, source: str, typed: bool = False) -> Template:
    from .templating.handlebars import MOCKOON_HELPERS, check_faker_names, compile_handlebars

    check_faker_names(source)
    template = compile_handlebars(env, source, MOCKOON_HELPERS)
    if "faker" in template.names:
        env.faker()  # Faker is imported and seeded now, at load time
    return template


def _has_mustache(text: str) -> bool:
    return "{{" in text


_ENGINES = {
    "jinja": _Engine(is_template, compile_template),
    "handlebars": _Engine(_has_mustache, _handlebars),
    "mockoon": _Engine(_has_mustache, _mockoon),
    "none": _Engine(_never, _no_compile),
}


def encode_json(value: Any) -> bytes:
    """JSON as we send it: compact, UTF-8, and tolerant of dates from templates."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=json_default)
    return text.encode("utf-8", "backslashreplace")


def json_response(status: int, body: Any, content_type: str = JSON_TYPE) -> Response:
    """A JSON response built on the spot (errors and reports, not stubs)."""
    return Response.build(status, [("content-type", content_type)], encode_json(body))


def infer_text_type(text: str) -> str:
    """A content type for a text body nobody typed: JSON, XML, HTML or plain text."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            json.loads(stripped)
            return JSON_TYPE
        except ValueError:
            pass
    if stripped.startswith("<?xml"):
        return "application/xml"
    if stripped[:1] == "<":
        return "text/html; charset=utf-8"
    return "text/plain; charset=utf-8"


def watched_files(spec: ResponseSpec) -> list[Path]:
    """The files a response serves from, for the reloader to watch."""
    if spec.graphql is not None:
        return [Path(name) for name in spec.graphql["schema"]]
    if spec.body_kind != "file":
        return []
    if spec.file_template is not None and spec.base_dir is not None:
        try:
            return candidate_files(spec.base_dir, spec.file_template)
        except ValueError:
            return []
    return [Path(spec.body)] if spec.body is not None else []


def _body_and_type(spec: ResponseSpec) -> tuple[Any, str | None]:
    """The body in its load-time form and the content type it implies."""
    if spec.body_kind == "json":
        return spec.body, JSON_TYPE
    if spec.body_kind == "text":
        literal = spec.templating == "none" or not is_template(spec.body)
        return spec.body, infer_text_type(spec.body) if literal else None
    if spec.body_kind == "base64":
        return base64.b64decode(spec.body), "application/octet-stream"
    if spec.body_kind == "file" and spec.file_template is None:
        return Path(spec.body).read_bytes(), content_type_of(spec.body)
    return b"", None


def _bodiless(status: int | str, body: Any) -> bool:
    """A 204 or 304 with nothing to send: no content type is implied for it (RFC 9110
    §15.3.5 and §15.4.5 forbid the body; WireMock and Express type neither)."""
    return status in (204, 304) and not body


def _encode_head_line(name: str, value: str) -> bytes:
    return f"{name}: {value}\r\n".encode("latin-1", "replace")


class CompiledResponse:
    """A response spec, ready to serve: ``static`` is set when nothing is templated."""

    __slots__ = (
        "static",
        "latency",
        "_label",
        "_status",
        "_head",
        "_prefix",
        "_heads",
        "_body",
        "_files",
        "_typed",
        "_context",
        "_reason",
        "_run",
        "proxy",
        "sse",
        "sse_head",
        "websocket",
        "graphql",
        "llm",
    )

    def __init__(
        self,
        env: TemplateEnvironment,
        spec: ResponseSpec,
        label: str = "",
        issuers: Mapping[str, KeySource] | None = None,
    ) -> None:
        """``issuers`` are the local issuers' keys a GraphQL operation's ``auth`` may name."""
        self._label = label
        self.latency = LatencyModel.from_latency(spec.latency) if spec.latency else None
        """The response's own delay, validated once (it wins over the stub's)."""
        body, implied_type = _body_and_type(spec)
        headers = list(spec.headers)
        self._typed = not spec.infer_type or any(
            name.lower() == "content-type" for name, _ in headers
        )
        if implied_type and not self._typed and not _bodiless(spec.status, body):
            headers.append(("content-type", implied_type))
        names: set[str] = set()
        engine = _ENGINES[spec.templating]
        is_template = engine.is_template
        self._reason = spec.reason

        def compiled(source: str, where: str, typed: bool = False) -> Template:
            try:
                template = engine.compile(env, source, typed)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from exc
            names.update(template.names)
            return template

        if spec.body_kind == "json" and spec.templating != "jinja":
            body = encode_json(body).decode()  # WireMock templates JSON bodies as text
            spec = replace(spec, body_kind="text")

        self._status: int | Template = (
            spec.status if isinstance(spec.status, int) else compiled(spec.status, "status", True)
        )
        self._head: list[bytes | tuple[bytes, Template]] = []
        for name, value in headers:
            if is_template(value):
                self._head.append((f"{name}: ".encode("latin-1", "replace"), compiled(value, name)))
            elif self._head and isinstance(self._head[-1], bytes):
                self._head[-1] += _encode_head_line(name, value)
            else:
                self._head.append(_encode_head_line(name, value))
        self._files: FileTable | None = None
        self._body: bytes | JsonBody | Template
        if spec.body_kind == "json":
            json_body = JsonBody(env, body)
            names.update(json_body.names)
            self._body = json_body if not json_body.static else encode_json(body)
        elif spec.body_kind == "text" and is_template(body):
            self._body = compiled(body, "response")
        elif spec.file_template is not None:
            self._body = compiled(spec.file_template, "response_file")
            self._files = FileTable(spec.base_dir or ".", spec.file_template)
        else:
            self._body = body.encode() if isinstance(body, str) else body
        self._context = env.context_maker(names)
        self._run: Callable[[CompiledResponse, dict[str, Any]], Response]
        self._run = CompiledResponse._render
        """How a request's context becomes the response (chosen here, at load time; a
        plain function, so that the response holds no reference to itself)."""
        if spec.templating == "mockoon":
            from .templating.handlebars.registry import STATUS  # loaded by the compile

            if STATUS in names:  # Mockoon's ``status`` helper: the body may set the status
                self._run = CompiledResponse._render_then_status
        self._heads: dict[int, bytes] = {}
        """Whole heads by body length (templated JSON bodies vary in length but little)."""
        self._prefix: bytes | None = None
        """Status line and headers, when none of them is templated."""
        if isinstance(self._status, int) and all(isinstance(p, bytes) for p in self._head):
            line = _status_line(self._status, self._reason)
            self._prefix = line + b"".join(self._head)  # type: ignore[arg-type]
        self.static: Response | None = None
        if self._prefix is not None and isinstance(self._body, bytes):
            status: int = self._status  # type: ignore[assignment]
            self.static = Response.build(status, headers, self._body, self._reason)
        self.proxy: tuple[str, dict[str, Any]] | None = None
        """(upstream, options) when this response forwards the request instead."""
        if spec.proxy is not None:
            self.proxy = (spec.proxy.to, spec.proxy.options())
            self.static = None  # never the ready-bytes path: the answer comes from upstream
        self.sse: CompiledSse | None = None
        """The event stream this response answers with instead of a body, and its head."""
        self.sse_head: Response | None = None
        if spec.sse is not None:
            if not isinstance(spec.status, int) or any(is_template(v) for _, v in headers):
                raise ValueError(
                    "sse: the status and headers leave before the first event: they cannot"
                    " be templates (the events can)"
                )
            self.sse = CompiledSse(env, spec.sse)
            given = [(n, v) for n, v in spec.headers if n.lower() != "content-type"]
            self.sse_head = Response.build_streamed(
                spec.status, [*EVENT_STREAM_HEADERS, *given], spec.reason
            )
            self.static = None  # never the ready-bytes path: the body is the stream
        self.websocket: WebSocketRoute | None = None
        """The conversation an upgrade request to this response's stub is handed to."""
        if spec.websocket is not None:
            self.websocket = compile_websocket(spec.websocket, env)
            self.static = None
        self.graphql: GraphQLEndpoint | None = None
        """The GraphQL service this response answers with (the schema read once, here)."""
        if spec.graphql is not None:
            from .graphql.serving import compile_graphql  # graphql-core: only when used

            self.graphql = compile_graphql(spec.graphql, env, issuers)
            self.static = None
        self.llm: LlmEndpoint | None = None
        """The provider route this response answers as (an ``llm:`` preset's)."""
        if spec.llm is not None:
            from .llm.serving import compile_llm  # only configs with presets load it

            self.llm = compile_llm(spec.llm, env.seed)
            self.static = None

    def render(self, request: Request | None, params: dict[str, str]) -> Response:
        """The response for one request; raises ``TemplateRenderError`` on a bad template."""
        if self.static is not None:
            return self.static
        try:
            return self._run(self, self._context(request, params))
        except RENDER_ERRORS as exc:
            error = render_error(exc)
        if error.sandbox:
            log.warning("sandbox refused a template of stub %s: %s", self._label, error)
        raise error

    def _render(self, ctx: dict[str, Any]) -> Response:
        status: Any = self._status
        head = self._prefix
        if head is None:
            status, head = self._render_head(ctx)
            if status in (204, 304):  # decided by a template: sent as a static one is
                return _without_body(status, head, b"content-length: 0\r\n")
        body = self._body
        if isinstance(body, JsonBody):  # the hot case: one join, one encode
            data = body.render(ctx).encode("utf-8", "backslashreplace")
            if head is self._prefix:  # then the whole head depends on the length only
                whole = self._heads.get(len(data))
                if whole is None:
                    whole = head + b"content-length: %d\r\n" % len(data)
                    if len(self._heads) < 64:
                        self._heads[len(data)] = whole
                return Response(status, whole, data)
            return Response(status, head + b"content-length: %d\r\n" % len(data), data)
        extra = b""
        if isinstance(body, Template):
            if self._files is not None:
                data, content_type = self._files.lookup(str(body.run(ctx)))
            else:
                text = str(body.run(ctx))
                data = text.encode("utf-8", "backslashreplace")
                content_type = "" if self._typed else infer_text_type(text)
            if not self._typed:
                extra = _encode_head_line("content-type", content_type)
        else:
            data = body
        length = b"content-length: %d\r\n" % len(data)
        return Response(status, head + extra + length, data)

    def _render_then_status(self, ctx: dict[str, Any]) -> Response:
        """A response whose templates may set the status as they render: its status line
        is rewritten when they did."""
        from .templating.handlebars.registry import STATUS

        response = self._render(ctx)
        given = ctx.get(STATUS)
        if given is None or given == response.status:
            return response
        status = _status_of(given)
        rest = response.head[len(_status_line(response.status, self._reason)) :]
        if status in (204, 304):  # no body, no Content-Type (as Express's ``res.send``)
            return _without_body(status, _status_line(status) + rest, b"")
        return Response(status, _status_line(status) + rest, response.body)

    def _render_head(self, ctx: dict[str, Any]) -> tuple[int, bytes]:
        status = self._status
        if not isinstance(status, int):
            status = _status_of(status.run(ctx))
        parts = [_status_line(status, self._reason)]
        for part in self._head:
            if isinstance(part, bytes):
                parts.append(part)
            else:
                name, template = part
                parts.append(name + _header_value(name, template.run(ctx)) + b"\r\n")
        return status, b"".join(parts)


_STATUS_LINES: dict[int, bytes] = {}
"""Status lines by code, as ``Response`` writes them (at most 500: codes are 100-599)."""


def _status_line(status: int, reason: str | None = None) -> bytes:
    if reason is not None:
        return Response.build_streamed(status, (), reason).head
    line = _STATUS_LINES.get(status)
    if line is None:
        line = _STATUS_LINES[status] = Response.build_streamed(status, ()).head
    return line


def _without_body(status: int, head: bytes, length: bytes) -> Response:
    """A 204 or 304: no body, and no header describing one but ``length`` (RFC 9110
    §15.3.5 and §15.4.5; Express's ``res.send`` sends none, a static stub's answer a
    zero length)."""
    lines = head.split(b"\r\n")
    kept = b"".join(line + b"\r\n" for line in lines[:-1] if not _bodily(line))
    return Response(status, kept + length, b"")


def _bodily(line: bytes) -> bool:
    """A header line that describes a body (dropped when the status allows none)."""
    return line.split(b":", 1)[0].strip().lower() in (b"content-type", b"content-length")


def _status_of(value: Any) -> int:
    try:
        status = int(value)
    except (TypeError, ValueError):
        raise TemplateRenderError(f"status must be a number, got {value!r}") from None
    if not 100 <= status <= 599:
        raise TemplateRenderError(f"status must be between 100 and 599, got {status}")
    return status


def _header_value(name: bytes, value: Any) -> bytes:
    text = value if isinstance(value, str) else str(value)
    if "\r" in text or "\n" in text:
        header = name.decode("latin-1").rstrip(": ")
        raise TemplateRenderError(f"header {header} renders to a value with a line break")
    return text.encode("latin-1", "replace")
