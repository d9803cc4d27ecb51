"""The ``graphql-transport-ws`` messages (the ``graphql-ws`` library's protocol), read and
written, with the close codes its spec gives.

``read_message`` turns one text message from the client into a ``ClientMessage`` or
raises ``Violation`` with the close code and reason the spec asks for (4400 for anything
not well formed); nothing here touches a socket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "BAD_REQUEST",
    "DUPLICATE_ID",
    "FORBIDDEN",
    "INIT_TIMEOUT",
    "INTERNAL_ERROR",
    "SUBPROTOCOL",
    "TOO_MANY_INITS",
    "UNAUTHORIZED",
    "UNSUPPORTED_SUBPROTOCOL",
    "ClientMessage",
    "Violation",
    "encode",
    "read_message",
]

SUBPROTOCOL: Final = "graphql-transport-ws"
BAD_REQUEST: Final = 4400
UNAUTHORIZED: Final = 4401
FORBIDDEN: Final = 4403
UNSUPPORTED_SUBPROTOCOL: Final = 4406
INIT_TIMEOUT: Final = 4408
DUPLICATE_ID: Final = 4409
TOO_MANY_INITS: Final = 4429
INTERNAL_ERROR: Final = 4500

_TYPES: Final = frozenset(
    {"connection_init", "connection_ack", "ping", "pong", "subscribe", "next", "error", "complete"}
)
_FROM_SERVER: Final = frozenset({"connection_ack", "next", "error"})
_WITH_ID: Final = frozenset({"subscribe", "complete"})


class Violation(Exception):
    """The client broke the protocol: close the socket with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:120].decode(errors="ignore")  # 123 bytes at most


@dataclass(frozen=True, slots=True)
class ClientMessage:
    """One well-formed message: its type, id (subscribe, complete) and payload."""

    type: str
    id: str | None
    payload: Any


def read_message(payload: bytes, binary: bool) -> ClientMessage:
    """One message from the client, checked as the spec's ``validateMessage`` checks it."""
    if binary:
        raise Violation(BAD_REQUEST, "binary messages are not part of the protocol")
    try:
        message = json.loads(payload)
    except (ValueError, RecursionError):
        raise Violation(BAD_REQUEST, "invalid message received: not JSON") from None
    if not isinstance(message, dict):
        raise Violation(BAD_REQUEST, "invalid message received: not an object")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise Violation(BAD_REQUEST, f"invalid message received: unknown type {kind!r}"[:120])
    if kind in _FROM_SERVER:
        raise Violation(BAD_REQUEST, f"invalid message received: {kind} is the server's")
    ident = message.get("id")
    if kind in _WITH_ID:
        if not isinstance(ident, str) or not ident:
            raise Violation(BAD_REQUEST, f'invalid message received: {kind} needs an "id" string')
    else:
        ident = None
    body = message.get("payload")
    if kind == "subscribe":
        _check_subscribe(body)
    elif kind in ("connection_init", "ping", "pong") and body is not None:
        if not isinstance(body, dict):
            raise Violation(BAD_REQUEST, f"invalid message received: {kind} payload not an object")
    return ClientMessage(kind, ident, body)


def _check_subscribe(body: Any) -> None:
    if not isinstance(body, Mapping):
        raise Violation(BAD_REQUEST, "invalid message received: subscribe needs a payload")
    if not isinstance(body.get("query"), str):
        raise Violation(BAD_REQUEST, 'invalid message received: "query" must be a string')
    for key, wanted in (("operationName", str), ("variables", dict), ("extensions", dict)):
        value = body.get(key)
        if value is not None and not isinstance(value, wanted):
            raise Violation(BAD_REQUEST, f"invalid message received: bad {key!r}")


def encode(kind: str, ident: str | None = None, payload: Any = None) -> bytes:
    """A server message as UTF-8 JSON text."""
    message: dict[str, Any] = {"type": kind}
    if ident is not None:
        message["id"] = ident
    if payload is not None:
        message["payload"] = payload
    return json.dumps(message, separators=(",", ":"), default=str).encode()
