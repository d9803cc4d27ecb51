"""The config models of streamed answers: ``sse:`` (Server-Sent Events) on an endpoint."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from apidouble.config.fields import ConfigModel
from apidouble.model import SseEvent, SseSpec


class SseEventConfig(ConfigModel):
    """One event; every text field may be a template (``index`` counts the events sent)."""

    data: Any = Field(
        None, description="The event's data: text (one data line per line) or any JSON value."
    )
    event: str | None = Field(None, description="The event type (the client's listener name).")
    id: str | None = Field(None, description="The event id a reconnecting client resumes after.")
    retry: int | None = Field(
        None, ge=0, description="Tell the client how long to wait before reconnecting (ms)."
    )
    comment: str | None = Field(None, description="A comment line (ignored by clients).")
    delay_ms: float | None = Field(
        None, ge=0, description="Wait this long before sending it (default: every_ms)."
    )

    def spec(self) -> SseEvent:
        return SseEvent(self.data, self.event, self.id, self.retry, self.comment, self.delay_ms)


class Sse(ConfigModel):
    """Answer with a Server-Sent Events stream (``text/event-stream``) instead of a body."""

    events: list[SseEventConfig] = Field(
        min_length=1, description="The events, in order (played again for each repeat)."
    )
    repeat: int | Literal["forever"] = Field(
        1, description="How many times to play the events; forever: until the client leaves."
    )
    every_ms: float = Field(
        0, ge=0, description="Wait between events that give no delay_ms of their own."
    )
    keepalive_ms: float | None = Field(
        None,
        gt=0,
        description="During longer waits, send a keep-alive comment this often.",
    )
    drop_after: int | None = Field(
        None, ge=0, description="Cut the connection after this many events (a fault)."
    )

    def spec(self) -> SseSpec:
        repeat = None if self.repeat == "forever" else self.repeat
        return SseSpec(
            tuple(event.spec() for event in self.events),
            repeat,
            self.every_ms,
            self.keepalive_ms,
            self.drop_after,
        )


class WebSocket(ConfigModel):
    """A WebSocket conversation on the endpoint's path (the upgrade request is matched
    like any other request). Messages and rules are checked where they are compiled
    (``realtime.ws_rules``), with their place in the file."""

    subprotocol: str | list[str] | None = Field(
        None, description="The subprotocol(s) offered; a client must ask for one of them."
    )
    on_connect: Any = Field(None, description="Messages sent when the connection opens.")
    on_message: list[Any] = Field(
        default_factory=list,
        description="Rules, first match wins: {match, reply, echo, frame, delay_ms, close,"
        " drop, scenario}; templates read message and json.",
    )
    every: Any = Field(None, description="Periodic pushes: {ms, send}.")
    sequence: Any = Field(
        None, description="A scripted conversation: [{send, delay_ms, close}] or {steps, repeat}."
    )
    broadcast: bool = Field(
        False, description="Replies go to every client on the same path (same room)."
    )
    max_message_bytes: int | None = Field(
        None, ge=1, description="Close 1009 on a larger message (default 1 MiB)."
    )
    idle_timeout_s: float | None = Field(
        None, gt=0, description="Close 1001 when the client sends nothing for this long."
    )
    compression: bool | None = Field(None, description="Offer permessage-deflate (default on).")

    def entry(self, path: str) -> dict[str, Any]:
        """What ``compile_websocket`` reads: the keys given, and the endpoint's path."""
        return {"path": path, **self.model_dump(exclude_unset=True)}
