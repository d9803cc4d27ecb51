"""Swagger 2.0, rewritten in the OpenAPI 3.0 form so one reader serves both.

The rewrite is shallow: schemas are the 2.0 document's own objects (references already
resolved), with the differences that matter patched where they are used:

- ``basePath`` (and ``host``) → ``servers``; ``securityDefinitions`` → 3.x schemes
  (``basic`` → ``http``/``basic``; ``oauth2``'s ``flow`` → ``flows``);
- ``consumes``/``produces``, global or per operation, → ``content`` maps;
- ``in: body`` → ``requestBody``; ``in: formData`` → one object schema under
  ``application/x-www-form-urlencoded`` (``multipart/form-data`` when the operation
  consumes it or a field is a ``file``; ``allowEmptyValue: false`` → ``minLength: 1``);
- a parameter's own ``type``/``format``/``items``/... → its ``schema``;
  ``collectionFormat`` → ``style``/``explode``; ``x-example`` → ``example``;
- a response's ``examples`` (by mime type) → each media type's ``example``; its
  ``headers`` (2.0 header objects) → header parameters with a schema.

Pointers stay valid: an operation is still at ``/paths/~1pets/get``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_openapi3"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
)
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_JSON = "application/json"


def to_openapi3(root: dict[str, Any]) -> dict[str, Any]:
    """The 3.0-shaped twin of the (resolved) Swagger 2.0 document ``root``."""
    consumes = _mimes(root.get("consumes"))
    produces = _mimes(root.get("produces"))
    paths: dict[str, Any] = {}
    for raw_path, item in (root.get("paths") or {}).items():
        if not isinstance(item, dict):
            paths[raw_path] = item
            continue
        converted: dict[str, Any] = {}
        if "parameters" in item:
            converted["parameters"] = _parameters(item["parameters"])
        for method in _METHODS:
            if method in item:
                converted[method] = _operation(item[method], consumes, produces)
        paths[raw_path] = converted
    document: dict[str, Any] = {
        "openapi": "3.0.0",
        "info": root.get("info") or {},
        "paths": paths,
        "components": {"securitySchemes": _schemes(root.get("securityDefinitions"))},
    }
    base = str(root.get("basePath") or "")
    if base:
        host = root.get("host")
        scheme = (_mimes(root.get("schemes")) or ["https"])[0]
        document["servers"] = [{"url": f"{scheme}://{host}{base}" if host else base}]
    if "security" in root:
        document["security"] = root["security"]
    return document


def _operation(raw: Any, consumes: list[str], produces: list[str]) -> Any:
    if not isinstance(raw, dict):
        return raw
    operation = {k: v for k, v in raw.items() if k not in ("parameters", "responses")}
    consumes = _mimes(raw["consumes"]) if "consumes" in raw else consumes
    produces = _mimes(raw["produces"]) if "produces" in raw else produces
    for key in ("consumes", "produces", "schemes"):
        operation.pop(key, None)
    params = raw.get("parameters")
    if isinstance(params, list):
        operation["parameters"] = _parameters(params)
        body = _body(params, consumes)
        if body is not None:
            operation["requestBody"] = body
    elif params is not None:
        operation["parameters"] = params  # let the reader say what is wrong
    responses = raw.get("responses")
    if isinstance(responses, dict):
        operation["responses"] = {
            status: _response(response, produces) for status, response in responses.items()
        }
    else:
        operation["responses"] = responses
    return operation


def _parameters(raw: Any) -> Any:
    """The path, query and header parameters in the 3.0 form (body and form data are the
    request body's)."""
    if not isinstance(raw, list):
        return raw
    return [
        _parameter(p)
        for p in raw
        if not (isinstance(p, dict) and p.get("in") in ("body", "formData"))
    ]


def _parameter(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    keep = ("name", "in", "description", "required", "allowEmptyValue", "deprecated")
    param = {k: raw[k] for k in keep if k in raw}
    param["schema"] = _schema(raw)
    if "x-example" in raw:
        param["example"] = raw["x-example"]
    if raw.get("type") == "array":
        param.update(_collection(str(raw.get("collectionFormat", "csv")), raw.get("in")))
    return param


def _collection(form: str, where: Any) -> dict[str, Any]:
    """``collectionFormat`` as the 3.0 ``style``/``explode`` that serialises the same."""
    if form == "multi":
        return {"style": "form", "explode": True}
    if form == "ssv":
        return {"style": "spaceDelimited", "explode": False}
    if form == "pipes":
        return {"style": "pipeDelimited", "explode": False}
    # csv (the default) and tsv, which 3.0 cannot say: comma-separated
    return {"style": "form" if where in ("query", "cookie") else "simple", "explode": False}


def _schema(raw: dict[str, Any]) -> dict[str, Any]:
    """A 2.0 parameter's (or header's, or items') inline schema keys as a schema."""
    schema = {k: raw[k] for k in _SCHEMA_KEYS if k in raw}
    if schema.get("type") == "file":
        schema = {"type": "string", "format": "binary"}
    if isinstance(schema.get("items"), dict):
        schema["items"] = _schema(schema["items"])
    if raw.get("x-nullable") is True:
        schema["nullable"] = True
    return schema


def _body(params: list[Any], consumes: list[str]) -> dict[str, Any] | None:
    """``in: body`` or the ``in: formData`` fields as a 3.0 request body."""
    for param in params:
        if isinstance(param, dict) and param.get("in") == "body":
            given = param.get("schema")
            media: dict[str, Any] = {"schema": given if isinstance(given, dict) else {}}
            if "x-example" in param:
                media["example"] = param["x-example"]
            types = consumes or [_JSON]
            return {
                "required": bool(param.get("required", False)),
                "content": {mime: dict(media) for mime in types},
            }
    fields = [p for p in params if isinstance(p, dict) and p.get("in") == "formData"]
    if not fields:
        return None
    properties = {str(p.get("name", "")): _field(p) for p in fields}
    required = [str(p["name"]) for p in fields if p.get("required") and "name" in p]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    files = any(p.get("type") == "file" for p in fields)
    forms = [m for m in consumes if m in (_FORM, _MULTIPART)]
    if files and _MULTIPART not in forms:
        forms = [_MULTIPART]
    return {
        "required": bool(required),
        "content": {mime: {"schema": schema} for mime in forms or [_FORM]},
    }


def _field(raw: dict[str, Any]) -> dict[str, Any]:
    """A form field's schema; ``allowEmptyValue: false`` on a string is ``minLength: 1``
    (what Prism enforces)."""
    schema = _schema(raw)
    if raw.get("allowEmptyValue") is False and schema.get("type") == "string":
        schema.setdefault("minLength", 1)
    return schema


def _response(raw: Any, produces: list[str]) -> Any:
    if not isinstance(raw, dict):
        return raw
    response: dict[str, Any] = {"description": raw.get("description", "")}
    headers = raw.get("headers")
    if isinstance(headers, dict):
        response["headers"] = {
            name: {
                "schema": _schema(h),
                **({"description": h["description"]} if "description" in h else {}),
            }
            if isinstance(h, dict)
            else h
            for name, h in headers.items()
        }
    given = raw.get("examples")
    examples: dict[str, Any] = given if isinstance(given, dict) else {}
    schema = raw.get("schema")
    if isinstance(schema, dict) or examples:
        types = list(dict.fromkeys([*(produces or [_JSON]), *examples]))
        content: dict[str, Any] = {}
        for mime in types:
            media: dict[str, Any] = {}
            if isinstance(schema, dict):
                media["schema"] = schema
            if mime in examples:
                media["example"] = examples[mime]
            content[mime] = media
        response["content"] = content
    return response


def _schemes(raw: Any) -> dict[str, Any]:
    """``securityDefinitions`` in the 3.x ``securitySchemes`` form."""
    if not isinstance(raw, dict):
        return {}
    schemes: dict[str, Any] = {}
    for name, definition in raw.items():
        if not isinstance(definition, dict):
            continue
        kind = definition.get("type")
        if kind == "basic":
            scheme: dict[str, Any] = {"type": "http", "scheme": "basic"}
        elif kind == "apiKey":
            scheme = {"type": "apiKey", "name": definition.get("name"), "in": definition.get("in")}
        elif kind == "oauth2":
            scheme = {"type": "oauth2", "flows": _flows(definition)}
        else:
            scheme = dict(definition)
        if "description" in definition:
            scheme["description"] = definition["description"]
        schemes[str(name)] = scheme
    return schemes


def _flows(definition: dict[str, Any]) -> dict[str, Any]:
    flow = str(definition.get("flow", ""))
    name = {"application": "clientCredentials", "accessCode": "authorizationCode"}.get(flow, flow)
    body: dict[str, Any] = {"scopes": dict(definition.get("scopes") or {})}
    for key in ("authorizationUrl", "tokenUrl"):
        if key in definition:
            body[key] = definition[key]
    return {name: body}


def _mimes(raw: Any) -> list[str]:
    return [str(m) for m in raw] if isinstance(raw, list) else []
