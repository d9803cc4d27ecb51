"""Mockoon's per-route request number, which ``request_number`` rules compare.

mockoon-cli counts, per route, the requests the route answered (``requestNumbers`` in
its server, from 1 for the first); a route that hands a request on (``FALLBACK``) does
not count it. A converted route becomes several endpoints, so the count is kept in the
environment's server state under the route's key, shared by them all:
``{{countRouteRequest 'key'}}`` (in each endpoint's status, rendered first when it
answers, before the latency, as Mockoon counts before it waits) adds one and prints
nothing; ``{{routeRequestNumber 'key'}}`` (in a rule's ``match.template``) prints the
number the next answer gets. Not in Mockoon's helper list: the importer writes them.
"""

from __future__ import annotations

from typing import Any

from .helpers_mockoon_request import js_text
from .helpers_mockoon_state import RANDOM, server_state
from .registry import Helper
from .request import Root

__all__ = ["COUNT_HELPERS"]


def _count(p: tuple[Any, ...], h: dict[str, Any], r: Root) -> str:
    if p:
        answered = server_state(r).answered
        key = js_text(p[0])
        answered[key] = answered.get(key, 0) + 1
    return ""


def _number(p: tuple[Any, ...], h: dict[str, Any], r: Root) -> int:
    return server_state(r).answered.get(js_text(p[0]), 0) + 1 if p else 1


COUNT_HELPERS = {
    "countRouteRequest": Helper(_count, needs=RANDOM),
    "routeRequestNumber": Helper(_number, needs=RANDOM),
}
