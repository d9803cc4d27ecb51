"""``/__admin/websockets``: the open WebSocket sessions (``GET ?path=/ws/room``),
``POST /__admin/websockets/send`` ``{"path": ..., "message": ...}`` to push one message to
every session on a concrete path (sent as written: text, ``{binary: base64}``,
``{json: ...}`` or any JSON value), and ``/__admin/websockets/messages``, what the
sessions received and sent (``DELETE`` forgets it)."""

from __future__ import annotations

from typing import Any

from ..model import Request
from ..outcome import Outcome, Respond
from ..realtime.messages import MessageLog
from ..realtime.websocket import Hub
from ..responses import json_response
from .callbacks_route import bounded_log

WEBSOCKETS_PATH = "/__admin/websockets"
SEND_PATH = "/__admin/websockets/send"
MESSAGES_PATH = "/__admin/websockets/messages"


class WebSocketsRoute:
    """Lists the hub's sessions."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def __call__(self, request: Request) -> Outcome:
        path = request.query.get("path", [None])[0]
        return Respond(json_response(200, {"websockets": self.hub.connections(path)}))


class SendRoute:
    """Pushes a message through the hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def __call__(self, request: Request) -> Outcome:
        body: Any = request.json
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            return _bad("send a JSON object with path (a string) and message")
        if "message" not in body:
            return _bad("message is missing")
        try:
            sent = self.hub.send(body["path"], body["message"])
        except (TypeError, ValueError) as exc:
            return _bad(f"message: {exc}")
        return Respond(json_response(200, {"sent": sent}))


class MessagesRoute:
    """The sessions' messages (``GET ?path=&limit=``); ``DELETE`` forgets them."""

    def __init__(self, log: MessageLog) -> None:
        self.log = log

    def __call__(self, request: Request) -> Outcome:
        path = request.query.get("path", [None])[0]
        return bounded_log(request, self.log.clear, lambda n: self.log.document(path, n))


def _bad(message: str) -> Outcome:
    return Respond(json_response(400, {"error": message}))
