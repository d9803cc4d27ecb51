"""One template served as an endpoint's response, the way a config serves it: loaded
(``load_data``), compiled (``compile_config``) and answered by the ``Engine``."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.errors import ConfigError
from apidouble.model import Request
from apidouble.outcome import Respond

__all__ = ["BODY", "LEAKS", "Served", "fresh_request", "serve"]

BODY = {"a": 0, "q": "aaa", "list": [1, 2, 3]}
LEAKS = (
    "<class ",
    "<function ",
    "<module ",
    "<built-in ",
    "<bound method",
    " object at 0x",
    "uid=",
    "root:x:",
    "__builtins__': {",
    "'os': <",
)
"""What an escape that worked would print: Python reprs of internals, command output."""


@dataclass(frozen=True, slots=True)
class Served:
    """The answer to one request, or the load-time refusal."""

    status: int | None
    body: bytes
    refused: ConfigError | None
    request: Request
    load_s: float
    """Seconds to load and compile the endpoint."""
    render_s: float
    """Seconds the engine took to answer (0 when refused)."""


def fresh_request() -> Request:
    """A request with every part a template reads: path, query, headers, cookies, JSON."""
    headers = (("X-A", "1"), ("Cookie", "s=1"), ("Content-Type", "application/json"))
    return Request("POST", "/t/7", "q=aaa&q=b", headers, json.dumps(BODY).encode())


def serve(source: str, templating: str) -> Served:
    """Serve ``source`` as the body of ``POST /t/{id}`` with the given template engine."""
    endpoint = {
        "name": "fuzz",
        "method": "POST",
        "path": "/t/{id}",
        "response": source,
        "content_type": "text/plain",
        "templating": templating,
    }
    request = fresh_request()
    started = time.monotonic()
    try:
        engine = Engine(compile_config(load_data({"endpoints": [endpoint]}).stubs, seed=1))
    except ConfigError as error:
        return Served(None, b"", error, request, time.monotonic() - started, 0.0)
    loaded = time.monotonic()
    outcome = engine.handle(request)
    answered = time.monotonic()
    assert isinstance(outcome, Respond), outcome
    response = outcome.response
    return Served(
        response.status, response.body, None, request, loaded - started, answered - loaded
    )
