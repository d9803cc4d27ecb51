"""GraphQL endpoints: schema loading, mock data, operation stubs and the HTTP semantics.

A library for the server to wire: ``load_schema`` at load time, then one
``GraphQLService`` per ``graphql:`` entry whose ``answer`` turns an ``HttpRequest`` into
an ``HttpAnswer`` (status, headers, bytes and the operations' journal facts).
"""

from __future__ import annotations

from .httpspec import HttpAnswer, HttpRequest, OperationFacts
from .operations import OperationStub, normalise_document
from .schema_load import LoadedSchema, SchemaProblem, load_schema
from .service import GraphQLService
from .starter import starter_config

__all__ = [
    "GraphQLService",
    "HttpAnswer",
    "HttpRequest",
    "LoadedSchema",
    "OperationFacts",
    "OperationStub",
    "SchemaProblem",
    "load_schema",
    "normalise_document",
    "starter_config",
]
