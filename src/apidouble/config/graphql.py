"""The config's ``graphql`` keys: an endpoint that answers GraphQL from a schema.

``graphql: [{path: /graphql, schema: schema.graphql, ...}]`` at the top of a file (or
``graphql: {schema: ...}`` on an endpoint) serves queries and mutations at that path:
mock data from the schema, ``mocks`` overrides and ``operations`` stubs. The schema is
read where the endpoint is compiled; its problems are logged there.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from apidouble.config.auth import AuthRequirementValue
from apidouble.config.fields import STUB_ID_PATTERN, ConfigModel, path_text


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
