"""Tests of the MCP server, driven by the mcp SDK's own client over real transports."""
