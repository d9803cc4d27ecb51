"""Requests checked against an OpenAPI operation, with Prism's verdicts and wording.

``compile_operation`` decides everything once per operation (parameter groups, schemas
translated to plain JSON Schema and compiled, the body's media types, the security
check); ``validate_request`` then only reads the request. Violations carry Prism's
location (``["query", "limit"]``), code (the failing keyword, or 415/400 for the body's
media type and syntax) and message (``Request query parameter limit must be integer``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from . import params as p
from .model import MediaType, Operation, Parameter, RequestBody, Schema
from .schemacheck import SchemaCheck, compile_schema, strip_read_only
from .security import GRANTED, Credentials, SecurityVerdict, compile_security

if TYPE_CHECKING:
    from apidouble.model import Request

__all__ = [
    "CompiledOperation",
    "RequestParts",
    "Validation",
    "Violation",
    "compile_operation",
    "validate_request",
]

Severity = Literal["Error", "Warning"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem with a request, as Prism reports it."""

    location: tuple[str, ...] | None
    """``("query", "limit")``; None where Prism gives none (a missing required body)."""
    message: str
    code: str | int | None = None
    """The JSON Schema keyword, 415 (media type), 400 (unparsable JSON), or None."""
    severity: Severity = "Error"
    bare: str = ""
    """A schema failure's message without the ``Request body property x`` lead-in (what
    Prism 5.15's ``sl-violations`` header shows); "" when there is no such lead-in."""

    def as_json(self, prefix: str | None = None, *, bare: bool = False) -> dict[str, Any]:
        """The object Prism writes (``prefix`` = ``request`` for ``sl-violations``;
        ``bare`` for the message without its lead-in)."""
        found: dict[str, Any] = {}
        if self.location is not None or prefix:
            found["location"] = ([prefix] if prefix else []) + list(self.location or ())
        found["severity"] = self.severity
        if self.code is not None:
            found["code"] = self.code
        found["message"] = (self.bare or self.message) if bare else self.message
        return found


@dataclass(frozen=True, slots=True)
class Validation:
    """The verdict on one request: schema/parameter violations and, apart, security."""

    violations: tuple[Violation, ...] = ()
    security: SecurityVerdict = GRANTED

    @property
    def ok(self) -> bool:
        """Nothing that makes Prism answer with an error (warnings do not count)."""
        return self.security.granted and not any(v.severity == "Error" for v in self.violations)


class RequestParts:
    """The parts of a request the validator reads; built from ``apidouble.model.Request``
    without copying (headers, query and cookies are parsed on first use only)."""

    __slots__ = (
        "_cookies",
        "_headers",
        "_query",
        "body",
        "header_lines",
        "method",
        "path_params",
        "query_string",
    )

    def __init__(
        self,
        method: str,
        path_params: Mapping[str, str],
        query_string: str = "",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> None:
        self.method = method
        self.path_params = path_params
        """Raw (still percent-encoded) path segment per template name."""
        self.query_string = query_string
        self.header_lines = headers
        self.body = body
        self._headers: dict[str, list[str]] | None = None
        self._query: list[tuple[str, str]] | None = None
        self._cookies: dict[str, str] | None = None

    @classmethod
    def from_request(cls, request: Request, path_params: Mapping[str, str]) -> RequestParts:
        """Parts over a transport request; its cached header map is reused."""
        parts = cls(request.method, path_params, request.query_string, (), request.body)
        parts._headers = request.header_map
        return parts

    @property
    def headers(self) -> dict[str, list[str]]:
        """Header values by lower-case name."""
        if self._headers is None:
            found: dict[str, list[str]] = {}
            for name, value in self.header_lines:
                found.setdefault(name.lower(), []).append(value)
            self._headers = found
        return self._headers

    @property
    def query(self) -> list[tuple[str, str]]:
        """Decoded query pairs, in order."""
        if self._query is None:
            self._query = p.query_pairs(self.query_string)
        return self._query

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            self._cookies = p.parse_cookies(self.headers.get("cookie", []))
        return self._cookies

    @property
    def content_type(self) -> str | None:
        values = self.headers.get("content-type")
        return values[0] if values else None


# --- the body --------------------------------------------------------------------------

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_NO_BOUNDARY = (
    "Boundary parameter for multipart/form-data is not defined or generated in the request"
    " header. Try removing manually defined content-type from your request header if it exists."
)
_SUFFIXED = re.compile(r"^(.+)/(?:(.+)\+)?(.+)$")


def _media_parts(name: str) -> tuple[str, str] | None:
    """``application/vnd.x+json`` as (``application``, ``json``): Prism compares the
    type and the subtype after any ``+``."""
    found = _SUFFIXED.match(name.split(";")[0].strip().lower())
    return (found.group(1), found.group(3)) if found else None


def media_matches(given: str, accepted: str) -> bool:
    """Whether a request's media type fits one the spec accepts (``*`` allowed there)."""
    a, b = _media_parts(given), _media_parts(accepted)
    if a is None or b is None:
        return False
    return (a[0] == b[0] or b[0] == "*") and (a[1] == b[1] or b[1] == "*")


def _is_json(essence: str) -> bool:
    return essence == "application/json" or (
        essence.startswith("application/") and essence.endswith("+json")
    )


def _text_schema(schema: Schema) -> bool:
    """Whether a body that is neither JSON nor a form can be checked against ``schema``
    as its text: the schema allows a string (or names no type)."""
    types = p.schema_types(schema)
    return not types or "string" in types


@dataclass(slots=True)
class _Content:
    name: str
    """The media range, as the ``content`` map's key writes it."""
    media: MediaType
    schema: Schema | None
    """Translated, ``readOnly`` properties stripped."""
    check: SchemaCheck | None
    encodings: dict[str, Any]


@dataclass(slots=True)
class BodyCheck:
    """An operation's body rules, decided at load time."""

    required: bool
    contents: list[_Content]

    def check(self, body: bytes, content_type: str | None) -> list[Violation]:
        if not body:
            if self.required:
                return [Violation(None, "Body parameter is required", "required")]
            return []
        essence, boundary = p.media_essence(content_type)
        if not self.contents:
            return [
                Violation(
                    None, "No supported content types, but request included a non-empty body", 415
                )
            ]
        chosen = self.contents[0]
        if essence is not None:
            fitting = [c for c in self.contents if media_matches(essence, c.name)]
            if not fitting:
                names = ",".join(c.name for c in self.contents)
                return [Violation(None, f"Supported content types: {names}", 415)]
            chosen = fitting[0]
        if essence is not None and _is_json(essence):
            try:
                value: Any = json.loads(body)
            except ValueError:
                return [Violation(("body",), "Invalid JSON", 400)]
        else:
            value = body.decode("utf-8", "replace")
        if chosen.schema is None:
            return []
        assert chosen.check is not None
        if essence in _FORMS:
            return self._form(chosen, chosen.check, body, boundary)
        if isinstance(value, str) and not _text_schema(chosen.schema):
            return []  # XML and the like: the text cannot be read as the object it encodes
        return [
            Violation(("body", *f.path), f.message, f.keyword, bare=f.bare)
            for f in chosen.check(value)
        ]

    def _form(
        self, chosen: _Content, check: SchemaCheck, body: bytes, boundary: str | None
    ) -> list[Violation]:
        assert chosen.schema is not None
        if chosen.name.lower().startswith("multipart/form-data"):
            if not boundary:
                return [Violation(None, _NO_BOUNDARY, 415)]
            pairs = p.multipart_fields(body, boundary)
            decode = False
        else:
            pairs = p.urlencoded_fields(body)
            decode = True
        found: list[Violation] = []
        for prop, encoding in chosen.encodings.items() if decode else ():
            # a multipart field is not percent-encoded: ``allowReserved`` means nothing there
            if isinstance(encoding, dict) and not encoding.get("allowReserved", False):
                raw = next((v for n, v in reversed(pairs) if n == prop), "")
                if p.RESERVED.search(raw):
                    found.append(
                        Violation(("body", prop), "Reserved characters used in request body")
                    )
        if found:
            return found
        value = p.form_object(chosen.schema, pairs, chosen.encodings, decode=decode)
        return [
            Violation(("body", *f.path), f.message, f.keyword, bare=f.bare)
            for f in check(value, coerce=True)
        ]


def compile_body(body: RequestBody | None, dialect: str) -> BodyCheck:
    """The body rules of an operation (an operation without ``requestBody`` still
    refuses a non-empty body with 415, as Prism does)."""
    if body is None:
        return BodyCheck(False, [])
    contents: list[_Content] = []
    for name, media in body.content.items():
        schema = strip_read_only(media.schema) if isinstance(media.schema, dict) else None
        check = compile_schema(schema, dialect, "body", "property") if schema is not None else None
        encodings = dict(media.encoding)
        contents.append(_Content(name, media, schema, check, encodings))
    return BodyCheck(body.required, contents)


@dataclass(slots=True)
class _Group:
    """The parameters of one location, checked as one object (as Prism does)."""

    location: str
    params: list[Parameter]
    check: SchemaCheck
    deprecated: list[Parameter] = field(default_factory=list)


@dataclass(slots=True)
class CompiledOperation:
    """An operation's request checks, decided at load time."""

    operation: Operation
    groups: list[_Group]
    body: BodyCheck | None
    security: Callable[[Credentials], SecurityVerdict] | None
    validate_cookies: bool


_ORDER = ("header", "query", "path", "cookie")
"""Prism reports body, header, query then path problems."""


def _group(location: str, params: list[Parameter], dialect: str) -> _Group:
    props: dict[str, Any] = {}
    required: list[str] = []
    for param in params:
        name = param.name.lower()
        schema: Schema | None = param.schema
        if param.content:
            schema = next(iter(param.content.values())).schema
        props[name] = schema if schema is not None else {}
        if param.required:
            required.append(name)
    whole: Schema = {"type": "object", "properties": props, "required": required}
    prefix = "parameter"
    return _Group(
        location,
        params,
        compile_schema(whole, dialect, location, prefix, coerce=True),
        [q for q in params if q.deprecated],
    )


def compile_operation(
    operation: Operation,
    *,
    dialect: str = "3.0",
    security_schemes: Mapping[str, Mapping[str, Any]] | None = None,
    validate_cookies: bool = True,
) -> CompiledOperation:
    """Everything the checks of ``operation`` need, built once: call at load time."""
    by_location: dict[str, list[Parameter]] = {}
    for param in operation.parameters:
        by_location.setdefault(param.location, []).append(param)
    groups = [
        _group(where, by_location[where], dialect)
        for where in _ORDER
        if where in by_location and (where != "cookie" or validate_cookies)
    ]
    return CompiledOperation(
        operation,
        groups,
        compile_body(operation.request_body, dialect),
        compile_security(operation.security, security_schemes or {}),
        validate_cookies,
    )


_CACHE: dict[int, tuple[Operation, CompiledOperation]] = {}
_CACHE_SIZE = 4096
"""Operations compiled on first use are kept this many at most (a reloaded spec's old
operations must not pile up); the spec server compiles its own at load time instead."""


def _compiled(
    operation: Operation, dialect: str, schemes: Mapping[str, Mapping[str, Any]] | None
) -> CompiledOperation:
    hit = _CACHE.get(id(operation))
    if hit is not None and hit[0] is operation:
        return hit[1]
    compiled = compile_operation(operation, dialect=dialect, security_schemes=schemes)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[id(operation)] = (operation, compiled)
    return compiled


def _values(group: _Group, parts: RequestParts) -> dict[str, Any]:
    """The present parameters of a group, deserialised and keyed by lower-case name."""
    found: dict[str, Any] = {}
    where = group.location
    by_name: dict[str, list[str]] | None = None
    for param in group.params:
        key = param.name.lower()
        raw: Any
        if where == "query":
            if by_name is None:
                by_name = {}
                for name, value in parts.query:
                    by_name.setdefault(name.lower(), []).append(value)
            if param.content:
                values = by_name.get(key)
                raw = p.MISSING if values is None else p.deserialize_content(param, values[-1])
            else:
                raw = p.deserialize_query(param, parts.query, by_name)
        elif where == "path":
            text = parts.path_params.get(param.name)
            raw = p.MISSING if text is None else p.deserialize(param, text)
        elif where == "header":
            lines = parts.headers.get(key)
            raw = p.MISSING if lines is None else p.deserialize(param, lines)
        else:
            cookie = parts.cookies.get(param.name)
            raw = p.MISSING if cookie is None else p.deserialize(param, cookie)
        if raw is not p.MISSING:
            found[key] = raw
    return found


def _credentials(parts: RequestParts) -> Credentials:
    headers = parts.headers
    query: dict[str, list[str]] = {}
    for name, value in parts.query:
        query.setdefault(name, []).append(value)
    auth = headers.get("authorization")
    return Credentials(
        auth[0] if auth else None, headers, query, "; ".join(headers.get("cookie", []))
    )


def validate_request(
    operation: Operation | CompiledOperation,
    parts: RequestParts,
    *,
    dialect: str = "3.0",
    security_schemes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Validation:
    """Check ``parts`` against ``operation`` (compiled on first use and cached, or
    compiled ahead with :func:`compile_operation`)."""
    compiled = (
        operation
        if isinstance(operation, CompiledOperation)
        else _compiled(operation, dialect, security_schemes)
    )
    verdict = GRANTED if compiled.security is None else compiled.security(_credentials(parts))
    found: list[Violation] = []
    if compiled.body is not None:
        found.extend(compiled.body.check(parts.body, parts.content_type))
    for group in compiled.groups:
        values = _values(group, parts)
        for f in group.check(values):
            found.append(Violation((group.location, *f.path), f.message, f.keyword, bare=f.bare))
        for param in group.deprecated:
            if param.name.lower() in values:
                found.append(
                    Violation(
                        (group.location, param.name),
                        f"{group.location.capitalize()} param {param.name} is deprecated",
                        "deprecated",
                        "Warning",
                    )
                )
    return Validation(tuple(found), verdict)


def violations_json(violations: Iterable[Violation], prefix: str | None = None) -> str:
    """Violations as Prism's compact JSON list."""
    return json.dumps(
        [v.as_json(prefix) for v in violations], separators=(",", ":"), ensure_ascii=False
    )
