"""The MCP tools: stubs, imports, the journal, verification, near misses, scenarios,
recording and reset, each one call (or two) of the admin API.

A tool's JSON schema comes from its type hints and ``Field`` descriptions; what it
answers is the admin API's JSON, trimmed where an agent would drown in it. A refusal of
the admin API is raised as ``ToolError`` with the route's message, so the agent reads
what to fix (the pointer of a bad field, the id nothing has).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from .admin_client import AdminClient, AdminError
from .journal import explain_misses, select_entries, verify_summary

StubDocument = Annotated[
    dict[str, Any],
    Field(
        description="A native endpoint, as in a config file's `endpoints:` list (e.g."
        ' {"id": "ping", "path": "/ping", "response": {"pong": true}}), or a WireMock'
        ' mapping (e.g. {"request": {"method": "GET", "urlPath": "/ping"}, "response":'
        ' {"status": 200, "body": "pong"}}). Add "persistent": false to keep it in memory'
        " only (otherwise it is written to the server's persist folder)."
    ),
]
StubId = Annotated[str, Field(description="The stub's id, as list_stubs shows it")]
ImportFormat = Literal["auto", "wiremock", "openapi", "har", "postman"]
F = TypeVar("F", bound=Callable[..., Any])


def described(fn: Callable[..., Any]) -> str:
    """A docstring as one line, the way a client shows a description."""
    return " ".join((fn.__doc__ or "").split())


def is_wiremock_mapping(stub: dict[str, Any]) -> bool:
    """Whether a stub is written as a WireMock mapping (a ``request`` object and a
    ``response``), not as a native endpoint."""
    return isinstance(stub.get("request"), dict) and "response" in stub


def _path(*segments: str) -> str:
    return "/__admin/" + "/".join(quote(segment, safe="") for segment in segments)


def add_tools(server: MCPServer, admin: AdminClient) -> None:
    """Register every tool on ``server``, calling the admin API through ``admin``."""

    def tool(fn: F) -> F:
        server.add_tool(fn, description=described(fn))
        return fn

    async def call(method: str, path: str, body: Any = None, **params: str) -> Any:
        try:
            return await admin.call(method, path, body, params)
        except AdminError as exc:
            raise ToolError(str(exc)) from None

    @tool
    async def server_info() -> dict[str, Any]:
        """The server's base URL (point the app under test at it; absent when this MCP
        endpoint is the server's own), version, serving state and how many stubs it
        serves."""
        health = await call("GET", "/__admin/health")
        return {"url": admin.url, **health} if admin.url else dict(health)

    @tool
    async def list_stubs(
        format: Annotated[
            Literal["native", "wiremock"],
            Field(
                description="native: every stub with its id, methods, path and source;"
                " wiremock: every stub as a WireMock mapping"
            ),  # fmt: skip
        ] = "native",
    ) -> dict[str, Any]:
        """The stubs the server serves, from its files and made at run time."""
        if format == "wiremock":
            return dict(await call("GET", "/__admin/mappings"))
        return dict(await call("GET", "/__admin/endpoints"))

    @tool
    async def get_stub(stub_id: StubId) -> dict[str, Any]:
        """One stub with its whole document (`endpoint`), to edit and give to update_stub."""
        return dict(await call("GET", _path("endpoints", stub_id)))

    @tool
    async def create_stub(stub: StubDocument) -> dict[str, Any]:
        """Serve a new stub at once. A taken id is refused; an invalid stub is refused
        with the pointer of each problem."""
        if is_wiremock_mapping(stub):
            return dict(await call("POST", "/__admin/mappings", stub))
        return dict(await call("POST", "/__admin/endpoints", stub))

    @tool
    async def update_stub(stub_id: StubId, stub: StubDocument) -> dict[str, Any]:
        """Replace a stub (the id given here wins over the document's). A stub from a
        config file is replaced at run time; its file is never written."""
        if is_wiremock_mapping(stub):
            return dict(await call("PUT", _path("mappings", stub_id), stub))
        return dict(await call("PUT", _path("endpoints", stub_id), stub))

    @tool
    async def delete_stub(stub_id: StubId) -> dict[str, Any]:
        """Stop serving a stub (a file's stub until the next reset; its file is kept)."""
        return dict(await call("DELETE", _path("endpoints", stub_id)))

    @tool
    async def import_stubs(
        content: Annotated[
            str | dict[str, Any],
            Field(
                description="The file's content: an OpenAPI spec, a HAR, a WireMock"
                ' mapping or {"mappings": [...]}, or a Postman collection; JSON or'
                " YAML text, or the parsed object"
            ),  # fmt: skip
        ],
        format: Annotated[
            ImportFormat, Field(description="auto tells the formats apart by their shape")
        ] = "auto",
        dry_run: Annotated[
            bool,
            Field(description="convert and check only: answer the stubs it would serve"),
        ] = False,
    ) -> dict[str, Any]:
        """Serve another tool's stubs as run-time stubs, all or none; answers the ids
        made. An OpenAPI spec gives one stub per operation, answering its examples. A
        Mockoon environment is refused: serve it with apidouble run ENV.json."""
        text = content if isinstance(content, str) else json.dumps(content)
        params = {"format": format, **({"dry_run": "true"} if dry_run else {})}
        try:
            return dict(
                await admin.call("POST", "/__admin/import", params=params, content=text.encode())
            )
        except AdminError as exc:
            raise ToolError(str(exc)) from None

    @tool
    async def query_journal(
        method: Annotated[str | None, Field(description="e.g. GET")] = None,
        path: Annotated[
            str | None, Field(description="The path; * and ? are wildcards (/users/*)")
        ] = None,
        status: Annotated[int | None, Field(description="The status answered")] = None,
        stub_id: Annotated[str | None, Field(description="Served by this stub")] = None,
        unmatched: Annotated[bool, Field(description="Only requests no stub matched")] = False,
        limit: Annotated[int, Field(ge=1, le=500, description="At most this many")] = 20,
    ) -> dict[str, Any]:
        """The requests the server received, newest first: method, path, query,
        headers, body, the stub that answered and the response sent."""
        filtered = unmatched or any(v is not None for v in (method, path, status, stub_id))
        logs = await call("GET", "/__admin/logs", **({} if filtered else {"limit": str(limit)}))
        return select_entries(logs, method, path, status, stub_id, unmatched, limit)

    @tool
    async def verify_requests(
        method: Annotated[str | None, Field(description="e.g. POST")] = None,
        path: Annotated[
            str | None, Field(description="The exact path (WireMock's urlPath)")
        ] = None,
        pattern: Annotated[
            dict[str, Any] | None,
            Field(
                description="A WireMock request pattern for anything more (headers,"
                " queryParameters, bodyPatterns, urlPathPattern...); method and path"
                " are added to it"
            ),  # fmt: skip
        ] = None,
        times: Annotated[int | None, Field(ge=0, description="Exactly this many")] = None,
        at_least: Annotated[int | None, Field(ge=0)] = None,
        at_most: Annotated[int | None, Field(ge=0)] = None,
    ) -> dict[str, Any]:
        """Check how many kept requests match: exactly `times`, or between `at_least`
        and `at_most`; at least one when no count is given. When the check fails, the
        kept requests nearest the pattern are listed."""
        wanted = dict(pattern or {})
        if method:
            wanted["method"] = method.upper()
        if path:
            wanted["urlPath"] = path
        counted = await call("POST", "/__admin/requests/count", wanted)
        summary = verify_summary(wanted, int(counted.get("count", 0)), times, at_least, at_most)
        if not summary["passed"]:
            near = await call("POST", "/__admin/near-misses/request-pattern", wanted)
            summary["nearest_requests"] = [
                {
                    "method": miss.get("request", {}).get("method"),
                    "url": miss.get("request", {}).get("url"),
                    "distance": round(float(miss.get("matchResult", {}).get("distance", 1)), 3),
                }
                for miss in near.get("nearMisses", [])
            ]
        return summary

    @tool
    async def explain_miss(
        journal_id: Annotated[
            int | None, Field(description="A journal entry's id (query_journal shows them)")
        ] = None,
        method: Annotated[str | None, Field(description="The request's method")] = None,
        path: Annotated[str | None, Field(description="The request's path (and ?query)")] = None,
        headers: Annotated[
            dict[str, str] | None, Field(description="For a request not sent yet")
        ] = None,
        body: Annotated[str | None, Field(description="For a request not sent yet")] = None,
    ) -> dict[str, Any]:
        """Why a request got no stub: the closest stubs and, per stub, each condition
        that failed with what was expected and what came. With no argument, the newest
        unmatched requests; with method and path, the newest such request the journal
        kept, else the stubs nearest that request as if it were sent now."""
        try:
            return await explain_misses(admin, journal_id, method, path, headers, body)
        except AdminError as exc:
            raise ToolError(str(exc)) from None

    @tool
    async def list_scenarios() -> dict[str, Any]:
        """Every scenario the stubs name, with its current state and possible states."""
        return dict(await call("GET", "/__admin/scenarios"))

    @tool
    async def set_scenario_state(
        name: Annotated[str, Field(description="The scenario's name")],
        state: Annotated[str, Field(description="One of its possible states (Started: the start)")],
    ) -> dict[str, Any]:
        """Put a scenario in a state, so the stubs of that state answer next."""
        await call("PUT", _path("scenarios", name, "state"), {"state": state})
        return {"scenario": name, "state": state}

    @tool
    async def start_recording(
        target_base_url: Annotated[
            str, Field(description="The real API, e.g. https://api.example.com")
        ],
        options: Annotated[
            dict[str, Any] | None,
            Field(
                description="More of WireMock's record spec (filters, captureHeaders,"
                " extractBodyCriteria, persist...)"
            ),  # fmt: skip
        ] = None,
    ) -> dict[str, Any]:
        """Forward what no stub answers to the real API and record it, until
        stop_recording turns what was proxied into stubs."""
        spec = {**(options or {}), "targetBaseUrl": target_base_url}
        await call("POST", "/__admin/recordings/start", spec)
        return dict(await call("GET", "/__admin/recordings/status"))

    @tool
    async def stop_recording() -> dict[str, Any]:
        """Stop recording: the exchanges proxied since the start become stubs, served now;
        answers them as WireMock mappings."""
        return dict(await call("POST", "/__admin/recordings/stop"))

    @tool
    async def reset(
        what: Annotated[
            Literal["all", "journal", "scenarios"],
            Field(
                description="all: the journal, every stub's state and the stubs back to"
                " the files and persisted ones; journal: forget the requests only;"
                " scenarios: every scenario back to Started"
            ),  # fmt: skip
        ] = "all",
    ) -> dict[str, Any]:
        """Start over, as a test's setup does."""
        if what == "journal":
            await call("DELETE", "/__admin/logs")
        elif what == "scenarios":
            await call("POST", "/__admin/scenarios/reset")
        else:
            await call("POST", "/__admin/reset")
        return {"reset": what}
