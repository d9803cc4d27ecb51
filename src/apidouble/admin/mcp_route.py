"""``/__admin/mcp``: the MCP server over Streamable HTTP, behind the admin token.

The tools call the admin routes in process (``RoutesTransport`` over this table's
``handle``), never over a socket back to this server: no request waits on another the
same server must answer, and a change lands where the admin API's would (with
``--workers``: in the worker that answered). Stateless and answering JSON
(``mcp.http``): a POST per message; GET (a stream the server would start) and DELETE
(the end of a session) answer 405, as the protocol lets a server without them answer.
The ``mcp`` SDK is an extra: it is imported on the first request, and without it the
route says how to install it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response

if TYPE_CHECKING:
    from .routes import AdminRoutes

MCP_PATH = "/__admin/mcp"
MCP_METHODS = ("GET", "POST", "DELETE")


class McpRoute:
    """Serves MCP requests; the MCP server is built on the first one."""

    def __init__(self, routes: AdminRoutes) -> None:
        self.routes = routes
        self._endpoint: Any = None

    async def __call__(self, request: Request) -> Outcome:
        if request.method != "POST":  # no session to end, no stream the server starts
            body = {"error": "this MCP endpoint is stateless: POST each JSON-RPC message"}
            return Respond(json_response(405, body).with_headers([("Allow", "POST")]))
        if self._endpoint is None:
            try:
                self._endpoint = self._build()
            except ImportError as exc:
                body = {"error": f"the MCP endpoint needs the mcp extra ({exc}): "
                        "pip install 'apidouble[mcp]'"}  # fmt: skip
                return Respond(json_response(501, body))
        answer: Outcome = await self._endpoint.answer(request)
        return answer

    def _build(self) -> Any:
        from ..mcp.admin_client import AdminClient
        from ..mcp.http import StreamableEndpoint
        from ..mcp.server import build_server

        admin = AdminClient.in_process(_bridged(self.routes.handle), self.routes.token)
        return StreamableEndpoint(build_server(admin))


def _bridged(handle: Any) -> Any:
    """``handle`` run on the state bridge when greenlet is installed: a tool runs in a
    task of its own, outside the request's greenlet, and a remote state store (Redis)
    is waited on from inside one. Without greenlet no remote store runs either."""
    try:
        from ..state.bridge import run_bridged
    except ImportError:
        return handle

    def bridged(request: Request) -> Any:
        return run_bridged(handle, request)

    return bridged
