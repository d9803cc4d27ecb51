"""WireMock's recordings: proxied exchanges from the journal as WireMock stub mappings.

What ``/__admin/recordings/stop`` and ``/snapshot`` answer, shaped as WireMock 3.13 shapes
them (checked against the jar): one mapping per distinct request, newest first, named
after its path (``/jobs/7`` -> ``jobs_7``); ``url`` for a request without a query, else
``urlPath`` with ``queryParameters`` that must have exactly the recorded values; a JSON
body as ``equalToJson`` ignoring array order and extra elements, other text as
``equalTo``; the answer's status, headers (less ``Content-Length`` and hop-by-hop ones;
secrets redacted, as the native recorder does, where WireMock would keep them) and body
(``base64Body`` when it is not text). A request answered differently over time becomes
a scenario (``repeatsAsScenarios``, WireMock's default): ``scenario-N-PATH``,
moving from ``Started`` through ``scenario-N-PATH-2``...

Spec fields read: ``filters`` (``url``, ``urlPattern``, ``urlPath``, ``urlPathPattern``,
``method``), ``captureHeaders`` (``{Name: {caseInsensitive}}``), ``requestBodyPattern``
(``{matcher: equalTo|equalToJson|auto, ignoreArrayOrder, ignoreExtraElements}``),
``repeatsAsScenarios``, ``persist``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ..model import HOP_BY_HOP
from .recorder import PROXIED, recorded_headers

log = logging.getLogger("apidouble")

_UNRECORDED_HEADERS = HOP_BY_HOP | {"content-length", "date", "server"}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One proxied request and what the upstream answered, as the journal kept it."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    answer_headers: tuple[tuple[str, str], ...]
    answer_body: bytes
    answer_text: bool


def exchanges(entries: Iterable[Mapping[str, Any]]) -> list[Exchange]:
    """The proxied exchanges among journal entries (``Journal.newest``), oldest first;
    one whose body the journal cut short is left out (logged)."""
    found: list[Exchange] = []
    for entry in sorted(entries, key=lambda e: e["id"]):
        notes = entry.get("notes") or ()
        response = entry.get("response")
        if not any(str(n).startswith(PROXIED) for n in notes) or not response:
            continue
        if entry.get("body_truncated") or response.get("body_truncated"):
            log.warning("recording: %s %s left out (the journal cut its body short)",
                        entry["method"], entry["path"])  # fmt: skip
            continue
        found.append(
            Exchange(
                entry["method"],
                entry["path"],
                entry.get("query") or "",
                tuple((str(n), str(v)) for n, v in entry.get("headers") or ()),
                _bytes(entry.get("body", ""), entry.get("body_encoding")),
                int(response["status"]),
                tuple((str(n), str(v)) for n, v in response.get("headers") or ()),
                _bytes(response.get("body", ""), response.get("body_encoding")),
                response.get("body_encoding") != "base64",
            )
        )
    return found


def _bytes(text: str, encoding: str | None) -> bytes:
    return base64.b64decode(text) if encoding == "base64" else text.encode()


def check_spec(spec: Any, needs_target: bool) -> str | None:
    """Why a recording spec cannot be used, or None."""
    if not isinstance(spec, Mapping):
        return "the recording spec must be a JSON object"
    target = spec.get("targetBaseUrl")
    if needs_target and (
        not isinstance(target, str) or not re.match(r"^https?://[^/?#\s]+", target, re.I)
    ):
        return "targetBaseUrl must be an http:// or https:// URL"
    return None


def mappings(recorded: list[Exchange], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stub mappings WireMock makes of ``recorded`` (oldest first), newest first."""
    wanted = _filter(spec.get("filters"))
    captured = _captured_headers(spec.get("captureHeaders"))
    scenarios = spec.get("repeatsAsScenarios", True) is not False
    groups: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for exchange in recorded:
        if not wanted(exchange):
            continue
        request = _request(exchange, captured, spec.get("requestBodyPattern"))
        key = json.dumps(request, sort_keys=True)
        answer = _response(exchange)
        group = groups.setdefault(key, (request, []))
        if answer not in group[1]:
            group[1].append(answer)
    out: list[dict[str, Any]] = []
    number = 0
    for request, answers in groups.values():
        name = _name(request)
        if len(answers) == 1 or not scenarios:
            out.append(_mapping(name, request, answers[0]))
            continue
        number += 1
        scenario = f"scenario-{number}-{name.replace('_', '-')}"
        states = ["Started", *(f"{scenario}-{i}" for i in range(2, len(answers) + 1))]
        for index, answer in enumerate(answers):
            mapping = _mapping(name, request, answer)
            mapping["scenarioName"] = scenario
            mapping["requiredScenarioState"] = states[index]
            if index + 1 < len(answers):
                mapping["newScenarioState"] = states[index + 1]
            out.append(mapping)
    persistent = spec.get("persist", True) is not False
    for mapping in out:
        mapping["persistent"] = persistent
    return list(reversed(out))


def _mapping(name: str, request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    ident = str(uuid.uuid4())
    return {"id": ident, "name": name, "request": request, "response": answer, "uuid": ident}


def _name(request: Mapping[str, Any]) -> str:
    path = str(request.get("url") or request.get("urlPath") or "/").split("?", 1)[0]
    return re.sub(r"[^A-Za-z0-9]+", "_", path.strip("/")).strip("_") or "root"


def _request(exchange: Exchange, captured: Mapping[str, bool], body_pattern: Any) -> dict[str, Any]:
    request: dict[str, Any] = {}
    pairs = parse_qsl(exchange.query, keep_blank_values=True)
    if pairs:
        request["urlPath"] = exchange.path
    else:
        request["url"] = exchange.path
    request["method"] = exchange.method
    if captured:
        headers: dict[str, Any] = {}
        for name, insensitive in captured.items():
            value = next((v for n, v in exchange.headers if n.lower() == name.lower()), None)
            if value is not None:
                headers[name] = {
                    "equalTo": value,
                    **({"caseInsensitive": True} if insensitive else {}),
                }
        if headers:
            request["headers"] = headers
    if pairs:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)
        request["queryParameters"] = {
            name: {"hasExactly": [{"equalTo": v} for v in given]} for name, given in values.items()
        }
    if exchange.body:
        request["bodyPatterns"] = [_body_pattern(exchange.body, body_pattern)]
    return request


def _body_pattern(body: bytes, spec: Any) -> dict[str, Any]:
    options = spec if isinstance(spec, Mapping) else {}
    matcher = options.get("matcher", "auto")
    text = body.decode("utf-8", "replace")
    is_json = False
    try:
        json.loads(text)
        is_json = True
    except ValueError:
        pass
    if matcher == "equalToJson" or (matcher == "auto" and is_json):
        return {
            "equalToJson": text,
            "ignoreArrayOrder": options.get("ignoreArrayOrder", True),
            "ignoreExtraElements": options.get("ignoreExtraElements", True),
        }
    return {"equalTo": text}


def _response(exchange: Exchange) -> dict[str, Any]:
    answer: dict[str, Any] = {"status": exchange.status}
    if exchange.answer_body:
        if exchange.answer_text:
            answer["body"] = exchange.answer_body.decode("utf-8")
        else:
            answer["base64Body"] = base64.b64encode(exchange.answer_body).decode("ascii")
    headers = recorded_headers(exchange.answer_headers, _UNRECORDED_HEADERS)
    if headers:
        answer["headers"] = headers
    return answer


def _captured_headers(spec: Any) -> dict[str, bool]:
    if not isinstance(spec, Mapping):
        return {}
    return {
        str(name): bool(options.get("caseInsensitive")) if isinstance(options, Mapping) else False
        for name, options in spec.items()
    }


def _filter(spec: Any) -> Callable[[Exchange], bool]:
    """Which exchanges to record: WireMock's ``filters`` (a request pattern; the URL and
    method parts are read)."""
    if not isinstance(spec, Mapping):
        return lambda exchange: True
    tests: list[Callable[[Exchange], bool]] = []
    method = spec.get("method")
    if isinstance(method, str) and method.upper() != "ANY":
        wanted = method.upper()
        tests.append(lambda e: e.method == wanted)
    if isinstance(url := spec.get("url"), str):
        tests.append(lambda e: _url(e) == url)
    if isinstance(path := spec.get("urlPath"), str):
        tests.append(lambda e: e.path == path)
    if isinstance(pattern := spec.get("urlPattern"), str):
        compiled = re.compile(pattern)
        tests.append(lambda e: compiled.fullmatch(_url(e)) is not None)
    if isinstance(path_pattern := spec.get("urlPathPattern"), str):
        compiled_path = re.compile(path_pattern)
        tests.append(lambda e: compiled_path.fullmatch(e.path) is not None)
    return lambda exchange: all(test(exchange) for test in tests)


def _url(exchange: Exchange) -> str:
    return exchange.path + (f"?{exchange.query}" if exchange.query else "")
