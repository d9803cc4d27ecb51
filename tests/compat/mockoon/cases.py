"""Requests to send to every Mockoon environment in the corpus, the same for both servers.

Deterministic: the same corpus gives the same cases, so recordings stay comparable. Per
environment, in this order: one request per route (``route``), one that each response's
rules take where that is cheap to derive (``rule``: literal values on query, header,
cookie, params, method, a body path, a simple JSON schema), one that a ``null`` rule
misses (``miss``: how a ``FALLBACK`` route hands on), one per further response of a
``SEQUENTIAL`` route (``seq``), four more to a route whose rules read its request
number (``count``), an item of a CRUD route (``crud``), then the unmatched
ones: an unknown path, a route's path with a method no route takes, and CORS preflights.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

CORPUS = Path("/work/shared/corpus/mockoon")
if not CORPUS.is_dir():  # the corpus sits beside the repository
    CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "mockoon"
LOCAL = Path(__file__).parent / "environments"
"""Environments of our own, beside the corpus: what the corpus does not use (rules on
``request_number``, the 404 with the environment's headers, helpers)."""
_OPTIONAL = re.compile(r"\(([^()]*)\)\?")
_PARAM = re.compile(r":([A-Za-z0-9_]+)")
_LITERAL = re.compile(r"[A-Za-z0-9 _.,@/-]*")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Case:
    """One request, and the route it is meant for (``""``: none should take it)."""

    id: str
    kind: str
    route: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    """JSON to send (with ``Content-Type: application/json``), or None for no body."""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ({}, None)}


def environments() -> list[Path]:
    """Every environment file in the corpus, sorted (the OpenAPI inputs are not
    environments), then ours (``LOCAL``); none without the corpus."""
    found = []
    corpus = sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []
    for path in [*corpus, *sorted(LOCAL.glob("*.json"))] if corpus else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "routes" in doc:
            found.append(path)
    return found


def concrete_path(prefix: str, endpoint: str, params: dict[str, str] | None = None) -> str:
    """A path that Mockoon's pattern matches: optional groups kept, params and `*` filled."""
    given = params or {}
    path = _OPTIONAL.sub(r"\1", endpoint)
    path = _PARAM.sub(lambda m: given.get(m.group(1), "1"), path).replace("*", "x")
    parts = [p.strip("/") for p in (prefix, path) if p.strip("/")]
    return "/" + "/".join(parts)


def route_key(route: dict[str, Any], index: int) -> str:
    """A short stable name for a route: its uuid's first block, else its index."""
    uuid = str(route.get("uuid") or "")
    return uuid.split("-")[0] if uuid else f"route{index}"


def _http_routes(env: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    routes = env.get("routes", [])
    return [(route_key(r, i), r) for i, r in enumerate(routes) if r.get("type", "http") != "ws"]


def _method(route: dict[str, Any]) -> str:
    method = str(route.get("method") or "get").upper()
    return "GET" if method == "ALL" else method


def route_cases(env: dict[str, Any]) -> list[dict[str, Any]]:
    """One request per enabled http/crud route, plus an unknown path."""
    prefix = str(env.get("endpointPrefix", ""))
    cases = [
        {"route": key, "method": _method(r), "path": concrete_path(prefix, str(r["endpoint"]))}
        for key, r in _http_routes(env)
    ]
    cases.append({"route": "", "method": "GET", "path": concrete_path(prefix, "__no_such_path__")})
    return cases


def all_cases(env: dict[str, Any]) -> list[Case]:
    """Every case of an environment, in the order both servers get them."""
    prefix = str(env.get("endpointPrefix", ""))
    buckets = {str(b.get(k)): b for b in env.get("data", []) for k in ("id", "name")}
    cases: list[Case] = []
    routes = _http_routes(env)
    for key, route in routes:
        path = concrete_path(prefix, str(route.get("endpoint", "")))
        cases.append(Case(f"{key}", "route", key, _method(route), path))
    for key, route in routes:
        cases.extend(_extra_cases(prefix, key, route, buckets))
    cases.extend(_unmatched(prefix, routes))
    return cases


def _extra_cases(
    prefix: str, key: str, route: dict[str, Any], buckets: dict[str, Any]
) -> list[Case]:
    endpoint = str(route.get("endpoint", ""))
    responses = [r for r in route.get("responses", []) if isinstance(r, dict)]
    mode = route.get("responseMode")
    found: list[Case] = []
    if route.get("type") == "crud":
        item = concrete_path(prefix, endpoint) + "/1"
        return [Case(f"{key}/crud-item", "crud", key, "GET", item)]
    if mode == "SEQUENTIAL":
        for n in range(1, len(responses)):
            path = concrete_path(prefix, endpoint)
            found.append(Case(f"{key}/seq{n}", "seq", key, _method(route), path))
        return found
    if mode in ("RANDOM", "DISABLE_RULES"):
        return found
    for index, response in enumerate(responses):
        rules = [r for r in response.get("rules") or [] if isinstance(r, dict)]
        if not rules:
            continue
        taken = rules if response.get("rulesOperator") == "AND" else rules[:1]
        request = _satisfying(taken, buckets)
        if request is not None:
            params, query, headers, body = request
            path = concrete_path(prefix, endpoint, params) + (
                f"?{urlencode(query)}" if query else ""
            )
            case = Case(f"{key}/rule{index}", "rule", key, _method(route), path, headers, body)
            found.append(case)
        nulls = [r for r in rules if r.get("operator") == "null" and not r.get("invert")]
        if nulls and nulls[0].get("target") == "header":
            headers = {str(nulls[0].get("modifier")): "x"}
            path = concrete_path(prefix, endpoint)
            found.append(Case(f"{key}/miss{index}", "miss", key, _method(route), path, headers))
    if _numbered(responses):  # the route answers again: its request number goes up
        for n in range(1, COUNTED):
            path = concrete_path(prefix, endpoint)
            found.append(Case(f"{key}/count{n}", "count", key, _method(route), path))
    return found


COUNTED = 5
"""Requests sent to a route whose rules read its request number (the first included)."""


def _numbered(responses: list[dict[str, Any]]) -> bool:
    return any(
        isinstance(rule, dict) and rule.get("target") == "request_number"
        for response in responses
        for rule in response.get("rules") or []
    )


Request = tuple[dict[str, str], dict[str, str], dict[str, str], Any]
"""Path params, query parameters, headers, a JSON body."""


def _satisfying(rules: list[dict[str, Any]], buckets: dict[str, Any]) -> Request | None:
    """Path params, a query string, headers and a JSON body that make every rule hold,
    or None when that is not cheap to tell."""
    params: dict[str, str] = {}
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    body: Any = None
    for rule in rules:
        target, operator = rule.get("target"), rule.get("operator")
        modifier, value = str(rule.get("modifier") or ""), str(rule.get("value") or "")
        if rule.get("invert") or "{{" in modifier + value:
            return None
        if operator == "valid_json_schema" and target == "body" and not modifier:
            schema = _bucket_json(buckets.get(value))
            body = _instance(schema) if isinstance(schema, dict) else None
            if body is None:
                return None
            continue
        if operator == "null":
            continue  # absent is what every case sends
        if operator not in ("equals", "regex", "regex_i") or not _LITERAL.fullmatch(value):
            return None
        if target == "params":
            params[modifier] = value
        elif target == "header":
            headers[modifier] = value
        elif target == "cookie":
            headers["Cookie"] = f"{modifier}={value}"
        elif target == "query" and re.fullmatch(r"[A-Za-z_][\w-]*", modifier):
            query[modifier] = value
        elif target == "body" and modifier and re.fullmatch(r"[A-Za-z_][\w.]*", modifier):
            body = _nested(modifier.split("."), value)
        else:
            return None
    return params, query, headers, body


def _bucket_json(bucket: Any) -> Any:
    if not isinstance(bucket, dict):
        return None
    try:
        return json.loads(str(bucket.get("value", "")))
    except ValueError:
        return None


def _nested(keys: list[str], value: str) -> Any:
    return value if not keys else {keys[0]: _nested(keys[1:], value)}


def _instance(schema: dict[str, Any]) -> Any:
    """A value a simple JSON schema accepts (objects, strings, numbers, booleans)."""
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        out = {}
        for name in schema.get("required") or list(props):
            sub = props.get(name, {})
            made = _instance(sub) if isinstance(sub, dict) else None
            if made is None:
                return None
            out[name] = made
        return out
    if kind == "string":
        if schema.get("format") == "email":
            return "someone@example.com"
        return "x" * max(int(schema.get("minLength", 1)), 1)
    if kind in ("number", "integer"):
        return int(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return None


def _unmatched(prefix: str, routes: list[tuple[str, dict[str, Any]]]) -> list[Case]:
    """An unknown path; the first route's path with a method no route there takes (none
    when an ``all`` route could take it); preflights on a route's path and an unknown one."""
    unknown = concrete_path(prefix, "__no_such_path__")
    found = [Case("unmatched/path", "unmatched", "", "GET", unknown)]
    paths = [(concrete_path(prefix, str(r.get("endpoint", ""))), _method(r)) for _, r in routes]
    if paths and not any(str(r.get("method")).lower() == "all" for _, r in routes):
        first = paths[0][0]
        taken = {method for path, method in paths if path == first}
        spare = next((m for m in _METHODS if m not in taken), None)
        if spare is not None:
            found.append(Case("unmatched/method", "unmatched", "", spare, first))
    preflight = {"Origin": "http://example.com", "Access-Control-Request-Method": "GET"}
    if paths:
        found.append(Case("preflight/route", "preflight", "", "OPTIONS", paths[0][0], preflight))
    found.append(Case("preflight/unknown", "preflight", "", "OPTIONS", unknown, preflight))
    return found
