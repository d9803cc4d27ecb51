"""The ``mockfile`` importer: a made-up format, converted to a native config.

A mockfile is JSON (or YAML) like::

    {"mockfile": 1,
     "routes": [{"route": "GET /hello", "status": 200, "json": {"hi": true}},
                {"route": "POST /items", "status": 201, "text": "made"}]}

Saved with a ``.json`` (or ``.yaml``) name in a served folder, apidouble serves it as it
is; ``apidouble import mockfile FILE -o out.yaml`` writes the native config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Mockfile:
    """``detect`` claims mockfile documents; ``convert`` gives the native document."""

    def detect(self, data: Any, path: Path) -> bool:
        return isinstance(data, dict) and data.get("mockfile") == 1

    def convert(self, data: Any, path: Path) -> dict[str, Any]:
        routes = data.get("routes")
        if not isinstance(routes, list):
            raise ValueError("'routes' must be a list")
        return {"endpoints": [_endpoint(route, index) for index, route in enumerate(routes)]}


def _endpoint(route: Any, index: int) -> dict[str, Any]:
    if not isinstance(route, dict) or not isinstance(route.get("route"), str):
        raise ValueError(f"routes[{index}]: expected an object with a 'route' like 'GET /path'")
    method, _, path = route["route"].strip().partition(" ")
    endpoint: dict[str, Any] = {"method": method.upper(), "path": path.strip() or "/"}
    if "status" in route:
        endpoint["status"] = route["status"]
    if "json" in route:
        endpoint["response"] = route["json"]
    elif "text" in route:
        endpoint["response"] = str(route["text"])
        endpoint["content_type"] = "text/plain"
    return endpoint
