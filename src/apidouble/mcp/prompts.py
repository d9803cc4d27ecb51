"""The MCP prompts: the two jobs an agent is most often handed, written as the steps
the tools take."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from .tools import described


def add_prompts(server: MCPServer) -> None:
    """Register the prompts on ``server``."""

    def mock_api_from_spec(
        spec: Annotated[str, Field(description="The spec's path, URL or text")],
        notes: Annotated[str, Field(description="What the tests need beyond the spec")] = "",
    ) -> str:
        """Serve an API from its OpenAPI spec, then shape the answers the tests need."""
        extra = f"\n\nWhat the tests need besides: {notes}" if notes else ""
        return (
            f"Mock the API described by this OpenAPI spec with apidouble: {spec}\n\n"
            "1. Read the spec (open the file or URL if it is one) and call import_stubs with"
            " its text and format 'openapi': one stub is made per operation, answering the"
            " spec's examples.\n"
            "2. Call list_stubs and check every operation the code under test calls has a"
            " stub; call server_info for the base URL to point the app at.\n"
            "3. Where a test needs a particular answer (an error status, an empty list, a"
            " header), get_stub, change its response and update_stub; or create_stub a more"
            " specific stub (a `match` on headers, query or body) beside the general one.\n"
            "4. Run the tests. For every request that got a 404 from the mock, call"
            " explain_miss and fix the stub or the request it names.\n"
            "5. Check the calls the tests rely on with verify_requests." + extra
        )

    def why_request_missed(
        method: Annotated[str, Field(description="The request's method, if known")] = "",
        path: Annotated[str, Field(description="The request's path, if known")] = "",
        test: Annotated[str, Field(description="The failing test, or its output")] = "",
    ) -> str:
        """Find which condition of which stub a request failed, and fix the stub or
        the test."""
        request = f"{method} {path}".strip() or "the newest unmatched request"
        context = f"\n\nThe failing test:\n{test}" if test else ""
        arguments = ", ".join(
            f"{name}={value!r}" for name, value in (("method", method), ("path", path)) if value
        )
        return (
            f"A request to the apidouble mock got no stub: {request}.\n\n"
            f"1. Call explain_miss({arguments}). It lists the closest stubs and, for each,"
            " the conditions that failed, with the expected and the actual value.\n"
            "2. Decide which side is wrong: the request the code sends (a missing header,"
            " a typo in the path, a body field) or the stub (too strict a match). Look at"
            " the request as received with query_journal, and the stub with get_stub.\n"
            "3. Fix it: change the code under test, or update_stub the stub (keep its id).\n"
            "4. Run the test again, then verify_requests that the request now reaches the"
            " stub the expected number of times." + context
        )

    for title, fn in (
        ("Mock this API from its spec", mock_api_from_spec),
        ("Why did my test's request miss", why_request_missed),
    ):
        server.prompt(title=title, description=described(fn))(fn)
