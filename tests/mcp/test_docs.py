"""docs/mcp.md's agent configs and shown answer, run as a reader would use them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from apidouble import MockServer
from tests.examples.markdown import block

from .conftest import APIDOUBLE, TOKEN, over_http, structured
from .test_streamable_http import TOOLS

DOC = "mcp.md"


def _server(containing: str) -> dict[str, Any]:
    """The ``apidouble`` entry of the doc's agent config that contains ``containing``."""
    config = json.loads(block(DOC, containing, "jsonc").text)
    entry: dict[str, Any] = config["mcpServers"]["apidouble"]
    return entry


def _launched(entry: dict[str, Any], **replaced: str) -> StdioServerParameters:
    """The entry as the agent launches it, our venv's script for ``apidouble``, with
    the values in ``replaced`` swapped for this test's."""
    assert entry["command"] == "apidouble"
    args = [replaced.get(arg, arg) for arg in entry["args"]]
    env = {**os.environ, **{k: replaced.get(v, v) for k, v in entry.get("env", {}).items()}}
    return StdioServerParameters(command=APIDOUBLE, args=args, env=env)


async def test_the_url_config_drives_a_running_server(mock: MockServer) -> None:
    entry = _server('"--url"')
    launched = _launched(entry, **{"http://127.0.0.1:8080": mock.url, "s3cret": TOKEN})
    async with Client(launched) as client:
        listed = structured(await client.call_tool("list_stubs", {}))
    assert [stub["id"] for stub in listed["endpoints"]] == ["orders"]


async def test_the_config_files_config_starts_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mock.yaml").write_text("endpoints:\n  - {id: hi, path: /hi}\n")
    monkeypatch.chdir(tmp_path)  # the agent launches it in the project's folder
    async with Client(_launched(_server('"mock.yaml"'))) as client:
        listed = structured(await client.call_tool("list_stubs", {}))
    assert [stub["id"] for stub in listed["endpoints"]] == ["hi"]


async def test_the_http_config_reaches_the_servers_own_endpoint(mock: MockServer) -> None:
    entry = _server('"type": "http"')
    assert entry["url"] == "http://127.0.0.1:8080/__admin/mcp"
    assert entry["headers"] == {"Authorization": "Bearer s3cret"}
    async with over_http(mock.url) as client:  # the same URL path and header, our port
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS


async def test_the_explanation_shown_is_what_explain_miss_answers(mock: MockServer) -> None:
    shown = json.loads(block(DOC, '"explanations"', "text").text)
    async with httpx.AsyncClient(base_url=mock.url) as http:
        await http.get("/orders")
    async with over_http(mock.url) as client:
        answered = structured(await client.call_tool("explain_miss", {}))
    assert _within(shown, answered)


def _within(shown: Any, answered: Any) -> bool:
    """Whether every key and value shown is in the answer (the doc leaves some out)."""
    if isinstance(shown, dict):
        return isinstance(answered, dict) and all(
            key in answered and _within(value, answered[key]) for key, value in shown.items()
        )
    if isinstance(shown, list):
        return (
            isinstance(answered, list)
            and len(shown) == len(answered)
            and all(_within(a, b) for a, b in zip(shown, answered, strict=True))
        )
    return bool(shown == answered)
