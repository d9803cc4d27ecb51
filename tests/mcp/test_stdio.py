"""``apidouble mcp``: the SDK's client spawns it and talks over its stdin and stdout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from mcp import Client

from apidouble import MockServer

from .conftest import APIDOUBLE, TOKEN, error_text, stdio, structured
from .test_streamable_http import TOOLS


async def test_pointed_at_a_running_server(mock: MockServer) -> None:
    stub = {"id": "hi", "path": "/hi", "response": {"hi": 1}, "persistent": False}
    async with Client(stdio("--url", mock.url, "--admin-token", TOKEN)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        made = structured(await client.call_tool("create_stub", {"stub": stub}))
        async with httpx.AsyncClient(base_url=mock.url) as http:
            assert (await http.get("/hi")).json() == {"hi": 1}
            assert (await http.get("/orders")).status_code == 404
        explained = structured(await client.call_tool("explain_miss", {}))
        info = structured(await client.call_tool("server_info", {}))
    assert names == TOOLS
    assert made["id"] == "hi"
    [near, *_] = explained["explanations"][0]["near_misses"]
    assert near["stub_id"] == "orders"
    assert near["failed"][0]["condition"] == "header x-tenant equals"
    assert info["url"] == mock.url


async def test_a_wrong_token_is_a_tool_error(mock: MockServer) -> None:
    async with Client(stdio("--url", mock.url, "--admin-token", "nope")) as client:
        refused = await client.call_tool("list_stubs", {})
    assert "401 from GET /__admin/endpoints: admin token required" in error_text(refused)


async def test_an_unreachable_server_is_a_tool_error(unused_tcp_port: int) -> None:
    async with Client(stdio("--url", f"http://127.0.0.1:{unused_tcp_port}")) as client:
        refused = await client.call_tool("list_stubs", {})
    assert f"cannot reach http://127.0.0.1:{unused_tcp_port}" in error_text(refused)


async def test_starting_a_server_for_config_files(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text("endpoints:\n  - id: hello\n    path: /hello\n    response: {hi: there}\n")
    async with Client(stdio(str(config))) as client:
        info = structured(await client.call_tool("server_info", {}))
        stubs = structured(await client.call_tool("list_stubs", {}))
        structured(await client.call_tool("create_stub", {"stub": {"id": "more", "path": "/more"}}))
        async with httpx.AsyncClient(base_url=info["url"]) as http:
            hello = await http.get("/hello")
            more = await http.get("/more")
    assert info["url"].startswith("http://127.0.0.1:")
    assert [stub["id"] for stub in stubs["endpoints"]] == ["hello"]
    assert hello.json() == {"hi": "there"}
    assert more.status_code == 200


def test_url_and_config_files_together_are_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [APIDOUBLE, "mcp", "--url", "http://127.0.0.1:1", str(tmp_path / "mock.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "give --url or config paths, not both" in done.stderr
    assert done.stdout == ""
