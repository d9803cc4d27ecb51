"""Load time: every template of an endpoint checked where it is written.

A template that does not compile is reported with the other problems of the config, at
its own key (``/endpoints/0/headers/X-A``) and line. Each source is compiled as the
response compiler will compile it (same text, same typing), into the shared template
cache, so the later compile finds it ready and the check costs nothing extra.
"""

from __future__ import annotations

from typing import Any

from apidouble.config.positions import child
from apidouble.templating import check_template, is_template

Found = list[tuple[str, str]]
"""(JSON pointer, message) per template that does not compile."""


def template_problems(raw: Any, ptr: str) -> Found:
    """The templates of one endpoint (as written, valid or not) that do not compile:
    status, headers, content_type, response and response_file, in the endpoint, in each
    of its ``responses`` and in its ``failure``.

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
        body = raw["response"]
        if isinstance(body, str):
            if is_template(body):
                _check(body, False, child(ptr, "response"), found)
        else:
            _json_leaves(body, child(ptr, "response"), found)


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
