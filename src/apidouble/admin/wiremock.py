"""WireMock's admin views over our stubs and journal: mappings, serve events, scenarios.

Everything here runs when an admin client asks, never per served request. Stubs from a
WireMock root are shown as their mapping was written (``Stub.origin``) with the ``id``
and ``uuid`` WireMock adds; native stubs as ``export.py`` writes them. Journal entries
become WireMock's ``ServeEvent`` / ``LoggedRequest`` shapes as far as the journal knows
them; entry ids become UUIDs (``UUID(int=entry id)``) so clients that parse them can.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..compiled import CompiledConfig
from ..importers.wiremock.export import mapping_uuid, native_priorities, stub_mappings
from ..model import Request, Scenario, Stub

UNMATCHED_DEFINITION = {"status": 404, "fromConfiguredStub": False}
"""What WireMock reports as the response definition of a request no stub matched."""


class MappingViews:
    """The mappings of one config generation, in WireMock's order (newest first), by id
    and by the stub they came from. Built on first use, reused until a reload."""

    __slots__ = ("config", "ordered", "by_id", "by_stub", "stub_of")

    def __init__(self, config: CompiledConfig) -> None:
        self.config = config
        stubs = [compiled.stub for compiled in config.stubs.values()]
        priorities = native_priorities(stubs)
        self.by_stub: dict[str, list[dict[str, Any]]] = {
            stub.id: _mappings(stub, priorities.get(stub.id)) for stub in stubs
        }
        self.ordered = [m for stub in reversed(stubs) for m in self.by_stub[stub.id]]
        self.by_id = {str(m["id"]): m for m in self.ordered}
        self.stub_of = {str(m["id"]): key for key, found in self.by_stub.items() for m in found}
        """Mapping id -> the id of the stub it came from."""

    def for_event(self, stub_id: str | None, method: str) -> dict[str, Any] | None:
        """The mapping that served a request: the one for its method when a native stub
        became several."""
        found = self.by_stub.get(stub_id) if stub_id is not None else None
        if not found:
            return None
        return next((m for m in found if _method_of(m) == method), found[0])


def _method_of(mapping: Mapping[str, Any]) -> Any:
    """The mapping's request method; none for one given as WireMock allows it, with no
    ``request`` at all (which matches any request)."""
    request = mapping.get("request")
    return request.get("method") if isinstance(request, Mapping) else None


def _mappings(stub: Stub, priority: int | None) -> list[dict[str, Any]]:
    if stub.origin is None:
        return stub_mappings(stub, priority)
    origin = {k: v for k, v in stub.origin.items() if k not in ("id", "uuid")}
    mapping_id = mapping_uuid(stub.id, "")
    return [{"id": mapping_id, **origin, "uuid": mapping_id}]


# --- journal entries ----------------------------------------------------------------


def event_id(seq: int) -> str:
    """A journal entry id as the UUID WireMock clients expect."""
    return str(uuid.UUID(int=seq))


def entry_seq(event: str) -> int | None:
    """The journal entry id inside a UUID from ``event_id``; None if it is not a UUID."""
    try:
        return uuid.UUID(event).int
    except ValueError:
        return None


def logged_date_string(received: float) -> str:
    """``Instant.toString()`` of the received millisecond, as WireMock prints it."""
    millis = int(received * 1000)
    moment = datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = millis % 1000
    return f"{moment}.{fraction:03d}Z" if fraction else f"{moment}Z"


def _body(fields: Mapping[str, Any]) -> bytes:
    text = fields.get("body", "")
    if fields.get("body_encoding") == "base64":
        return base64.b64decode(text)
    return str(text).encode("utf-8")


def _body_views(body: bytes) -> dict[str, str]:
    return {
        "bodyAsBase64": base64.b64encode(body).decode("ascii"),
        "body": body.decode("utf-8", "replace"),
    }


def _header_map(pairs: Iterable[Sequence[str]]) -> dict[str, str | list[str]]:
    """Headers by the name first seen; a repeated one as a list, as WireMock shows it."""
    found: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        key = names.setdefault(name.lower(), name)
        found.setdefault(key, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in found.items()}


def logged_request(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A journal entry (``journal_entries.parse``) as WireMock's ``LoggedRequest``."""
    headers = [tuple(pair) for pair in entry["headers"]]
    request = Request(entry["method"], entry["path"], entry["query"] or "", tuple(headers))
    host_header = request.header("host") or "localhost"
    host, _, port = host_header.rpartition(":") if ":" in host_header else (host_header, "", "")
    url = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
    received: float = entry["time"]
    return {
        "url": url,
        "absoluteUrl": f"http://{host_header}{url}",
        "method": entry["method"],
        "clientIp": entry["client"],
        "headers": _header_map(headers),
        "cookies": request.cookies,
        "browserProxyRequest": False,
        "loggedDate": int(received * 1000),
        **_body_views(_body(entry)),
        "protocol": "HTTP/1.1",
        "scheme": "http",
        "host": host,
        "port": int(port) if port.isdigit() else 80,
        "loggedDateString": logged_date_string(received),
        "queryParams": {k: {"key": k, "values": v} for k, v in request.query.items()},
        "formParams": {},
    }


def serve_event(entry: Mapping[str, Any], views: MappingViews) -> dict[str, Any]:
    """A journal entry as WireMock's ``ServeEvent``."""
    mapping = views.for_event(entry["stub_id"], entry["method"])
    sent: Mapping[str, Any] | None = entry["response"]
    response: dict[str, Any] = {"status": sent["status"] if sent else entry["status"]}
    if sent is not None:
        if sent["headers"]:
            response["headers"] = _header_map(sent["headers"])
        response.update(_body_views(_body(sent)))
    delay = entry.get("delay_ms", 0)
    duration = entry["duration_ms"]
    matched = entry["stub_id"] is not None
    if mapping is not None:
        definition = mapping.get("response", {})
        stub_mapping = mapping
    else:
        definition = UNMATCHED_DEFINITION if not matched else {"status": entry["status"]}
        stub_mapping = {"request": {"method": "ANY"}, "response": definition}
    return {
        "id": event_id(entry["id"]),
        "request": logged_request(entry),
        "responseDefinition": definition,
        "response": response,
        "wasMatched": matched,
        "timing": {
            "addedDelay": round(delay),
            "processTime": round(duration),
            "responseSendTime": 0,
            "serveTime": round(duration),
            "totalTime": round(duration + delay),
        },
        "subEvents": [],
        "stubMapping": stub_mapping,
    }


# --- scenarios ----------------------------------------------------------------------


def scenario_states(stubs: Iterable[Stub], more: Iterable[Scenario] = ()) -> dict[str, list[str]]:
    """Every scenario the stubs name (and ``more``: WebSocket rules'), with the states
    they name in the order first seen (as WireMock lists them: ``Started`` only when
    some stub names it)."""
    found: dict[str, list[str]] = {}
    named = (stub.scenario for stub in stubs if stub.scenario is not None)
    for scenario in (*named, *more):
        states = found.setdefault(scenario.name, [])
        for state in (scenario.when, scenario.then):
            if state is not None and state not in states:
                states.append(state)
    return found
