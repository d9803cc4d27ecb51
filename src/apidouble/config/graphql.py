"""The config's ``graphql`` keys: an endpoint that answers GraphQL from a schema.

``graphql: [{path: /graphql, schema: schema.graphql, ...}]`` at the top of a file (or
``graphql: {schema: ...}`` on an endpoint) serves queries and mutations at that path:
mock data from the schema, ``mocks`` overrides and ``operations`` stubs, and the same
over WebSocket (``graphql-transport-ws``) with subscriptions: a stub's ``events`` or mock
data as ``subscriptions`` says. The schema is read where the endpoint is compiled; its
problems are logged there.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from apidouble.config.auth import AuthRequirementValue
from apidouble.config.fields import (
    STUB_ID_PATTERN,
    ConfigModel,
    Duration,
    FaultConfig,
    path_text,
)
from apidouble.config.trouble import LatencyConfig


class GraphQLEvent(ConfigModel):
    """One scripted event of a subscription (a ``next`` message's result)."""

    data: Any = Field(None, description="The event's data.")
    errors: list[dict[str, Any]] | None = Field(
        None, description="The event's errors (message, path, locations, extensions)."
    )
    delay_ms: float | None = Field(
        None, ge=0, description="Wait this long before sending it (default: every_ms)."
    )


class GraphQLSubscriptions(ConfigModel):
    """GraphQL over WebSocket: how mocked subscriptions stream, and the socket's limits."""

    count: Annotated[int, Field(ge=0)] | Literal["forever"] = Field(
        3, description="Events a schema-mocked subscription sends before complete."
    )
    every_ms: float = Field(
        1000, ge=0, description="Wait between mocked events (the first goes at once)."
    )
    max_subscriptions: int = Field(
        100, ge=1, le=10000, description="Operations one connection may run at once."
    )
    init_timeout_ms: float = Field(
        3000, gt=0, description="Close with 4408 when connection_init is later than this."
    )
    max_message_bytes: int = Field(
        1 << 20, ge=1024, description="Close with 1009 on a larger message."
    )
    connection_params: dict[str, Any] | None = Field(
        None,
        description="What the connection_init payload must hold (a partial match); else"
        " the socket closes with 4403.",
    )


class GraphQLFailure(ConfigModel):
    """What a failed operation answers: no data, these errors."""

    errors: list[dict[str, Any]] | None = Field(
        None,
        min_length=1,
        description='The errors (default: "simulated failure", code INTERNAL_SERVER_ERROR).',
    )
    status: int | None = Field(
        None, ge=200, le=599, description="HTTP status when the request is this one operation."
    )
    fault: FaultConfig | None = Field(
        None, description="Break the connection instead of answering (as for endpoints)."
    )


class GraphQLRateLimit(ConfigModel):
    """An operation's rate limit: a 429 with Retry-After when the request is this one
    operation, else its own RATE_LIMITED error."""

    requests: int = Field(gt=0, description="How many operations are allowed per window.")
    per: Duration = Field(description="The window, e.g. 1s, 500ms, 1m, or seconds.")
    key: str = Field(
        "global", description='What is counted: "global", "ip", "header:NAME", "query:NAME".'
    )


class GraphQLOperation(ConfigModel):
    """One answer for the operations that match it (the first that matches answers)."""

    id: str | None = Field(None, description="A name for the journal and near-miss reports.")
    operation_name: str | None = Field(None, description="The operationName it matches.")
    query: str | None = Field(
        None, description="A query document it matches (whitespace and field order aside)."
    )
    variables: dict[str, Any] | None = Field(
        None, description="Variables it matches (a partial JSON match)."
    )
    data: Any = Field(None, description="The data it answers with.")
    errors: list[dict[str, Any]] | None = Field(
        None, description="Errors it answers with (message, path, locations, extensions)."
    )
    events: list[GraphQLEvent] | None = Field(
        None,
        min_length=1,
        description="A subscription's events over WebSocket, in order (then complete).",
    )
    every_ms: float = Field(
        0, ge=0, description="Wait between events that give no delay_ms of their own."
    )
    repeat: Annotated[int, Field(ge=1)] | Literal["forever"] = Field(
        1, description="How many times to play the events; forever: until complete."
    )
    hold: bool = Field(
        False,
        description="After its events (none when it has none), a subscription stays open"
        " for events from POST /__admin/graphql/publish until the client completes it.",
    )
    latency_ms: float | None = Field(
        None, ge=0, description="This operation's delay, on top of the endpoint's."
    )
    latency: LatencyConfig | None = Field(
        None, description="A delay distribution instead (as for endpoints)."
    )
    failure_rate: float = Field(
        0, ge=0, le=1, description="The share of answers that fail (0 to 1), seeded."
    )
    failure: GraphQLFailure | None = Field(None, description="What a failure answers.")
    rate_limit: GraphQLRateLimit | None = Field(
        None, description="At most requests per window; more get a RATE_LIMITED error."
    )
    fault: FaultConfig | None = Field(
        None,
        description="Break the connection (as for endpoints): every time it answers, or"
        " only when it fails if it has a failure_rate.",
    )
    auth: AuthRequirementValue | None = Field(
        None,
        description="What the request must present for this operation, besides the entry's"
        " (as for endpoints; a jwt names jwks); refused: the errors with 401, 403 or 400.",
    )


class GraphQL(ConfigModel):
    """A GraphQL endpoint: queries and mutations over GET and POST, answered from a schema."""

    schema_: str | list[str] = Field(
        alias="schema",
        description="An SDL file, several, or an introspection JSON result (relative to"
        " this file).",
    )
    mocks: dict[str, Any] = Field(
        default_factory=dict,
        description='Overrides by type ("User": {name: Ada}) or field ("Query.user": {...},'
        ' templates see args, parent, request, auth); {error: "..."} fails that field.',
    )
    operations: list[GraphQLOperation] = Field(
        default_factory=list, description="Fixed answers for matching operations."
    )
    list_length: int = Field(2, ge=0, le=100, description="Items in every mocked list.")
    introspection: bool = Field(True, description="Answer introspection queries.")
    graphiql: bool = Field(
        True,
        description="Show browsers (a GET for text/html without a query) the GraphiQL page"
        " at the path, served offline; only while introspection is on.",
    )
    subscriptions: GraphQLSubscriptions | None = Field(
        None,
        description="GraphQL over WebSocket (graphql-transport-ws): mocked streams, limits"
        " (the defaults when absent).",
    )


class GraphQLEntry(GraphQL):
    """One top-level ``graphql:`` entry: the same as an endpoint with ``graphql:``."""

    id: str | None = Field(None, pattern=STUB_ID_PATTERN, description="A stable id.")
    name: str | None = Field(None, description="A name for logs and the admin API.")
    path: Annotated[str, AfterValidator(path_text)] = Field(
        "/graphql", json_schema_extra={"pattern": "^/"}, description="Where it answers."
    )
    auth: AuthRequirementValue | None = Field(
        None, description="What a request must present, as for endpoints."
    )
    latency_ms: float | None = Field(None, ge=0, description="Fixed delay in milliseconds.")

    def endpoint(self) -> dict[str, Any]:
        """The endpoint this entry stands for, as config data."""
        own = set(GraphQL.model_fields) & self.model_fields_set
        conversation = self.model_dump(include=own | {"schema_"}, by_alias=True)
        given = {k: getattr(self, k) for k in ("id", "name", "auth", "latency_ms")}
        fields = {k: v for k, v in given.items() if v is not None}
        return {**fields, "path": self.path, "method": ["GET", "POST"], "graphql": conversation}
