"""Validated config models -> the plain ``model`` values stubs are made of.

Pure functions, no problems to report: everything here was checked by the models (or is
checked by the behaviours when the endpoint converts).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any

from pydantic import BaseModel

from apidouble.config.matchers import BodyMatcher, ValueMatcher
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
    }
    return {key: value for key, value in found.items() if value is not None}


def request_pattern(ep: Endpoint) -> RequestPattern:
    """What a request must look like to match the endpoint."""
    match = ep.match
    return RequestPattern(
        methods=ANY_METHOD if "ANY" in ep.method else frozenset(ep.method),
        path=ep.path,
        path_regex=ep.path_regex,
        query=_values(match.query) if match else (),
        headers=_values(match.headers) if match else (),
        cookies=_values(match.cookies) if match else (),
        body=tuple(_body(b) for b in match.body) if match else (),
    )


def _values(matchers: Mapping[str, ValueMatcher]) -> tuple[tuple[str, ValueSpec], ...]:
    return tuple((name, _value_spec(m)) for name, m in matchers.items())


def _value_spec(m: ValueMatcher | BodyMatcher) -> ValueSpec:
    op = next(n for n in ("equals", "contains", "regex", "present", "one_of") if m.given(n))
    expected = getattr(m, op)
    expected = tuple(expected) if isinstance(expected, list) and op == "one_of" else expected
    return ValueSpec(op, expected, m.case_insensitive, m.not_)


def _body(m: BodyMatcher) -> BodySpec:
    if m.jsonpath is not None:
        if m.given("equals", "contains", "regex", "present", "one_of"):
            return BodySpec("jsonpath", expression=m.jsonpath, value=_value_spec(m))
        absent = ValueSpec("present", False) if m.not_ else None
        return BodySpec("jsonpath", expression=m.jsonpath, value=absent)
    op = next(n for n in ("equals", "contains", "regex", "json_", "schema_") if m.given(n))
    return BodySpec(op.rstrip("_"), getattr(m, op))
