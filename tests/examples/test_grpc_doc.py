"""docs/grpc.md: its config serves, and its journal entry is what a call records."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from . import claims
from .configs import write_config
from .markdown import block

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from apidouble.grpc import load_grpc_config, start_grpc  # noqa: E402
from apidouble.journal import Journal  # noqa: E402

CONFIG = block("grpc.md", "protos: [protos/]", "yaml")
ENTRY = claims.answer("grpc.md", '"path": "/shop.Catalog/GetItem"', "json")


async def _call_get_item(folder: Path) -> dict[str, Any]:
    """GetItem {id: 42} with a bearer token, on the page's config; the entry it records."""
    journal = Journal()
    server = await start_grpc(load_grpc_config(write_config(folder, CONFIG.text)), journal, port=0)
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            get_item = channel.unary_unary("/shop.Catalog/GetItem")  # bytes in, bytes out
            await get_item(b"\x08\x2a", metadata=[("authorization", "Bearer t")])
    finally:
        await server.stop(0)
    entry: dict[str, Any] = journal.newest(1)[0]
    return entry


def test_the_journal_entry_is_the_one_a_call_records(tmp_path: Path) -> None:
    shown = json.loads(ENTRY.text)
    entry = asyncio.run(_call_get_item(tmp_path))
    for key in ("method", "path", "stub", "status", "body", "decision"):
        assert entry[key] == shown[key], key
    response, shown_response = entry["response"], shown["response"]
    assert response["status"] == shown_response["status"]
    headers = [h for h in response["headers"] if h in shown_response["headers"]]
    assert headers == shown_response["headers"]
    assert response["body"].startswith(shown_response["body"].removesuffix("...}"))
