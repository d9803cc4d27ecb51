"""apidouble's MCP server: coding agents drive a running mock through the admin API.

The same tools, resources and prompts serve two faces: ``apidouble mcp`` over stdio
(pointed at a running server, or starting one), and Streamable HTTP at
``/__admin/mcp`` inside the server. Needs the ``mcp`` extra (``apidouble[mcp]``).
"""

from __future__ import annotations

from .admin_client import AdminClient, AdminError
from .server import build_server

__all__ = ["AdminClient", "AdminError", "build_server"]
