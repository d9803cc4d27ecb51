"""Parameters read back from the wire: the OpenAPI ``style``/``explode`` table undone, then
strings coerced to the schema's types the way Prism (Ajv's ``coerceTypes``) does, so the
values can be checked with JSON Schema.

Everything here is a pure function of strings and a schema; nothing is compiled per call.
Values that do not parse are handed on as they came (a string, a list), so the schema
check names the problem instead of this module guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, unquote_plus

from .model import Parameter, Schema

__all__ = [
    "MISSING",
    "coerce",
    "deserialize",
    "parse_cookies",
    "query_pairs",
    "schema_types",
]

MISSING: Any = object()
"""A parameter absent from the request (distinct from ``None`` or ``""``)."""

_MAX_DEPTH = 32
"""How deep coercion follows a (possibly recursive) schema."""


def query_pairs(query: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` as (name, value) pairs, ``+`` and ``%XX`` decoded, blanks kept."""
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def parse_cookies(lines: Sequence[str]) -> dict[str, str]:
    """Cookies from ``Cookie`` header lines, first one of a name kept."""
    jar: dict[str, str] = {}
    for line in lines:
        for part in line.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name:
                jar.setdefault(name, value.strip())
    return jar


def schema_types(schema: Schema | None, depth: int = 0) -> tuple[str, ...]:
    """The JSON types a schema names (``type``, else its first typed ``allOf``/``oneOf``/
    ``anyOf`` branch), in order; ``()`` when it names none."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return ()
    kind = schema.get("type")
    if isinstance(kind, str):
        return (kind, "null") if schema.get("nullable") is True else (kind,)
    if isinstance(kind, list):
        return tuple(str(k) for k in kind)
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or ():
            found = schema_types(branch, depth + 1)
            if found:
                return found
    return ()


def _split(text: str, sep: str) -> list[str]:
    return [] if text == "" else text.split(sep)


def _pairs_object(items: list[str]) -> dict[str, Any]:
    """``["k", "v", "k2", "v2"]`` as an object (the non-exploded object form)."""
    found: dict[str, Any] = {}
    for index in range(0, len(items) - 1, 2):
        found[items[index]] = items[index + 1]
    if len(items) % 2:
        found[items[-1]] = ""
    return found


def _kv_object(items: list[str]) -> dict[str, Any]:
    """``["k=v", "k2=v2"]`` as an object (the exploded object form)."""
    found: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        found[key] = value
    return found


def _decode_all(value: Any) -> Any:
    if isinstance(value, str):
        return unquote(value)
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items()}
    return value


def _shape(text: str, kind: str, explode: bool, sep: str = ",") -> Any:
    """``simple`` (and the tail of ``label``/``matrix``) for one string value."""
    if kind == "array":
        return _split(text, sep)
    if kind == "object":
        items = _split(text, sep)
        return _kv_object(items) if explode else _pairs_object(items)
    return text


def deserialize_path(param: Parameter, raw: str) -> Any:
    """A path segment (still percent-encoded) by ``simple``, ``label`` or ``matrix``."""
    kind = (schema_types(param.schema) or ("",))[0]
    style, explode, name = param.style or "simple", param.explode, param.name
    if style == "label":
        if not raw.startswith("."):
            return unquote(raw)  # not in the style: let the schema say what is wrong
        body = raw[1:]
        if kind == "array":
            return _decode_all(_split(body, "." if explode else ","))
        if kind == "object":
            return _decode_all(_shape(body, kind, explode, "." if explode else ","))
        return unquote(body)
    if style == "matrix":
        if not raw.startswith(";"):
            return unquote(raw)
        body = raw[1:]
        if kind == "object" and explode:
            return _decode_all(_kv_object(_split(body, ";")))
        if kind == "array" and explode:
            prefix = name + "="
            return _decode_all(
                [p[len(prefix) :] if p.startswith(prefix) else p for p in _split(body, ";")]
            )
        prefix = name + "="
        value = body[len(prefix) :] if body.startswith(prefix) else body
        return _decode_all(_shape(value, kind, False) if kind in ("array", "object") else value)
    return _decode_all(_shape(raw, kind, explode))


def deserialize_header(param: Parameter, values: list[str]) -> Any:
    """A header by ``simple`` (several lines of one header joined by commas)."""
    text = ", ".join(values)
    kind = (schema_types(param.schema) or ("",))[0]
    if kind == "array":
        return [v.strip() for v in _split(text, ",")]
    if kind == "object":
        items = [v.strip() for v in _split(text, ",")]
        return _kv_object(items) if param.explode else _pairs_object(items)
    return text


_DEEP = re.compile(r"\[([^\[\]]*)\]")


def deserialize_query(
    param: Parameter, pairs: Sequence[tuple[str, str]], by_name: Mapping[str, list[str]]
) -> Any:
    """A query (or form-body) parameter by ``form``, ``spaceDelimited``,
    ``pipeDelimited`` or ``deepObject``; ``MISSING`` when the request does not carry it.
    ``by_name`` maps lower-cased names to their decoded values (Prism matches names
    without regard to case)."""
    key = param.name.lower()
    kind = (schema_types(param.schema) or ("",))[0]
    style = param.style or "form"
    if style == "deepObject":
        return _deep_object(key, pairs)
    if kind == "object" and param.explode and style == "form":
        props = (param.schema or {}).get("properties") or {}
        wanted = {str(p).lower(): str(p) for p in props}
        found = {wanted[n.lower()]: v for n, v in pairs if n.lower() in wanted}
        return found if found or key not in by_name else _pairs_object(by_name[key][-1:])
    values = by_name.get(key)
    if values is None:
        return MISSING
    if kind == "array":
        if param.explode:
            # Repeated names (``a=1&a=2``), and a lone ``a=1,2`` split as Prism splits it.
            return _split(values[0], ",") if len(values) == 1 and style == "form" else list(values)
        sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return _split(values[-1], sep)
    if kind == "object":
        return _pairs_object(_split(values[-1], ","))
    return values[0] if len(values) == 1 else list(values)


def _deep_object(key: str, pairs: Sequence[tuple[str, str]]) -> Any:
    """``obj[a]=1&obj[b][c]=2`` as ``{"a": "1", "b": {"c": "2"}}``."""
    root: dict[str, Any] = {}
    seen = False
    for name, value in pairs:
        head, bracket, rest = name.partition("[")
        if head.lower() != key or not bracket:
            continue
        keys = _DEEP.findall("[" + rest)
        if not keys:
            continue
        seen = True
        node = root
        for part in keys[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[keys[-1]] = value
    return _listify(root) if seen else MISSING


def _listify(node: Any) -> Any:
    """Objects keyed ``0``, ``1``… (``obj[a][0]=x``) as lists."""
    if not isinstance(node, dict):
        return node
    fixed = {k: _listify(v) for k, v in node.items()}
    if fixed and all(k.isdigit() for k in fixed):
        return [fixed[k] for k in sorted(fixed, key=int)]
    return fixed


def deserialize_content(param: Parameter, raw: Any) -> Any:
    """The ``content`` form: a JSON document in the value (kept as text if it is not)."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def deserialize(param: Parameter, raw: Any) -> Any:
    """Undo ``style``/``explode`` for a path (str), header (list of str) or cookie (str)
    value; query parameters go through :func:`deserialize_query`."""
    if param.content:
        text = ", ".join(raw) if isinstance(raw, list) else raw
        if param.location == "path":
            text = unquote(text)
        return deserialize_content(param, text)
    if param.location == "path":
        return deserialize_path(param, raw)
    if param.location == "header":
        return deserialize_header(param, raw)
    kind = (schema_types(param.schema) or ("",))[0]  # cookie: form
    if kind == "array" and not param.explode:
        return _split(raw, ",")
    if kind == "object" and not param.explode:
        return _pairs_object(_split(raw, ","))
    return raw


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _number(text: str) -> int | float | None:
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def coerce(value: Any, schema: Schema | None, depth: int = 0) -> Any:
    """Strings turned into what the schema's type asks for, as Ajv's ``coerceTypes``:
    ``"1"`` → 1 for an integer, ``"true"`` → True, ``""`` → None where null is allowed;
    arrays and objects coerced member by member. What cannot be coerced stays as it is."""
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return value
    types = schema_types(schema)
    if isinstance(value, str):
        for kind in types:
            if kind == "string":
                return value
        for kind in types:
            if kind in ("integer", "number"):
                number = _number(value)
                if number is not None and (kind == "number" or float(number).is_integer()):
                    return int(number) if kind == "integer" else number
            elif kind == "boolean" and value in ("true", "false"):
                return value == "true"
            elif kind == "null" and value == "":
                return None
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [coerce(v, items, depth + 1) for v in value]
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            out[key] = coerce(item, sub, depth + 1)
        for branch in schema.get("allOf") or ():
            out = coerce(out, branch, depth + 1)
        return out
    return value


# --- form bodies: their fields are parameters too --------------------------------------

RESERVED = re.compile(r"[/?#\[\]@!$&'()*+,;=]")
"""Characters ``allowReserved: false`` forbids unencoded in a form field."""


def media_essence(content_type: str | None) -> tuple[str | None, str | None]:
    """``multipart/form-data; boundary=x`` as (``multipart/form-data``, ``x``)."""
    if not content_type:
        return None, None
    essence, _, rest = content_type.partition(";")
    boundary = None
    for piece in rest.split(";"):
        name, _, value = piece.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip().strip('"')
    return essence.strip().lower() or None, boundary


def urlencoded_fields(body: bytes) -> list[tuple[str, str]]:
    """The (name, raw value) pairs of an ``application/x-www-form-urlencoded`` body, values
    still encoded (``allowReserved`` is judged on them)."""
    text = body.decode("utf-8", "replace")
    pairs: list[tuple[str, str]] = []
    for piece in text.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((unquote_plus(name), value))
    return pairs


def multipart_fields(body: bytes, boundary: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a ``multipart/form-data`` body (files as text)."""
    fields: list[tuple[str, str]] = []
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        name = None
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                found = re.search(r'\bname="([^"]*)"|\bname=([^;\s]+)', value)
                if found:
                    name = found.group(1) if found.group(1) is not None else found.group(2)
        if name is not None:
            fields.append((name, data.decode("utf-8", "replace")))
    return fields


def form_object(
    schema: Schema, pairs: Sequence[tuple[str, str]], encodings: Mapping[str, Any], *, decode: bool
) -> dict[str, Any]:
    """A form body as the object its schema describes: only the schema's properties (all
    fields when it names none), array properties from repeated fields, ``encoding``
    styles undone."""
    values: dict[str, list[str]] = {}
    for name, raw in pairs:
        values.setdefault(name, []).append(unquote_plus(raw) if decode else raw)
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {k: v[-1] for k, v in values.items()}
    found: dict[str, Any] = {}
    for prop, sub in props.items():
        if prop not in values:
            continue
        encoding = encodings.get(prop) or {}
        param = Parameter(
            prop,
            "query",
            schema=sub if isinstance(sub, dict) else None,
            style=str(encoding.get("style", "form")),
            explode=bool(encoding.get("explode", encoding.get("style", "form") == "form")),
        )
        given = values[prop]
        if schema_types(param.schema)[:1] not in (("array",), ("object",)):
            given = given[-1:]  # a repeated plain field: the last one counts, as in Prism
        value = deserialize_query(param, [(prop, v) for v in given], {prop.lower(): given})
        if value is not MISSING:
            if (
                isinstance(value, list)
                and isinstance(sub, dict)
                and schema_types(sub.get("items"))[:1] == ("object",)
            ):
                value = [deserialize_content(param, v) for v in value]
            found[prop] = value
    return found
