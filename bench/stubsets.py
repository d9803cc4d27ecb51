"""The equivalent stub set of every scenario, written in each server's own format.

Two sets per server: ``base`` (10 stubs: the static, templated, 1 s latency, JSONPath
and, for apidouble, header + query condition stubs plus fillers) and ``large`` (1,000
stubs; the benchmarked one is near the end of the file). apidouble also gets
``notfound`` (1,000 stubs, half templated, for 404s) and, from ``many_endpoints``, the
load-time folder. Generated, not checked in: 1,000 stubs are data, and one generator keeps the
peers' sets equivalent by construction. ``write_all(folder)`` writes every file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATIC_BODY: dict[str, Any] = {"id": 1, "name": "Ada Lovelace", "role": "admin", "active": True}
STATIC_BYTES = json.dumps(STATIC_BODY, separators=(",", ":"))
LARGE_COUNT = 1000
LARGE_TARGET = LARGE_COUNT - 10
"""Index of the benchmarked ``/static`` stub in the large set: near the end of the file."""

NOTFOUND_COUNT = 1000
NOTFOUND_PATH = "/api/v1/resource7/itemz"
"""A near miss (a typo of stub 7's path) that no stub of the 1,000 answers: a 404 report."""

PATHS = {
    "static": "/static",
    "templated": "/users/42",
    "slow": "/slow",
    "jsonpath": "/orders",
    "latency": "/static",
    "memory": "/static",
    "large": "/static",
    "conditions": "/search?kind=gold",
    "addon": "/touched",
    "jwt": "/protected",
    "jwt_open": "/static",
    "notfound": NOTFOUND_PATH,
    "flood": "/static",
    "idle": "/static",
}
HEADERS = {"conditions": {"X-Client": "bench"}}
"""Request headers a scenario sends (the conditions stub requires this one; the jwt
scenario's bearer token is added by ``write_jwt_key``, signed with the key it writes)."""

ITEMS = [
    {"sku": f"SKU-{n:05d}", "title": f"Item number {n}", "price": 10 + n, "stock": n * 3}
    for n in range(20)
]
"""The static part of the ~2 KB templated response."""


def _jsonpath_body() -> bytes:
    lines = [
        {"sku": f"SKU-{n:05d}", "qty": n % 7 + 1, "note": "gift wrap please " * 2}
        for n in range(110)
    ]
    order = {"order": {"id": "o-1", "customer": {"id": 7, "tier": "gold"}, "lines": lines}}
    return json.dumps(order, separators=(",", ":")).encode()


JSONPATH_BODY = _jsonpath_body()
"""The ~10 KB POST body; the stub matches ``$.order.customer.tier == gold``."""


def _filler(n: int) -> str:
    return f"/api/v1/resource{n}/items"


# --- apidouble ---------------------------------------------------------------------------


def apidouble_config(stubs: int) -> str:
    """The native YAML (as JSON, which YAML reads): base set for 10, large set for 1,000."""
    endpoints: list[dict[str, Any]] = []
    if stubs == LARGE_COUNT:
        for n in range(LARGE_COUNT - 1):
            endpoints.append({"name": f"s{n}", "path": _filler(n), "response": {"n": n}})
        endpoints.insert(
            LARGE_TARGET, {"name": "static", "path": "/static", "response": STATIC_BODY}
        )
        return json.dumps({"endpoints": endpoints}, indent=1)
    templated = {
        "id": "{{ request.params.id | int }}",
        "name": "User {{ request.params.id }}",
        "fetched_on": "{{ date }}",
        "request_id": "{{ uuid }}",
        "items": ITEMS,
    }
    endpoints += [
        {"name": "static", "path": "/static", "response": STATIC_BODY},
        {"name": "templated", "path": "/users/{id}", "response": templated},
        {"name": "slow", "path": "/slow", "latency_ms": 1000, "response": STATIC_BODY},
        {
            "name": "conditions",
            "path": "/search",
            "match": {"headers": {"X-Client": "bench"}, "query": {"kind": "gold"}},
            "response": STATIC_BODY,
        },
        {
            "name": "gold-order",
            "method": "POST",
            "path": "/orders",
            "match": {"body": {"jsonpath": "$.order.customer.tier", "equals": "gold"}},
            "status": 201,
            "response": {"accepted": True},
        },
        {  # demands a bearer JWT of the bench issuer (the express lane's guarded route)
            "name": "protected",
            "path": "/protected",
            "auth": {"jwt": {"issuer": "bench"}},
            "response": STATIC_BODY,
        },
        {  # an addon touches this one stub: the rest must not pay for it
            "name": "touched",
            "path": "/touched",
            "addons": ["touch"],
            "response": STATIC_BODY,
        },
    ]
    for n in range(stubs - len(endpoints)):
        endpoints.append({"name": f"s{n}", "path": _filler(n), "response": {"n": n}})
    addon = {"use": ADDON_FILE, "name": "touch", "scope": "listed"}
    auth = {"issuers": {"bench": {"keys": [JWT_KEY_FILE], "signing_alg": "RS256"}}}
    return json.dumps({"addons": [addon], "auth": auth, "endpoints": endpoints}, indent=1)


ADDON_FILE = "bench_addon.py"
"""Written beside every apidouble config that names it (``write_addon``)."""
ADDON_SOURCE = """\
def response(flow):
    flow.response.set_header("X-Touched", "1")
"""
"""One trivial ``response`` hook: what an addon costs the stub it touches."""


def write_addon(folder: Path) -> None:
    (folder / ADDON_FILE).write_text(ADDON_SOURCE)


JWT_KEY_FILE = "bench_jwt_key.pem"
"""The bench issuer's RS256 signing key, written beside the configs (``write_jwt_key``)."""


def write_jwt_key(folder: Path) -> str:
    """Write a fresh RSA key for the bench issuer and return a day-long token it signed
    (also put in ``HEADERS["jwt"]``): the token the server will find valid. The
    ``jwt_open`` scenario sends the same header to the open static stub: the protected
    stub's rate is compared with that, so only the check is counted, not the longer
    request every token brings."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from apidouble.auth.keys import KeyRing
    from apidouble.auth.tokens import TokenMinter

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / JWT_KEY_FILE
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ring = KeyRing(("RS256",))
    ring.add_pem(path)
    token = TokenMinter(ring, "http://127.0.0.1/oauth2/bench").mint(
        {"sub": "bench", "aud": "bench"}, expires_in=86400, headers={"typ": "at+jwt"}
    )
    HEADERS["jwt"] = HEADERS["jwt_open"] = {"Authorization": f"Bearer {token}"}
    return token


def many_endpoints(first: int, count: int, edited: str | None = None) -> list[dict[str, Any]]:
    """Stubs number ``first`` to ``first + count - 1``, each on its own path: even numbers
    static (``/api/v1/resource{n}/items``), odd ones templated (path param, date, uuid).

    The templated strings repeat from stub to stub, as in real mapping sets; the bodies
    differ by their literals. ``edited`` marks the first stub's body (a hot-reload edit).
    """
    made: list[dict[str, Any]] = []
    for n in range(first, first + count):
        if n % 2:
            response: dict[str, Any] = {
                "id": "{{ request.params.id | int }}",
                "group": n,
                "name": "User {{ request.params.id }}",
                "fetched_on": "{{ date }}",
                "request_id": "{{ uuid }}",
            }
            made.append({"name": f"t{n}", "path": f"/api/v1/users{n}/{{id}}", "response": response})
        else:
            made.append({"name": f"s{n}", "path": _filler(n), "response": {"n": n}})
    if edited is not None and made:
        made[0]["response"] = {**made[0]["response"], "edited": edited}
    return made


def notfound_config() -> str:
    """1,000 stubs, half templated, then ``/static``: the 404 scenario and its neighbour."""
    endpoints = many_endpoints(0, NOTFOUND_COUNT - 1)
    endpoints.append({"name": "static", "path": "/static", "response": STATIC_BODY})
    return json.dumps({"endpoints": endpoints}, indent=1)


# --- nginx -------------------------------------------------------------------------------


def nginx_conf(port: int, folder: Path) -> str:
    """One worker, no access log, ``return 200`` of the static body (the ceiling)."""
    body = STATIC_BYTES.replace("'", "\\'")
    return f"""worker_processes 1;
daemon off;
master_process off;
error_log {folder}/nginx-error.log;
pid {folder}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {folder}/nginx-body;
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    location / {{ default_type application/json; return 200 '{body}'; }}
  }}
}}
"""


# --- WireMock ----------------------------------------------------------------------------


def _wm(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    return {"request": request, "response": response}


def wiremock_mappings(stubs: int) -> list[dict[str, Any]]:
    """WireMock 3 mappings; ``response-template`` renders the templated one."""
    json_headers = {"Content-Type": "application/json"}
    static = _wm(
        {"method": "GET", "url": "/static"},
        {"status": 200, "headers": json_headers, "jsonBody": STATIC_BODY},
    )
    if stubs == LARGE_COUNT:
        made = [
            _wm(
                {"method": "GET", "url": _filler(n)},
                {"status": 200, "headers": json_headers, "jsonBody": {"n": n}},
            )
            for n in range(LARGE_COUNT - 1)
        ]
        made.insert(LARGE_TARGET, static)
        return made
    templated = {
        "id": "{{request.path.[1]}}",
        "name": "User {{request.path.[1]}}",
        "fetched_on": "{{now format='yyyy-MM-dd'}}",
        "request_id": "{{randomValue type='UUID'}}",
        "items": ITEMS,
    }
    made = [
        static,
        _wm(
            {"method": "GET", "urlPathPattern": "/users/[^/]+"},
            {
                "status": 200,
                "headers": json_headers,
                "jsonBody": templated,
                "transformers": ["response-template"],
            },
        ),
        _wm(
            {"method": "GET", "url": "/slow"},
            {
                "status": 200,
                "headers": json_headers,
                "jsonBody": STATIC_BODY,
                "fixedDelayMilliseconds": 1000,
            },
        ),
        _wm(
            {
                "method": "POST",
                "url": "/orders",
                "bodyPatterns": [
                    {
                        "matchesJsonPath": {
                            "expression": "$.order.customer.tier",
                            "equalTo": "gold",
                        }
                    }
                ],
            },
            {"status": 201, "headers": json_headers, "jsonBody": {"accepted": True}},
        ),
    ]
    made += [
        _wm({"method": "GET", "url": _filler(n)}, {"status": 200, "jsonBody": {"n": n}})
        for n in range(stubs - len(made))
    ]
    return made


# --- mountebank --------------------------------------------------------------------------


def _mb(predicates: list[dict[str, Any]], body: Any, **extra: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "is": {
            "statusCode": extra.pop("status", 200),
            "headers": {"Content-Type": "application/json"},
            "body": body,
        }
    }
    if "wait" in extra:
        response["_behaviors"] = {"wait": extra["wait"]}
    return {"predicates": predicates, "responses": [response]}


def mountebank_imposter(port: int, stubs: int) -> dict[str, Any]:
    """One HTTP imposter; mountebank templates only through JS injection (not used)."""

    def get(path: str) -> list[dict[str, Any]]:
        return [{"equals": {"method": "GET", "path": path}}]

    static = _mb(get("/static"), STATIC_BODY)
    if stubs == LARGE_COUNT:
        made = [_mb(get(_filler(n)), {"n": n}) for n in range(LARGE_COUNT - 1)]
        made.insert(LARGE_TARGET, static)
    else:
        gold = [
            {"equals": {"method": "POST", "path": "/orders"}},
            {"equals": {"body": "gold"}, "jsonpath": {"selector": "$.order.customer.tier"}},
        ]
        made = [
            static,
            _mb(get("/slow"), STATIC_BODY, wait=1000),
            _mb(gold, {"accepted": True}, status=201),
        ]
        made += [_mb(get(_filler(n)), {"n": n}) for n in range(stubs - len(made))]
    return {"imposters": [{"protocol": "http", "port": port, "stubs": made}]}


# --- Mockoon, Prism, json-server (static only) -------------------------------------------


def mockoon_environment(port: int) -> dict[str, Any]:
    """A minimal Mockoon environment with the static route."""
    response = {
        "uuid": "r1",
        "body": STATIC_BYTES,
        "latency": 0,
        "statusCode": 200,
        "label": "",
        "headers": [{"key": "Content-Type", "value": "application/json"}],
        "bodyType": "INLINE",
        "filePath": "",
        "databucketID": "",
        "sendFileAsBody": False,
        "rules": [],
        "rulesOperator": "OR",
        "disableTemplating": True,
        "fallbackTo404": False,
        "default": True,
        "crudKey": "id",
        "callbacks": [],
    }
    route = {
        "uuid": "route1",
        "type": "http",
        "documentation": "",
        "method": "get",
        "endpoint": "static",
        "responses": [response],
        "responseMode": None,
        "streamingMode": None,
        "streamingInterval": 0,
    }
    return {
        "uuid": "env1",
        "lastMigration": 33,
        "name": "bench",
        "endpointPrefix": "",
        "latency": 0,
        "port": port,
        "hostname": "127.0.0.1",
        "folders": [],
        "routes": [route],
        "rootChildren": [{"type": "route", "uuid": "route1"}],
        "proxyMode": False,
        "proxyHost": "",
        "proxyRemovePrefix": False,
        "tlsOptions": {
            "enabled": False,
            "type": "CERT",
            "pfxPath": "",
            "certPath": "",
            "keyPath": "",
            "caPath": "",
            "passphrase": "",
        },
        "cors": False,
        "headers": [],
        "proxyReqHeaders": [],
        "proxyResHeaders": [],
        "data": [],
        "callbacks": [],
    }


def prism_spec() -> dict[str, Any]:
    """OpenAPI 3 with the static body as the example Prism returns (static mode)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "bench", "version": "1"},
        "paths": {
            "/static": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"example": STATIC_BODY}},
                        }
                    }
                }
            }
        },
    }


def json_server_db() -> dict[str, Any]:
    """json-server serves ``/static`` as a singular resource."""
    return {"static": STATIC_BODY}


def write_all(folder: Path) -> None:
    """Write every set into ``folder`` (the per-port files are written at start)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_addon(folder)
    write_jwt_key(folder)
    (folder / "apidouble-base.yaml").write_text(apidouble_config(10))
    (folder / "apidouble-large.yaml").write_text(apidouble_config(LARGE_COUNT))
    (folder / "apidouble-notfound.yaml").write_text(notfound_config())
    for name, count in (("base", 10), ("large", LARGE_COUNT)):
        mappings = folder / f"wiremock-{name}" / "mappings"
        mappings.mkdir(parents=True, exist_ok=True)
        for index, mapping in enumerate(wiremock_mappings(count)):
            (mappings / f"{index:04d}.json").write_text(json.dumps(mapping))
    (folder / "prism.json").write_text(json.dumps(prism_spec()))
    (folder / "json-server-db.json").write_text(json.dumps(json_server_db()))
    (folder / "jsonpath-body.json").write_bytes(JSONPATH_BODY)
