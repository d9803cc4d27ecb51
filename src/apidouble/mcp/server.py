"""The apidouble MCP server: tools, resources and prompts over one admin client."""

from __future__ import annotations

import logging

from mcp.server.mcpserver import MCPServer

from .._version import VERSION
from .admin_client import AdminClient
from .prompts import add_prompts
from .resources import add_resources
from .tools import add_tools

INSTRUCTIONS = (
    "Drives an apidouble HTTP mock server: create, change and delete its stubs (native"
    " endpoints or WireMock mappings), import OpenAPI, HAR, WireMock or Postman files,"
    " read the requests it received, verify how many came, explain why a request got no"
    " stub (a 404 from the mock), move scenarios, record a real API, and reset."
)


def build_server(admin: AdminClient) -> MCPServer:
    """An MCP server whose every tool, resource and prompt goes through ``admin``."""
    # MCPServer calls logging.basicConfig: a handler on the root logger meanwhile keeps
    # the host process's logging (a test run, an embedded server) as its owner set it
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        server: MCPServer = MCPServer("apidouble", instructions=INSTRUCTIONS, version=VERSION)
    finally:
        root.removeHandler(guard)
    add_tools(server, admin)
    add_resources(server, admin)
    add_prompts(server)
    return server
