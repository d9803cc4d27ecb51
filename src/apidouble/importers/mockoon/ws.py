"""A ``ws`` route -> a native WebSocket endpoint, where the conversation is a simple one.

Mockoon answers each text message of a ``ws`` route (``streamingMode: null``) with the
first response whose rules hold on the message (``body`` rules), else the default one,
after its latency; an empty answer sends nothing. That is the native ``on_message``:
one rule per response (per alternative of its rules), in order.

A streaming route (``streamingMode`` ``UNICAST`` or ``BROADCAST``) ignores what the
client sends and pushes an answer every ``streamingInterval`` ms (10 at least), the
first one interval after the connection opens: the default response (native ``every``),
or, ``SEQUENTIAL``, the responses in turn (a ``sequence`` played forever). A
``BROADCAST`` route pushes one stream to all its clients at once; here each client gets
the same stream from its own connection, which is what one client sees either way.
Random modes, templated or file answers and rules on the upgrade request (which a
streaming route reads at each push) are not there yet.
"""

from __future__ import annotations

import json
from typing import Any

from apidouble.importers.mockoon.paths import route_path
from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.responses import bucket_named, objects
from apidouble.importers.mockoon.routes import Route, names
from apidouble.importers.mockoon.rules import Rules, Unsupported, alternatives


def websocket_endpoint(route: Route, problems: Problems) -> dict[str, Any] | None:
    """The native endpoint of a ``ws`` route; None (with a problem) when it is not simple."""
    data = route.data
    try:
        path = route_path(route.prefix, str(data.get("endpoint") or ""))
        rules = _on_message(route, path)
    except (ValueError, Unsupported) as exc:
        problems.add(f"a WebSocket route not served: {exc}", route.pointer, data)
        return None
    return {**names(route, 0, None), "method": ["GET"], **path.native(), "websocket": rules}


def _on_message(route: Route, path: Any) -> dict[str, Any]:
    data = route.data
    if data.get("streamingMode") in STREAMING:
        return _streaming(route)
    if data.get("streamingMode"):
        raise Unsupported(f"streamingMode {data['streamingMode']!r} is not one Mockoon has")
    mode = data.get("responseMode")
    if mode in ("RANDOM", "SEQUENTIAL"):
        raise Unsupported(f"responseMode {mode}: not yet")
    responses = objects(data.get("responses"))
    if not responses:
        raise Unsupported("a route with no response")
    ctx = Rules(path, route.buckets)
    found: list[dict[str, Any]] = []
    if mode != "DISABLE_RULES":
        for response in responses:
            if not response.get("rules"):
                continue
            for conditions in alternatives(response, ctx):
                if any(item.kind != "body" for item in conditions):
                    raise Unsupported("rules on the upgrade request: not yet")
                rule = _answer(response, route)
                if conditions:
                    rule["match"] = [item.value for item in conditions]
                found.append(rule)
    if mode != "FALLBACK":
        default = next((r for r in responses if r.get("default")), responses[0])
        found.append(_answer(default, route))
    return {"on_message": found}


STREAMING = ("UNICAST", "BROADCAST")
SMALLEST_INTERVAL_MS = 10
"""``SMALLEST_POSSIBLE_STREAMING_INTERVAL`` of ``@mockoon/commons-server`` 9.9."""


def _streaming(route: Route) -> dict[str, Any]:
    """The pushes of a ``UNICAST`` or ``BROADCAST`` route, as ``every`` or ``sequence``."""
    data = route.data
    interval = data.get("streamingInterval")
    ms = interval if isinstance(interval, int | float) and not isinstance(interval, bool) else 0
    ms = max(SMALLEST_INTERVAL_MS, ms)
    mode = data.get("responseMode")
    responses = objects(data.get("responses"))
    if not responses:
        raise Unsupported("a route with no response")
    if mode == "RANDOM":
        raise Unsupported(f"streamingMode {data['streamingMode']} with random responses: not yet")
    if mode == "SEQUENTIAL":
        steps = [{"send": _answer(r, route)["reply"], "delay_ms": ms} for r in responses]
        return {"sequence": {"steps": steps, "repeat": "forever"}}
    if mode != "DISABLE_RULES" and any(r.get("rules") for r in responses):
        raise Unsupported("rules on the upgrade request of a streaming route: not yet")
    if mode == "FALLBACK":
        return {}  # no rule can hold: Mockoon pushes nothing
    default = next((r for r in responses if r.get("default")), responses[0])
    text = _answer(default, route)["reply"]
    return {"every": {"ms": ms, "send": text}} if text else {}


def _answer(response: dict[str, Any], route: Route) -> dict[str, Any]:
    """One ``on_message`` rule's answer: the response's text, after its latency."""
    kind = response.get("bodyType") or "INLINE"
    text = "" if response.get("body") is None else str(response["body"])
    bucket = bucket_named(route.env.buckets, response)
    if bucket is not None:
        text = bucket
        try:
            parsed = json.loads(text)
            if not isinstance(parsed, str):
                text = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            pass
    elif kind == "FILE" and response.get("filePath"):
        raise Unsupported("file answers: not yet")
    if "{{" in text or "{%" in text or "{#" in text:
        raise Unsupported("templated answers: not yet")
    rule: dict[str, Any] = {"reply": text if text else []}
    latency = response.get("latency")
    if isinstance(latency, int | float) and latency > 0:
        rule["delay_ms"] = latency
    return rule
