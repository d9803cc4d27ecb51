"""Field types of the config models: each shape a value may take, normalised once.

Fields that take several shapes (a method or a list, a number or a duration string) get
one plain/before validator each, so a mistake yields one clear error instead of one per
union member, and a ``WithJsonSchema`` that tells editors the same.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)

from apidouble.behaviours.durations import DURATION_PATTERN, parse_duration

HTTP_METHODS = (
    *("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"),
    *("QUERY", "PURGE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"),
    *("REPORT", "SEARCH"),
)
"""Methods accepted in ``method``; a closed list so a typo is an error, not a dead stub."""

FaultConfig = str | dict[str, Any]
"""A fault name (one of ``behaviours.faults.FAULT_NAMES``), or {type: NAME, bytes: N} /
{type: timeout, after: 10s}; checked by ``behaviours.faults.FaultSpec`` when the endpoint
converts."""


class ConfigModel(BaseModel):
    """A config object: unknown keys are errors (reported with a suggestion)."""

    model_config = ConfigDict(extra="forbid")

    def given(self, *names: str) -> list[str]:
        """The config keys among ``names`` (field names) that the file actually set."""
        fields = type(self).model_fields
        return [fields[n].alias or n for n in names if n in self.model_fields_set]


# --- value normalisers ---------------------------------------------------------------


def scalar_text(value: Any) -> Any:
    """YAML reads ``page: 1`` as a number; a matched or sent text value wants ``"1"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


def _methods(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError("method must be a method name, a non-empty list of them, or ANY")
    names = tuple(dict.fromkeys(item.strip().upper() for item in items))
    for name in names:
        if name != "ANY" and name not in HTTP_METHODS:
            close = difflib.get_close_matches(name, HTTP_METHODS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown HTTP method {name!r}{hint}")
    return names


_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _status(value: Any) -> int | str:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if 100 <= value <= 599:
            return value
        raise ValueError(f"status must be between 100 and 599, got {value}")
    if isinstance(value, str) and _TEMPLATE.search(value):
        return value
    raise ValueError(f"status must be an integer (100-599) or a {{{{ template }}}}, got {value!r}")


def _duration(value: Any, info: ValidationInfo) -> str | int | float:
    """A duration as written (``30``, ``"500ms"``), checked by the behaviours' own parser
    so the config and the behaviour never disagree on what a duration is."""
    name = (info.field_name or "duration").rstrip("_")
    parse_duration(value, name)
    return value  # type: ignore[no-any-return]


STUB_ID_PATTERN = r"^[A-Za-z0-9._~-]+$"
"""An explicit ``id``: URL-safe characters only, since the admin API puts it in paths."""


def path_text(value: str) -> str:
    """A ``path`` starts with a slash."""
    if not value.startswith("/"):
        raise ValueError(f"path must start with '/', got {value!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc
    return value


def _json_schema(value: dict[str, Any]) -> dict[str, Any]:
    from jsonschema.exceptions import SchemaError  # here: only schemas pay for the import

    from apidouble.matching.body import schema_validator_class

    try:
        schema_validator_class(value).check_schema(value)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        raise ValueError(
            f"not a valid JSON Schema: {exc.message}" + (f" at {where}" if where else "")
        ) from None
    return value


def _base64(value: str) -> str:
    compact = "".join(value.split())
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from exc
    return compact


Text = Annotated[str, BeforeValidator(scalar_text, json_schema_input_type=str | int | float | bool)]
Regex = Annotated[str, AfterValidator(_regex)]
JsonSchema = Annotated[dict[str, Any], AfterValidator(_json_schema)]
Base64Text = Annotated[str, AfterValidator(_base64)]
_METHOD = {"type": "string", "enum": [*HTTP_METHODS, "ANY"]}
_METHODS = {"anyOf": [_METHOD, {"type": "array", "items": _METHOD, "minItems": 1}]}
_STATUS = {"anyOf": [{"type": "integer", "minimum": 100, "maximum": 599}, {"type": "string"}]}
_DURATION = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": DURATION_PATTERN.pattern},
    ]
}
Methods = Annotated[tuple[str, ...], PlainValidator(_methods), WithJsonSchema(_METHODS)]
Status = Annotated[int | str, PlainValidator(_status), WithJsonSchema(_STATUS)]
Duration = Annotated[str | int | float, PlainValidator(_duration), WithJsonSchema(_DURATION)]
"""Seconds as a number, or a string with a unit: ``30``, ``"500ms"``, ``"1s"``, ``"2m"``."""
