"""Load time: every template of an endpoint checked where it is written.

A template that does not compile is reported with the other problems of the config, at
its own key (``/endpoints/0/headers/X-A``) and line. Each source is compiled as the
response compiler will compile it (same text, same typing), into the shared template
cache, so the later compile finds it ready and the check costs nothing extra.
"""

from __future__ import annotations

from typing import Any

from apidouble.config.positions import child
from apidouble.realtime.sse import EVENT_NAMES
from apidouble.templating import check_template, is_template
from apidouble.templating.valuetemplates import compile_value

Found = list[tuple[str, str]]
"""(JSON pointer, message) per template that does not compile."""


def template_problems(raw: Any, ptr: str) -> Found:
    """The templates of one endpoint (as written, valid or not) that do not compile:
    status, headers, content_type, response, response_file and the ``sse`` events'
    fields, in the endpoint, in each of its ``responses`` and in its ``failure``.

    Raw data, not the validated model, so an endpoint with a mistake elsewhere still has
    its templates checked in the same round; values of the wrong type are left to the
    schema's own problems.
    """
    found: Found = []
    _response(raw, ptr, found)
    if isinstance(raw, dict):
        items = raw.get("responses")
        if isinstance(items, list):
            for index, item in enumerate(items):
                _response(item, child(child(ptr, "responses"), index), found)
        _response(raw.get("failure"), child(ptr, "failure"), found)
    return found


def _response(raw: Any, ptr: str, found: Found) -> None:
    if not isinstance(raw, dict):
        return
    status = raw.get("status")
    if isinstance(status, str) and is_template(status):
        _check(status, True, child(ptr, "status"), found)
    headers = raw.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(value, str) and is_template(value):
                _check(value, False, child(child(ptr, "headers"), str(name)), found)
    for key in ("content_type", "response_file"):
        value = raw.get(key)
        if isinstance(value, str) and is_template(value):
            _check(value, False, child(ptr, key), found)
    if "response" in raw:
        _body(raw["response"], child(ptr, "response"), found)
    sse = raw.get("sse")
    events = sse.get("events") if isinstance(sse, dict) else None
    if isinstance(events, list):
        for index, event in enumerate(events):
            if isinstance(event, dict):
                _sse_event(event, child(child(child(ptr, "sse"), "events"), index), found)


def _sse_event(event: dict[str, Any], ptr: str, found: Found) -> None:
    """An event's fields, which also read ``index`` (``realtime.sse``)."""
    for key in ("event", "id", "comment", "data"):
        if key in event:
            try:
                compile_value(event[key], key, EVENT_NAMES)
            except ValueError as exc:
                found.append((child(ptr, key), str(exc).removeprefix(f"{key}: ")))


def _body(body: Any, ptr: str, found: Found) -> None:
    """A body (or an event's data): a text template, or a JSON value with typed leaves."""
    if isinstance(body, str):
        if is_template(body):
            _check(body, False, ptr, found)
    else:
        _json_leaves(body, ptr, found)


def _json_leaves(value: Any, ptr: str, found: Found) -> None:
    """A JSON body's string leaves are typed templates (as ``JsonBody`` compiles them)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _json_leaves(item, child(ptr, str(key)), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_leaves(item, child(ptr, index), found)
    elif isinstance(value, str) and is_template(value):
        _check(value, True, ptr, found)


def _check(source: str, typed: bool, ptr: str, found: Found) -> None:
    try:
        check_template(source, typed)
    except ValueError as exc:
        found.append((ptr, str(exc)))
