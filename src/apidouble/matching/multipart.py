"""Bodies made of fields or parts: ``form`` (WireMock ``formParameters``) and
``multipart`` (WireMock ``multipartPatterns``).

- ``form``: ``expected`` is ``((name, ValueSpec), ...)``; the body must be declared
  ``application/x-www-form-urlencoded`` (WireMock ignores an undeclared body) and every
  field condition must hold, on all of a field's values as for query parameters.
- ``multipart``: ``expected`` is ``{"match_type": "ANY"|"ALL", "headers": ((name,
  ValueSpec), ...), "body": (BodySpec, ...)}``; a ``multipart/*`` body is split into parts
  (at most ``MAX_PARTS``, bounded by the body the transport already capped); ANY: some
  part satisfies every header and body condition, ALL: every part does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from apidouble.matching.body import BodyMatcher, compile_body, register_body_operator
from apidouble.matching.result import shown
from apidouble.matching.values import ValueMatcher, compile_value
from apidouble.model import BodySpec, Request, ValueSpec, parse_query

MAX_PARTS = 1000
_FORM = "application/x-www-form-urlencoded"


def _named_specs(expected: Any, what: str) -> list[tuple[str, ValueSpec]]:
    if not isinstance(expected, list | tuple) or not all(
        isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[1], ValueSpec)
        for pair in expected
    ):
        raise ValueError(f"{what}: expected ((name, ValueSpec), ...), got {expected!r}")
    return [(str(name), spec) for name, spec in expected]


def _media_type(request: Request) -> tuple[str, dict[str, str]]:
    """The content type's ``type/subtype`` (lower case) and its parameters."""
    header = request.header("content-type") or ""
    kind, *rest = header.split(";")
    params: dict[str, str] = {}
    for item in rest:
        key, _, value = item.strip().partition("=")
        params[key.lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


def _form(spec: BodySpec) -> BodyMatcher:
    fields = [
        (name, compile_value(value, f"form {name}"))
        for name, value in _named_specs(spec.expected, "body form")
    ]

    def parsed(request: Request) -> dict[str, list[str]] | None:
        if _media_type(request)[0] != _FORM:
            return None
        return parse_query(request.text)

    def test(request: Request) -> bool:
        found = parsed(request)
        return found is not None and all(m.test(found.get(name)) for name, m in fields)

    def actual(request: Request) -> str:
        return "<not a form>" if parsed(request) is None else shown(request.text)

    expected = "; ".join(f"{m.condition} {m.expected}" for _, m in fields)
    return BodyMatcher("body form", expected, test, actual)


def split_parts(request: Request) -> list[Request] | None:
    """The parts of a ``multipart/*`` body as small requests, or None when the body is
    not multipart or is malformed."""
    kind, params = _media_type(request)
    boundary = params.get("boundary")
    if not kind.startswith("multipart/") or not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = request.body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--") or len(chunks) > MAX_PARTS + 2:
        return None
    parts = []
    for chunk in chunks[1:-1]:
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, body = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, body = (b"", chunk[2:]) if chunk.startswith(b"\r\n") else (chunk, b"")
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers.append((name.strip(), value.strip()))
        parts.append(Request("POST", "/", headers=tuple(headers), body=body))
    return parts


def _multipart(spec: BodySpec) -> BodyMatcher:
    expected = spec.expected
    if not isinstance(expected, dict):
        raise ValueError("body multipart: expected {'match_type', 'headers', 'body'}")
    match_type = str(expected.get("match_type", "ANY")).upper()
    if match_type not in ("ANY", "ALL"):
        raise ValueError(f"body multipart: match_type must be ANY or ALL, not {match_type!r}")
    headers: list[tuple[str, ValueMatcher]] = [
        (name.lower(), compile_value(value, f"part header {name}"))
        for name, value in _named_specs(expected.get("headers", ()), "body multipart headers")
    ]
    bodies = [compile_body(body) for body in expected.get("body", ())]

    def fits(part: Request) -> bool:
        header_map = part.header_map
        return all(m.test(header_map.get(name)) for name, m in headers) and all(
            body.test(part) for body in bodies
        )

    combine: Callable[[Sequence[bool]], bool] = all if match_type == "ALL" else any

    def test(request: Request) -> bool:
        parts = split_parts(request)
        if not parts:
            return False
        return combine([fits(part) for part in parts])

    def actual(request: Request) -> str:
        parts = split_parts(request)
        if parts is None:
            return "<not multipart>"
        return f"{len(parts)} parts, {sum(fits(part) for part in parts)} fitting"

    conditions = [f"{m.condition} {m.expected}" for _, m in headers]
    conditions += [f"{body.condition} {body.expected}" for body in bodies]
    shown_expected = f"{match_type.lower()} part: " + ("; ".join(conditions) or "any part")
    return BodyMatcher("body multipart", shown_expected, test, actual)


register_body_operator("form", _form)
register_body_operator("multipart", _multipart)
