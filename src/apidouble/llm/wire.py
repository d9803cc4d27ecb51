"""What every provider's encoder shares: compact JSON, the SSE framing of an event, and
how long an error asks the client to wait."""

from __future__ import annotations

import json
import math
from typing import Any

from apidouble.llm.answer import ProviderError

__all__ = ["EVENT_STREAM", "JSON", "encode_json", "retry_after", "sse"]

JSON = ("content-type", "application/json")
EVENT_STREAM = (
    ("content-type", "text/event-stream; charset=utf-8"),
    ("cache-control", "no-cache"),
)


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the providers send it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def sse(data: Any, event: str | None = None) -> bytes:
    """One Server-Sent Event: an ``event:`` line when named, one ``data:`` line of JSON."""
    line = b"data: " + encode_json(data) + b"\n\n"
    return f"event: {event}\n".encode() + line if event else line


def retry_after(error: ProviderError) -> str | None:
    """The ``retry-after`` header's value (whole seconds) an error answer carries: the
    error's own wait, or one second for a rate limit that names none; None without one."""
    wait = error.retry_after_s
    if wait is None and error.kind == "rate_limit":
        wait = 1.0
    return None if wait is None else str(math.ceil(wait))
