"""The MCP resources: the served stubs, one stub's document, and the journal, as JSON
read from the admin API when the client asks (never cached: the mock changes under
the test)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from .admin_client import AdminClient, AdminError
from .tools import described

_JSON = "application/json"
JOURNAL_SHOWN = 100
"""How many of the newest requests ``apidouble://journal`` shows."""


def add_resources(server: MCPServer, admin: AdminClient) -> None:
    """Register the resources on ``server``, read through ``admin``."""

    async def read(path: str, **params: str) -> str:
        try:
            answer: Any = await admin.call("GET", path, params=params)
        except AdminError as exc:
            raise ResourceError(str(exc)) from None
        return json.dumps(answer, indent=1, ensure_ascii=False)

    async def stubs() -> str:
        """Every served stub: id, methods, path, and the file and line it came from."""
        return await read("/__admin/endpoints")

    async def stub(stub_id: str) -> str:
        """One stub with its whole document, as update_stub takes it."""
        return await read("/__admin/endpoints/" + quote(stub_id, safe=""))

    async def journal() -> str:
        """The newest requests received, with the stub that answered and the response."""
        return await read("/__admin/logs", limit=str(JOURNAL_SHOWN))

    for uri, name, fn in (
        ("apidouble://stubs", "stubs", stubs),
        ("apidouble://stubs/{stub_id}", "stub", stub),
        ("apidouble://journal", "journal", journal),
    ):
        server.resource(uri, name=name, description=described(fn), mime_type=_JSON)(fn)
