"""One GraphQL endpoint as a pure function: ``GraphQLService.answer(HttpRequest)``.

Load time builds the schema's validation rules, the ``mocks:`` rules and the operation
stubs; serve time reads the request (``httpspec``), resolves persisted queries, parses
and validates the document, answers from the first matching stub or from mock data, and
returns the status, bytes and the facts the journal keeps. Client input never raises:
every refusal is an answer with a JSON body. ``over_socket`` answers one operation sent
over a WebSocket: request errors, or the ``Stream`` of its results.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    specified_rules,
    validate,
)

from ..auth.guard import Admission
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
from .mockdata import MockData, MockObject
from .mocks import compile_mocks
from .opauth import Refused
from .operations import OperationStub, closest, find_stub
from .streams import Mocked, Once, Scripted, Stream, StreamSettings, delayed
from .trouble import CALM, OperationTrouble

if TYPE_CHECKING:
    from ..behaviours.faults import FaultPlan
    from ..model import Request

__all__ = ["GraphQLService"]


@dataclass(frozen=True, slots=True)
class _Result:
    """One operation's answer before the HTTP status is decided."""

    body: dict[str, Any]
    request_error: bool = False
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    facts: OperationFacts | None = None
    delay_s: float = 0.0
    fault: FaultPlan | None = None


@dataclass(frozen=True, slots=True)
class SocketAnswer:
    """One operation over a socket: its results as a ``Stream``, or the request errors
    that refuse it (an ``error`` message); with the journal's facts when it ran."""

    stream: Stream | None
    errors: list[dict[str, Any]]
    facts: OperationFacts | None = None
    field: str | None = None
    """A subscription's root field: what published events name (``publish``)."""
    fault: FaultPlan | None = None
    """Break the connection (after ``fault_delay_s``) instead of answering."""
    fault_delay_s: float = 0.0


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
        self.random = template_env.random if template_env is not None else random.Random(seed)
        """Draws for the operations' latency and failures (the config's seeded source)."""
        self.stream_settings = StreamSettings()
        """How schema-mocked subscriptions stream (the endpoint's ``subscriptions``)."""

    def answer(self, http: HttpRequest) -> HttpAnswer:
        media = negotiate(http.header("accept"))
        if media is None:
            return _answer(406, JSON, error_body(f"cannot answer in {http.header('accept')}"))
        try:
            items, batched = read_params(http)
        except RequestError as exc:
            return _answer(exc.status, media, error_body(exc.message), exc.headers)
        context = self.context(http)
        method = http.method.upper()
        results = [self._one(item, method, media, context, http.origin) for item in items]
        facts = [r.facts for r in results if r.facts is not None]
        delay = max(r.delay_s for r in results)  # a batch's operations wait side by side
        fault = next((r.fault for r in results if r.fault is not None), None)
        if not batched:
            result = results[0]
            status = result.status or (
                400 if result.request_error and media == GRAPHQL_RESPONSE else 200
            )
            return _answer(status, media, result.body, result.headers, facts, delay, fault)
        failed = all(r.request_error for r in results) and media == GRAPHQL_RESPONSE
        body = [r.body for r in results]
        return _answer(400 if failed else 200, media, body, (), facts, delay, fault)

    def over_socket(
        self, params: GraphQLParams, context: dict[str, Any], origin: Request | None = None
    ) -> SocketAnswer:
        """One ``subscribe`` message's operation: parsed and validated like any, then a
        stub's answer or events, or mock data (a stream of them for a subscription).
        ``origin`` is the upgrade request (what a stub's rate limit keys on)."""
        prepared = self._prepare(params.query or "", params.operation_name)
        if isinstance(prepared, list):
            return SocketAnswer(None, prepared)
        document, operation = prepared
        name = operation.name.value if operation.name else params.operation_name
        variables = params.variables or {}
        field = _root_field(operation)
        stub, compared = find_stub(self.operations, name, variables, document)
        if stub is not None:
            facts = OperationFacts(name, variables, stub.id, None)
            if stub.auth is not None:
                admitted = stub.auth.admit(origin)
                facts = replace(facts, trouble=_auth_facts(admitted))
                if isinstance(admitted, Refused):
                    return SocketAnswer(None, admitted.body["errors"], facts)
            trouble = stub.trouble
            verdict = CALM if trouble is None else trouble.decide(origin, self.random)
            if trouble is not None:
                facts = replace(facts, trouble={**(facts.trouble or {}), **verdict.facts()})
            stream: Stream
            if verdict.fault is not None:
                return SocketAnswer(
                    None, [], facts, fault=verdict.fault, fault_delay_s=verdict.delay_s
                )
            if verdict.refused is not None and trouble is not None:
                return SocketAnswer(None, trouble.refusal(verdict.refused)[0]["errors"], facts)
            if verdict.failed and trouble is not None:
                stream = Once(trouble.failure())
            elif operation.operation == OperationType.SUBSCRIPTION:
                stream = Scripted(stub)
            else:
                stream = Once(stub.answer())
            return SocketAnswer(delayed(stream, verdict.delay_s), [], facts, field)
        facts = OperationFacts(name, variables, None, closest(compared))
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            kind = operation.operation.value
            return SocketAnswer(None, [{"message": f"the schema has no {kind} type"}], facts)

        def run(index: int) -> dict[str, Any]:
            key = root.name if index == 0 else f"{root.name}#{index}"
            result = execute_sync(
                self.schema,
                document,
                root_value=MockObject(root.name, key, {}),
                context_value=context,
                variable_values=variables,
                operation_name=params.operation_name,
                field_resolver=self.mock.resolve_field,
                type_resolver=self.mock.resolve_type,
            )
            return dict(result.formatted)

        first = run(0)
        if first.get("data") is None and all("path" not in e for e in first.get("errors", ())):
            return SocketAnswer(None, list(first.get("errors") or ()), facts)
        if operation.operation != OperationType.SUBSCRIPTION:
            return SocketAnswer(Once(first), [], facts)
        made = iter([first])
        stream = Mocked(lambda index: next(made, None) or run(index), self.stream_settings)
        return SocketAnswer(stream, [], facts, field)

    def context(self, http: HttpRequest) -> dict[str, Any]:
        context: dict[str, Any] = {}
        env = self.template_env
        if env is not None:
            context.update(env.globals)
            context["data"] = env.data
        context.update(http.context)
        context.setdefault("request", {})
        context.setdefault("auth", {})
        return context

    def _prepare(
        self, query: str, operation_name: str | None
    ) -> tuple[DocumentNode, OperationDefinitionNode] | list[dict[str, Any]]:
        """The document parsed and validated, with the operation to run; else the
        request errors that refuse it."""
        try:
            document = parse(query)
        except GraphQLError as exc:
            return [dict(exc.formatted)]
        errors = validate(self.schema, document, self.rules)
        if errors:
            return [dict(e.formatted) for e in errors]
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            wanted = operation_name
            message = f"unknown operation {wanted!r}" if wanted else "operationName is required"
            return [{"message": message}]
        return document, operation

    def _one(
        self,
        item: Any,
        method: str,
        media: str,
        context: dict[str, Any],
        origin: Request | None,
    ) -> _Result:
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
        prepared = self._prepare(query, params.operation_name)
        if isinstance(prepared, list):
            return _Result({"errors": prepared}, request_error=True)
        document, operation = prepared
        if method == "GET" and operation.operation != OperationType.QUERY:
            kind = operation.operation.value
            return _Result(
                error_body(f"a {kind} needs POST"),
                request_error=True,
                status=405,
                headers=(("allow", "POST"),),
            )
        return self._execute(document, operation, params, context, origin)

    def _execute(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        params: GraphQLParams,
        context: dict[str, Any],
        origin: Request | None,
    ) -> _Result:
        name = operation.name.value if operation.name else params.operation_name
        variables = params.variables or {}
        stub, compared = find_stub(self.operations, name, variables, document)
        if stub is not None:
            facts = OperationFacts(name, variables, stub.id, None)
            if stub.auth is not None:
                admitted = stub.auth.admit(origin)
                facts = replace(facts, trouble=_auth_facts(admitted))
                if isinstance(admitted, Refused):
                    status, headers = admitted.status, admitted.headers
                    return _Result(admitted.body, status=status, headers=headers, facts=facts)
            if stub.trouble is None:
                return _Result(stub.answer(), facts=facts)
            return self._troubled(stub.answer, stub.trouble, facts, origin)
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

    def _troubled(
        self,
        answer: Callable[[], dict[str, Any]],
        trouble: OperationTrouble,
        facts: OperationFacts,
        origin: Request | None,
    ) -> _Result:
        """A stub's answer through its trouble: refused past its rate limit (a 429 when
        the request carries this operation alone), failed at its rate, late by its
        latency; or a fault, which breaks the connection (the answer is what a transport
        that cannot break it sends: the fault as an error)."""
        verdict = trouble.decide(origin, self.random)
        facts = replace(facts, trouble={**(facts.trouble or {}), **verdict.facts()})
        if verdict.fault is not None:
            body = error_body(f"simulated fault: {verdict.fault.describe()}", "FAULT")
            return _Result(
                {**body, "data": None},
                status=trouble.failure_status,
                facts=facts,
                delay_s=verdict.delay_s,
                fault=verdict.fault,
            )
        if verdict.refused is not None:
            body, headers = trouble.refusal(verdict.refused)
            return _Result(body, status=429, headers=headers, facts=facts, delay_s=verdict.delay_s)
        if verdict.failed:
            return _Result(
                trouble.failure(),
                status=trouble.failure_status,
                facts=facts,
                delay_s=verdict.delay_s,
            )
        return _Result(answer(), facts=facts, delay_s=verdict.delay_s)


def _root_field(operation: OperationDefinitionNode) -> str | None:
    """A subscription's one root field (validation saw to there being one), when it is
    written as a field; None for any other operation."""
    if operation.operation != OperationType.SUBSCRIPTION:
        return None
    first = operation.selection_set.selections[0]
    return first.name.value if isinstance(first, FieldNode) else None


def _answer(
    status: int,
    media: str,
    body: Any,
    headers: Sequence[tuple[str, str]] = (),
    facts: list[OperationFacts] | None = None,
    delay_s: float = 0.0,
    fault: FaultPlan | None = None,
) -> HttpAnswer:
    all_headers = [("content-type", f"{media}; charset=utf-8"), *headers]
    return HttpAnswer(status, all_headers, encode(body), facts or [], delay_s, fault)


def _auth_facts(admitted: Admission | Refused) -> dict[str, Any]:
    """What the journal says of an operation's own auth: who it admitted, or why not."""
    if isinstance(admitted, Refused):
        return {"auth_refused": admitted.error}
    return {"auth": admitted.as_dict()}
