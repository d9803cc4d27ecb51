"""Carry out a ``Forward``: ask the configured ``Forwarder`` and always end with a ``Respond``.

The transport does not proxy by itself; it only waits for the forwarder off the parser
callback and turns every way that can go wrong into a 502 the client can read.
"""

from __future__ import annotations

import logging

from ..outcome import Forward, Forwarder, Respond
from .replies import bad_gateway

_log = logging.getLogger("apidouble.transport")


async def relay(forwarder: Forwarder | None, outcome: Forward) -> Respond:
    """What to send for ``outcome``: the forwarder's answer, or a 502 saying why not.

    The answer's event is the forward's when the forwarder left it out, and it records the
    status actually sent, so the journal shows the upstream's answer.
    """
    if forwarder is None:
        respond = bad_gateway(outcome, "no forwarder is configured on this server")
    else:
        try:
            respond = await forwarder.forward(outcome)
        except Exception as exc:
            _log.exception("forwarding to %s failed", outcome.upstream)
            respond = bad_gateway(outcome, f"forwarding failed: {type(exc).__name__}: {exc}")
        else:
            if not isinstance(respond, Respond):
                _log.error("forwarder returned %r, not a Respond", respond)
                respond = bad_gateway(outcome, "the forwarder gave no response")
            elif respond.event is None:
                respond.event = outcome.event
    if respond.event is not None:
        respond.event.status = respond.response.status
    return respond
