"""One HTTP route -> the native endpoints that answer as it does.

Mockoon tries routes in order; in a route, the first response whose rules hold
answers, else the default one (``default: true``, else the first). Here each response
with rules becomes endpoints with those conditions (one per alternative, see
``rules``), followed by one for the default response; every endpoint gets the next
``priority``, so the order is Mockoon's. ``responseMode``: ``RANDOM`` and
``SEQUENTIAL`` ignore rules (one endpoint, ``mode: random``/``cycle``),
``DISABLE_RULES`` answers the default, ``FALLBACK`` has no default endpoint: a request
no rule takes goes on to the next route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apidouble.config.fields import HTTP_METHODS
from apidouble.importers.mockoon.callbacks import callbacks_of
from apidouble.importers.mockoon.counting import counting, numbered, route_key
from apidouble.importers.mockoon.match import endpoint_match
from apidouble.importers.mockoon.paths import RoutePath, prepared, route_path
from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.responses import (
    Environment,
    ResponseProblem,
    listed,
    objects,
    response_keys,
)
from apidouble.importers.mockoon.rules import Rules, Unsupported, alternatives, left_out
from apidouble.importers.mockoon.templates import TemplateProblem


@dataclass
class Route:
    """A route being converted: its data, its place in the file, what it reads."""

    data: Mapping[str, Any]
    pointer: str
    env: Environment
    prefix: str
    buckets: Mapping[str, Any] = field(default_factory=dict)
    """Data buckets of plain JSON, by id and by name (rules read them)."""
    callbacks: Sequence[Any] = ()
    """The environment's ``callbacks`` (responses name them by uuid)."""


def http_endpoints(route: Route, problems: Problems) -> list[dict[str, Any]]:
    """The native endpoints of an ``http`` route, in the order they must be tried."""
    data = route.data
    methods = _methods(data.get("method"))
    if methods is None:
        problems.add(f"method {data.get('method')!r} is not an HTTP method", route.pointer, data)
        return []
    try:
        path = route_path(route.prefix, str(data.get("endpoint") or ""))
    except ValueError as exc:
        problems.add(f"invalid route path (Mockoon does not serve it): {exc}", route.pointer, data)
        return []
    responses = objects(data.get("responses"))
    if not responses:
        problems.add("a route with no response", f"{route.pointer}/responses", data)
        return []
    mode = data.get("responseMode")
    base = {"method": methods, **path.native()}
    if mode in ("RANDOM", "SEQUENTIAL"):
        return _several(route, base, responses, "random" if mode == "RANDOM" else "cycle", problems)
    default = next((i for i, r in enumerate(responses) if r.get("default")), 0)
    found: list[dict[str, Any]] = []
    if mode != "DISABLE_RULES":
        for index, response in enumerate(responses):
            if response.get("rules"):
                found.extend(_ruled(route, base, path, index, response, problems))
    if mode != "FALLBACK":
        keys = _keys(route, default, responses[default], problems)
        if keys is not None:
            found.append({**names(route, default, None), **base, **keys})
    return found


def _several(
    route: Route,
    base: dict[str, Any],
    responses: list[dict[str, Any]],
    mode: str,
    problems: Problems,
) -> list[dict[str, Any]]:
    items = []
    for index, response in enumerate(responses):
        keys = _keys(route, index, response, problems, single=False)
        if keys is not None:
            items.append(keys)
    if not items:
        return []
    return [{**names(route, 0, None), **base, "responses": items, "mode": mode}]


def _ruled(
    route: Route,
    base: dict[str, Any],
    path: RoutePath,
    index: int,
    response: dict[str, Any],
    problems: Problems,
) -> list[dict[str, Any]]:
    """The endpoints of a response with rules: one per alternative of its rules."""
    where = f"{route.pointer}/responses/{index}"
    ctx = Rules(path, route.buckets, route_key(route.data, route.pointer))
    try:
        options = alternatives(response, ctx)
    except Unsupported as exc:
        problems.add(f"{exc}; the response is left out", f"{where}/rules", route.data)
        return []
    dropped = left_out(response, ctx) if response.get("rulesOperator") != "AND" else []
    alone = len(dropped) == len(listed(response.get("rules")))
    for rule, reason in dropped:
        then = "the response is left out" if alone else "the response answers by its other rules"
        problems.add(f"{reason}; {then}", f"{where}/rules/{rule}", route.data)
    if not options:
        return []
    keys = _keys(route, index, response, problems)
    if keys is None:
        return []
    found = []
    for number, conditions in enumerate(options):
        try:
            made = endpoint_match(base["method"], conditions)
        except Unsupported as exc:
            problems.add(f"{exc}; the response is left out", f"{where}/rules", route.data)
            return []
        if made is None:
            continue
        methods, match = made
        endpoint = {**names(route, index, number + 1 if len(options) > 1 else 0), **base}
        endpoint["method"] = methods
        if match:
            endpoint["match"] = match
        found.append({**endpoint, **keys})
    return found


def _keys(
    route: Route, index: int, response: dict[str, Any], problems: Problems, single: bool = True
) -> dict[str, Any] | None:
    where = f"{route.pointer}/responses/{index}"
    try:
        keys = response_keys(response, route.env)
    except (ResponseProblem, TemplateProblem) as exc:
        problems.add(f"{exc}; the response is left out", where, route.data)
        return None
    if single and numbered(route.data):
        reason = counting(keys, route_key(route.data, route.pointer))
        if reason is not None:
            problems.add(
                f"{reason}; request_number rules do not see its answers", where, route.data
            )
    if not response.get("callbacks"):
        return keys
    if not single:
        problems.add(
            "callbacks of random or sequential responses are not sent (not yet)",
            f"{where}/callbacks",
            route.data,
        )
        return keys
    calls, left = callbacks_of(response, route.callbacks, route.env.buckets)
    for index, reason in left:
        problems.add(f"{reason}; it is not sent", f"{where}/callbacks/{index}", route.data)
    if calls:
        keys["callbacks"] = calls
    return keys


def _methods(given: Any) -> list[str] | None:
    name = str(given or "").upper()
    if name == "ALL":
        return ["ANY"]
    return [name] if name in HTTP_METHODS else None


def names(route: Route, index: int, alternative: int | None) -> dict[str, str]:
    """A stable id (from the route's uuid) and a name that says where it comes from;
    ``alternative`` is None for a default response, 0 for a response's rules, k for the
    k-th rule of an OR."""
    data = route.data
    uuid = str(data.get("uuid") or route.pointer.rsplit("/", 1)[-1])
    method = str(data.get("method") or "").upper()
    shown = prepared(route.prefix, str(data.get("endpoint") or ""))
    rule = "" if alternative is None else ", rules" if not alternative else f", rule {alternative}"
    name = f"{method} {shown} (route {uuid}, response {index + 1}{rule})"
    suffix = "" if alternative is None else f"-r{alternative or ''}"
    ident = re.sub(r"[^A-Za-z0-9._~-]", "-", f"mockoon-{uuid}-{index + 1}{suffix}")
    return {"id": ident, "name": name}
