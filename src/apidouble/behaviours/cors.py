"""CORS: answer preflights for every stubbed path and add ``Access-Control-*`` to answers.

``cors: true`` allows any origin without credentials (``*``), the methods the path is
stubbed for, and whatever headers the preflight asks for. A policy object narrows it::

    cors: {origins: ["https://app.example.com", "https://*.example.com"],
           methods: [GET, POST], headers: [Content-Type, Authorization],
           expose_headers: [X-Total-Count], credentials: true, max_age: 600}

With credentials the Origin is reflected, never ``*`` (browsers reject that pair), and
``Vary: Origin`` tells caches the answer depends on it. A preflight from an origin the
policy does not allow still gets its 204, without CORS headers, so the browser blocks
the call the way a real server would make it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..model import Headers, Request

DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
PREFLIGHT_STATUS = 204


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """A compiled CORS policy; ``origins`` None means any origin."""

    origins: tuple[re.Pattern[str], ...] | None = None
    methods: tuple[str, ...] | None = None
    headers: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] = ()
    credentials: bool = False
    max_age: int | None = None

    @classmethod
    def from_config(cls, config: bool | Mapping[str, object]) -> CorsPolicy | None:
        """``true``/``false`` or a policy mapping; None when CORS is off."""
        if config is False:
            return None
        if config is True:
            return cls()
        if not isinstance(config, Mapping):
            raise ValueError(f"cors must be true, false or a policy mapping, got {config!r}")
        allowed = {"origins", "methods", "headers", "expose_headers", "credentials", "max_age"}
        if unknown := sorted(config.keys() - allowed):
            raise ValueError(
                f"unknown cors key(s): {', '.join(unknown)} (it takes {', '.join(sorted(allowed))})"
            )
        origins = config.get("origins", "*")
        credentials = config.get("credentials", False)
        max_age = config.get("max_age")
        if not isinstance(credentials, bool):
            raise ValueError(f"cors.credentials must be true or false, got {credentials!r}")
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0
        ):
            raise ValueError(f"cors.max_age must be whole seconds >= 0, got {max_age!r}")
        methods = config.get("methods")
        headers = config.get("headers")
        return cls(
            origins=None
            if origins == "*"
            else tuple(_origin(o) for o in _names("origins", origins)),
            methods=None
            if methods is None
            else tuple(m.upper() for m in _names("methods", methods)),
            headers=None if headers is None else tuple(_names("headers", headers)),
            expose_headers=tuple(_names("expose_headers", config.get("expose_headers", []))),
            credentials=credentials,
            max_age=max_age,
        )

    def preflight(self, request: Request, allowed_methods: Iterable[str] = ()) -> Headers | None:
        """Headers for the 204 answering a preflight, or None if this is not one.

        ``allowed_methods`` are the methods stubbed for the path (empty: any); the
        policy's ``methods`` replace them when given.
        """
        origin = request.header("origin")
        asked = request.header("access-control-request-method")
        if request.method != "OPTIONS" or origin is None or asked is None:
            return None
        allowed, found = self._origin_headers(origin)
        found.append(("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers"))
        if not allowed:
            return found
        methods = self.methods or tuple(m.upper() for m in allowed_methods)
        found.append(("Access-Control-Allow-Methods", ", ".join(methods) or asked.upper()))
        if self.headers is not None:
            if self.headers:
                found.append(("Access-Control-Allow-Headers", ", ".join(self.headers)))
        elif wanted := request.header("access-control-request-headers"):
            found.append(("Access-Control-Allow-Headers", wanted))
        if self.max_age is not None:
            found.append(("Access-Control-Max-Age", str(self.max_age)))
        return found

    def response_headers(self, request: Request) -> Headers:
        """``Access-Control-*`` for an ordinary response (nothing without an Origin)."""
        origin = request.header("origin")
        if origin is None:
            return [] if self._wildcard else [("Vary", "Origin")]
        allowed, found = self._origin_headers(origin)
        if allowed and self.expose_headers:
            found.append(("Access-Control-Expose-Headers", ", ".join(self.expose_headers)))
        return found

    @property
    def _wildcard(self) -> bool:
        """Whether every origin gets ``*`` (no reflection, so no ``Vary: Origin``)."""
        return self.origins is None and not self.credentials

    def _origin_headers(self, origin: str) -> tuple[bool, Headers]:
        """Whether ``origin`` is allowed, and the headers that say so (or just Vary)."""
        if self._wildcard:
            return True, [("Access-Control-Allow-Origin", "*")]
        if self.origins is not None and not any(p.fullmatch(origin) for p in self.origins):
            return False, [("Vary", "Origin")]
        found = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if self.credentials:
            found.append(("Access-Control-Allow-Credentials", "true"))
        return True, found


def _names(key: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"cors.{key} must be a string or a list of strings, got {value!r}")


def _origin(value: str) -> re.Pattern[str]:
    """An origin, exact or with ``*`` for one or more DNS labels; case-insensitive."""
    if value == "*":
        return re.compile(r".*")
    pattern = r"[^./:]+(?:\.[^./:]+)*".join(re.escape(p) for p in value.rstrip("/").split("*"))
    return re.compile(pattern, re.IGNORECASE)
