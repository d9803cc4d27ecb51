"""GraphQL over HTTP, as plain data: a request's parameters, the media type, the status.

No sockets here: ``read_params`` turns an ``HttpRequest`` into the GraphQL request(s) it
carries or a ``RequestError`` with the spec's status; ``negotiate`` picks the answer's
media type from ``Accept``; ``encode`` makes the bytes. The status rules are the spec's:
``application/graphql-response+json`` answers request errors with 4xx, while legacy
``application/json`` answers every well-formed request with 200.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..behaviours.faults import FaultPlan
    from ..model import Request

__all__ = [
    "GRAPHQL_RESPONSE",
    "JSON",
    "GraphQLParams",
    "HttpAnswer",
    "HttpRequest",
    "OperationFacts",
    "RequestError",
    "encode",
    "negotiate",
    "read_params",
]

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
MAX_BATCH = 100
"""Most operations one batched request may carry."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """What the service needs of an HTTP request; ``headers`` keyed by lower-case name."""

    method: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    context: Mapping[str, Any] = field(default_factory=dict)
    """Template names for mocks: ``request`` (the request view), ``auth`` (claims)..."""
    origin: Request | None = None
    """The request itself, for what keys on it (an operation's rate limit)."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class OperationFacts:
    """What the journal keeps of one operation, and the near miss when no stub took it."""

    name: str | None
    variables: Mapping[str, Any] | None
    matched_stub_id: str | None
    near_miss: str | None
    trouble: Mapping[str, Any] | None = None
    """What the stub's trouble did: ``latency_s``, ``failure``, ``rate_limited``."""


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    operations: list[OperationFacts] = field(default_factory=list)
    delay_s: float = 0.0
    """The operations' own latency (the longest in a batch), before the answer goes."""
    fault: FaultPlan | None = None
    """An operation's fault: break the connection (after ``delay_s``) instead of sending
    this answer; the first in a batch."""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    """One GraphQL request: the four parameters of the spec."""

    query: str | None
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


class RequestError(Exception):
    """A request the spec refuses before GraphQL sees it (not well formed, wrong method)."""

    def __init__(self, status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def negotiate(accept: str | None) -> str | None:
    """The answer's media type for ``Accept`` (None: nothing we can send, a 406)."""
    if accept is None or not accept.strip():
        return JSON  # the spec's legacy rule for clients that do not say
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media == GRAPHQL_RESPONSE:
            chosen = GRAPHQL_RESPONSE
        elif media in (JSON, "application/*", "*/*"):
            chosen = JSON
        else:
            continue
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, position, chosen)
    return None if best is None else best[2]


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _json_param(text: str | None, name: str) -> dict[str, Any] | None:
    if text is None or text == "":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise RequestError(400, f"{name} is not valid JSON") from None
    return _object_or_none(value, name)


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise RequestError(400, f"{name} must be a JSON object")


def _string_or_none(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise RequestError(400, f"{name} must be a string")


def params_from_object(body: Any) -> GraphQLParams:
    """One JSON request object (``{query, operationName, variables, extensions}``)."""
    if not isinstance(body, dict):
        raise RequestError(400, "a GraphQL request is a JSON object")
    return GraphQLParams(
        query=_string_or_none(body.get("query"), "query"),
        operation_name=_string_or_none(body.get("operationName"), "operationName"),
        variables=_object_or_none(body.get("variables"), "variables"),
        extensions=_object_or_none(body.get("extensions"), "extensions"),
    )


def read_params(request: HttpRequest) -> tuple[list[Any], bool]:
    """The request(s) carried (a ``GraphQLParams``, or a ``RequestError`` for a bad
    item of a batch) and whether it was a batch; a ``RequestError`` for the whole."""
    method = request.method.upper()
    if method == "GET":
        query = request.query
        return [
            GraphQLParams(
                query=_one(query, "query"),
                operation_name=_one(query, "operationName") or None,
                variables=_json_param(_one(query, "variables"), "variables"),
                extensions=_json_param(_one(query, "extensions"), "extensions"),
            )
        ], False
    if method != "POST":
        raise RequestError(405, f"{method} is not allowed", [("allow", "GET, POST")])
    content_type = (request.header("content-type") or "").split(";")
    media = content_type[0].strip().lower()
    for parameter in content_type[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise RequestError(415, f"charset {value.strip()} is not supported, use utf-8")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "the body is not UTF-8") from None
    if media == "application/graphql":
        return [
            GraphQLParams(
                query=text,
                operation_name=_one(request.query, "operationName") or None,
                variables=_json_param(_one(request.query, "variables"), "variables"),
                extensions=None,
            )
        ], False
    if media != JSON:
        shown = media or "no content type"
        raise RequestError(415, f"{shown} is not supported: send application/json")
    try:
        body = json.loads(text)
    except ValueError:
        raise RequestError(400, "the body is not valid JSON") from None
    if isinstance(body, list):
        if not body:
            raise RequestError(400, "a batch needs at least one operation")
        if len(body) > MAX_BATCH:
            raise RequestError(400, f"a batch may hold at most {MAX_BATCH} operations")
        items: list[Any] = []
        for item in body:
            try:
                items.append(params_from_object(item))
            except RequestError as exc:
                items.append(exc)
        return items, True
    return [params_from_object(body)], False


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def error_body(message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return {"errors": [error]}
