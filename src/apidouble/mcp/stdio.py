"""``apidouble mcp``: the MCP server over stdio, for a coding agent to launch.

Pointed at a running server (``--url``), the tools call its admin API over HTTP. Without
one it starts a server itself, on a free port, serving the config files given, and the
tools call its admin routes in process; the agent learns the server's URL from the
``server_info`` tool. Stdout carries the protocol alone: everything else goes to stderr.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..options import Options
from ..runtime import Runtime
from .admin_client import AdminClient
from .server import build_server

log = logging.getLogger("apidouble")


async def serve_remote(url: str, token: str | None) -> None:
    """Serve MCP on stdio over the admin API of the server at ``url``, until stdin ends."""
    admin = AdminClient.over_http(url, token)
    try:
        await build_server(admin).run_stdio_async()
    finally:
        await admin.aclose()


async def serve_started(
    paths: Sequence[Path], token: str | None, host: str = "127.0.0.1", port: int = 0
) -> None:
    """Start a server for ``paths``, then serve MCP on stdio over its admin routes, until
    stdin ends; the server stops with it."""
    runtime = Runtime(paths, Options(host=host, port=port, admin_token=token))
    server = await runtime.start()
    print(f"apidouble listening on {server.url}", file=sys.stderr, flush=True)
    admin = AdminClient.in_process(runtime.dispatcher.handle, token, url=server.url)
    try:
        await build_server(admin).run_stdio_async()
    finally:
        await admin.aclose()
        await runtime.stop()
