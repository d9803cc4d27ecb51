"""A preset behind the project's own HTTP server, for the SDK clients to talk to.

The engine's hookup of ``llm:`` entries is not in place yet, so this handler routes the
entry's endpoints itself: the same ``LlmEndpoint.serve`` the engine will call, its
``Served`` carried out as a ``Respond`` (delay, or streamed body) by the real transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from apidouble.config.llm import LlmEntry
from apidouble.llm import LlmEndpoint, compile_llm
from apidouble.model import Request
from apidouble.outcome import Outcome, Respond, Response
from apidouble.transport.server import start_server

_NOT_FOUND = Response.build(404, [("content-type", "text/plain")], b"no such route")


@dataclass
class PresetHandler:
    """Routes (method, path) to the entry's endpoints; records what each request got."""

    routes: list[tuple[str, str, LlmEndpoint]]
    facts: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: Request) -> Outcome:
        for method, path, endpoint in self.routes:
            params = _match(path, request.path)
            if method == request.method and params is not None:
                served = endpoint.serve(request, params)
                self.facts.append(served.facts)
                return Respond(served.response, served.delay_s, stream=served.stream)
        return Respond(_NOT_FOUND)

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        return None


def _match(pattern: str, path: str) -> dict[str, str] | None:
    """``/v1/models/{model}`` against a path: its parameters, or None."""
    want, got = pattern.split("/"), path.split("/")
    if len(want) != len(got):
        return None
    params = {}
    for a, b in zip(want, got, strict=True):
        if a.startswith("{"):
            params[a.strip("{}")] = b
        elif a != b:
            return None
    return params


@dataclass
class Preset:
    url: str
    handler: PresetHandler

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The facts of every request served, oldest first."""
        return self.handler.facts


@asynccontextmanager
async def preset(config: dict[str, Any], seed: int | None = 7) -> AsyncIterator[Preset]:
    """Serve one ``llm:`` entry on 127.0.0.1 (an ephemeral port)."""
    entry = LlmEntry.model_validate(config)
    routes = []
    for endpoint in entry.endpoints():
        routes.append((endpoint["method"][0], endpoint["path"], compile_llm(endpoint["llm"], seed)))
    handler = PresetHandler(routes)
    server = await start_server(handler)
    try:
        yield Preset(server.url, handler)
    finally:
        await server.close()
