"""Realtime protocols on the HTTP/1.1 transport's upgraded connections: WebSocket.

``compile_websocket`` turns one ``websockets:`` entry into a ``WebSocketRoute`` at load
time; ``WebSocketUpgrade`` is the ``UpgradeHandler`` an ``Upgrade`` outcome carries for
it; ``Hub`` lists the open sessions and pushes messages to those of a path.
"""

from .websocket import Hub, WebSocketUpgrade
from .ws_rules import DEFAULT_MAX_MESSAGE_BYTES, WebSocketRoute, compile_websocket
from .ws_session import Observer, Session

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "Hub",
    "Observer",
    "Session",
    "WebSocketRoute",
    "WebSocketUpgrade",
    "compile_websocket",
]
