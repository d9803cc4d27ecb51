"""Validated config models -> the plain ``model`` values stubs are made of.

Pure functions, no problems to report: everything here was checked by the models (or is
checked by the behaviours when the endpoint converts).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from apidouble.config.matchers import (
    BodyMatcher,
    ValueMatcher,
    as_value_matcher,
    fragment_pattern,
)
from apidouble.config.schema import ConfigFile, Endpoint
from apidouble.model import ANY_METHOD, BodySpec, RequestPattern, ValueSpec

_LEADING_KEY = re.compile(r"\s*([A-Za-z_]\w*)")


def behaviour_key(exc: ValueError | str, keys: Container[str]) -> str:
    """The config key a behaviour's error message starts with, or "" when it is none of
    ``keys``.

    Behaviours name the setting first (``"rate_limit.per must be a duration..."``,
    ``"cache: ..."``), so a problem can point at ``/endpoints/0/rate_limit`` rather than
    at the whole endpoint.
    """
    found = _LEADING_KEY.match(str(exc))
    key = found.group(1) if found else ""
    return key if key in keys else ""


def stub_label(raw: Any) -> str | None:
    """How problems name an endpoint from its raw data: its name, else ``METHOD path``."""
    if not isinstance(raw, dict):
        return None
    if isinstance(raw.get("name"), str) and raw["name"]:
        return str(raw["name"])
    method = raw.get("method", "GET")
    methods = "|".join(str(m).upper() for m in method) if isinstance(method, list) else method
    return f"{str(methods).upper()} {raw.get('path') or raw.get('path_regex') or '?'}"


def plain(value: BaseModel | bool | None) -> Any:
    """A behaviour model as the plain data ``behaviours`` read (booleans pass through)."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_defaults=False, exclude_none=True)
    return value


def server_settings(top: ConfigFile) -> dict[str, Any]:
    """The file's server-wide behaviour keys (cors, rate_limit, debug_headers)."""
    found = {
        "cors": plain(top.cors),
        "rate_limit": plain(top.rate_limit),
        "debug_headers": top.debug_headers,
        "state_key": top.state_key,
    }
    return {key: value for key, value in found.items() if value is not None}


def request_pattern(ep: Endpoint) -> RequestPattern:
    """What a request must look like to match the endpoint: its own conditions, then
    those of its ``match.wiremock`` fragment."""
    match = ep.match
    extra = RequestPattern()
    if match is not None and match.wiremock is not None:
        extra = fragment_pattern(match.wiremock, ep.path)
    return replace(  # the fragment's other conditions (url, host, params...) as they are
        extra,
        methods=ANY_METHOD if "ANY" in ep.method else frozenset(ep.method),
        path=ep.path,
        path_regex=ep.path_regex,
        query=(_values(match.query) if match else ()) + extra.query,
        headers=(_values(match.headers) if match else ()) + extra.headers,
        cookies=(_values(match.cookies) if match else ()) + extra.cookies,
        host=_value_spec(match.host)
        if match is not None and match.host is not None
        else extra.host,
        body=tuple(_body(b) for b in match.body) + extra.body if match else (),
        claims=_values(match.auth.claims) if match and match.auth else (),
        templates=tuple(t.spec() for t in match.template) if match else (),
    )


def _values(matchers: Mapping[str, ValueMatcher]) -> tuple[tuple[str, ValueSpec], ...]:
    return tuple((name, _value_spec(m)) for name, m in matchers.items())


def _value_spec(m: ValueMatcher | BodyMatcher) -> ValueSpec:
    if m.added is not None:  # a registered operator takes its expectation as written
        name, written = m.added
        return ValueSpec(name, written, m.case_insensitive, m.not_)
    op = next(n for n in ("equals", "contains", "regex", "present", "one_of") if m.given(n))
    expected = getattr(m, op)
    expected = tuple(expected) if isinstance(expected, list) and op == "one_of" else expected
    return ValueSpec(op, expected, m.case_insensitive, m.not_)


def _body(m: BodyMatcher) -> BodySpec:
    if m.jsonpath is not None:
        if m.given("equals", "contains", "regex", "present", "one_of") or m.added is not None:
            return BodySpec("jsonpath", expression=m.jsonpath, value=_value_spec(m))
        absent = ValueSpec("present", False) if m.not_ else None
        return BodySpec("jsonpath", expression=m.jsonpath, value=absent)
    if m.added is not None:
        return BodySpec(m.added[0], m.added[1])
    op = next(n for n in ("equals", "contains", "regex", "json_", "schema_") if m.given(n))
    return BodySpec(op.rstrip("_"), getattr(m, op))


def header_lines(name: str, value: str | list[str]) -> list[tuple[str, str]]:
    """One header line per value (a list value sends the header once per item)."""
    return [(name, item) for item in value] if isinstance(value, list) else [(name, value)]


def file_text(path: str) -> tuple[Any, str]:
    """A handlebars-templated file is a template itself (as in WireMock), unless binary."""
    try:
        return "text", Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "file", path


_RESPONSE_TEXT = ("status", "headers", "content_type", "response", "response_file")


def jinja_parts(raw: Any, default: str) -> Any:
    """The endpoint as written, without the responses that are not Jinja templates
    (``templating: handlebars`` or ``none``, or the file's default), for the Jinja check."""
    if not isinstance(raw, dict):
        return raw
    own = raw.get("templating", default)

    def strip(item: Any, inherited: Any) -> Any:
        if not isinstance(item, dict) or item.get("templating", inherited) == "jinja":
            return item
        return {k: v for k, v in item.items() if k not in _RESPONSE_TEXT}

    found = strip(raw, default)
    if isinstance(raw.get("responses"), list):
        found = {**found, "responses": [strip(item, own) for item in raw["responses"]]}
    if isinstance(raw.get("failure"), dict):
        found = {**found, "failure": strip(raw["failure"], default)}
    return found


def native_value_spec(raw: Any) -> ValueSpec:
    """The ``ValueSpec`` a native value matcher (as written) loads into; raises
    ``ValueError`` (pydantic's ``ValidationError`` included) when it is not one."""
    return _value_spec(ValueMatcher.model_validate(as_value_matcher(raw)))


def native_body_spec(raw: Any) -> BodySpec:
    """The ``BodySpec`` a native body matcher (as written) loads into; raises ``ValueError``."""
    return _body(BodyMatcher.model_validate(raw))
