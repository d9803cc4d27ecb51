"""A token-guarded ``MockServer`` and MCP clients of it: over Streamable HTTP at
``/__admin/mcp``, and over stdio by spawning ``apidouble mcp``."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from apidouble import MockServer

TOKEN = "mcp-s3cret"
APIDOUBLE = str(Path(sys.executable).with_name("apidouble"))
"""The console script of the venv the tests run in."""
ORDERS = {
    "id": "orders",
    "method": "GET",
    "path": "/orders",
    "match": {"headers": {"x-tenant": "acme"}},
    "response": {"orders": []},
}
"""A file-free stub a request without its header misses."""


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(endpoints=[ORDERS], admin_token=TOKEN) as server:
        yield server


@asynccontextmanager
async def over_http(url: str, token: str | None = TOKEN, **options: Any) -> AsyncIterator[Client]:
    """An MCP client of ``url``'s ``/__admin/mcp``, sending ``token``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        transport = streamable_http_client(url + "/__admin/mcp", http_client=http)
        async with Client(transport, **options) as client:
            yield client


def stdio(*args: str) -> StdioServerParameters:
    """``apidouble mcp ARGS`` as the client spawns it."""
    return StdioServerParameters(command=APIDOUBLE, args=["mcp", *args])


def structured(result: Any) -> Any:
    """A tool call's JSON answer; fails the test on a tool error, showing it."""
    assert not result.is_error, result.content
    return result.structured_content


def error_text(result: Any) -> str:
    """A tool error's message; fails the test when the call succeeded."""
    assert result.is_error, result.structured_content
    return " ".join(block.text for block in result.content)
