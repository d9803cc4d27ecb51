"""Drift: what an upstream's answer does that its operation does not document.

``--validate-responses`` puts a spec between the client and a real API (Prism's
validation proxy): each answer that comes back for one of the spec's operations is
checked here against that operation's responses: a status the operation does not list
(nor a range or ``default`` covering it), a content type none of the chosen response's
media types accepts, a required header missing, a JSON body its schema refuses. The
checks are compiled once per operation, on first use; nothing is checked for a request
no spec operation owns, and nothing at all without the flag.

A drift is worded and shaped as Prism's ``sl-violations`` entries (``location``,
``severity``, ``code``, ``message``), so a client reading that header reads ours.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apidouble.outcome import Respond, Response

from . import problems
from .model import MediaType, Operation, ResponseSpec, Schema
from .negotiate import is_json, media_types
from .schemacheck import SchemaCheck, compile_schema
from .selection import response_for_code

__all__ = ["Drift", "DriftCheck", "Inspection", "violations_problem"]

MAX_HEADER = 8 * 1024
"""``sl-violations`` longer than this is cut (as the request side does)."""


@dataclass(frozen=True, slots=True)
class Drift:
    """One way an answer departs from the spec."""

    code: str
    """``status``, ``content-type``, ``header``, or the JSON Schema keyword that failed."""
    message: str
    where: tuple[str, ...] = ()
    """Below ``response``: ``("body", "items", "0")``, ``("headers", "x-rate")``."""

    def as_json(self) -> dict[str, Any]:
        return {
            "location": ["response", *self.where],
            "severity": "Error",
            "code": self.code,
            "message": self.message,
        }

    def __str__(self) -> str:
        return self.message


class DriftCheck:
    """One operation's responses, ready to check answers against (schemas compiled on
    first use: most operations of a big spec are never proxied)."""

    __slots__ = ("operation", "dialect", "_schemas")

    def __init__(self, operation: Operation, dialect: str) -> None:
        self.operation = operation
        self.dialect = dialect
        self._schemas: dict[int, SchemaCheck] = {}

    def __call__(self, response: Response) -> list[Drift]:
        """Everything ``response`` does that the operation does not document."""
        status = response.status
        spec = response_for_code(self.operation.responses, status)
        if spec is None:
            listed = ", ".join(r.status for r in self.operation.responses) or "none"
            return [Drift("status", f"Response status {status} is not documented ({listed})")]
        headers = _header_map(response.head)
        found = self._headers(spec, headers)
        content = media_types(spec.content)
        if not response.body or status in (204, 304):
            return found
        if not content:
            found.append(
                Drift("content-type", f"Response {status} documents no body, but one was sent")
            )
            return found
        actual = headers.get("content-type", "")
        media = _media_for(content, actual)
        if media is None:
            documented = ", ".join(content)
            shown = actual or "none"
            message = f"Response content type {shown} is not one of {documented}"
            found.append(Drift("content-type", message, ("headers", "content-type")))
            return found
        if media.schema is not None and is_json(media.name):
            found.extend(self._body(id(media), media.schema, response.body))
        return found

    def _headers(self, spec: ResponseSpec, headers: Mapping[str, str]) -> list[Drift]:
        missing = []
        for name, header in spec.headers.items():
            if header.required and name.lower() not in headers:
                where = ("headers", name.lower())
                message = f"Response header {name} is required"
                missing.append(Drift("header", message, where))
        return missing

    def _body(self, key: int, schema: Schema, body: bytes) -> list[Drift]:
        try:
            value = json.loads(body)
        except ValueError:
            return [Drift("type", "Response body is not valid JSON", ("body",))]
        check = self._schemas.get(key)
        if check is None:
            check = compile_schema(schema, self.dialect, "body", "")
            self._schemas[key] = check
        drifts = []
        for failure in check(value):
            lead = f"{'.'.join(failure.path)} " if failure.path else ""
            message = f"Response body {lead}{failure.bare}"
            drifts.append(Drift(failure.keyword, message, ("body", *failure.path)))
        return drifts


class Inspection:
    """What to do with the upstream's answer to one request: check it (``DriftCheck``),
    journal and count what departs (the event's ``decision["drift"]``, which the metrics
    count by operation), and tell the client in ``sl-violations`` with the request's own
    violations (a validation proxy forwards invalid requests, as Prism's does); in
    ``--errors`` mode a departing answer becomes Prism's 500 instead."""

    __slots__ = ("check", "request_violations", "errors")

    def __init__(
        self,
        check: DriftCheck,
        request_violations: tuple[dict[str, Any], ...] = (),
        errors: bool = False,
    ) -> None:
        self.check = check
        self.request_violations = request_violations
        self.errors = errors

    @property
    def operation(self) -> str:
        op = self.check.operation
        return f"{op.method} {op.path}"

    def __call__(self, respond: Respond) -> Respond:
        drifts = self.check(respond.response)
        found = [*self.request_violations, *(d.as_json() for d in drifts)]
        if not found:
            return respond
        event = respond.event
        if drifts and event is not None:
            shown = [d.as_json() for d in drifts]
            event.decision = {
                **(event.decision or {}),
                "drift": {"operation": self.operation, "violations": shown},
            }
        if drifts and self.errors:
            answer = Response.build(*violations_problem(found))
        else:
            value = json.dumps(found, separators=(",", ":"), ensure_ascii=False)
            if len(value) > MAX_HEADER:
                value = f"Too many violations! {value[:MAX_HEADER]}"
            answer = respond.response.with_headers([("sl-violations", value)])
        return Respond(answer, respond.delay_s, event, respond.pacing)


def violations_problem(found: list[dict[str, Any]]) -> problems.Answer:
    """Prism's 500 for a proxied answer (or request) that breaks the spec under ``--errors``."""
    return problems.problem(
        "VIOLATIONS",
        "Request/Response not valid",
        500,
        "Your request/response is not valid and the --errors flag is set, so Prism is"
        " generating this error for you.",
        {"validation": found},
    )


def _header_map(head: bytes) -> dict[str, str]:
    """The answer's headers by lower-case name (the first of each), from its head."""
    found: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, colon, value = line.partition(":")
        if colon:
            found.setdefault(name.strip().lower(), value.strip())
    return found


def _media_for(content: Mapping[str, MediaType], actual: str) -> MediaType | None:
    """The documented media type ``actual`` (a Content-Type value) is, wildcards allowed."""
    kind, _, sub = actual.split(";", 1)[0].strip().lower().partition("/")
    for name, media in content.items():
        want_kind, _, want_sub = name.split(";", 1)[0].strip().lower().partition("/")
        if want_kind in ("*", kind) and want_sub in ("*", sub):
            return media
    return None
