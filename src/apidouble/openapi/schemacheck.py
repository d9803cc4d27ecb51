"""JSON Schema checks worded as Prism's Ajv words them.

A spec's schema is translated once to what Ajv sees after Prism's loader (OpenAPI 3.0's
``nullable`` and boolean exclusive bounds rewritten, number formats given their ranges,
``byte`` its pattern, keys in Ajv's order so violations come in Prism's order), then
compiled with ``jsonschema`` whose keywords are re-worded (``must be integer``). Formats
are checked as ajv-formats checks them; ``pattern`` runs through :mod:`.regexbound`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jsonschema
import jsonschema.validators
from jsonschema.exceptions import ValidationError

from . import params as p
from .model import Schema
from .problems import schema_message
from .regexbound import bounded_search

__all__ = ["FORMATS", "Failure", "SchemaCheck", "compile_schema", "strip_read_only", "translate"]
# --- schemas: the spec's dialect translated to plain JSON Schema, compiled once ----------

_NUMBER_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**53 - 1), 2**53 - 1),
    "float": (-(2**128), 2**128 - 1),
    "double": (-1.7976931348623157e308, 1.7976931348623157e308),
}
_BYTE_PATTERN = "^[\\w\\d+\\/=]*$"
_AJV_ORDER = {
    key: rank
    for rank, key in enumerate(
        (
            "type",
            "const",
            "enum",
            "not",
            "anyOf",
            "oneOf",
            "allOf",
            "if",
            "then",
            "else",
            "maximum",
            "minimum",
            "multipleOf",
            "exclusiveMaximum",
            "exclusiveMinimum",
            "maxLength",
            "minLength",
            "pattern",
            "format",
            "maxItems",
            "minItems",
            "items",
            "prefixItems",
            "additionalItems",
            "contains",
            "uniqueItems",
            "maxProperties",
            "minProperties",
            "required",
            "dependentRequired",
            "propertyNames",
            "additionalProperties",
            "dependencies",
            "properties",
            "patternProperties",
        )
    )
}
"""Ajv checks keywords type group by type group: copying its order keeps the violations
in the order Prism lists them."""
_MAX_DEPTH = 64


def translate(schema: Any, dialect: str, memo: dict[int, Any] | None = None, depth: int = 0) -> Any:
    """A copy of ``schema`` Ajv would see after Prism's loader: ``nullable`` and boolean
    ``exclusiveMinimum``/``Maximum`` (3.0) rewritten, ``int32``… formats given their
    ranges and ``byte`` its pattern, keys in Ajv's order. Cycles stay cycles."""
    if not isinstance(schema, dict):
        if isinstance(schema, list):
            return [translate(s, dialect, memo, depth + 1) for s in schema]
        return schema
    memo = {} if memo is None else memo
    done = memo.get(id(schema))
    if done is not None:
        return done
    out: dict[str, Any] = {}
    memo[id(schema)] = out
    if depth > _MAX_DEPTH:
        return out
    given = dict(schema)
    if dialect != "3.1":
        if given.pop("nullable", False) is True:
            kind = given.get("type")
            if isinstance(kind, str):
                given["type"] = [kind, "null"]
            if isinstance(given.get("enum"), list) and None not in given["enum"]:
                given["enum"] = [*given["enum"], None]
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            flag = given.get(exclusive)
            if isinstance(flag, bool):
                del given[exclusive]
                if flag and bound in given:
                    given[exclusive] = given.pop(bound)
    fmt = given.get("format")
    if fmt in _NUMBER_RANGES:
        low, high = _NUMBER_RANGES[fmt]
        given["minimum"] = max(_num(given.get("minimum"), low), low)
        given["maximum"] = min(_num(given.get("maximum"), high), high)
    elif fmt == "byte":
        given["pattern"] = _BYTE_PATTERN
    for key in sorted(given, key=lambda k: _AJV_ORDER.get(k, -1)):
        value = given[key]
        if key in ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions"):
            out[key] = (
                {k: translate(v, dialect, memo, depth + 1) for k, v in value.items()}
                if isinstance(value, dict)
                else value
            )
        elif key in ("enum", "const", "example", "examples", "default", "required"):
            out[key] = value
        else:
            out[key] = translate(value, dialect, memo, depth + 1)
    return out


def _num(value: Any, default: float) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else default


def strip_read_only(schema: Schema) -> Schema:
    """Prism's request view of a body: ``readOnly`` properties (top level, or of the
    items of an array) neither required nor checked."""
    items = schema.get("items")
    target: Schema = items if isinstance(items, dict) else schema
    props = target.get("properties")
    if not isinstance(props, dict):
        return schema
    hidden = {k for k, v in props.items() if isinstance(v, dict) and v.get("readOnly") is True}
    if not hidden:
        return schema
    fixed = dict(target)
    fixed["properties"] = {k: v for k, v in props.items() if k not in hidden}
    if isinstance(fixed.get("required"), list):
        fixed["required"] = [r for r in fixed["required"] if r not in hidden]
    if target is schema:
        return fixed
    return {**schema, "items": fixed}


def _required(
    validator: Any, required: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "object"):
        for name in required:
            if name not in instance:
                yield ValidationError(f"must have required property '{name}'")


def _additional(
    validator: Any, extra: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    props = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    for key in instance:
        if key in props or any(bounded_search(pat, key) for pat in patterns):
            continue
        if isinstance(extra, dict):
            yield from validator.descend(instance[key], extra, path=key)
        elif extra is False:
            yield ValidationError(f"must NOT have additional properties; found '{key}'")


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not bounded_search(pattern, instance):
        yield ValidationError(f'must match pattern "{pattern}"')


def _format(validator: Any, fmt: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    check = FORMATS.get(fmt)
    if check is not None and not check(instance):
        yield ValidationError(f'must match format "{fmt}"')


_WORDED = frozenset(("required", "additionalProperties", "pattern", "format"))
"""Keywords implemented here, already in Ajv's words; the rest are re-worded only when
they fail, so a valid instance pays nothing for the wording."""


def _validator_class(base: Any) -> Any:
    mine = {
        "required": _required,
        "additionalProperties": _additional,
        "pattern": _pattern,
        "format": _format,
    }
    return jsonschema.validators.extend(base, mine)  # type: ignore[no-untyped-call]


_DRAFT7 = _validator_class(jsonschema.Draft7Validator)
_DRAFT2020 = _validator_class(jsonschema.Draft202012Validator)


class Failure(NamedTuple):
    """One schema failure: where in the instance, the keyword, Prism's sentence, and
    Ajv's bare message (``must be integer``)."""

    path: tuple[str, ...]
    keyword: str
    message: str
    bare: str


class SchemaCheck:
    """One schema, translated and compiled once; calling it with an instance gives the
    failures worded ``Request {location} {kind} a.b must …``."""

    __slots__ = ("coerce", "kind", "location", "schema", "_validator")

    def __init__(
        self, schema: Schema, dialect: str, location: str, kind: str, *, coerce: bool = False
    ) -> None:
        self.schema: Schema = translate(schema, dialect)
        """The translated schema (what coercion follows)."""
        self.location = location
        self.kind = kind
        self.coerce = coerce
        """Whether strings are turned into the schema's types first (parameters)."""
        cls = _DRAFT2020 if dialect == "3.1" else _DRAFT7
        self._validator = cls(self.schema)

    def __call__(self, instance: Any, *, coerce: bool | None = None) -> list[Failure]:
        if self.coerce if coerce is None else coerce:
            instance = p.coerce(instance, self.schema)
        found: list[Failure] = []
        for error in self._validator.iter_errors(instance):
            path = tuple(str(part) for part in error.absolute_path)
            lead = f"{self.kind} {'.'.join(path)} " if path else ""
            keyword = str(error.validator)
            bare = (
                error.message
                if keyword in _WORDED
                else schema_message(keyword, error.validator_value, error.instance)
            )
            found.append(Failure(path, keyword, f"Request {self.location} {lead}{bare}", bare))
        return found


def compile_schema(
    schema: Schema, dialect: str, location: str, kind: str, *, coerce: bool = False
) -> SchemaCheck:
    """The compiled check of ``schema`` (see :class:`SchemaCheck`)."""
    return SchemaCheck(schema, dialect, location, kind, coerce=coerce)


# --- formats: the ones Prism's Ajv (ajv-formats, full mode) enforces ---------------------

_DATE = re.compile(r"^(\d\d\d\d)-(\d\d)-(\d\d)$")
_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)(\.\d+)?(z|[+-]\d\d(?::?\d\d)?)?$", re.I)
_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    re.I,
)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$",
    re.I,
)
_IPV4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)$")
_UUID = re.compile(r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.I)
_DURATION = re.compile(r"^P(?!$)((\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?|(\d+W)?)$")
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]%]*$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+\-.]*:", re.I)
_PERCENT = re.compile(r"%(?![0-9a-f]{2})", re.I)
_BYTE = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_POINTER = re.compile(r"^(?:/(?:[^~/]|~0|~1)*)*$")
_REL_POINTER = re.compile(r"^(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)$")


def _date(text: str) -> bool:
    found = _DATE.match(text)
    if not found:
        return False
    year, month, day = (int(g) for g in found.groups())
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 and leap else _DAYS[month])


def _time(text: str, zone: bool = False) -> bool:
    found = _TIME.match(text)
    if not found or (zone and not found.group(5)):
        return False
    hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3))
    return (hour <= 23 and minute <= 59 and second <= 59) or (
        hour == 23 and minute == 59 and second == 60
    )


def _date_time(text: str) -> bool:
    parts = re.split(r"t|\s", text, maxsplit=1, flags=re.I)
    return len(parts) == 2 and _date(parts[0]) and _time(parts[1], zone=True)


def _uri_reference(text: str) -> bool:
    return bool(_URI_CHARS.match(text)) and not _PERCENT.search(text)


def _uri(text: str) -> bool:
    return bool(_SCHEME.match(text)) and _uri_reference(text)


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _regex(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


def _strings(check: Callable[[str], bool]) -> Callable[[Any], bool]:
    return lambda value: not isinstance(value, str) or check(value)


def _int_in(low: int, high: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        return float(value).is_integer() and low <= value <= high

    return check


FORMATS: dict[str, Callable[[Any], bool]] = {
    "date": _strings(_date),
    "time": _strings(_time),
    "date-time": _strings(_date_time),
    "duration": _strings(lambda s: bool(_DURATION.match(s))),
    "uri": _strings(_uri),
    "uri-reference": _strings(_uri_reference),
    "url": _strings(lambda s: bool(re.match(r"^(?:https?|ftp)://[^\s/$.?#].[^\s]*$", s, re.I))),
    "email": _strings(lambda s: bool(_EMAIL.match(s))),
    "hostname": _strings(lambda s: bool(_HOSTNAME.match(s))),
    "ipv4": _strings(lambda s: bool(_IPV4.match(s))),
    "ipv6": _strings(_ipv6),
    "regex": _strings(_regex),
    "uuid": _strings(lambda s: bool(_UUID.match(s))),
    "json-pointer": _strings(lambda s: bool(_POINTER.match(s))),
    "relative-json-pointer": _strings(lambda s: bool(_REL_POINTER.match(s))),
    "byte": _strings(lambda s: bool(_BYTE.match(s))),
    "int32": _int_in(-(2**31), 2**31 - 1),
    "int64": _int_in(-(2**63), 2**63),
}
"""Format name → check; formats not named here (``password``, ``binary``, ``float``…)
are not checked, as in Prism."""
