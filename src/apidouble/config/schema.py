"""Pydantic models of the native config format (the user contract in CONTRACT.md).

These models only check shape and values; ``load.py`` turns them into ``model.Stub``.
This module holds the responses, the endpoint and the file; field types are in
``fields``, request conditions in ``matchers``, behaviours in ``trouble``. Field
descriptions are the editor tooltips of the exported JSON Schema (``docs/schema.json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from apidouble.addons.loading import AddonSpec
from apidouble.config.auth import AuthRequirementValue, AuthSection
from apidouble.config.fields import (
    HTTP_METHODS,
    STUB_ID_PATTERN,
    Base64Text,
    ConfigModel,
    Duration,
    FaultConfig,
    JsonSchema,
    Methods,
    Regex,
    Status,
    Text,
    path_text,
)
from apidouble.config.graphql import GraphQL, GraphQLEntry
from apidouble.config.grpc import GrpcSection
from apidouble.config.keyhelp import NOT_YET, unknown_key_message
from apidouble.config.llm import LlmEntry, LlmRoute
from apidouble.config.matchers import BodyMatcher, Match, ValueMatcher
from apidouble.config.positions import Lines, line_of
from apidouble.config.realtime import Sse, WebSocket
from apidouble.config.trouble import (
    Cache,
    CacheServer,
    Cors,
    Dribble,
    LatencyConfig,
    Outage,
    RateLimit,
    Scenario,
)
from apidouble.model import Templating

__all__ = [
    "HTTP_METHODS",
    "NOT_YET",
    "STUB_ID_PATTERN",
    "Base64Text",
    "BodyMatcher",
    "Cache",
    "CacheServer",
    "ConfigFile",
    "ConfigModel",
    "Cors",
    "Defaults",
    "Dribble",
    "Duration",
    "Endpoint",
    "FakerConfig",
    "Failure",
    "FaultConfig",
    "JsonSchema",
    "LatencyConfig",
    "Match",
    "Methods",
    "Outage",
    "RateLimit",
    "Regex",
    "ResponseItem",
    "ResponseKeys",
    "Scenario",
    "Status",
    "Text",
    "Validate",
    "ValueMatcher",
    "config_json_schema",
    "unknown_key_message",
]


class Proxy(ConfigModel):
    """Forward matching requests to a real API and relay its answers."""

    to: str = Field(
        min_length=1,
        description="The upstream's base URL (http:// or https://); the"
        " request's path and query follow it.",
    )
    strip_prefix: str | None = Field(
        None, description="Take this off the front of the path first (/v1/users -> /users)."
    )
    add_headers: dict[str, str] = Field(
        default_factory=dict, description="Headers to add to (or replace in) the request."
    )
    remove_headers: list[str] = Field(
        default_factory=list, description="Request headers not to forward."
    )
    timeout_ms: float | None = Field(
        None, gt=0, description="Give up on the upstream after this long (default 30 s): 504."
    )
    verify: bool = Field(True, description="Verify the upstream's TLS certificate.")


class ResponseKeys(ConfigModel):
    """The keys that describe one response, shared by endpoints, responses and failures."""

    status: Status = Field(200, description="HTTP status: an integer or a template string.")
    headers: dict[str, Text | list[Text]] = Field(
        default_factory=dict,
        description="Response headers; values may be templates; a list sends one header"
        " line per value.",
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
    proxy: Proxy | str | None = Field(
        None,
        description="Forward the request to a real API instead (its base URL, or"
        " {to, strip_prefix, add_headers, remove_headers, timeout_ms, verify}).",
    )
    sse: Sse | None = Field(
        None, description="Answer with a Server-Sent Events stream instead of a body."
    )
    content_type: str | None = Field(None, description="Shorthand for a Content-Type header.")
    status_message: str | None = Field(
        None, description="The status line's reason phrase (default: the standard one)."
    )
    templating: Templating | None = Field(
        None,
        description="How strings of this response are templates: jinja (the default),"
        " handlebars (WireMock's response-template), mockoon (Handlebars with Mockoon's"
        " helpers) or none (sent as written); with"
        " compat: wiremock the default is none.",
    )

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        keys = ("response", "response_file", "response_base64", "responses", "proxy", "sse")
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


class Validate(ConfigModel):
    """Validate the request body; invalid requests get 422 with the errors."""

    schema_: JsonSchema = Field(alias="schema", description="JSON Schema of the request body.")


class Endpoint(ResponseKeys):
    """One stub: what to match and what to answer."""

    id: str | None = Field(
        None,
        pattern=STUB_ID_PATTERN,
        description="A stable id for the admin API and logs (letters, digits, . _ ~ -);"
        " default: derived from the name, else from the endpoint's content.",
    )
    name: str | None = Field(
        None,
        description="A name for logs, reports and the admin API; unique in the config"
        " (it makes the id unless id is given).",
    )
    method: Methods = Field(("GET",), description="A method, a list of them, or ANY.")
    path: Annotated[str, AfterValidator(path_text)] | None = Field(
        None,
        json_schema_extra={"pattern": "^/"},
        description="Path: literal, {param}, * (one segment), ** (the rest).",
    )
    path_regex: Regex | None = Field(None, description="Full-match regex instead of path.")
    match: Match | None = Field(None, description="Further conditions; all must hold.")
    priority: int | None = Field(
        None, description="Lower wins; default: most specific path first, then file order."
    )
    websocket: WebSocket | None = Field(
        None,
        description="Answer the upgrade request with a WebSocket conversation (a plain"
        " request gets 426); the top-level websockets list writes the same.",
    )
    graphql: GraphQL | None = Field(
        None,
        description="Answer GraphQL (GET and POST) from a schema: mock data, mocks and"
        " operations stubs; the top-level graphql list writes the same.",
    )
    llm: LlmRoute | None = Field(
        None,
        description="Answer as an LLM provider's route does (chat completions, messages,"
        " embeddings, models); the top-level llm list writes these.",
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
    addons: list[str] | None = Field(
        None,
        description="Addons for this endpoint only: names of the config's addons, or a file"
        " (relative to this file), module:Attr, or an installed entry point's name.",
    )
    auth: AuthRequirementValue | None = Field(
        None,
        description="What a request must present before this endpoint answers:"
        " {jwt: {issuer, audience, scopes, claims, leeway_s}} (or {jwt: {jwks: FILE|URL}} for"
        " an external issuer), {basic: {users}}, {api_key: {header|query|cookie, values}},"
        " {any_of: [...]}; false opts out of the server-wide auth.require. Missing or bad"
        " credentials get 401 with WWW-Authenticate, a missing scope or claim 403.",
    )
    callbacks: list[dict[str, Any]] | None = Field(
        None,
        description="HTTP requests made after each answer: {url, method, headers, body,"
        " delay_ms, retries}; url, headers and body are templates over request and response.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.path is not None and self.path_regex is not None:
            raise ValueError("give exactly one of path and path_regex")
        if self.path is None and self.path_regex is None and not self._wiremock_url():
            raise ValueError("give exactly one of path and path_regex")
        fragment = self.match.wiremock if self.match is not None else None
        if fragment and "pathParameters" in fragment and self.path is None:
            raise ValueError("match.wiremock.pathParameters need a path with {name} parameters")
        if self.latency_ms is not None and self.latency is not None:
            raise ValueError("give latency_ms or latency, not both")
        if self.mode is not None and self.responses is None:
            raise ValueError("mode only applies with responses")
        if self.dribble is not None and self.bandwidth_kbps is not None:
            raise ValueError("give dribble or bandwidth_kbps, not both")
        return self

    def _wiremock_url(self) -> bool:
        """Whether ``match.wiremock`` is given: then neither path nor path_regex means what
        a WireMock request without a URL (or with only ``urlPattern``) means."""
        return self.match is not None and self.match.wiremock is not None


class WebSocketEntry(WebSocket):
    """One ``websockets:`` entry: a WebSocket endpoint written on its own (the same as an
    endpoint with ``websocket:``)."""

    id: str | None = Field(None, pattern=STUB_ID_PATTERN, description="A stable id.")
    name: str | None = Field(None, description="A name for logs and the admin API.")
    path: Annotated[str, AfterValidator(path_text)] = Field(
        json_schema_extra={"pattern": "^/"},
        description="Path of the upgrade request: literal, {param}, * or **.",
    )
    match: Match | None = Field(None, description="Further conditions on the upgrade request.")
    priority: int | None = Field(None, description="Lower wins, as for endpoints.")
    addons: list[str] | None = Field(
        None,
        description="Addons for this conversation only (their websocket_message hooks), as"
        " for endpoints.",
    )

    def endpoint(self) -> Endpoint:
        """The endpoint this entry stands for."""
        own = set(WebSocket.model_fields) & self.model_fields_set
        conversation = WebSocket.model_validate(self.model_dump(include=own))
        given = {k: getattr(self, k) for k in ("id", "name", "match", "priority", "addons")}
        fields = {k: v for k, v in given.items() if v is not None}
        return Endpoint.model_validate({**fields, "path": self.path, "websocket": conversation})


class Defaults(ConfigModel):
    """Values every endpoint of the file gets unless it sets its own."""

    latency_ms: float | None = Field(None, ge=0, description="Default fixed delay (ms).")
    latency: LatencyConfig | None = Field(None, description="Default delay distribution.")


class FakerConfig(ConfigModel):
    """How the ``faker`` template name makes fake data."""

    locale: str = Field("en_US", description="Faker locale, e.g. en_US, fr_FR, de_DE.")
    seed: int | None = Field(None, description="Seed for fake data (default: the config's seed).")


class Resource(ConfigModel):
    """A CRUD resource served the json-server way: its rows from a file, inline, or
    generated from a template."""

    data: str | list[Any] | dict[str, Any] | None = Field(
        None,
        description="The rows: a file relative to this one (.json, .yaml, .yml, .csv), or"
        " the rows themselves; an object makes a singular resource (GET/PUT/PATCH only).",
    )
    id: str = Field("id", min_length=1, description="The field that identifies a row.")
    count: int | None = Field(
        None, ge=0, le=100_000, description="Generate this many rows from template."
    )
    template: Any = Field(
        None,
        description="One generated row: templates see index (1, 2, ...) and faker; the id"
        " field defaults to index.",
    )
    seed: int | None = Field(
        None, description="Seed for the generated rows (default: the config's seed, else 0)."
    )


class AddonEntry(ConfigModel):
    """One addon, with a name, a scope or options."""

    use: str = Field(
        min_length=1,
        description="A Python file (relative to this file; file.py:Attr for one of its"
        " objects), module:Attr, a dotted module, or an installed entry point's name.",
    )
    name: str | None = Field(
        None, min_length=1, description="How endpoints name it (default: its own name)."
    )
    scope: Literal["all", "listed"] = Field(
        "all",
        description="all: every request; listed: only endpoints listing it in addons.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments for an addon class."
    )

    @classmethod
    def spec_of(
        cls, entry: str | AddonEntry, folder: Path, file: str, lines: Lines, index: int
    ) -> AddonSpec:
        """The spec of the ``index``-th top-level entry of ``file`` (located by ``lines``)."""
        made = cls.model_validate({"use": entry}) if isinstance(entry, str) else entry
        where = f"/addons/{index}"
        return AddonSpec(
            made.use, folder, made.name, made.scope, made.options, file,
            line_of(lines, where), where,
        )  # fmt: skip


class OpenApiEntry(ConfigModel):
    """An OpenAPI (or Swagger 2.0) spec served the way Prism serves it, behind the
    endpoints (an endpoint for the same request wins)."""

    spec: str = Field(min_length=1, description="The spec file, relative to this one.")
    dynamic: bool | None = Field(
        None,
        description="Generate every body from its schema instead of the examples (Prism's"
        " -d; default: the --openapi-dynamic flag).",
    )
    errors: bool | None = Field(
        None,
        description="Answer 500 when an answer does not fit its schema, and Prism's 404/405"
        " for requests outside the spec even beside endpoints (Prism's --errors; default:"
        " the --openapi-errors flag).",
    )
    cors: bool | None = Field(
        None,
        description="Prism's CORS headers and preflight answers (default: on, unless --no-cors).",
    )
    validate_: bool | None = Field(
        None,
        alias="validate",
        description="Check requests against the spec: 422/400/401/415 as Prism answers"
        " (default: on).",
    )


class ConfigFile(ConfigModel):
    """An apidouble config file: a list of endpoints (stubs)."""

    model_config = ConfigDict(
        extra="forbid",
        title="apidouble config",
        json_schema_extra={"description": "Native apidouble config (YAML or JSON)."},
    )

    schema_ref: str | None = Field(
        None, alias="$schema", description="The JSON Schema of this file, for editors."
    )
    compat: Literal["wiremock", "mockoon"] | None = Field(
        None,
        description="wiremock: endpoints select and answer as WireMock's do (priority"
        " default 5, then the later endpoint first; no implied content type; no"
        " templating unless a response says templating: handlebars). mockoon: a request"
        " no endpoint takes gets Express's 404 page (Cannot GET /path), never a 405, as"
        " mockoon-cli answers it.",
    )
    endpoints: list[Endpoint] = Field(
        description="The stubs, in file order (a file of resources alone may leave it out)."
    )
    document_root: str | None = Field(
        None,
        description="A folder (relative to this file) that answers GETs no endpoint"
        " matches with its files, as WireMock's __files does.",
    )
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
    addons: list[Annotated[str, Field(min_length=1)] | AddonEntry] = Field(
        default_factory=list,
        description="Python addons: hooks over every request (or, with scope: listed, the"
        " endpoints that list them).",
    )
    resources: dict[str, Resource] = Field(
        default_factory=dict,
        description="CRUD resources by name, served at /NAME with json-server's query"
        " conventions behind the endpoints (endpoints win).",
    )
    state_key: str | None = Field(
        None,
        description="Give each client its own scenarios and resources, keyed by"
        " header:NAME, cookie:NAME or query:NAME.",
    )
    openapi: str | list[Annotated[str, Field(min_length=1)] | OpenApiEntry] | None = Field(
        None,
        description="OpenAPI specs served behind the endpoints, Prism's way: a file"
        " (relative to this one) or a list of files and {spec, dynamic, errors, cors,"
        " validate} entries.",
    )
    websockets: list[WebSocketEntry] = Field(
        default_factory=list,
        description="WebSocket conversations: each entry an endpoint for an upgrade request.",
    )
    auth: AuthSection | None = Field(
        None,
        description="Mock OAuth2/OIDC issuers (served at /oauth2/NAME) and the requirement"
        " every endpoint has unless it sets its own auth.",
    )
    graphql: list[GraphQLEntry] = Field(
        default_factory=list,
        description="GraphQL endpoints: each answers queries and mutations at its path from"
        " a schema (an endpoint with graphql: writes the same).",
    )
    llm: list[LlmEntry] = Field(
        default_factory=list,
        description="LLM provider presets (openai, anthropic): each mounts the provider's"
        " standard paths, answering by rules on the conversation, whole or streamed.",
    )
    grpc: GrpcSection | None = Field(
        None,
        description="gRPC services mocked from .proto files, on their own port (the grpc"
        " extra: pip install 'apidouble[grpc]').",
    )


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema users' editors read; ``scripts/export_schema.py`` writes it."""
    body = ConfigFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **body}
