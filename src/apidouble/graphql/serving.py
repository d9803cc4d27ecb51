"""A ``graphql:`` endpoint as the engine serves it: the schema loaded once, at load time,
and each request turned into the service's ``HttpRequest`` and its answer into a ``Response``.

The schema's problems (what a lenient load dropped) are logged once, with file and line;
the operations' facts (name, variables, the stub that answered or the closest miss) go
to the journal through the engine's decision.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apidouble.graphql.httpspec import HttpRequest
from apidouble.graphql.operations import OperationStub
from apidouble.graphql.schema_load import load_schema
from apidouble.graphql.service import GraphQLService
from apidouble.model import Request
from apidouble.outcome import Response
from apidouble.templating.environment import TemplateEnvironment
from apidouble.templating.requestview import RequestView, auth_view

__all__ = ["GraphQLEndpoint", "compile_graphql"]

log = logging.getLogger("apidouble.graphql")


class GraphQLEndpoint:
    """One endpoint's service, and the schema files it read (watched for reloads)."""

    __slots__ = ("files", "service")

    def __init__(self, service: GraphQLService, files: tuple[Path, ...]) -> None:
        self.service = service
        self.files = files

    def answer(
        self, request: Request, params: dict[str, str]
    ) -> tuple[Response, list[dict[str, Any]]]:
        """The response, and one journal fact per operation."""
        http = HttpRequest(
            request.method,
            request.query,
            {name.lower(): value for name, value in request.headers},
            request.body,
            {"request": RequestView(request, params), "auth": auth_view(request)},
        )
        answer = self.service.answer(http)
        facts = [
            {
                "operation": fact.name,
                "variables": dict(fact.variables) if fact.variables is not None else None,
                "stub": fact.matched_stub_id,
                **({"near_miss": fact.near_miss} if fact.near_miss else {}),
            }
            for fact in answer.operations
        ]
        return Response.build(answer.status, answer.headers, answer.body), facts


def compile_graphql(spec: Mapping[str, Any], env: TemplateEnvironment) -> GraphQLEndpoint:
    """Load the schema and build the service; ValueError (file and line) when the schema
    cannot be served at all or a mock names what the schema lacks."""
    files = tuple(Path(name) for name in spec["schema"])
    loaded = load_schema(files)
    for problem in loaded.problems:
        log.warning("graphql schema: %s", problem)
    operations = [
        OperationStub(
            id=entry.get("id") or f"operation-{index}",
            operation_name=entry.get("operation_name"),
            query=entry.get("query"),
            variables=entry.get("variables"),
            data=entry.get("data"),
            errors=entry.get("errors"),
        )
        for index, entry in enumerate(spec.get("operations") or ())
    ]
    service = GraphQLService(
        loaded.schema,
        mocks=spec.get("mocks") or {},
        operations=operations,
        seed=env.seed,
        list_length=int(spec.get("list_length", 2)),
        introspection=bool(spec.get("introspection", True)),
        template_env=env,
    )
    return GraphQLEndpoint(service, files)
