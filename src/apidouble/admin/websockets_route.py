"""``/__admin/websockets``: the open WebSocket sessions (``GET ?path=/ws/room``), and
``POST /__admin/websockets/send`` ``{"path": ..., "message": ...}`` to push one message to
every session on a concrete path (sent as written: text, ``{binary: base64}``,
``{json: ...}`` or any JSON value)."""

from __future__ import annotations

from typing import Any

from ..model import Request
from ..outcome import Outcome, Respond
from ..realtime.websocket import Hub
from ..responses import json_response

WEBSOCKETS_PATH = "/__admin/websockets"
SEND_PATH = "/__admin/websockets/send"


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


def _bad(message: str) -> Outcome:
    return Respond(json_response(400, {"error": message}))
