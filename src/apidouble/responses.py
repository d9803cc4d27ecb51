"""Compile a ``ResponseSpec`` at load time into ready bytes, or into a fast renderer.

Static responses (no template anywhere) are encoded once and served as the same bytes
every time; templated ones keep only the templated parts to evaluate per request.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from pathlib import Path
from typing import Any

from .model import Request, ResponseSpec
from .outcome import Response
from .templating import Renderer, TemplateEnvironment, compile_text, compile_value, is_template

JSON_TYPE = "application/json"


def encode_json(value: Any) -> bytes:
    """JSON as we send it: compact, UTF-8, and tolerant of dates from templates."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()


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


def _body_and_type(spec: ResponseSpec) -> tuple[Any, str | None]:
    """The body in its load-time form and the content type it implies."""
    if spec.body_kind == "json":
        return spec.body, JSON_TYPE
    if spec.body_kind == "text":
        return spec.body, infer_text_type(spec.body) if not is_template(spec.body) else None
    if spec.body_kind == "base64":
        return base64.b64decode(spec.body), "application/octet-stream"
    if spec.body_kind == "file":
        guessed = mimetypes.guess_type(spec.body)[0] or "application/octet-stream"
        if guessed.startswith("text/"):
            guessed += "; charset=utf-8"
        return Path(spec.body).read_bytes(), guessed
    return b"", None


class CompiledResponse:
    """A response spec, ready to serve: ``static`` is set when nothing is templated."""

    __slots__ = ("static", "latency", "_status", "_headers", "_body", "_body_kind")

    def __init__(self, env: TemplateEnvironment, spec: ResponseSpec) -> None:
        body, implied_type = _body_and_type(spec)
        headers = list(spec.headers)
        if implied_type and not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("content-type", implied_type))
        self._body_kind = spec.body_kind
        self.latency = spec.latency
        self._status: int | Renderer = (
            spec.status if isinstance(spec.status, int) else compile_text(env, spec.status, True)
        )
        self._headers: list[tuple[str, str | Renderer]] = [
            (name, compile_text(env, value) if is_template(value) else value)
            for name, value in headers
        ]
        self._body: Any
        if spec.body_kind == "json":
            renderer = compile_value(env, body)
            self._body = renderer if renderer is not None else encode_json(body)
        elif spec.body_kind == "text":
            self._body = compile_text(env, body) if is_template(body) else body.encode()
        else:
            self._body = body
        self.static: Response | None = None
        if isinstance(self._status, int) and isinstance(self._body, bytes):
            if all(isinstance(value, str) for _, value in self._headers):
                self.static = Response.build(self._status, self._headers, self._body)  # type: ignore[arg-type]

    def render(self, request: Request | None, params: dict[str, str]) -> Response:
        """The response for one request; raises ``TemplateRenderError`` on a bad template."""
        if self.static is not None:
            return self.static
        status = self._status
        if not isinstance(status, int):
            status = int(status(request, params))
        headers = [
            (name, value if isinstance(value, str) else str(value(request, params)))
            for name, value in self._headers
        ]
        body = self._body
        if not isinstance(body, bytes):
            rendered = body(request, params)
            body = encode_json(rendered) if self._body_kind == "json" else str(rendered).encode()
            typed = any(name.lower() == "content-type" for name, _ in headers)
            if self._body_kind == "text" and not typed:
                headers.append(("content-type", infer_text_type(str(rendered))))
        return Response.build(status, headers, body)
