"""The journal as the tools read it: filtered entries, a count checked, and why a
request missed.

Why a request missed is our own near-miss report: the 404 the server answered an
unmatched request with lists the closest stubs and, per stub, each condition with what
was expected and what came (``nearmiss.near_miss_report``); the journal keeps that
answer. Where it is not there (a WireMock- or Express-style 404, or a request not sent
yet), WireMock's near-miss route ranks the stubs instead, by distance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from .admin_client import AdminClient

_SHOWN = 3
"""How many unmatched requests ``explain_misses`` explains when none is named."""


def select_entries(
    logs: Mapping[str, Any],
    method: str | None,
    path: str | None,
    status: int | None,
    stub_id: str | None,
    unmatched: bool,
    limit: int,
) -> dict[str, Any]:
    """The entries of ``GET /__admin/logs`` that pass every filter given, newest first."""
    kept = [entry for entry in logs.get("logs", []) if isinstance(entry, Mapping)]
    found = [
        entry
        for entry in kept
        if (method is None or str(entry.get("method", "")).upper() == method.upper())
        and (path is None or fnmatchcase(str(entry.get("path", "")), path))
        and (status is None or entry.get("status") == status)
        and (stub_id is None or entry.get("stub_id") == stub_id)
        and (not unmatched or entry.get("stub_id") is None)
    ]
    return {"kept": logs.get("total", len(kept)), "found": len(found), "entries": found[:limit]}


def verify_summary(
    pattern: Mapping[str, Any],
    count: int,
    times: int | None,
    at_least: int | None,
    at_most: int | None,
) -> dict[str, Any]:
    """Whether ``count`` is what was expected, and what that was, in words."""
    if times is not None:
        passed, expected = count == times, f"exactly {times}"
    elif at_least is None and at_most is None:
        passed, expected = count >= 1, "at least 1"
    else:
        low = at_least if at_least is not None else 0
        passed = count >= low and (at_most is None or count <= at_most)
        expected = f"at least {low}" if at_most is None else f"between {low} and {at_most}"
    return {"passed": passed, "count": count, "expected": expected, "pattern": dict(pattern)}


async def explain_misses(
    admin: AdminClient,
    journal_id: int | None,
    method: str | None,
    path: str | None,
    headers: Mapping[str, str] | None,
    body: str | None,
) -> dict[str, Any]:
    """The near-miss explanation of one kept request, of the newest kept request like
    ``method path``, of the newest unmatched ones, or of a request not sent yet."""
    logs = await admin.call("GET", "/__admin/logs")
    entries = [entry for entry in logs.get("logs", []) if isinstance(entry, Mapping)]
    if journal_id is not None:
        chosen = [entry for entry in entries if entry.get("id") == journal_id]
        if not chosen:
            raise ToolError(f"no journal entry {journal_id} is kept (query_journal lists them)")
    elif method is not None or path is not None:
        chosen = [entry for entry in entries if _like(entry, method, path)][:1]
        if not chosen or headers or body is not None:
            return await _not_sent(admin, method or "GET", path or "/", headers, body)
    else:
        chosen = [entry for entry in entries if entry.get("stub_id") is None][:_SHOWN]
        if not chosen:
            return {"explanations": [], "note": "every kept request was matched by a stub"}
    return {"explanations": [await _explained(admin, entry) for entry in chosen]}


def _like(entry: Mapping[str, Any], method: str | None, path: str | None) -> bool:
    if method is not None and str(entry.get("method", "")).upper() != method.upper():
        return False
    if path is None:
        return True
    target = str(entry.get("path", ""))
    if entry.get("query"):
        target += f"?{entry['query']}"
    return path in (target, entry.get("path"))


async def _explained(admin: AdminClient, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One kept request and why it missed (or which stub it matched)."""
    about: dict[str, Any] = {
        "journal_id": entry.get("id"),
        "method": entry.get("method"),
        "path": entry.get("path"),
        "query": entry.get("query", ""),
        "status": entry.get("status"),
    }
    if entry.get("stub_id") is not None:
        return {**about, "matched": entry.get("stub_id"), "stub": entry.get("stub")}
    report = _report(entry)
    if report is not None:
        return {**about, "near_misses": [_compact(near) for near in report]}
    logged = {
        "url": about["path"] + (f"?{about['query']}" if about["query"] else ""),
        "method": about["method"],
        "headers": {name: value for name, value in entry.get("headers", [])},
        "body": entry.get("body", ""),
    }
    ranked = await admin.call("POST", "/__admin/near-misses/request", logged)
    return {**about, "near_misses": _ranked(ranked)}


def _report(entry: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The near misses of the 404 report the server answered ``entry`` with, if kept."""
    response = entry.get("response")
    if not isinstance(response, Mapping) or not isinstance(response.get("body"), str):
        return None
    try:
        body = json.loads(response["body"])
    except ValueError:
        return None
    near = body.get("near_misses") if isinstance(body, Mapping) else None
    return [item for item in near if isinstance(item, Mapping)] if isinstance(near, list) else None


def _compact(near: Mapping[str, Any]) -> dict[str, Any]:
    """A near miss with its failed checks spelled out and its passed ones named."""
    checks = [check for check in near.get("checks", []) if isinstance(check, Mapping)]
    return {
        "stub_id": near.get("id"),
        "stub": near.get("stub"),
        "source": near.get("source"),
        "distance": near.get("distance"),
        "failed": [
            {key: check.get(key) for key in ("condition", "expected", "actual")}
            for check in checks
            if not check.get("passed")
        ],
        "passed": [check.get("condition") for check in checks if check.get("passed")],
    }


async def _not_sent(
    admin: AdminClient,
    method: str,
    path: str,
    headers: Mapping[str, str] | None,
    body: str | None,
) -> dict[str, Any]:
    """The stubs nearest a request as if it were sent now (nothing is sent)."""
    logged = {"url": path, "method": method.upper(), "headers": dict(headers or {})}
    if body is not None:
        logged["body"] = body
    ranked = await admin.call("POST", "/__admin/near-misses/request", logged)
    near = _ranked(ranked)
    about = {"method": method.upper(), "path": path, "sent": False}
    if near and near[0]["distance"] == 0:
        return {"explanations": [{**about, "matched": near[0]["stub_id"]}]}
    return {"explanations": [{**about, "near_misses": near}]}


def _ranked(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """WireMock's ``nearMisses``: each stub (its id, and what it expects), by distance."""
    found = []
    for miss in answer.get("nearMisses", []):
        mapping = miss.get("stubMapping") or {}
        native = (mapping.get("metadata") or {}).get("apidouble") or {}
        found.append(
            {
                "stub_id": native.get("id") or mapping.get("id"),
                "distance": round(float((miss.get("matchResult") or {}).get("distance", 1)), 3),
                "expects": mapping.get("request"),
            }
        )
    return found
