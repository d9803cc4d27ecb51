"""``/__admin/mcp``: the SDK's client over Streamable HTTP drives a real server."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from apidouble import MockServer

from .conftest import TOKEN, error_text, over_http, structured

TOOLS = {
    "server_info",
    "list_stubs",
    "get_stub",
    "create_stub",
    "update_stub",
    "delete_stub",
    "import_stubs",
    "query_journal",
    "verify_requests",
    "explain_miss",
    "list_scenarios",
    "set_scenario_state",
    "start_recording",
    "stop_recording",
    "reset",
}
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "pets", "version": "1"},
    "paths": {
        "/pets": {
            "get": {
                "responses": {
                    "200": {
                        "description": "pets",
                        "content": {"application/json": {"example": [{"name": "rex"}]}},
                    }
                }
            }
        }
    },
}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_tool_is_listed_with_a_schema(mock: MockServer, mode: str) -> None:
    async with over_http(mock.url, mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    create = tools["create_stub"].input_schema
    assert create["required"] == ["stub"]
    assert create["properties"]["stub"]["type"] == "object"
    assert "WireMock" in create["properties"]["stub"]["description"]
    reset = tools["reset"].input_schema["properties"]["what"]
    assert reset["enum"] == ["all", "journal", "scenarios"]
    assert all(tool.description for tool in tools.values())


async def test_a_created_stub_answers_over_http(mock: MockServer) -> None:
    native = {"id": "ping", "path": "/ping", "response": {"pong": True}, "persistent": False}
    mapping = {
        "request": {"method": "GET", "urlPath": "/wm"},
        "response": {"status": 202, "body": "from a mapping"},
        "persistent": False,
    }
    async with over_http(mock.url) as client:
        made = structured(await client.call_tool("create_stub", {"stub": native}))
        wm = structured(await client.call_tool("create_stub", {"stub": mapping}))
        listed = structured(await client.call_tool("list_stubs", {}))
    assert made["id"] == "ping" and made["runtime"] is True
    assert {stub["id"] for stub in listed["endpoints"]} == {"orders", "ping", wm["id"]}
    async with httpx.AsyncClient(base_url=mock.url) as http:
        ping = await http.get("/ping")
        wired = await http.get("/wm")
    assert (ping.status_code, ping.json()) == (200, {"pong": True})
    assert (wired.status_code, wired.text) == (202, "from a mapping")


async def test_a_stub_is_updated_and_deleted(mock: MockServer) -> None:
    async with over_http(mock.url) as client:
        got = structured(await client.call_tool("get_stub", {"stub_id": "orders"}))
        changed = {**got["endpoint"], "match": {}, "response": {"orders": [1]}}
        structured(await client.call_tool("update_stub", {"stub_id": "orders", "stub": changed}))
        async with httpx.AsyncClient(base_url=mock.url) as http:
            assert (await http.get("/orders")).json() == {"orders": [1]}
            structured(await client.call_tool("delete_stub", {"stub_id": "orders"}))
            assert (await http.get("/orders")).status_code == 404


async def test_a_missed_request_is_explained_condition_by_condition(mock: MockServer) -> None:
    async with httpx.AsyncClient(base_url=mock.url) as http:
        missed = await http.get("/orders", headers={"x-tenant": "globex"})
    assert missed.status_code == 404
    async with over_http(mock.url) as client:
        newest = structured(await client.call_tool("explain_miss", {}))
        named = structured(
            await client.call_tool("explain_miss", {"method": "GET", "path": "/orders"})
        )
    assert newest == named
    [explained] = newest["explanations"]
    assert (explained["method"], explained["path"], explained["status"]) == ("GET", "/orders", 404)
    [near] = explained["near_misses"]
    assert near["stub_id"] == "orders"
    assert near["failed"] == [
        {"condition": "header x-tenant equals", "expected": "acme", "actual": "globex"}
    ]
    assert near["passed"] == ["method", "path"]


async def test_a_request_not_sent_yet_is_ranked_against_the_stubs(mock: MockServer) -> None:
    async with over_http(mock.url) as client:
        missing = structured(
            await client.call_tool("explain_miss", {"method": "GET", "path": "/order"})
        )
        matching = structured(
            await client.call_tool(
                "explain_miss",
                {"method": "GET", "path": "/orders", "headers": {"x-tenant": "acme"}},
            )
        )
    [guess] = missing["explanations"]
    assert guess["sent"] is False
    assert guess["near_misses"][0]["stub_id"] == "orders"
    assert guess["near_misses"][0]["distance"] > 0
    assert matching["explanations"] == [
        {"method": "GET", "path": "/orders", "sent": False, "matched": "orders"}
    ]


async def test_an_admin_refusal_is_a_tool_error_with_its_message(mock: MockServer) -> None:
    async with over_http(mock.url) as client:
        invalid = await client.call_tool("create_stub", {"stub": {"path": "/x", "status": "tea"}})
        taken = await client.call_tool("create_stub", {"stub": {"id": "orders", "path": "/y"}})
        unknown = await client.call_tool("get_stub", {"stub_id": "nope"})
        bad_args = await client.call_tool("reset", {"what": "everything"})
    assert "422 from POST /__admin/endpoints: invalid endpoint" in error_text(invalid)
    assert "/endpoints/0/status: status must be an integer" in error_text(invalid)
    assert "409" in error_text(taken) and "orders" in error_text(taken)
    assert "404 from GET /__admin/endpoints/nope: no stub with id 'nope'" in error_text(unknown)
    assert "what" in error_text(bad_args)


async def test_journal_verify_and_reset(mock: MockServer) -> None:
    async with httpx.AsyncClient(base_url=mock.url) as http:
        for _ in range(2):
            await http.get("/orders", headers={"x-tenant": "acme"})
        await http.get("/elsewhere")
    async with over_http(mock.url) as client:
        found = structured(await client.call_tool("query_journal", {"path": "/ord*"}))
        unmatched = structured(await client.call_tool("query_journal", {"unmatched": True}))
        twice = structured(
            await client.call_tool("verify_requests", {"path": "/orders", "times": 2})
        )
        thrice = structured(
            await client.call_tool(
                "verify_requests", {"method": "get", "path": "/orders", "at_least": 3}
            )
        )
        structured(await client.call_tool("reset", {"what": "journal"}))
        after = structured(await client.call_tool("verify_requests", {"path": "/orders"}))
    assert (found["kept"], found["found"]) == (3, 2)
    assert {entry["stub_id"] for entry in found["entries"]} == {"orders"}
    assert [entry["path"] for entry in unmatched["entries"]] == ["/elsewhere"]
    assert (twice["passed"], twice["count"], twice["expected"]) == (True, 2, "exactly 2")
    assert (thrice["passed"], thrice["expected"]) == (False, "at least 3")
    assert thrice["nearest_requests"][0]["url"] == "/orders"
    assert (after["passed"], after["count"]) == (False, 0)


async def test_scenarios_are_listed_and_moved(mock: MockServer) -> None:
    steps = [
        {"id": "cart-1", "path": "/cart", "scenario": {"name": "cart", "when": "Started"},
         "response": "empty", "persistent": False},
        {"id": "cart-2", "path": "/cart", "scenario": {"name": "cart", "when": "full"},
         "response": "full", "persistent": False},
    ]  # fmt: skip
    async with over_http(mock.url) as client:
        for step in steps:
            structured(await client.call_tool("create_stub", {"stub": step}))
        structured(await client.call_tool("set_scenario_state", {"name": "cart", "state": "full"}))
        listed = structured(await client.call_tool("list_scenarios", {}))
        refused = await client.call_tool("set_scenario_state", {"name": "cart", "state": "gone"})
    [cart] = listed["scenarios"]
    assert (cart["name"], cart["state"]) == ("cart", "full")
    assert "422" in error_text(refused)
    async with httpx.AsyncClient(base_url=mock.url) as http:
        assert (await http.get("/cart")).text == "full"


async def test_an_openapi_spec_is_imported(mock: MockServer) -> None:
    async with over_http(mock.url) as client:
        checked = structured(
            await client.call_tool(
                "import_stubs", {"content": json.dumps(SPEC), "format": "openapi", "dry_run": True}
            )
        )
        assert checked["dry_run"] is True and checked["would_import"] == 1
        async with httpx.AsyncClient(base_url=mock.url) as http:
            assert (await http.get("/pets")).status_code == 404  # a dry run serves nothing
        imported = structured(
            await client.call_tool(
                "import_stubs", {"content": json.dumps(SPEC), "format": "openapi"}
            )
        )
        refused = await client.call_tool("import_stubs", {"content": {"what": 1}})
    assert imported["imported"] == 1
    assert "not a WireMock, OpenAPI, HAR or Postman file" in error_text(refused)
    async with httpx.AsyncClient(base_url=mock.url) as http:
        assert (await http.get("/pets")).json() == [{"name": "rex"}]


async def test_recording_is_started_and_stopped(mock: MockServer) -> None:
    with MockServer(endpoints=[{"path": "/real", "response": {"real": True}}]) as upstream:
        async with over_http(mock.url) as client:
            started = structured(
                await client.call_tool("start_recording", {"target_base_url": upstream.url})
            )
            async with httpx.AsyncClient(base_url=mock.url) as http:
                assert (await http.get("/real")).json() == {"real": True}
            stopped = structured(await client.call_tool("stop_recording", {}))
            again = await client.call_tool("stop_recording", {})
    assert started == {"status": "Recording"}
    [recorded] = stopped["mappings"]
    assert recorded["request"]["url"] == "/real"
    assert "Not currently recording" in error_text(again)


async def test_resources_and_prompts(mock: MockServer) -> None:
    async with httpx.AsyncClient(base_url=mock.url) as http:
        await http.get("/nowhere")
    async with over_http(mock.url) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        stubs = await client.read_resource("apidouble://stubs")
        one = await client.read_resource("apidouble://stubs/orders")
        journal = await client.read_resource("apidouble://journal")
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        why = await client.get_prompt("why_request_missed", {"method": "GET", "path": "/x"})
        spec = await client.get_prompt("mock_api_from_spec", {"spec": "petstore.yaml"})
        with pytest.raises(MCPError, match="no stub with id 'nope'"):
            await client.read_resource("apidouble://stubs/nope")
    assert uris == {"apidouble://stubs", "apidouble://journal"}
    assert [s["id"] for s in json.loads(stubs.contents[0].text)["endpoints"]] == ["orders"]
    assert json.loads(one.contents[0].text)["endpoint"]["path"] == "/orders"
    assert [e["path"] for e in json.loads(journal.contents[0].text)["logs"]] == ["/nowhere"]
    assert prompts == {"why_request_missed", "mock_api_from_spec"}
    assert "explain_miss(method='GET', path='/x')" in why.messages[0].content.text
    assert "import_stubs" in spec.messages[0].content.text


async def test_the_admin_token_is_enforced(mock: MockServer) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(base_url=mock.url) as http:
        bare = await http.post("/__admin/mcp", json=hello, headers=accept)
        wrong = await http.post(
            "/__admin/mcp", json=hello, headers={**accept, "Authorization": "Bearer nope"}
        )
        right = await http.post(
            "/__admin/mcp", json=hello, headers={**accept, "X-Admin-Token": TOKEN}
        )
    assert (bare.status_code, bare.json()) == (401, {"error": "admin token required"})
    assert bare.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert "create_stub" in {tool["name"] for tool in right.json()["result"]["tools"]}
    with pytest.raises(Exception) as refused:  # the SDK wraps it in task groups
        async with over_http(mock.url, token=None) as client:
            await client.list_tools()
    assert any(isinstance(error, MCPError) for error in _leaves(refused.value))


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


async def test_get_and_delete_answer_405(mock: MockServer) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=mock.url, headers=headers) as http:
        for method in ("GET", "DELETE"):
            answer = await http.request(method, "/__admin/mcp")
            assert (answer.status_code, answer.headers["allow"]) == (405, "POST")


async def test_without_the_sdk_the_endpoint_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "apidouble.mcp.http", None)  # as if mcp were missing
    with MockServer() as mock:
        async with httpx.AsyncClient(base_url=mock.url) as http:
            answer = await http.post("/__admin/mcp", json={"jsonrpc": "2.0", "id": 1})
    assert answer.status_code == 501
    assert "pip install 'apidouble[mcp]'" in answer.json()["error"]
