"""The transport's own answers and framing bytes: what it sends without asking the handler.

Refusals (400, 408, 413, 431, and the 503 of a full listener) are encoded once at import;
the 502 for a forward that could not be carried out is built when it happens, since it
says why.
"""

from __future__ import annotations

import json
from typing import Final

from ..outcome import Forward, Respond, Response

_JSON: Final = (("content-type", "application/json"),)
BAD_REQUEST: Final = Response.build(400, _JSON, b'{"error":"malformed request"}')
REQUEST_TIMEOUT: Final = Response.build(408, _JSON, b'{"error":"request timeout"}')
BODY_TOO_LARGE: Final = Response.build(413, _JSON, b'{"error":"request body too large"}')
HEAD_TOO_LARGE: Final = Response.build(431, _JSON, b'{"error":"request header too large"}')
TOO_MANY_CONNECTIONS: Final = Response.build(
    503, (*_JSON, ("retry-after", "1")), b'{"error":"too many connections"}'
)
REFUSALS: Final = {400: "malformed", 408: "timeout", 413: "body_size", 431: "head_size"}
"""The reason ``apidouble_refused_total`` counts each refusal under, by its status;
``connections`` is the 503 of a listener at ``max_connections``."""
INTERNAL_ERROR: Final = Respond(Response.build(500, _JSON, b'{"error":"internal server error"}'))

CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
END_KEEP: Final = b"\r\n"
END_CLOSE: Final = b"connection: close\r\n\r\n"
END_KEEP_10: Final = b"connection: keep-alive\r\n\r\n"
CHUNKED: Final = b"transfer-encoding: chunked\r\n"


def bad_gateway(outcome: Forward, reason: str) -> Respond:
    """A 502 saying why ``outcome`` could not be forwarded; journalled on its event."""
    body = json.dumps({"error": "bad gateway", "reason": reason, "upstream": outcome.upstream})
    return Respond(Response.build(502, _JSON, body.encode()), event=outcome.event)
