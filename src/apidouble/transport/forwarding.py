"""Carry out a ``Forward``: ask the configured ``Forwarder`` and always end with a ``Respond``.

The transport does not proxy by itself; it only waits for the forwarder off the parser
callback and turns every way that can go wrong into a 502 the client can read. A request
whose body is streamed (``upload.Upload``) goes to the forwarder's ``forward_body``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from ..outcome import Forward, Forwarder, Respond
from .replies import bad_gateway
from .upload import Upload

_log = logging.getLogger("apidouble.transport")

BodyForward = Callable[[Forward, Upload], Awaitable[Respond]]
"""A forwarder's ``forward_body``: ``forward`` with the body still arriving."""


async def relay(
    forwarder: Forwarder | None, outcome: Forward, body: Upload | None = None
) -> Respond:
    """What to send for ``outcome``: the forwarder's answer, or a 502 saying why not.

    The answer's event is the forward's when the forwarder left it out, and it records the
    status actually sent, so the journal shows the upstream's answer. With ``body``, the
    event notes the size streamed: the body itself is never kept.
    """
    if forwarder is None:
        respond = bad_gateway(outcome, "no forwarder is configured on this server")
    else:
        try:
            if body is None:
                respond = await forwarder.forward(outcome)
            else:
                respond = await _forward_body(forwarder, outcome, body)
        except Exception as exc:
            _log.exception("forwarding to %s failed", outcome.upstream)
            respond = bad_gateway(outcome, f"forwarding failed: {type(exc).__name__}: {exc}")
        else:
            if not isinstance(respond, Respond):
                _log.error("forwarder returned %r, not a Respond", respond)
                respond = bad_gateway(outcome, "the forwarder gave no response")
            elif respond.event is None:
                respond.event = outcome.event
    check = outcome.check
    if check is not None and respond.stream is None:
        try:
            respond = check(respond)
        except Exception:
            _log.exception("checking the answer of %s failed", outcome.upstream)
    event = respond.event
    if event is not None:
        event.status = respond.response.status
        if body is not None:
            whole = "" if body.complete else ", incomplete"
            note = f"request body streamed, not kept: {body.received} bytes{whole}"
            event.notes = (*event.notes, note)
    return respond


async def _forward_body(forwarder: Forwarder, outcome: Forward, body: Upload) -> Respond:
    send = cast("BodyForward | None", getattr(forwarder, "forward_body", None))
    if send is None:
        return bad_gateway(outcome, "this forwarder cannot stream a request body")
    return await send(outcome, body)
