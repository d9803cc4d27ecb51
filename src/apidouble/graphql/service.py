"""One GraphQL endpoint as a pure function: ``GraphQLService.answer(HttpRequest)``.

Load time builds the schema's validation rules, the ``mocks:`` rules and the operation
stubs; serve time reads the request (``httpspec``), resolves persisted queries, parses
and validates the document, answers from the first matching stub or from mock data, and
returns the status, bytes and the facts the journal keeps. Client input never raises:
every refusal is an answer with a JSON body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    specified_rules,
    validate,
)

from ..templating.environment import TemplateEnvironment
from .apq import NOT_FOUND, PersistedQueries, PersistedQueryError
from .httpspec import (
    GRAPHQL_RESPONSE,
    JSON,
    GraphQLParams,
    HttpAnswer,
    HttpRequest,
    OperationFacts,
    RequestError,
    encode,
    error_body,
    negotiate,
    read_params,
)
from .mockdata import MockData
from .mocks import compile_mocks
from .operations import OperationStub, closest, find_stub

__all__ = ["GraphQLService"]


@dataclass(frozen=True, slots=True)
class _Result:
    """One operation's answer before the HTTP status is decided."""

    body: dict[str, Any]
    request_error: bool = False
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    facts: OperationFacts | None = None


class GraphQLService:
    """Answers GraphQL-over-HTTP requests for one schema with stubs and mock data."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        mocks: Mapping[str, Any] | None = None,
        operations: Sequence[OperationStub] = (),
        seed: int | None = None,
        list_length: int = 2,
        introspection: bool = True,
        template_env: TemplateEnvironment | None = None,
        persisted_capacity: int = 1000,
    ) -> None:
        self.schema = schema
        self.operations = tuple(operations)
        self.mock = MockData(
            schema, compile_mocks(mocks or {}, schema), seed=seed, list_length=list_length
        )
        self.rules = tuple(specified_rules)
        if not introspection:
            self.rules += (NoSchemaIntrospectionCustomRule,)
        self.persisted = PersistedQueries(persisted_capacity)
        self.template_env = template_env

    def answer(self, http: HttpRequest) -> HttpAnswer:
        media = negotiate(http.header("accept"))
        if media is None:
            return _answer(406, JSON, error_body(f"cannot answer in {http.header('accept')}"))
        try:
            items, batched = read_params(http)
        except RequestError as exc:
            return _answer(exc.status, media, error_body(exc.message), exc.headers)
        context = self._context(http)
        results = [self._one(item, http.method.upper(), media, context) for item in items]
        facts = [r.facts for r in results if r.facts is not None]
        if not batched:
            result = results[0]
            status = result.status or (
                400 if result.request_error and media == GRAPHQL_RESPONSE else 200
            )
            return _answer(status, media, result.body, result.headers, facts)
        failed = all(r.request_error for r in results) and media == GRAPHQL_RESPONSE
        return _answer(400 if failed else 200, media, [r.body for r in results], (), facts)

    def _context(self, http: HttpRequest) -> dict[str, Any]:
        context: dict[str, Any] = {}
        env = self.template_env
        if env is not None:
            context.update(env.globals)
            context["data"] = env.data
        context.update(http.context)
        context.setdefault("request", {})
        context.setdefault("auth", {})
        return context

    def _one(self, item: Any, method: str, media: str, context: dict[str, Any]) -> _Result:
        if isinstance(item, RequestError):
            return _Result(error_body(item.message), request_error=True, status=item.status)
        params: GraphQLParams = item
        try:
            query = self.persisted.resolve(params.query, params.extensions)
        except PersistedQueryError as exc:
            status = 200 if exc.code == NOT_FOUND and media == JSON else 400
            return _Result(error_body(exc.message, exc.code), request_error=True, status=status)
        if query is None:
            return _Result(error_body("a query is required"), request_error=True, status=400)
        try:
            document = parse(query)
        except GraphQLError as exc:
            return _Result({"errors": [exc.formatted]}, request_error=True)
        errors = validate(self.schema, document, self.rules)
        if errors:
            return _Result({"errors": [e.formatted for e in errors]}, request_error=True)
        operation = get_operation_ast(document, params.operation_name)
        if operation is None:
            wanted = params.operation_name
            message = f"unknown operation {wanted!r}" if wanted else "operationName is required"
            return _Result(error_body(message), request_error=True)
        if method == "GET" and operation.operation != OperationType.QUERY:
            kind = operation.operation.value
            return _Result(
                error_body(f"a {kind} needs POST"),
                request_error=True,
                status=405,
                headers=(("allow", "POST"),),
            )
        return self._execute(document, operation, params, context)

    def _execute(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        params: GraphQLParams,
        context: dict[str, Any],
    ) -> _Result:
        name = operation.name.value if operation.name else params.operation_name
        variables = params.variables or {}
        stub, compared = find_stub(self.operations, name, variables, document)
        if stub is not None:
            return _Result(stub.answer(), facts=OperationFacts(name, variables, stub.id, None))
        facts = OperationFacts(name, variables, None, closest(compared))
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            kind = operation.operation.value
            return _Result(
                error_body(f"the schema has no {kind} type"), request_error=True, facts=facts
            )
        result = execute_sync(
            self.schema,
            document,
            root_value=self.mock.root(root),
            context_value=context,
            variable_values=variables,
            operation_name=params.operation_name,
            field_resolver=self.mock.resolve_field,
            type_resolver=self.mock.resolve_type,
        )
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Variables that do not coerce: a request error, no execution (no data entry).
            return _Result(
                {"errors": [e.formatted for e in result.errors]}, request_error=True, facts=facts
            )
        return _Result(dict(result.formatted), facts=facts)


def _answer(
    status: int,
    media: str,
    body: Any,
    headers: Sequence[tuple[str, str]] = (),
    facts: list[OperationFacts] | None = None,
) -> HttpAnswer:
    all_headers = [("content-type", f"{media}; charset=utf-8"), *headers]
    return HttpAnswer(status, all_headers, encode(body), facts or [])
