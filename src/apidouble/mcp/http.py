"""Streamable HTTP on apidouble's own transport: the SDK's session manager behind a small
ASGI adapter, stateless and answering JSON.

The admin routes are served by our HTTP/1 transport, not by an ASGI server, so one
``Request`` is handed to the SDK as one ASGI exchange and what it sends is gathered into
one ``Response``. Stateless, because a session kept in one process would be unknown to
the next worker behind the same port (``--workers``), and because each request then
needs nothing that outlives it: a session manager is made, run and closed per request.
JSON answers (no SSE stream), which the SDK's client reads as well; a tool call is short.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from ..model import Request
from ..outcome import Respond, Response

Message = MutableMapping[str, Any]
AsgiApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

_FRAMING = frozenset({"content-length", "transfer-encoding"})
_ANY_BODY = 1 << 40
"""The SDK's own body cap, out of the way: our transport's ``--max-body-bytes`` is the
limit (a 413 before the route runs)."""

# the manager logs its start and stop at info: per request here, so once too often
logging.getLogger("mcp.server.streamable_http_manager").setLevel(logging.WARNING)


class StreamableEndpoint:
    """Answers one Streamable HTTP request to ``server`` at a time, or many at once."""

    def __init__(self, server: MCPServer) -> None:
        server.streamable_http_app(json_response=True, stateless_http=True)
        self._server = server.session_manager.app
        """The low-level server the SDK's own app would serve (its public route to it)."""

    async def answer(self, request: Request) -> Respond:
        """The MCP answer to ``request`` (a POST of JSON-RPC; GET and DELETE as the
        SDK answers them without a session)."""
        manager = StreamableHTTPSessionManager(
            self._server, json_response=True, stateless=True, max_request_body_size=_ANY_BODY
        )
        async with manager.run():
            return await call_asgi(manager.handle_request, request)


async def call_asgi(app: AsgiApp, request: Request) -> Respond:
    """Run ``app`` for ``request`` as one ASGI HTTP exchange; what it sent, as one answer."""
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request.http_version,
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode("latin-1"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers
        ],
        "client": request.client,
        "server": None,
    }
    finished = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await finished.wait()  # nothing more comes: the client is there until we answer
        return {"type": "http.disconnect"}

    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", ()):
                text = bytes(name).decode("latin-1")
                if text.lower() not in _FRAMING:
                    headers.append((text, bytes(value).decode("latin-1")))
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    return Respond(Response.build(status, headers, b"".join(chunks)))
