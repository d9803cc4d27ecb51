"""Pydantic models of the native config format (the user contract in CONTRACT.md).

These models only check shape and values; ``load.py`` turns them into ``model.Stub``.
Fields that take several shapes (a method or a list, a scalar or a matcher object) are
normalised by one plain/before validator each, so a mistake yields one clear error
instead of one per union member. Field descriptions are the editor tooltips of the
exported JSON Schema (``docs/schema.json``).
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

HTTP_METHODS = (
    *("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"),
    *("QUERY", "PURGE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"),
    *("REPORT", "SEARCH"),
)
"""Methods accepted in ``method``; a closed list so a typo is an error, not a dead stub."""

NOT_YET = frozenset({"auth", "proxy", "webhooks", "server", "addons"})
"""Keys reserved for features that later issues add: rejected as "not supported yet"."""

FAULTS = Literal[
    "connection_reset", "empty_response", "malformed_chunk", "random_data_then_close", "timeout"
]
FaultConfig = str | dict[str, Any]
"""A fault name (one of FAULTS), or {type: NAME, bytes: N} / {type: timeout, after: 10s};
checked by ``behaviours.faults.FaultSpec`` when the endpoint converts."""
Duration = Annotated[str, BeforeValidator(lambda v: v if isinstance(v, str) else str(v))]


# --- value normalisers ---------------------------------------------------------------


def _scalar_text(value: Any) -> Any:
    """YAML reads ``page: 1`` as a number; a matched or sent text value wants ``"1"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


def _methods(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError("method must be a method name, a non-empty list of them, or ANY")
    names = tuple(dict.fromkeys(item.strip().upper() for item in items))
    for name in names:
        if name != "ANY" and name not in HTTP_METHODS:
            close = difflib.get_close_matches(name, HTTP_METHODS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown HTTP method {name!r}{hint}")
    return names


_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _status(value: Any) -> int | str:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if 100 <= value <= 599:
            return value
        raise ValueError(f"status must be between 100 and 599, got {value}")
    if isinstance(value, str) and _TEMPLATE.search(value):
        return value
    raise ValueError(f"status must be an integer (100-599) or a {{{{ template }}}}, got {value!r}")


def _path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"path must start with '/', got {value!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc
    return value


def _json_schema(value: dict[str, Any]) -> dict[str, Any]:
    try:
        validator_for(value).check_schema(value)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        raise ValueError(
            f"not a valid JSON Schema: {exc.message}" + (f" at {where}" if where else "")
        ) from None
    return value


def _base64(value: str) -> str:
    compact = "".join(value.split())
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from exc
    return compact


def _as_value_matcher(value: Any) -> Any:
    if value is None:
        raise ValueError("null is not a matcher; use {present: false} to require absence")
    if isinstance(value, str | int | float | bool):
        return {"equals": value}
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


Text = Annotated[
    str, BeforeValidator(_scalar_text, json_schema_input_type=str | int | float | bool)
]
Regex = Annotated[str, AfterValidator(_regex)]
JsonSchema = Annotated[dict[str, Any], AfterValidator(_json_schema)]
Base64Text = Annotated[str, AfterValidator(_base64)]
_METHOD = {"type": "string", "enum": [*HTTP_METHODS, "ANY"]}
_METHODS = {"anyOf": [_METHOD, {"type": "array", "items": _METHOD, "minItems": 1}]}
_STATUS = {"anyOf": [{"type": "integer", "minimum": 100, "maximum": 599}, {"type": "string"}]}
Methods = Annotated[tuple[str, ...], PlainValidator(_methods), WithJsonSchema(_METHODS)]
Status = Annotated[int | str, PlainValidator(_status), WithJsonSchema(_STATUS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def given(self, *names: str) -> list[str]:
        """The config keys among ``names`` (field names) that the file actually set."""
        fields = type(self).model_fields
        return [fields[n].alias or n for n in names if n in self.model_fields_set]


# --- matchers -------------------------------------------------------------------------

_VALUE_OPS = ("equals", "contains", "regex", "present", "one_of")


class ValueMatcher(_Model):
    """One condition on a text value; a plain scalar means ``{equals: scalar}``."""

    equals: Text | None = Field(None, description="The value equals this text.")
    contains: Text | None = Field(None, description="The value contains this text.")
    regex: Regex | None = Field(None, description="The value matches this regex (full match).")
    present: bool | None = Field(None, description="true: must be present; false: absent.")
    one_of: list[Text] | None = Field(None, description="The value equals one of these.")
    case_insensitive: bool = Field(False, description="Compare ignoring case.")
    not_: bool = Field(False, alias="not", description="Negate the condition.")

    @model_validator(mode="after")
    def _one_op(self) -> Self:
        ops = self.given(*_VALUE_OPS)
        if len(ops) != 1:
            raise ValueError(f"use exactly one of {', '.join(_VALUE_OPS)} (got {ops or 'none'})")
        return self


class BodyMatcher(_Model):
    """One condition on the request body; a list of them means all must hold."""

    equals: Any = Field(None, description="Body equals this text, or this JSON value.")
    contains: Text | None = Field(None, description="Body text contains this.")
    regex: Regex | None = Field(
        None, description="Body text matches this regex (full match; . matches newlines)."
    )
    json_: Any = Field(
        None, alias="json", description="Partial JSON: every given key present and equal."
    )
    jsonpath: str | None = Field(
        None,
        pattern=r"^\$",
        description="JSONPath ($...) into the JSON body; alone it requires a match, or"
        " add equals, contains, regex, present or one_of to check the selected value.",
    )
    schema_: JsonSchema | None = Field(
        None, alias="schema", description="Body must be JSON valid against this JSON Schema."
    )
    present: bool | None = Field(None, description="With jsonpath: selection exists or not.")
    one_of: list[Any] | None = Field(None, description="With jsonpath: value is one of these.")
    case_insensitive: bool = Field(False, description="With jsonpath: compare ignoring case.")
    not_: bool = Field(False, alias="not", description="With jsonpath: negate the check.")

    @model_validator(mode="after")
    def _one_op(self) -> Self:
        if self.jsonpath is not None:
            extra = self.given("json_", "schema_")
            ops = self.given(*_VALUE_OPS)
            if extra or len(ops) > 1:
                raise ValueError(
                    f"jsonpath takes at most one of {', '.join(_VALUE_OPS)}"
                    f" (got {', '.join(extra + ops)})"
                )
            return self
        ops = self.given("equals", "contains", "regex", "json_", "jsonpath", "schema_")
        if len(ops) != 1:
            raise ValueError(
                "use exactly one of equals, contains, regex, json, jsonpath, schema"
                f" (got {ops or 'none'})"
            )
        if only := self.given("present", "one_of", "case_insensitive", "not_"):
            raise ValueError(f"{', '.join(only)} only apply with jsonpath")
        return self


ValueMatcherField = Annotated[
    ValueMatcher,
    BeforeValidator(
        _as_value_matcher, json_schema_input_type=str | int | float | bool | ValueMatcher
    ),
]
BodyMatchers = Annotated[
    list[BodyMatcher],
    BeforeValidator(_as_list, json_schema_input_type=BodyMatcher | list[BodyMatcher]),
]


class Match(_Model):
    """Further conditions on the request; all must hold."""

    query: dict[str, ValueMatcherField] = Field(
        default_factory=dict, description="Query parameters by name: a value or a matcher."
    )
    headers: dict[str, ValueMatcherField] = Field(
        default_factory=dict, description="Request headers by name (any case)."
    )
    cookies: dict[str, ValueMatcherField] = Field(
        default_factory=dict, description="Cookies by name."
    )
    body: BodyMatchers = Field(
        default_factory=list, description="A body matcher, or a list that must all hold."
    )


# --- responses and behaviours ---------------------------------------------------------


class LatencyConfig(BaseModel):
    """A delay distribution; its parameters are checked when the config compiles."""

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["fixed", "uniform", "normal", "lognormal"] | None = Field(
        None, description="How to sample; inferred from the keys when omitted."
    )
    ms: float | None = Field(None, ge=0, description="fixed: the delay in milliseconds.")
    min_ms: float | None = Field(None, ge=0, description="uniform: the shortest delay.")
    max_ms: float | None = Field(None, ge=0, description="uniform: longest; others: a cap.")
    mean_ms: float | None = Field(None, ge=0, description="normal: the mean delay.")
    stddev_ms: float | None = Field(None, ge=0, description="normal: the standard deviation.")
    median_ms: float | None = Field(None, ge=0, description="lognormal: the median delay.")
    sigma: float | None = Field(None, ge=0, description="lognormal: the spread (log space).")
    p50_ms: float | None = Field(None, ge=0, description="Target median (fits a lognormal).")
    p95_ms: float | None = Field(None, ge=0, description="Target 95th percentile.")
    p99_ms: float | None = Field(None, ge=0, description="Target 99th percentile.")


class Outage(_Model):
    """A recurring outage: down for ``for`` at the start of every ``every``."""

    every: Duration = Field(description="The period, e.g. 60s.")
    for_: Duration = Field(alias="for", description="How long each outage lasts, e.g. 10s.")


class Dribble(_Model):
    """Send the body in ``chunks`` pieces spread over ``over_ms``."""

    chunks: int = Field(10, ge=1, description="How many pieces.")
    over_ms: float = Field(1000, ge=0, description="Time from the first piece to the last.")


class CacheServer(_Model):
    """A server-side cache of rendered responses."""

    key: list[str] = Field(
        default_factory=lambda: ["path", "query"],
        description="Key parts: method, path, query, body, header:NAME.",
    )
    ttl: Duration = Field("30s", description="How long an entry lives, e.g. 30s.")
    max_entries: int = Field(1000, ge=1, description="Most entries kept (LRU).")


class Cache(_Model):
    """HTTP caching: validators, 304s, Cache-Control and Vary."""

    etag: bool = Field(True, description="Send a strong ETag computed from the body.")
    max_age: int | None = Field(None, ge=0, description="Cache-Control max-age (0: no-cache).")
    last_modified: str | None = Field(None, description="Last-Modified date (ISO or HTTP).")
    vary: list[str] = Field(default_factory=list, description="Vary header names.")
    private: bool = Field(False, description="Cache-Control: private.")
    server: CacheServer | None = Field(None, description="Cache rendered responses server-side.")


class Cors(_Model):
    """A CORS policy; ``cors: true`` allows every origin without credentials."""

    origins: list[str] | str = Field("*", description='Allowed origins ("*", or patterns).')
    methods: list[str] | None = Field(None, description="Allowed methods (default: stubbed).")
    headers: list[str] | None = Field(None, description="Allowed request headers (default: any).")
    expose_headers: list[str] = Field(default_factory=list, description="Exposed headers.")
    credentials: bool = Field(False, description="Allow credentials (reflects the Origin).")
    max_age: int | None = Field(None, ge=0, description="Preflight cache time in seconds.")


class ResponseKeys(_Model):
    """The keys that describe one response, shared by endpoints, responses and failures."""

    status: Status = Field(200, description="HTTP status: an integer or a template string.")
    headers: dict[str, Text] = Field(
        default_factory=dict, description="Response headers; values may be templates."
    )
    response: Any = Field(
        None, description="Body: a JSON value (sent as JSON) or a string (sent as text)."
    )
    response_file: str | None = Field(
        None,
        description="Body from a file, relative to this config file's folder; the name may"
        " be a template (the file is then picked per request among those read at load).",
    )
    response_base64: Base64Text | None = Field(None, description="Binary body, base64-encoded.")
    content_type: str | None = Field(None, description="Shorthand for a Content-Type header.")

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        keys = ("response", "response_file", "response_base64", "responses")
        names = [n for n in keys if n in type(self).model_fields]
        if len(bodies := self.given(*names)) > 1:
            raise ValueError(f"use only one of {', '.join(names)} (got {', '.join(bodies)})")
        return self


class ResponseItem(ResponseKeys):
    """One of several responses of an endpoint; unset status/headers come from it."""

    latency_ms: float | None = Field(None, ge=0, description="Delay for this response (ms).")


class Failure(ResponseKeys):
    """What an injected failure answers with (default: 500 with an empty body)."""

    status: Status = Field(500, description="HTTP status of the injected failure.")
    fault: FaultConfig | None = Field(
        None, description="Break the connection instead of answering."
    )


class RateLimit(_Model):
    """Answer 429 with Retry-After and RateLimit-* past ``requests`` per ``per``."""

    requests: int = Field(gt=0, description="How many requests are allowed per window.")
    per: Annotated[str, BeforeValidator(_scalar_text)] = Field(
        pattern=r"^\d+(\.\d+)?(ms|s|m|h)?$", description="The window, e.g. 1s, 500ms, 1m."
    )
    key: str = Field(
        "ip", description='What is counted: "ip", "header:NAME", "query:NAME", "global".'
    )
    status: int = Field(429, ge=100, le=599, description="Status of the refusal.")
    response: Any = Field(None, description="Body of the refusal (default: a JSON error).")
    headers: dict[str, str] = Field(default_factory=dict, description="Refusal headers.")
    content_type: str | None = Field(None, description="Content type of the refusal body.")


class Scenario(_Model):
    """A state machine shared by stubs: match only in state ``when``, then move to ``then``."""

    name: str = Field(description="The scenario's name.")
    when: str | None = Field(None, description="Required state (initially Started).")
    then: str | None = Field(None, description="State to move to after answering.")


class Validate(_Model):
    """Validate the request body; invalid requests get 422 with the errors."""

    schema_: JsonSchema = Field(alias="schema", description="JSON Schema of the request body.")


class Endpoint(ResponseKeys):
    """One stub: what to match and what to answer."""

    name: str | None = Field(None, description="A name for logs, reports and the admin API.")
    method: Methods = Field(("GET",), description="A method, a list of them, or ANY.")
    path: Annotated[str, AfterValidator(_path)] | None = Field(
        None,
        json_schema_extra={"pattern": "^/"},
        description="Path: literal, {param}, * (one segment), ** (the rest).",
    )
    path_regex: Regex | None = Field(None, description="Full-match regex instead of path.")
    match: Match | None = Field(None, description="Further conditions; all must hold.")
    priority: int | None = Field(
        None, description="Lower wins; default: most specific path first, then file order."
    )
    responses: list[ResponseItem] | None = Field(
        None, min_length=1, description="Several responses, served according to mode."
    )
    mode: Literal["sequence", "cycle", "random"] | None = Field(
        None, description="How responses are served (default sequence: the last repeats)."
    )
    latency_ms: float | None = Field(None, ge=0, description="Fixed delay in milliseconds.")
    latency: LatencyConfig | None = Field(None, description="Delay distribution.")
    failure_rate: float = Field(0.0, ge=0, le=1, description="Probability (0..1) of failing.")
    failure: Failure | None = Field(None, description="What a failure answers with.")
    fail_first: int | None = Field(None, ge=0, description="Fail the first N requests.")
    fail_every: int | None = Field(None, ge=1, description="Fail every K-th request.")
    outage: Outage | None = Field(None, description="Fail during recurring outage windows.")
    per_client: str | None = Field(
        None, description='Count flaky patterns per client: "ip", "header:X", "query:X".'
    )
    fault: FaultConfig | None = Field(
        None, description="Break the connection: on every request, or on failures."
    )
    dribble: Dribble | None = Field(None, description="Send the body slowly, in pieces.")
    bandwidth_kbps: float | None = Field(None, gt=0, description="Cap the body's send rate.")
    rate_limit: RateLimit | None = Field(None, description="Limit the request rate (429).")
    cache: Cache | bool | None = Field(None, description="HTTP caching for this endpoint.")
    cors: Cors | bool | None = Field(None, description="CORS for this endpoint.")
    validate_: Validate | None = Field(None, alias="validate", description="Check request body.")
    scenario: Scenario | None = Field(None, description="Scenario state condition/transition.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.path is None) == (self.path_regex is None):
            raise ValueError("give exactly one of path and path_regex")
        if self.latency_ms is not None and self.latency is not None:
            raise ValueError("give latency_ms or latency, not both")
        if self.mode is not None and self.responses is None:
            raise ValueError("mode only applies with responses")
        if self.dribble is not None and self.bandwidth_kbps is not None:
            raise ValueError("give dribble or bandwidth_kbps, not both")
        return self


class Defaults(_Model):
    """Values every endpoint of the file gets unless it sets its own."""

    latency_ms: float | None = Field(None, ge=0, description="Default fixed delay (ms).")
    latency: LatencyConfig | None = Field(None, description="Default delay distribution.")


class FakerConfig(_Model):
    """How the ``faker`` template name makes fake data."""

    locale: str = Field("en_US", description="Faker locale, e.g. en_US, fr_FR, de_DE.")
    seed: int | None = Field(None, description="Seed for fake data (default: the config's seed).")


class ConfigFile(_Model):
    """An apidouble config file: a list of endpoints (stubs)."""

    model_config = ConfigDict(
        extra="forbid",
        title="apidouble config",
        json_schema_extra={"description": "Native apidouble config (YAML or JSON)."},
    )

    schema_ref: str | None = Field(
        None, alias="$schema", description="The JSON Schema of this file, for editors."
    )
    endpoints: list[Endpoint] = Field(description="The stubs, in file order.")
    seed: int | None = Field(
        None, description="Seed for random choices (failures, latency, uuid, random_*, faker)."
    )
    data: dict[str, str] = Field(
        default_factory=dict,
        description="Data files for templates, {name: relative path} (.json, .yaml, .yml,"
        " .csv), read at load time; a template reads one as data.NAME.",
    )
    faker: FakerConfig | None = Field(None, description="Options of the faker template name.")
    defaults: Defaults | None = Field(None, description="Defaults for this file's endpoints.")
    cors: Cors | bool | None = Field(None, description="CORS for every endpoint.")
    rate_limit: RateLimit | None = Field(None, description="A rate limit over every request.")
    debug_headers: bool | None = Field(
        None, description="Send X-Apidouble-Decision with the trouble decided per response."
    )


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema users' editors read; ``scripts/export_schema.py`` writes it."""
    body = ConfigFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **body}


# --- error help -----------------------------------------------------------------------


def unknown_key_message(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    """Explain an unknown key at ``loc`` (a pydantic loc under ``root``): why and what instead."""
    key = str(loc[-1])
    if key in NOT_YET:
        return f"{key!r} is not supported yet"
    allowed = _keys_at(root, loc[:-1])
    if not allowed:
        return f"unknown key {key!r}"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"


def _keys_at(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or n: f for n, f in current.model_fields.items()}
            if part not in fields:
                continue  # a union member tag, not a key
            current = fields[str(part)].annotation
        elif origin in (list, tuple):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation
