"""Counting the requests a route answers, for its ``request_number`` rules.

Mockoon numbers the requests each route answers (1 for the first; a ``FALLBACK`` route
that hands a request on does not count it) and its rules may compare that number. A
route becomes several endpoints, so they share one count in the environment's server
state: each adds one as it answers, through its ``status`` template
(``{{countRouteRequest 'key'}}200``: rendered before the body and the latency, as
Mockoon counts before it renders or waits), and the rules read it with
``{{routeRequestNumber 'key'}}`` in a ``match.template``. Only routes with such rules
pay for it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from apidouble.importers.mockoon.responses import NO_BODY, objects
from apidouble.importers.mockoon.templates import TEMPLATING, TemplateProblem, check_templates

RULE_MODES = (None, "", "FALLBACK")
"""The response modes in which rules are read (``RANDOM``, ``SEQUENTIAL`` and
``DISABLE_RULES`` ignore them)."""


def route_key(data: Mapping[str, Any], pointer: str) -> str:
    """The route's count's name: its uuid, else its place in the file."""
    return str(data.get("uuid") or pointer)


def numbered(data: Mapping[str, Any]) -> bool:
    """Whether some rule of the route reads its request number."""
    if data.get("responseMode") not in RULE_MODES:
        return False
    return any(
        rule.get("target") == "request_number"
        for response in objects(data.get("responses"))
        for rule in objects(response.get("rules"))
    )


def counting(endpoint: dict[str, Any], key: str) -> str | None:
    """Make ``endpoint`` add one to the route's count when it answers; the reason when
    it cannot (then its answers are not counted)."""
    if endpoint.get("templating") == "none":
        if "response_file" in endpoint:
            return "a file sent as it is cannot count the route's requests (not yet)"
        headers = endpoint.get("headers") or {}
        try:  # Mockoon renders the headers even with disableTemplating
            check_templates(v for value in headers.values() for v in _listed(value))
        except TemplateProblem as exc:
            return f"its headers cannot be templates here ({exc})"
        text = str(endpoint.get("response") or "")
        if "{{" in text:  # sent as written: a body no template engine reads
            del endpoint["response"]
            endpoint["response_base64"] = base64.b64encode(text.encode()).decode()
        endpoint["templating"] = TEMPLATING
    status = endpoint.get("status", 200)
    count = "{{countRouteRequest " + json.dumps(key) + "}}"
    if status in NO_BODY and not endpoint.get("response"):
        # a status that is a template is not known to send no body: let the ``status``
        # helper set it, which drops the body's headers as Express's ``res.send`` does
        endpoint["status"] = count + "200"
        endpoint["response"] = "{{status " + str(status) + "}}"
    else:
        endpoint["status"] = count + str(status)
    return None


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
