"""Postman collection v1 (``requests`` and ``folders`` by id) as v2's item tree, so one
converter (``postman``) serves both."""

from __future__ import annotations

from typing import Any


def listed(value: Any) -> list[Any]:
    """A list field as a list (one string as a list of it; anything else as none)."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []


def is_v1(data: Any) -> bool:
    """A v1 collection: ``requests`` by id, ordered by ``order`` and ``folders``."""
    if not isinstance(data, dict) or not isinstance(data.get("requests"), list):
        return False
    return isinstance(data.get("order"), list) or isinstance(data.get("folders"), list)


def v1_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The v2 item tree of a v1 collection, in the order Postman converts it to: at each
    level the folders (``folders_order``) first, then the requests (``order``)."""
    requests = {r.get("id"): r for r in data["requests"] if isinstance(r, dict)}
    folders = {f.get("id"): f for f in data.get("folders") or [] if isinstance(f, dict)}
    nested = {i for f in folders.values() for i in listed(f.get("folders_order"))}
    filed = {i for f in folders.values() for i in listed(f.get("order"))}
    top = data.get("folders_order")
    top_folders = top if isinstance(top, list) else [i for i in folders if i not in nested]
    order = data.get("order")
    top_requests = order if isinstance(order, list) else [i for i in requests if i not in filed]
    return _v1_level(top_folders, top_requests, folders, requests, set())


def _v1_level(
    folder_ids: list[Any],
    request_ids: list[Any],
    folders: dict[Any, dict[str, Any]],
    requests: dict[Any, dict[str, Any]],
    seen: set[Any],
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for key in folder_ids:
        folder = folders.get(key)
        if folder is None or key in seen:  # unknown, or a folder inside itself
            continue
        seen.add(key)
        inner = listed(folder.get("folders_order")), listed(folder.get("order"))
        items.append(
            {"name": folder.get("name"), "item": _v1_level(*inner, folders, requests, seen)}
        )
    for key in request_ids:
        if (request := requests.get(key)) is not None:
            sent = _v1_request(request)
            kept = listed(request.get("responses"))
            saved = [_v1_example(r, sent) for r in kept if isinstance(r, dict)]
            items.append({"name": request.get("name"), "request": sent, "response": saved})
    return items


def _v1_request(request: dict[str, Any]) -> dict[str, Any]:
    raw = request.get("rawModeData")
    body = {"mode": "raw", "raw": raw} if request.get("dataMode") == "raw" else None
    return {"method": request.get("method"), "url": request.get("url") or "/", "body": body}


def _v1_example(saved: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    code = saved.get("responseCode")
    own = saved.get("request")
    return {
        "name": saved.get("name"),
        "code": code.get("code") if isinstance(code, dict) else saved.get("code"),
        "status": code.get("name") if isinstance(code, dict) else None,
        "header": saved.get("headers"),
        "body": saved.get("text"),
        "_postman_previewlanguage": saved.get("language"),
        "originalRequest": _v1_request(own) if isinstance(own, dict) else sent,
    }
