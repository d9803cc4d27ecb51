"""Prism's answers, word for word: the ``application/problem+json`` errors it generates
when a request fails validation or security (and when no route or representation fits),
the ``sl-violations`` header, and Ajv's wording of schema failures that they quote.

Each answer is ``(status, headers, body bytes)`` so the spec server sends it as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .validate import Validation, Violation

__all__ = [
    "Answer",
    "expected_statuses",
    "invalid_json",
    "method_not_allowed",
    "no_path_matched",
    "not_acceptable",
    "problem",
    "schema_message",
    "unauthorized",
    "unprocessable",
    "unsupported_media_type",
    "violation_answer",
    "violations_header",
]

Answer = tuple[int, list[tuple[str, str]], bytes]

_ERRORS = "https://stoplight.io/prism/errors#"
PROBLEM_JSON = "application/problem+json"
MAX_HEADER = 8 * 1024 - 100
"""Prism cuts an ``sl-violations`` value longer than this."""


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def problem(
    kind: str, title: str, status: int, detail: str = "", extra: dict[str, Any] | None = None
) -> Answer:
    """A problem+json answer in Prism's field order, with ``extra.headers`` also sent as
    headers (Prism puts them in both places)."""
    body: dict[str, Any] = {
        "type": _ERRORS + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    headers = [("content-type", PROBLEM_JSON)]
    if extra:
        body.update(extra)
        headers.extend((str(k), str(v)) for k, v in (extra.get("headers") or {}).items())
    return status, headers, _dump(body)


def unprocessable(violations: Iterable[Violation]) -> Answer:
    """422: the request is invalid and the spec has no 422/400 response of its own."""
    return problem(
        "UNPROCESSABLE_ENTITY",
        "Invalid request",
        422,
        "Your request is not valid and no HTTP validation response was found in the spec,"
        " so Prism is generating this error for you.",
        {"validation": [v.as_json() for v in violations]},
    )


def unauthorized(challenges: Sequence[str]) -> Answer:
    """401 with ``WWW-Authenticate`` (in the header and the body) when a scheme has a
    challenge; the spec has no 401 response of its own."""
    extra = {"headers": {"WWW-Authenticate": ",".join(challenges)}} if challenges else None
    return problem(
        "UNAUTHORIZED",
        "Invalid security scheme used",
        401,
        "Your request does not fullfil the security requirements and no HTTP unauthorized"
        " response was found in the spec, so Prism is generating this error for you.",
        extra,
    )


def unsupported_media_type(detail: str) -> Answer:
    """415: ``detail`` is the violation's message (``Supported content types: …``)."""
    return problem("INVALID_CONTENT_TYPE", "Invalid content type", 415, detail)


def invalid_json() -> Answer:
    """400 for a JSON body that does not parse: Prism's HTTP layer answers this, not in
    problem+json."""
    body = b'{"error":{"code":"invalid_json","message":"Invalid JSON"}}'
    return 400, [("content-type", "application/json; charset=utf-8")], body


def not_acceptable(media_types: Sequence[str]) -> Answer:
    """406: no response content fits ``Accept`` (the accepted types as sent)."""
    return problem(
        "NOT_ACCEPTABLE",
        "The server cannot produce a representation for your accept header",
        406,
        f"Unable to find content for {','.join(media_types)}",
    )


def no_path_matched(path: str) -> Answer:
    """404: no path of the spec matches (also a missing required path segment)."""
    return problem(
        "NO_PATH_MATCHED_ERROR",
        "Route not resolved, no path matched",
        404,
        f"The route {path} hasn't been found in the specification file",
    )


def method_not_allowed(path: str, method: str) -> Answer:
    """405: the path exists, the method does not."""
    return problem(
        "NO_METHOD_MATCHED_ERROR",
        "Route resolved, but no method matched",
        405,
        f"The route {path} has been matched, but it does not have"
        f' "{method.lower()}" method defined',
    )


def expected_statuses(validation: Validation) -> tuple[int, ...]:
    """The spec responses Prism looks for, in order, before generating its own error:
    401 for security, then 415/422/400 for a media type, else 422/400."""
    if not validation.security.granted:
        return (401,)
    if any(v.code == 415 for v in validation.violations):
        return (415, 422, 400)
    return (422, 400)


def violation_answer(validation: Validation) -> Answer:
    """Prism's own error for a failed validation (when the spec has none of the
    ``expected_statuses``)."""
    if not validation.security.granted:
        return unauthorized(validation.security.challenges)
    for violation in validation.violations:
        if violation.code == 400:
            return invalid_json()
    for violation in validation.violations:
        if violation.code == 415:
            return unsupported_media_type(violation.message)
    return unprocessable(validation.violations)


def violations_header(validation: Validation, *, bare: bool = True) -> str | None:
    """The ``sl-violations`` value Prism adds when it answers an invalid request with
    one of the spec's own responses; None when there is nothing to list. Prism 5.15
    (the scenarios) writes schema messages ``bare`` (``must have required property
    'test'``); 5.14 wrote them whole (``Request body must have…``)."""
    items: list[dict[str, Any]] = []
    if not validation.security.granted:
        items.append(
            {
                "location": ["request"],
                "severity": "Error",
                "code": 401,
                "message": "Invalid security scheme used",
            }
        )
    items.extend(v.as_json("request", bare=bare) for v in validation.violations)
    if not items:
        return None
    value = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    if len(value) > MAX_HEADER:
        value = f"Too many violations! {value[:MAX_HEADER]}"
    return value


# --- Ajv's wording ---------------------------------------------------------------------


def _js(value: Any) -> str:
    """``String(value)`` as JavaScript writes it."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else _js(v) for v in value)
    return str(value)


def schema_message(keyword: str, value: Any, instance: Any) -> str:
    """What Ajv says when ``keyword`` (with the schema's ``value``) fails on ``instance``."""
    if keyword == "type":
        return f"must be {_js(value)}"
    if keyword == "enum":
        return "must be equal to one of the allowed values: " + ", ".join(
            "" if v is None else _js(v) for v in value
        )
    if keyword == "const":
        return "must be equal to constant"
    if keyword in ("minLength", "maxLength"):
        word = "fewer" if keyword == "minLength" else "more"
        return f"must NOT have {word} than {_js(value)} characters"
    if keyword in ("minItems", "maxItems"):
        word = "fewer" if keyword == "minItems" else "more"
        return f"must NOT have {word} than {_js(value)} items"
    if keyword in ("minProperties", "maxProperties"):
        word = "fewer" if keyword == "minProperties" else "more"
        return f"must NOT have {word} than {_js(value)} properties"
    comparisons = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    if keyword in comparisons:
        return f"must be {comparisons[keyword]} {_js(value)}"
    if keyword == "multipleOf":
        return f"must be multiple of {_js(value)}"
    if keyword == "uniqueItems":
        seen: dict[str, int] = {}
        for index, item in enumerate(instance if isinstance(instance, list) else []):
            key = json.dumps(item, sort_keys=True)
            if key in seen:
                first = seen[key]
                return f"must NOT have duplicate items (items ## {first} and {index} are identical)"
            seen[key] = index
        return "must NOT have duplicate items"
    if keyword == "anyOf":
        return "must match a schema in anyOf"
    if keyword == "oneOf":
        return "must match exactly one schema in oneOf"
    if keyword == "not":
        return "must NOT be valid"
    if keyword == "contains":
        return "must contain at least 1 valid item(s)"
    if keyword == "dependencies" or keyword == "dependentRequired":
        return "must have properties required by dependency"
    if keyword == "if":
        return 'must match "then" schema'
    if keyword == "propertyNames":
        return "property name must be valid"
    if keyword == "unevaluatedProperties":
        return "must NOT have unevaluated properties"
    return f"must pass {keyword} keyword validation"
