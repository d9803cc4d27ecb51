"""Express's 404 page with the environment's headers, for what no route takes.

mockoon-cli sets the environment's ``headers`` on every answer before routing, so its
404 (Express's ``finalhandler``: ``Cannot GET /x``) carries them too, the CORS ones
included; ``finalhandler`` then replaces the ``Content-Type`` and drops the
``Content-Encoding``, ``Content-Language`` and ``Content-Range``. The native
``compat: mockoon`` 404 carries no header of the environment, so where the environment
has one that survives, a last endpoint answers that page itself, on any method and path
but the CRUD resources' (they answer behind the endpoints). The request is then one an
endpoint took: the journal lists it under ``mockoon-not-found``, not as a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.responses import Environment, merged
from apidouble.importers.mockoon.templates import TEMPLATING, TemplateProblem, check_templates

DROPPED = ("content-type", "content-encoding", "content-language", "content-range")
"""What ``finalhandler`` removes (or replaces) of the headers already set."""
PAGE_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Type", "text/html; charset=utf-8"),
)
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;"))
"""``escape-html``'s, in the order that keeps them from escaping each other."""


def _escaped(expression: str) -> str:
    for char, entity in _ESCAPES:
        quoted = f'"{char}"' if char == "'" else f"'{char}'"
        expression = f"(replaceAll {expression} {quoted} '{entity}')"
    return "{{" + expression[1:-1] + "}}"


PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    "<title>Error</title>\n</head>\n<body>\n<pre>Cannot {{method}} "
    + _escaped("(urlParam 'path')")
    + "</pre>\n</body>\n</html>\n"
)
"""The page, with the method and the path (``escape-html``'d) as the request gives them."""


def not_found(
    env: Environment, resources: Collection[str], proxied: bool, problems: Problems
) -> list[dict[str, Any]]:
    """The endpoint that answers Express's 404 with the environment's headers; none when
    they add nothing to the native 404, or when a proxy takes every such request."""
    kept = [(k, v) for k, v in env.headers if k.lower() not in DROPPED]
    if proxied or not kept:
        return []
    headers = merged(kept, PAGE_HEADERS)
    try:
        check_templates(v for value in headers.values() for v in _listed(value))
    except TemplateProblem as exc:
        problems.add(f"{exc}; the 404 answer is sent without the headers", "/headers")
        return []
    names = "|".join(re.escape(name) for name in sorted(resources))
    skip = f"(?!/(?:{names})(?:/[^/]*)?/?$)" if names else ""
    endpoint: dict[str, Any] = {
        "id": "mockoon-not-found",
        "name": "ANY (Express's 404, with the environment's headers)",
        "method": ["ANY"],
        "path_regex": f"{skip}(?P<path>/.*)",
        "status": 404,
        "headers": headers,
        "response": PAGE,
        "templating": TEMPLATING,
    }
    if env.latency:
        endpoint["latency_ms"] = env.latency
    return [endpoint]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
