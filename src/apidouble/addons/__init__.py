"""Extend apidouble in plain Python: hooks on the phases of one request.

An addon is any object, class or module with optional methods named after the phases,
sync or async:

- ``load(context)``: the config was (re)loaded (``context.stubs``, ``context.options``);
- ``request(flow)``: before routing; ``flow.respond(...)`` answers at once, a new
  ``flow.request`` is routed instead;
- ``matched(flow)``: a stub was chosen; ``flow.veto()`` or ``flow.use("name")``;
- ``response(flow)``: ``flow.response`` (a ``Reply``) may be changed, ``flow.delay_s``
  too, or ``flow.fail("connection_reset")`` sends a fault instead;
- ``served(flow)``: after the bytes left, for side effects;
- ``websocket_message(message)``: a WebSocket client sent a message (``message.reply``,
  ``message.close``, ``message.ignore``, or a new ``message.data`` for the rules).

A module-level ``async def middleware(request, call_next)`` wraps the rest of the request
for those who think in middleware. Name addons in the config (``addons: [hooks.py]``),
per endpoint, with ``--addons FILE``, or hand objects to ``MockServer(addons=[...])``.
See ``docs/addons.md``.
"""

from __future__ import annotations

from .assembly import LoadContext
from .flow import Flow, Reply
from .message import WebSocketMessage

__all__ = ["Flow", "LoadContext", "Reply", "WebSocketMessage"]
