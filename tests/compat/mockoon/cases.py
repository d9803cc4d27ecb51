"""Requests to send to every Mockoon environment in the corpus, the same for both servers.

Deterministic: the same corpus gives the same cases, so recordings stay comparable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CORPUS = Path("/work/shared/corpus/mockoon")
_OPTIONAL = re.compile(r"\(([^()]*)\)\?")
_PARAM = re.compile(r":([A-Za-z0-9_]+)")


def environments() -> list[Path]:
    """Every environment file in the corpus, sorted (the OpenAPI inputs are not environments)."""
    found = []
    for path in sorted(CORPUS.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "routes" in doc:
            found.append(path)
    return found


def concrete_path(prefix: str, endpoint: str) -> str:
    """A path that Mockoon's pattern matches: optional groups kept, params and `*` filled."""
    path = _OPTIONAL.sub(r"\1", endpoint)
    path = _PARAM.sub("1", path).replace("*", "x")
    parts = [p.strip("/") for p in (prefix, path) if p.strip("/")]
    return "/" + "/".join(parts)


def route_cases(env: dict[str, Any]) -> list[dict[str, Any]]:
    """One request per enabled http/crud route, plus an unknown path."""
    cases: list[dict[str, Any]] = []
    prefix = str(env.get("endpointPrefix", ""))
    for route in env.get("routes", []):
        if route.get("type", "http") == "ws":
            continue
        method = str(route.get("method", "get")).upper()
        cases.append(
            {
                "route": route.get("uuid", ""),
                "method": "GET" if method == "ALL" else method,
                "path": concrete_path(prefix, str(route.get("endpoint", ""))),
            }
        )
    cases.append({"route": "", "method": "GET", "path": concrete_path(prefix, "__no_such_path__")})
    return cases
