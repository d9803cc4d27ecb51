"""``Stub`` -> native config: the inverse of the loader, for the admin API and persistence.

The output is an ``endpoints:`` entry that loads back into an equal stub (same pattern,
responses, latency, failure and behaviours); where a stub came from is not part of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .importers.wiremock.spelling import fragment, is_native_value, native_body_count
from .model import ANY_METHOD, BodySpec, Latency, ResponseSpec, SseSpec, Stub, ValueSpec

_FLAG_KEYS = ("case_insensitive", "negate")


def stub_to_config(stub: Stub) -> dict[str, Any]:
    """The stub as a native endpoint mapping (JSON-ready)."""
    pattern = stub.pattern
    found: dict[str, Any] = {"id": stub.id}
    if stub.name:
        found["name"] = stub.name
    methods = sorted(pattern.methods)
    found["method"] = (
        "ANY" if pattern.methods == ANY_METHOD else (methods[0] if len(methods) == 1 else methods)
    )
    if pattern.path is not None:
        found["path"] = pattern.path
    elif pattern.path_regex is not None:
        found["path_regex"] = pattern.path_regex
    match: dict[str, Any] = {}
    for part in ("query", "headers", "cookies"):
        values = getattr(pattern, part)
        if values and all(is_native_value(spec) for _, spec in values):
            match[part] = {name: value_to_config(spec) for name, spec in values}
    if pattern.claims and all(is_native_value(spec) for _, spec in pattern.claims):
        match["auth"] = {"claims": {name: value_to_config(s) for name, s in pattern.claims}}
    if pattern.templates and all(is_native_value(t.value) for t in pattern.templates):
        match["template"] = [
            {"source": t.source, "templating": t.templating, **value_to_config(t.value)}
            for t in pattern.templates
        ]
    native_body = native_body_count(pattern)
    if native_body:
        bodies = [body_to_config(spec) for spec in pattern.body[:native_body]]
        match["body"] = bodies[0] if len(bodies) == 1 else bodies
    wiremock = fragment(pattern, native_body)
    if wiremock or (pattern.path is None and pattern.path_regex is None):
        match["wiremock"] = wiremock  # WireMock's own conditions, as WireMock spells them
    if match:
        found["match"] = match
    if stub.priority is not None:
        found["priority"] = stub.priority
    if len(stub.responses) == 1:
        found.update(response_to_config(stub.responses[0]))
    else:
        found["responses"] = [response_to_config(spec) for spec in stub.responses]
        found["mode"] = stub.response_mode
    if stub.latency is not None:
        found.update(latency_to_config(stub.latency))
    if stub.failure_rate:
        found["failure_rate"] = stub.failure_rate
    behaviours = dict(stub.behaviours.config if stub.behaviours is not None else {})
    behaviours.pop("failure_rate", None)
    failure_fault = behaviours.pop("failure_fault", None)
    if stub.failure is not None or failure_fault is not None:
        failure = response_to_config(stub.failure) if stub.failure is not None else {}
        if failure_fault is not None:
            failure["fault"] = failure_fault
        found["failure"] = failure
    found.update(behaviours)
    if stub.validate_schema is not None:
        found["validate"] = {"schema": dict(stub.validate_schema)}
    if stub.scenario is not None:
        scenario = stub.scenario
        found["scenario"] = {"name": scenario.name} | {
            key: value for key, value in (("when", scenario.when), ("then", scenario.then)) if value
        }
    if stub.addons:
        found["addons"] = list(stub.addons)
    callbacks = [json.loads(spec.config) for spec in stub.callbacks if spec.config]
    if callbacks:
        found["callbacks"] = callbacks
    return found


def value_to_config(spec: ValueSpec) -> dict[str, Any]:
    """``{op: expected}`` plus its flags (``not`` for a negated operator)."""
    expected = list(spec.expected) if isinstance(spec.expected, tuple) else spec.expected
    found: dict[str, Any] = {spec.op: expected}
    if spec.case_insensitive:
        found["case_insensitive"] = True
    if spec.negate:
        found["not"] = True
    return found


def body_to_config(spec: BodySpec) -> dict[str, Any]:
    """One body condition as the config writes it."""
    if spec.op == "jsonpath":
        found: dict[str, Any] = {"jsonpath": spec.expression}
        if spec.value is not None:
            if spec.value.op == "present" and spec.value.expected is False:
                found["not"] = True
            else:
                found.update(value_to_config(spec.value))
        return found
    return {spec.op: spec.expected}


def response_to_config(spec: ResponseSpec) -> dict[str, Any]:
    """Status, headers and body of one response."""
    found: dict[str, Any] = {}
    if spec.status != 200:
        found["status"] = spec.status
    if spec.reason is not None:
        found["status_message"] = spec.reason
    if spec.templating != "jinja":
        found["templating"] = spec.templating
    if spec.headers:
        headers: dict[str, Any] = {}
        for name, value in spec.headers:  # a repeated header as a list of its values
            given = headers.get(name)
            headers[name] = value if given is None else [*_listed(given), value]
        found["headers"] = headers
    if spec.body_kind in ("json", "text"):
        found["response"] = spec.body
    elif spec.body_kind == "base64":
        found["response_base64"] = spec.body
    elif spec.body_kind == "file":
        found["response_file"] = spec.body if spec.body is not None else spec.file_template
    if spec.proxy is not None:
        found["proxy"] = spec.proxy.to_config()
    if spec.sse is not None:
        found["sse"] = sse_to_config(spec.sse)
    if spec.websocket is not None:
        found["websocket"] = {k: v for k, v in spec.websocket.items() if k != "path"}
    if spec.latency is not None:
        found.update(latency_to_config(spec.latency, per_response=True))
    return found


def sse_to_config(spec: SseSpec) -> dict[str, Any]:
    """``sse:`` as a config writes it (defaults left out)."""
    events = []
    for event in spec.events:
        fields = {
            "data": event.data,
            "event": event.event,
            "id": event.id,
            "retry": event.retry,
            "comment": event.comment,
            "delay_ms": event.delay_ms,
        }
        events.append({k: v for k, v in fields.items() if v is not None})
    found: dict[str, Any] = {"events": events}
    if spec.repeat != 1:
        found["repeat"] = "forever" if spec.repeat is None else spec.repeat
    if spec.every_ms:
        found["every_ms"] = spec.every_ms
    if spec.keepalive_ms is not None:
        found["keepalive_ms"] = spec.keepalive_ms
    if spec.drop_after is not None:
        found["drop_after"] = spec.drop_after
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def latency_to_config(latency: Latency, per_response: bool = False) -> dict[str, Any]:
    """``latency_ms`` for a fixed delay, else ``latency: {distribution, ...}``."""
    params: Mapping[str, float] = latency.params
    if latency.distribution == "fixed" and set(params) == {"ms"}:
        return {"latency_ms": params["ms"]}
    if per_response:
        raise ValueError("a response's own latency is always fixed")
    return {"latency": {"distribution": latency.distribution, **params}}
