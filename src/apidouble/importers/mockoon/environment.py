"""A Mockoon environment -> a native config document, and what it could not carry over.

Serving (``apidouble run env.json``) and ``apidouble import mockoon`` share this one
conversion, so the imported YAML is exactly what is served. The environment's settings:

- routes in the order of ``rootChildren`` and their ``folders``, then the routes no
  folder holds (as mockoon-cli repairs them); routes marked ``enabled: false`` are
  skipped;
- ``endpointPrefix`` before every path, ``latency`` added to every response's,
  ``headers`` under every response's;
- ``cors``: an ``OPTIONS`` request no route takes gets 200 with Mockoon's CORS headers
  and the environment's (on the paths of the routes; Mockoon answers it on any path);
- ``proxyMode``: what no route takes goes to ``proxyHost`` (without the prefix when
  ``proxyRemovePrefix``), with ``proxyReqHeaders`` added;
- else Express's 404 page, with the environment's headers when it has some
  (``notfound``);
- ``data`` buckets: served by ``DATABUCKET`` bodies and CRUD routes, read by rules.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apidouble.errors import ConfigProblem
from apidouble.importers.mockoon.crud import crud_resource
from apidouble.importers.mockoon.migrate import migrated
from apidouble.importers.mockoon.notfound import not_found
from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.responses import Environment, headers_of, merged, objects, set_type
from apidouble.importers.mockoon.routes import Route, http_endpoints
from apidouble.importers.mockoon.templates import (
    BUCKETS_DATASET,
    TEMPLATING,
    TemplateProblem,
    check_templates,
)
from apidouble.importers.mockoon.ws import websocket_endpoint

CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"),
    (
        "Access-Control-Allow-Headers",
        "Content-Type, Origin, Accept, Authorization, Content-Length, X-Requested-With",
    ),
)
"""``CORSHeaders`` of ``@mockoon/commons`` 9.9: what a preflight answer carries."""


@dataclass
class Conversion:
    """The native document and the problems: each a route (or setting) served otherwise
    than Mockoon serves it, or not at all."""

    document: dict[str, Any]
    problems: list[ConfigProblem] = field(default_factory=list)


def convert_environment(
    data: Mapping[str, Any],
    path: Path,
    base: Path | None = None,
    display: str | None = None,
    buckets_file: str | None = None,
) -> Conversion:
    """Convert the environment read from ``path``; ``base`` is the folder the document
    is written to (default: the environment's own), ``display`` how problems name the
    file, ``buckets_file`` the file in ``base`` the document reads the data buckets from
    when ``base`` cannot reach ``path`` (the import writes it there)."""
    problems = Problems(display or str(path))
    document: dict[str, Any] = {"compat": "mockoon", "endpoints": []}
    upgraded = migrated(dict(data), problems)
    if upgraded is None:
        return Conversion(document, problems.found)
    env_data, disabled = upgraded
    folder = path.parent
    raw_buckets = _buckets(env_data.get("data"))
    env = Environment(
        folder=folder,
        base=base if base is not None else folder,
        headers=headers_of(env_data.get("headers")),
        latency=_ms(env_data.get("latency")),
        buckets=raw_buckets,
    )
    prefix = str(env_data.get("endpointPrefix") or "")
    plain = _plain_buckets(env_data.get("data"))
    calls = objects(env_data.get("callbacks"))
    endpoints: list[dict[str, Any]] = []
    resources: dict[str, Any] = {}
    positions = {id(route): index for index, route in enumerate(env_data["routes"])}
    for route in ordered_routes(env_data, disabled):
        pointer = f"/routes/{positions[id(route)]}"
        kind = route.get("type") or "http"
        if kind == "http":
            made = Route(route, pointer, env, prefix, plain, calls)
            endpoints.extend(http_endpoints(made, problems))
        elif kind == "crud":
            found = crud_resource(route, pointer, prefix, raw_buckets, problems)
            if found is not None and found[0] not in resources:
                resources[found[0]] = found[1]
        elif kind == "ws":
            socket = websocket_endpoint(Route(route, pointer, env, prefix, plain), problems)
            endpoints.extend([socket] if socket is not None else [])
        else:
            problems.add(f"route type {kind!r} is not one Mockoon serves", pointer, route)
    endpoints.extend(_cors(env_data, env, problems))
    proxy = _proxy(env_data, prefix, problems)
    endpoints.extend(proxy)
    endpoints.extend(not_found(env, resources, bool(proxy), problems))
    for priority, endpoint in enumerate(endpoints, start=1):
        endpoint["priority"] = priority
        if len(endpoint["method"]) == 1:
            endpoint["method"] = endpoint["method"][0]
    tls = env_data.get("tlsOptions")
    if isinstance(tls, dict) and tls.get("enabled"):
        problems.add(
            "TLS: the environment's certificate is not used; serve HTTPS with --https-port"
            " (certificates from the local CA, or --tls-cert and --tls-key)",
            "/tlsOptions/enabled",
        )
    document["endpoints"] = endpoints
    if raw_buckets:  # for the data helpers: this very file, read as a data: set
        relative = _relative(path, env.base)
        if relative.startswith("../") and buckets_file is not None:
            relative = buckets_file
        if relative.startswith("../"):
            problems.add(
                "data buckets: the config is written outside the environment's folder, so"
                " the data helpers find no buckets (write it there)",
                "/data",
            )
        else:
            name = f"{BUCKETS_DATASET}:{env_data.get('uuid') or relative}"
            document["data"] = {name: relative}
    if resources:
        document["resources"] = resources
    return Conversion(document, problems.found)


def ordered_routes(env: Mapping[str, Any], disabled: set[str]) -> list[dict[str, Any]]:
    """The routes in the order mockoon-cli serves them, without the disabled ones.

    As ``repairRefs`` then ``routesFromFolder`` do: ``rootChildren`` and the folders'
    children in order, each route and folder once (a child naming nothing is dropped),
    then the folders and the routes nobody lists, at the root. A route without a uuid,
    or with one an earlier route has, is such an orphan (the CLI gives it a new uuid).
    """
    routes: dict[str, dict[str, Any]] = {}
    for index, route in enumerate(objects(env.get("routes"))):
        uuid = str(route.get("uuid") or "")
        routes[uuid if uuid and uuid not in routes else f"#orphan-{index}"] = route
    folders: dict[str, dict[str, Any]] = {}
    for index, folder in enumerate(objects(env.get("folders"))):
        uuid = str(folder.get("uuid") or "")
        folders[uuid if uuid and uuid not in folders else f"#orphan-{index}"] = folder
    unused_routes, unused_folders = dict.fromkeys(routes), dict.fromkeys(folders)

    def repaired(children: Any) -> list[tuple[str, str]]:
        kept = []
        for child in children if isinstance(children, list) else []:
            if not isinstance(child, dict):
                continue
            uuid, kind = str(child.get("uuid") or ""), child.get("type")
            unused = unused_routes if kind == "route" else unused_folders
            if uuid in unused:
                del unused[uuid]
                kept.append(("route" if kind == "route" else "folder", uuid))
        return kept

    tree = {key: repaired(folder.get("children")) for key, folder in folders.items()}
    root = repaired(env.get("rootChildren"))
    root += [("folder", key) for key in unused_folders]
    root += [("route", key) for key in unused_routes]
    found: list[dict[str, Any]] = []

    def walk(children: list[tuple[str, str]], depth: int) -> None:
        for kind, key in children if depth < 50 else []:
            if kind == "route":
                if str(routes[key].get("uuid")) not in disabled:
                    found.append(routes[key])
            else:
                walk(tree[key], depth + 1)

    walk(root, 0)
    return found


def _cors(
    env_data: Mapping[str, Any], env: Environment, problems: Problems
) -> list[dict[str, Any]]:
    """The preflight answer Mockoon gives ``OPTIONS`` requests no route takes, on any path
    (under ``compat: mockoon`` what no stub takes is a 404, never a 405, so a catch-all
    here leaves other methods' misses as they are)."""
    if not env_data.get("cors"):
        return []
    headers = merged(CORS_HEADERS, env.headers)
    set_type(headers)  # set by res.set, then res.end(): no body to type
    try:
        check_templates(v for value in headers.values() for v in _listed(value))
    except TemplateProblem as exc:
        problems.add(f"{exc}; CORS preflight answers are left out", "/headers")
        return []
    endpoint: dict[str, Any] = {
        "id": "mockoon-cors-preflight",
        "name": "OPTIONS (Mockoon CORS preflight)",
        "method": ["OPTIONS"],
        "path_regex": ".*",
        "status": 200,
        "headers": headers,
        "templating": TEMPLATING,
    }
    if env.latency:
        endpoint["latency_ms"] = env.latency
    return [endpoint]


def _proxy(env_data: Mapping[str, Any], prefix: str, problems: Problems) -> list[dict[str, Any]]:
    """The catch-all that forwards what no route takes to ``proxyHost``."""
    host = str(env_data.get("proxyHost") or "")
    if not env_data.get("proxyMode") or not host:
        return []
    if not re.match(r"^https?://[^/?#\s]+", host, re.IGNORECASE):
        problems.add(f"proxyHost {host!r} is not an http(s) URL: no proxy", "/proxyHost")
        return []
    proxy: dict[str, Any] = {"to": host, "verify": False}
    if env_data.get("proxyRemovePrefix") and prefix:
        proxy["strip_prefix"] = "/" + prefix.strip("/")
    request = headers_of(env_data.get("proxyReqHeaders"))
    if any("{{" in value for _, value in request):
        problems.add("templated proxyReqHeaders: not yet; they are not sent", "/proxyReqHeaders")
        request = [(k, v) for k, v in request if "{{" not in v]
    if request:
        proxy["add_headers"] = dict(request)
    if headers_of(env_data.get("proxyResHeaders")):
        problems.add(
            "proxyResHeaders are not added to proxied answers (not yet)", "/proxyResHeaders"
        )
    latency = _ms(env_data.get("latency"))
    endpoint: dict[str, Any] = {
        "id": "mockoon-proxy",
        "name": f"ANY (Mockoon proxy to {host})",
        "method": ["ANY"],
        "path_regex": "/.*",
        "proxy": proxy,
    }
    if latency:
        endpoint["latency_ms"] = latency
    return [endpoint]


def _buckets(given: Any) -> dict[str, str]:
    """Bucket values (templates) by id."""
    found = {}
    for bucket in given if isinstance(given, list) else []:
        if isinstance(bucket, dict) and bucket.get("id"):
            found[str(bucket["id"])] = str(bucket.get("value") or "")
    return found


def _plain_buckets(given: Any) -> dict[str, Any]:
    """The buckets of plain JSON, parsed, by id and by name (as rules name them)."""
    found: dict[str, Any] = {}
    for bucket in given if isinstance(given, list) else []:
        if not isinstance(bucket, dict) or "{{" in str(bucket.get("value") or ""):
            continue
        try:
            value = json.loads(str(bucket.get("value") or ""))
        except ValueError:
            value = str(bucket.get("value") or "")
        for key in (bucket.get("id"), bucket.get("name")):
            if key:
                found[str(key)] = value
    return found


def _relative(path: Path, base: Path) -> str:
    """The environment file as the native document names it (relative to ``base``)."""
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _ms(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
