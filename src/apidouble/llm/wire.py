"""What every provider's encoder shares: compact JSON and the SSE framing of an event."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["EVENT_STREAM", "JSON", "encode_json", "sse"]

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
