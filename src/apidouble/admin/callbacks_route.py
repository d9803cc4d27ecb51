"""``/__admin/callbacks``: every attempt to send a stub's callbacks (webhooks), newest
first (``GET ?limit=N``); ``DELETE`` forgets them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..addons.callback_log import CallbackLog
from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response
from .wiremock_routes import whole_number

CALLBACKS_PATH = "/__admin/callbacks"


class CallbacksRoute:
    """The control route over one runtime's ``CallbackLog``."""

    def __init__(self, log: CallbackLog) -> None:
        self.log = log

    def __call__(self, request: Request) -> Outcome:
        return bounded_log(request, self.log.clear, self.log.document)


def bounded_log(
    request: Request, clear: Callable[[], None], document: Callable[[int | None], Any]
) -> Outcome:
    """A kept log's route: ``DELETE`` clears it, ``GET ?limit=N`` shows the last N."""
    if request.method == "DELETE":
        clear()
        return Respond(json_response(200, {"cleared": True}))
    raw = request.query.get("limit", [""])[0]
    limit = whole_number(raw) if raw else None
    if raw and limit is None:
        return Respond(json_response(400, {"error": "limit must be a non-negative integer"}))
    return Respond(json_response(200, document(limit)))
