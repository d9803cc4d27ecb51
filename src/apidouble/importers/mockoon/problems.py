"""What a conversion could not carry over, located at the route it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apidouble.errors import ConfigProblem


def route_label(route: Any) -> str:
    """How a problem names a route: ``METHOD /endpoint (route UUID)``."""
    if not isinstance(route, dict):
        return "route"
    method = str(route.get("method") or route.get("type") or "?").upper()
    return f"{method} /{str(route.get('endpoint', '')).lstrip('/')} (route {route.get('uuid')})"


@dataclass
class Problems:
    """The problems of one environment file; each names the file, a JSON pointer into the
    environment and, for a route's, the route."""

    file: str
    found: list[ConfigProblem] = field(default_factory=list)

    def add(self, message: str, pointer: str = "", route: Any = None) -> None:
        label = route_label(route) if route is not None else None
        self.found.append(ConfigProblem(self.file, message, None, pointer, label))
