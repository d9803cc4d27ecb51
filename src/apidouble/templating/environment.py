"""The sandboxed Jinja2 environment and the names templates can use.

Per-request names (``date``, ``uuid``, ``request``...) are computed only when a template
uses them: each compiled template records its free names at load time, and ``context``
builds just those at render time.
"""

from __future__ import annotations

import random
import uuid as uuid_module
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..model import INVALID_JSON, Request


class HeaderView(dict[str, str]):
    """Request headers for templates: any-case lookup, first value of each name."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


def request_view(request: Request, params: dict[str, str]) -> dict[str, Any]:
    """The ``request`` name: plain data, so the sandbox has nothing dangerous to reach."""
    body_json = request.json
    return {
        "method": request.method,
        "url": request.url,
        "path": request.path,
        "params": params,
        "query": {name: values[0] for name, values in request.query.items()},
        "query_all": request.query,
        "headers": HeaderView((name, values[0]) for name, values in request.header_map.items()),
        "cookies": request.cookies,
        "body": request.text,
        "json": None if body_json is INVALID_JSON else body_json,
    }


class TemplateEnvironment:
    """One sandboxed environment per config; owns the random source, so it can be seeded."""

    def __init__(self, seed: int | None = None) -> None:
        self.random = random.Random(seed)
        self.jinja = ImmutableSandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self.jinja.globals.update(random_int=self._random_int)
        self._per_render: dict[str, Callable[[], Any]] = {
            "date": lambda: datetime.now(UTC).strftime("%Y-%m-%d"),
            "time": lambda: datetime.now(UTC).strftime("%H:%M:%S"),
            "timestamp": lambda: datetime.now(UTC).isoformat(timespec="milliseconds"),
            "now": lambda: datetime.now(UTC),
            "uuid": self._uuid,
        }

    def _uuid(self) -> str:
        return str(uuid_module.UUID(int=self.random.getrandbits(128), version=4))

    def _random_int(self, low: int = 0, high: int = 100) -> int:
        return self.random.randint(low, high)

    def known_name(self, name: str) -> bool:
        """Whether a free name in a template is something we provide."""
        return name == "request" or name in self._per_render or name in self.jinja.globals

    def context(
        self, names: Iterable[str], request: Request | None, params: dict[str, str]
    ) -> dict[str, Any]:
        """Values for just the names a template uses."""
        values: dict[str, Any] = {}
        for name in names:
            if name == "request":
                values[name] = request_view(request, params) if request is not None else {}
            else:
                make = self._per_render.get(name)
                if make is not None:
                    values[name] = make()
        return values
