"""Serving a spec as Prism does: the spec server the engine asks for requests no stub
takes (after the CRUD resources, before ``--proxy-to``).

Everything a request needs is decided when the spec loads: the route table (literal
paths in a dict, templated ones in the order Prism prefers: a literal segment beats a
template at the same place), each operation's validator, and each static answer, built
once on first use and then looked up. A request pays for routing, the checks its
operation has, and the choice its ``Prefer``/``Accept`` headers make.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apidouble.model import Request
from apidouble.outcome import Response

from . import problems
from .cors import ANY_ORIGIN, cors_headers, is_preflight, preflight
from .drift import DriftCheck, Inspection, violations_problem
from .generate import GenerationError, generate
from .model import NO_EXAMPLE, MediaType, Operation, ResponseSpec, Spec
from .negotiate import (
    AcceptRange,
    choose_media,
    content_type,
    encode_body,
    header_text,
    is_json,
    media_types,
    parse_accept,
)
from .schemacheck import Failure as SchemaFailure
from .schemacheck import SchemaCheck, compile_schema, translate
from .selection import (
    NO_PREFERENCES,
    RouteTable,
    default_response,
    preferences,
    response_for_code,
    sample,
)
from .validate import (
    CompiledOperation,
    RequestParts,
    Validation,
    Violation,
    compile_operation,
    validate_request,
)

__all__ = ["SpecOptions", "SpecServer", "SpecSet"]

_SKIPPED_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})
_ACCEPT_CACHE = 256
_NO_BODY = "Request body is not allowed for this operation"


@dataclass(frozen=True, slots=True)
class SpecOptions:
    """How one spec is served (the ``openapi:`` entry and the run flags)."""

    dynamic: bool = False
    """Generate bodies from the schemas instead of using the examples (Prism's ``-d``)."""
    errors: bool = False
    """Check answers against their schemas (500 when one does not fit) and answer every
    request outside the spec with Prism's 404/405 (Prism's ``--errors``)."""
    cors: bool = True
    validate: bool = True
    seed: int | None = None
    alone: bool = True
    """The config is specs alone: a request outside them gets Prism's 404/405, not the
    near-miss report of the (absent) stubs."""
    validate_responses: bool = False
    """Check proxied answers against the spec (``--validate-responses``); with
    ``--proxy-to``, the spec's own requests go upstream too: Prism's validation proxy."""


@dataclass(slots=True)
class _Target:
    """One operation as served."""

    operation: Operation
    checks: CompiledOperation | None
    bodyless: bool
    """Validated, and takes no body: a request with one is refused (415), as Prism does."""
    static: dict[tuple[int, int, str, str | None], Response] = field(default_factory=dict)
    """Static answers by (response index, status, media type, example name)."""
    drift: DriftCheck | None = None
    """The check of upstream answers, made on the first one (``--validate-responses``)."""
    plain: Response | None = None
    """The answer to a request asking for nothing in particular (``SpecServer._plain``)."""


class SpecServer:
    """Answers the requests one spec describes (see the module docstring)."""

    def __init__(self, spec: Spec, options: SpecOptions = SpecOptions()) -> None:
        self.spec = spec
        self.options = options
        self.rng = random.Random(options.seed)
        self._accepts: dict[str, list[AcceptRange]] = {}
        self._response_checks: dict[int, SchemaCheck] = {}
        self._routes: RouteTable[_Target] = RouteTable()
        base = spec.base_path.rstrip("/")
        for op in spec.operations:
            checks = None
            if options.validate and (op.parameters or op.request_body or op.security):
                checks = compile_operation(
                    op,
                    dialect=spec.dialect,
                    security_schemes=spec.security_schemes,
                    validate_cookies=False,
                )
            target = _Target(op, checks, options.validate and op.request_body is None)
            self._routes.add(op.path, op.method, target)
            if base and op.path.startswith(base + "/"):
                self._routes.add(op.path[len(base) :], op.method, target)  # Prism ignores servers
        self._routes.seal()

    def owns(self, path: str) -> bool:
        """Whether ``path`` is one of the spec's paths (any method)."""
        return self._routes.find(path, "")[0]

    # --- answering ---------------------------------------------------------------------

    @property
    def final(self) -> bool:
        """Whether a request outside the spec gets Prism's 404/405 from it."""
        return self.options.alone or self.options.errors

    def answer(self, request: Request, *, last: bool = True) -> Response | None:
        """The spec's answer to ``request``; None when the path is not the spec's and
        the engine should go on (native stubs beside the spec, no ``--errors``), or
        when ``last`` is false (another spec may own it)."""
        options = self.options
        final = last and self.final
        if options.cors and request.method == "OPTIONS" and is_preflight(request):
            if final or self.owns(request.path):
                return preflight(request)
        known, target, params = self._routes.find(request.path, request.method)
        if target is None:
            if not final:
                return None
            if not known:
                answer = problems.no_path_matched(request.path)
            else:
                answer = problems.method_not_allowed(request.path, request.method)
            return self._finish(request, Response.build(*answer))
        verdict: Validation | None = None
        if target.bodyless and request.body:
            verdict = Validation((Violation(None, _NO_BODY, 415),))
            return self._finish(request, self._invalid(request, target, verdict))
        if target.checks is not None:
            parts = RequestParts.from_request(request, params)
            verdict = validate_request(target.checks, parts)
            if not verdict.ok:
                return self._finish(request, self._invalid(request, target, verdict))
        if verdict is None or not verdict.violations:
            plain = self._plain(request, target)
            if plain is not None:
                return plain
        response = self._valid(request, target)
        if verdict is not None and verdict.violations:
            header = problems.violations_header(verdict)  # warnings only: deprecations
            if header is not None:
                response = response.with_headers([("sl-violations", header)])
        return self._finish(request, response)

    def _plain(self, request: Request, target: _Target) -> Response | None:
        """The answer to a valid request that asks for nothing in particular (no
        ``Prefer``, no ``__`` query fallback, no ``Accept`` but ``*/*``, no ``Origin``):
        the same every time unless generated, so built once per operation and kept."""
        if self.options.dynamic or "__" in request.query_string:
            return None
        accept = request.header("accept")
        if accept is not None and accept != "*/*":
            return None
        if request.header("prefer") is not None or request.header("origin") is not None:
            return None
        found = target.plain
        if found is None:
            found = target.plain = self._finish(request, self._valid(request, target))
        return found

    def _finish(self, request: Request, response: Response) -> Response:
        if not self.options.cors:
            return response
        origin = request.header("origin")
        return response.with_headers(ANY_ORIGIN if origin is None else cors_headers(origin))

    def _accept(self, request: Request) -> list[AcceptRange]:
        header = request.header("accept")
        if not header:
            return []
        found = self._accepts.get(header)
        if found is None:
            found = parse_accept(header)
            if len(self._accepts) < _ACCEPT_CACHE:
                self._accepts[header] = found
        return found

    def _invalid(self, request: Request, target: _Target, verdict: Validation) -> Response:
        """An invalid request: the spec's own 401/415/422/400 if it has one (its
        ``default`` with the first of those codes otherwise), with ``sl-violations``;
        else Prism's generated error."""
        responses = target.operation.responses
        wanted = problems.expected_statuses(verdict)
        chosen: tuple[ResponseSpec, int] | None = None
        for code in wanted:
            hit = response_for_code(responses, code, use_default=False)
            if hit is not None and hit.status == str(code):
                chosen = hit, code
                break
        if chosen is None:
            default = next((r for r in responses if r.status == "default"), None)
            if default is not None:
                chosen = default, wanted[0]
        if chosen is None:
            return Response.build(*problems.violation_answer(verdict))
        response, status = chosen
        content = media_types(response.content)
        media = choose_media(content, self._accept(request))
        if media is None and content:
            media = next(iter(content.values()))
        header = request.header("prefer")
        query = request.query_string
        wants = preferences(header, query) if header or "__" in query else NO_PREFERENCES
        example = None
        if wants.example is not None and wants.code == str(status):
            if media is None or wants.example not in media.examples:
                return _missing_example(media, wants.example)
            example = wants.example  # asked for with the very code answered
        answer = self._build(target, response, status, media, example, self.options.dynamic)
        header = problems.violations_header(verdict)
        if header is not None:
            answer = answer.with_headers([("sl-violations", header)])
        return answer

    def _valid(self, request: Request, target: _Target) -> Response:
        header = request.header("prefer")
        query = request.query_string
        wants = preferences(header, query) if header or "__" in query else NO_PREFERENCES
        responses = target.operation.responses
        if wants.code is not None:
            try:
                code = int(wants.code)
            except ValueError:
                code = -1
            found = response_for_code(responses, code) if 200 <= code <= 599 else None
            if found is None:
                return _not_found(
                    f"Requested status code {wants.code} is not defined in the document."
                )
            chosen: tuple[ResponseSpec, int] | None = found, code
        else:
            chosen = default_response(responses)
        if chosen is None:
            return _NO_RESPONSE
        response, status = chosen
        accept = self._accept(request)
        media = choose_media(response.content, accept)
        if media is None and media_types(response.content):
            shown = request.header("accept") or ""
            ranges = [part.split(";")[0].strip() for part in shown.split(",") if part.strip()]
            return Response.build(*problems.not_acceptable(ranges))
        dynamic = wants.dynamic if wants.dynamic is not None else self.options.dynamic
        if wants.example is not None:
            if media is None or wants.example not in media.examples:
                return _missing_example(media, wants.example)
            dynamic = False
        return self._build(target, response, status, media, wants.example, dynamic)

    # --- the validation proxy -------------------------------------------------------------

    def inspection(self, request: Request) -> Inspection | None:
        """How to check the upstream's answer to ``request`` (a stub's proxy decided to
        forward it); None when no operation of the spec owns it."""
        target = self._routes.find(request.path, request.method)[1]
        if target is None:
            return None
        return Inspection(self._drift_check(target), errors=self.options.errors)

    def screen(self, request: Request) -> Response | Inspection | None:
        """``--validate-responses`` with ``--proxy-to``: a request the spec owns is checked
        and then forwarded (the ``Inspection`` of its answer), its violations reported
        with the answer; under ``--errors`` an invalid one is answered here instead, as
        when mocking. A CORS preflight is answered here. None: not the spec's."""
        if self.options.cors and request.method == "OPTIONS" and is_preflight(request):
            return preflight(request) if self.owns(request.path) else None
        _known, target, params = self._routes.find(request.path, request.method)
        if target is None:
            return None
        warnings: tuple[dict[str, Any], ...] = ()
        if target.checks is not None:
            verdict = validate_request(target.checks, RequestParts.from_request(request, params))
            if not verdict.ok and self.options.errors:
                return self._finish(request, self._invalid(request, target, verdict))
            warnings = _violation_items(verdict)
        return Inspection(self._drift_check(target), warnings, self.options.errors)

    def _drift_check(self, target: _Target) -> DriftCheck:
        check = target.drift
        if check is None:
            check = target.drift = DriftCheck(target.operation, self.spec.dialect)
        return check

    # --- one answer ---------------------------------------------------------------------

    def _build(
        self,
        target: _Target,
        response: ResponseSpec,
        status: int,
        media: MediaType | None,
        example: str | None,
        dynamic: bool,
    ) -> Response:
        index = target.operation.responses.index(response)
        key = (index, status, media.name if media is not None else "", example)
        if not dynamic:
            cached = target.static.get(key)
            if cached is not None:
                return cached
        built = self._render(response, status, media, example, dynamic)
        if not dynamic:
            target.static[key] = built
        return built

    def _render(
        self,
        response: ResponseSpec,
        status: int,
        media: MediaType | None,
        example: str | None,
        dynamic: bool,
    ) -> Response:
        headers: list[tuple[str, str]] = []
        for name, param in response.headers.items():
            if name.lower() in _SKIPPED_HEADERS:
                continue
            value: Any = param.example
            if value is NO_EXAMPLE:
                if dynamic and param.schema is not None:
                    value = self._generate(param.schema, name)
                else:
                    value = self._sample(param.schema)
            if value is not None:
                headers.append((name, header_text(value)))
        if media is None:
            return Response.build(status, headers, b"")
        try:
            value = self._body(media, example, dynamic)
        except GenerationError:
            return _TOO_COMPLEX
        if value is NO_EXAMPLE:
            return Response.build(
                status, [("content-type", content_type(media, None)), *headers], b""
            )
        body = encode_body(value, media.name, media.schema)
        headers.insert(0, ("content-type", content_type(media, value)))
        if self.options.errors and media.schema is not None and is_json(media.name):
            failures = self._response_check(media.schema)(value)
            if failures:
                return _response_violations(failures)
        return Response.build(status, headers, body)

    def _response_check(self, schema: Any) -> SchemaCheck:
        check = self._response_checks.get(id(schema))
        if check is None:
            check = compile_schema(schema, self.spec.dialect, "body", "")
            self._response_checks[id(schema)] = check
        return check

    def _body(self, media: MediaType, example: str | None, dynamic: bool) -> Any:
        if example is not None:
            return media.examples[example]
        if dynamic and media.schema is not None:
            return self._generate(media.schema, "")
        if media.example is not NO_EXAMPLE:
            return media.example
        if media.examples:
            return next(iter(media.examples.values()))
        return NO_EXAMPLE if media.schema is None else self._sample(media.schema)

    def _sample(self, schema: Any) -> Any:
        """Static data, from the schema as Prism's loader leaves it (format ranges)."""
        return sample(translate(schema, self.spec.dialect))

    def _generate(self, schema: Any, name: str) -> Any:
        return generate(schema, rng=self.rng, dialect=self.spec.dialect, name=name)


def _violation_items(verdict: Validation) -> tuple[dict[str, Any], ...]:
    """The request's violations as ``sl-violations`` lists them (``problems``)."""
    items = [v.as_json("request", bare=True) for v in verdict.violations]
    if not verdict.security.granted:
        denied = {"location": ["request"], "severity": "Error", "code": 401}
        items.insert(0, {**denied, "message": "Invalid security scheme used"})
    return tuple(items)


def _not_found(detail: str) -> Response:
    return Response.build(
        *problems.problem("NOT_FOUND", "The server cannot find the requested content", 404, detail)
    )


def _missing_example(media: MediaType | None, name: str) -> Response:
    shown = media.name if media is not None else ""
    return _not_found(f"Response for contentType: {shown} and exampleKey: {name} does not exist.")


_NO_RESPONSE = Response.build(
    *problems.problem(
        "NO_RESPONSE_RESPONSE_DEFINED", "No response defined for the selected operation", 500
    )
)
_TOO_COMPLEX = Response.build(
    *problems.problem(
        "SCHEMA_TOO_COMPLEX",
        "Schema too complex",
        500,
        "Unable to generate body for response. The schema is too complex to generate.",
    )
)


def _response_violations(failures: Sequence[SchemaFailure]) -> Response:
    """``--errors``: Prism's 500 for an answer that does not fit its own schema."""
    found = [
        {
            "location": ["response", "body", *f.path],
            "severity": "Error",
            "code": f.keyword,
            "message": " ".join(["Response body", *(".".join(f.path),) * bool(f.path), f.bare]),
        }
        for f in failures
    ]
    return Response.build(*violations_problem(found))


class SpecSet:
    """The specs of one config, asked in order."""

    __slots__ = ("servers", "validating")

    def __init__(self, servers: Iterable[SpecServer]) -> None:
        self.servers = tuple(servers)
        self.validating = any(s.options.validate_responses for s in self.servers)
        """Some spec checks proxied answers (``--validate-responses``)."""

    def inspection(self, request: Request) -> Inspection | None:
        """The check of the upstream's answer to ``request`` by the first validating spec
        that owns it (``SpecServer.inspection``)."""
        for server in self.servers:
            if server.options.validate_responses:
                found = server.inspection(request)
                if found is not None:
                    return found
        return None

    def screen(self, request: Request) -> Response | Inspection | None:
        """``SpecServer.screen`` of the first validating spec with an opinion."""
        for server in self.servers:
            if server.options.validate_responses:
                found = server.screen(request)
                if found is not None:
                    return found
        return None

    def answer(self, request: Request, *, last: bool = True) -> Response | None:
        """The answer of the spec that owns the path; else Prism's 404/405 from the first
        that gives them (see ``SpecServer.answer``), else None. ``last`` false: only an
        owned path's answer (``--proxy-to`` takes the rest)."""
        servers = self.servers
        if len(servers) == 1:
            return servers[0].answer(request, last=last)
        for server in servers:
            found = server.answer(request, last=False)
            if found is not None:
                return found
        final = next((server for server in servers if server.final), None) if last else None
        return final.answer(request) if final is not None else None
