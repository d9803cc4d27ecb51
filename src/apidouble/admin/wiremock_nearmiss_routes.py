"""WireMock 3.13's near-miss routes as admin table rows.

``POST /__admin/near-misses/request`` (a ``LoggedRequest``: the nearest stubs),
``POST /__admin/near-misses/request-pattern`` (a request pattern: the nearest kept
requests) and ``GET /__admin/requests/unmatched/near-misses``. Bodies that cannot be read
get WireMock's 422 ``Error parsing JSON`` document, with the pointer to blame. The work is
``nearmiss_journal``'s, through the ``Admin`` protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..model import Request
from ..outcome import Outcome
from .wiremock_routes import WireMockRoutes, document_of, json_answer, pattern_error

if TYPE_CHECKING:
    from .routes import AdminRoutes


def add_near_miss_routes(routes: AdminRoutes) -> None:
    """Add the near-miss routes to ``routes``, over its ``Admin``."""
    admin = routes.admin
    guard = WireMockRoutes._guard

    def answer(build: Callable[[Any], dict[str, Any]]) -> Callable[[Request], Outcome]:
        def route(request: Request) -> Outcome:
            document = document_of(request)
            try:
                return json_answer(200, build(document))
            except ValueError as exc:  # MappingError, or a pattern that does not compile
                return pattern_error(exc)

        return guard(route)

    def unmatched(request: Request) -> Outcome:
        return json_answer(200, admin.unmatched_near_misses())

    routes.add(("POST",), "/__admin/near-misses/request", answer(admin.near_misses_for_request))
    routes.add(
        ("POST",), "/__admin/near-misses/request-pattern", answer(admin.near_misses_for_pattern)
    )
    routes.add(("GET",), "/__admin/requests/unmatched/near-misses", unmatched)
