"""Reading a spec (Swagger 2.0, OpenAPI 3.0 or 3.1, YAML or JSON) into a ``Spec``.

References are resolved in one pass (``refs.py``), Swagger 2.0 is rewritten in the 3.0
form (``swagger2.py``), and each operation becomes an ``Operation``. There is no
meta-schema validation: openapi-spec-validator takes 2.3 s on Stripe's 2.5 MB spec, which
loads in a quarter of one without it. What serving depends on is checked instead: an
operation that cannot be served (a parameter without a name, no responses, a reference
that names nothing) is an ``error`` and left out; a schema keyword of the wrong type or
a default that does not fit is a ``warning``. Only a file that is not a spec raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeGuard, cast
from urllib.parse import urlsplit

import yaml

from apidouble.errors import ApidoubleError

from . import swagger2
from .model import (
    NO_EXAMPLE,
    MediaType,
    Operation,
    Parameter,
    ParameterLocation,
    RequestBody,
    ResponseSpec,
    Spec,
    SpecProblem,
)
from .plan import SCHEMA_NAME
from .refs import Resolver, escape_pointer, parse_file

__all__ = ["SpecError", "load_spec", "read_spec"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_LOCATIONS = frozenset({"path", "query", "header", "cookie"})
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_NUMBERS = ("maximum", "minimum", "multipleOf")
_COUNTS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")
_SCALARS = {"integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,)}
_LONE_BRACE = re.compile(r"(?<!\\)\{(?!\d+(?:,\d*)?\})|(?<![\\}\d,])\}")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMAS = ("items", "not", "additionalProperties", "contains", "if", "then", "else")


class SpecError(ApidoubleError):
    """The file is not an OpenAPI or Swagger document (or cannot be read at all)."""


def load_spec(path: Path) -> Spec:
    """The spec in the YAML or JSON file at ``path``."""
    try:
        data = parse_file(path)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from None
    return read_spec(data, path)


def read_spec(data: Mapping[str, Any], path: Path) -> Spec:
    """The spec in ``data`` (the parsed file at ``path``). References are resolved in
    ``data`` itself: the caller's document is changed, not copied."""
    version = _version(data, path)
    root = cast(dict[str, Any], data)
    resolver = Resolver(path, root, keep_siblings=version.startswith("3.1"))
    for section in ("components", "definitions", "parameters", "responses"):
        if isinstance(root.get(section), dict):  # shared parts get their own pointers
            resolver.walk(root[section], f"/{section}")
    resolver.resolve()
    _name_components(root)
    problems = list(resolver.problems)
    if version.startswith("2"):
        root = swagger2.to_openapi3(root)
    return _Reader(path, version, root, problems).spec()


def _name_components(root: dict[str, Any]) -> None:
    """Tell each named schema its name (``plan.SCHEMA_NAME``): a discriminator without a
    ``mapping`` names its branches by component name, which a resolved ``$ref`` forgets."""
    components = root.get("components")
    named = components.get("schemas") if isinstance(components, dict) else root.get("definitions")
    if isinstance(named, dict):
        for name, schema in named.items():
            if isinstance(schema, dict):
                schema.setdefault(SCHEMA_NAME, str(name))


def _version(data: Any, path: Path) -> str:
    if not isinstance(data, Mapping):
        raise SpecError(f"{path}: not an OpenAPI or Swagger document (not a mapping)")
    for key, accepted in (("openapi", ("3.0", "3.1")), ("swagger", ("2.0",))):
        if key in data:
            version = str(data[key])
            if not version.startswith(accepted):
                raise SpecError(f"{path}: {key} version {version!r} is not supported")
            if not isinstance(data.get("paths", {}), Mapping):
                raise SpecError(f"{path}: 'paths' is not a mapping")
            return version
    raise SpecError(f"{path}: not an OpenAPI or Swagger document (no 'openapi' or 'swagger' key)")


class _Bad(Exception):
    """An operation that cannot be served: where and why."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer


class _Reader:
    """Builds the ``Spec`` from a resolved 3.x-shaped document."""

    def __init__(self, file: Path, version: str, root: dict[str, Any], problems: list[SpecProblem]):
        self.file = file
        self.version = version
        self.root = root
        self.problems = problems
        self.dialect = "3.1" if version.startswith("3.1") else "3.0"
        self._linted: set[int] = set()

    def spec(self) -> Spec:
        root = self.root
        info = root.get("info")
        title = str(info.get("title", "")) if isinstance(info, dict) else ""
        base = server_path(root.get("servers"))
        components = root.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        dangling = [p.pointer for p in self.problems if p.severity == "error"]
        operations: list[Operation] = []
        for raw_path, item in (root.get("paths") or {}).items():
            at = f"/paths/{escape_pointer(str(raw_path))}"
            if not isinstance(item, dict):
                self._problem(at, "a path item must be a mapping")
                continue
            item_base = server_path(item["servers"]) if "servers" in item else base
            for method in METHODS:
                if method not in item:
                    continue
                op_at = f"{at}/{method}"
                if any(p.startswith((op_at + "/", f"{at}/parameters/")) for p in dangling):
                    continue  # its broken reference is reported already
                try:
                    operations.append(
                        self._operation(method, str(raw_path), item, item_base, op_at)
                    )
                except _Bad as exc:
                    self._problem(exc.pointer, f"operation left out: {exc}")
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    self._problem(op_at, f"operation left out, cannot be read: {exc!r}")
        return Spec(
            file=self.file,
            version=self.version,
            title=title,
            base_path=base,
            operations=tuple(operations),
            security_schemes=dict(schemes) if isinstance(schemes, dict) else {},
            problems=tuple(self.problems),
        )

    def _problem(self, pointer: str, message: str, severity: str = "error") -> None:
        level = cast(Literal["error", "warning"], severity)
        self.problems.append(SpecProblem(self.file, pointer, message, level))

    # --- one operation ---------------------------------------------------------------

    def _operation(
        self, method: str, raw_path: str, item: dict[str, Any], base: str, at: str
    ) -> Operation:
        raw = item[method]
        if not isinstance(raw, dict):
            raise _Bad(at, "an operation must be a mapping")
        if "servers" in raw:
            base = server_path(raw["servers"])
        if not raw_path.startswith("/"):
            raise _Bad(at, f"path {raw_path!r} must start with '/'")
        merged: dict[tuple[str, str], Parameter] = {}
        item_at = at.rsplit("/", 1)[0]
        for source, where in ((item.get("parameters"), item_at), (raw.get("parameters"), at)):
            for index, param in enumerate(_list(source, f"{where}/parameters")):
                read = self._parameter(param, f"{where}/parameters/{index}")
                if read.location == "header" and self._ignored_header(read.name):
                    continue
                merged[(read.name, read.location)] = read
        for name in _VARIABLE.findall(raw_path):
            if (name, "path") not in merged:
                self._problem(at, f"path parameter {{{name}}} is not declared", "warning")
        body = raw.get("requestBody")
        request_body = None
        if isinstance(body, dict):
            content = self._content(body.get("content"), f"{at}/requestBody/content")
            request_body = RequestBody(bool(body.get("required", False)), content)
        responses = raw.get("responses")
        if responses is None and self.dialect == "3.1":
            responses = {}  # optional in 3.1
        if not isinstance(responses, dict) or not (responses or self.dialect == "3.1"):
            raise _Bad(f"{at}/responses", "responses must be a non-empty mapping")
        read_responses = tuple(
            self._response(str(status), response, f"{at}/responses/{escape_pointer(str(status))}")
            for status, response in responses.items()
        )
        security = raw["security"] if "security" in raw else self.root.get("security")
        return Operation(
            method=method.upper(),
            path=base + raw_path,
            operation_id=str(raw.get("operationId", "") or ""),
            summary=str(raw.get("summary", "") or ""),
            parameters=tuple(merged.values()),
            request_body=request_body,
            responses=read_responses,
            security=_security(security, f"{at}/security"),
            deprecated=bool(raw.get("deprecated", False)),
            pointer=at,
        )

    def _ignored_header(self, name: str) -> bool:
        """OpenAPI 3 ignores header parameters named ``Accept``, ``Content-Type`` or
        ``Authorization`` (content negotiation, the body and ``security`` say those)."""
        return not self.version.startswith("2") and name.lower() in _IGNORED_HEADERS

    def _parameter(self, raw: Any, at: str, location: str | None = None) -> Parameter:
        if not isinstance(raw, dict):
            raise _Bad(at, "a parameter must be a mapping")
        name = raw.get("name") if location is None else raw.get("name", "")
        where = raw.get("in") if location is None else location
        if not isinstance(name, str) or (location is None and not name):
            raise _Bad(at, "a parameter needs a 'name'")
        if where not in _LOCATIONS:
            raise _Bad(at, f"parameter {name!r}: 'in' must be path, query, header or cookie")
        schema = raw.get("schema")
        if schema is not None and not isinstance(schema, dict | bool):
            raise _Bad(f"{at}/schema", "a schema must be a mapping")
        self._lint(schema, f"{at}/schema")
        style = str(raw.get("style") or _DEFAULT_STYLE[where])
        example = raw.get("example", NO_EXAMPLE)
        if example is NO_EXAMPLE:
            named = _named_examples(raw.get("examples"))
            example = next(iter(named.values()), NO_EXAMPLE)
        if example is NO_EXAMPLE and isinstance(schema, dict):
            example = _schema_example(schema)
        return Parameter(
            name=name,
            location=cast(ParameterLocation, where),
            required=bool(raw.get("required", False)) or where == "path",
            schema=schema if isinstance(schema, dict) else None,
            style=style,
            explode=bool(raw.get("explode", style == "form")),
            content=self._content(raw.get("content"), f"{at}/content"),
            example=example,
            allow_empty=bool(raw.get("allowEmptyValue", False)),
            deprecated=bool(raw.get("deprecated", False)),
        )

    def _response(self, status: str, raw: Any, at: str) -> ResponseSpec:
        if not isinstance(raw, dict):
            raise _Bad(at, "a response must be a mapping")
        headers: dict[str, Parameter] = {}
        raw_headers = raw.get("headers")
        if isinstance(raw_headers, dict):
            for name, header in raw_headers.items():
                header_at = f"{at}/headers/{escape_pointer(str(name))}"
                if isinstance(header, dict):
                    read = self._parameter({**header, "name": str(name)}, header_at, "header")
                    headers[str(name)] = read
        return ResponseSpec(
            status=status,
            description=str(raw.get("description", "") or ""),
            headers=headers,
            content=self._content(raw.get("content"), f"{at}/content"),
        )

    def _content(self, raw: Any, at: str) -> dict[str, MediaType]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise _Bad(at, "content must be a mapping of media types")
        content: dict[str, MediaType] = {}
        for name, media in raw.items():
            media_at = f"{at}/{escape_pointer(str(name))}"
            media = media if isinstance(media, dict) else {}
            schema = media.get("schema")
            if schema is not None and not isinstance(schema, dict | bool):
                raise _Bad(f"{media_at}/schema", "a schema must be a mapping")
            self._lint(schema, f"{media_at}/schema")
            schema = schema if isinstance(schema, dict) else None
            example = media.get("example", NO_EXAMPLE)
            if example is NO_EXAMPLE and schema is not None:
                example = _schema_example(schema)
            examples = _named_examples(media.get("examples"))
            raw_encoding = media.get("encoding")
            encoding = {
                str(prop): dict(spec)
                for prop, spec in (raw_encoding if isinstance(raw_encoding, dict) else {}).items()
                if isinstance(spec, dict)
            }
            content[str(name)] = MediaType(str(name), schema, example, examples, encoding)
        return content

    # --- schema checks ---------------------------------------------------------------

    def _lint(self, schema: Any, at: str) -> None:
        """Warn about keywords serving would misread; each schema object once."""
        stack = [(schema, at)]
        while stack:
            node, where = stack.pop()
            if not isinstance(node, dict) or id(node) in self._linted:
                continue
            self._linted.add(id(node))
            self._check(node, where)
            for key in _SUBSCHEMAS:
                if isinstance(node.get(key), dict):
                    stack.append((node[key], f"{where}/{key}"))
            for key in _SUBSCHEMA_LISTS:
                if isinstance(node.get(key), list):
                    stack.extend((s, f"{where}/{key}/{i}") for i, s in enumerate(node[key]))
            for key in ("properties", "patternProperties", "$defs"):
                if isinstance(node.get(key), dict):
                    stack.extend(
                        (s, f"{where}/{key}/{escape_pointer(str(n))}") for n, s in node[key].items()
                    )

    def _check(self, node: dict[str, Any], at: str) -> None:
        for key in _NUMBERS:
            if key in node and not _is_number(node[key]):
                self._problem(f"{at}/{key}", f"{key} must be a number", "warning")
        for key in _COUNTS:
            value = node.get(key)
            if key in node and not (_is_number(value) and value >= 0 and value == int(value)):
                self._problem(f"{at}/{key}", f"{key} must be a non-negative integer", "warning")
        for key in ("exclusiveMaximum", "exclusiveMinimum"):
            if key not in node:
                continue
            boolean = isinstance(node[key], bool)
            if self.dialect == "3.1" and boolean:
                self._problem(f"{at}/{key}", f"{key} is a number in OpenAPI 3.1", "warning")
            elif self.dialect == "3.0" and not boolean:
                self._problem(f"{at}/{key}", f"{key} is a boolean in OpenAPI 3.0", "warning")
        kind, default = node.get("type"), node.get("default")
        if isinstance(kind, str) and kind in _SCALARS and default is not None:
            fits = isinstance(default, _SCALARS[kind]) and (
                kind == "boolean" or not isinstance(default, bool)
            )
            if kind == "integer" and isinstance(default, float):
                fits = default.is_integer()
            if not fits:
                self._problem(f"{at}/default", f"default {default!r} is not a {kind}", "warning")
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as exc:
                self._problem(f"{at}/pattern", f"pattern does not compile: {exc}", "warning")
            else:
                if _LONE_BRACE.search(pattern.replace("\\\\", "")):
                    message = "pattern has an unescaped brace (invalid as a unicode regex)"
                    self._problem(f"{at}/pattern", message, "warning")


# --- small readers -------------------------------------------------------------------


def server_path(servers: Any) -> str:
    """The path of the first server's URL, variables at their defaults ("" for the root)."""
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return ""
    server = servers[0]
    url = str(server.get("url", "") or "")
    variables = server.get("variables") if isinstance(server.get("variables"), dict) else {}

    def value(found: re.Match[str]) -> str:
        variable = variables.get(found.group(1)) if variables else None
        if isinstance(variable, dict):
            if "default" in variable:
                return str(variable["default"])
            if isinstance(variable.get("enum"), list) and variable["enum"]:
                return str(variable["enum"][0])
        return ""

    url = _VARIABLE.sub(value, url)
    path = urlsplit(url).path if "//" in url else url.split("?", 1)[0]
    path = path.rstrip("/")
    return path if not path or path.startswith("/") else "/" + path


def _list(raw: Any, at: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _Bad(at, "parameters must be a list")
    return raw


def _named_examples(raw: Any) -> dict[str, Any]:
    """Example Objects' values by name (``externalValue`` ones have none here)."""
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): example["value"]
        for name, example in raw.items()
        if isinstance(example, dict) and "value" in example
    }


def _schema_example(schema: dict[str, Any]) -> Any:
    """A schema's own ``example``, else the first of 3.1's ``examples`` array."""
    if "example" in schema:
        return schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return NO_EXAMPLE


def _security(raw: Any, at: str) -> tuple[dict[str, tuple[str, ...]], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _Bad(at, "security must be a list of requirements")
    return tuple(
        {str(name): tuple(str(s) for s in scopes or ()) for name, scopes in requirement.items()}
        for requirement in raw
        if isinstance(requirement, dict)
    )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
