"""WireMock 3.13's admin routes (the read side, journal queries, scenarios) as table rows.

Paths, JSON shapes and status codes follow the real WireMock; where it answers 500 (a
``limit`` that is not a number) we answer 400 in its error shape,
``{"errors": [{"code", "title", ...}]}``. ``POST /__admin/requests/reset`` is WireMock 2's
spelling, kept because python-wiremock still calls it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ..model import SCENARIO_START, Request
from ..outcome import Outcome, Respond
from ..responses import json_response
from .api import Admin

if TYPE_CHECKING:
    from .routes import AdminRoutes

_PARSE_TITLE = "Error parsing JSON"
_ParamRoute = Callable[[Request, Mapping[str, str]], Outcome]


def _json(status: int, body: Any) -> Respond:
    return Respond(json_response(status, body))


def _error(
    status: int, title: str, code: int = 10, pointer: str | None = None, detail: str | None = None
) -> Respond:
    """WireMock's error document."""
    error: dict[str, Any] = {"code": code}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    error["title"] = title
    if detail is not None:
        error["detail"] = detail
    return _json(status, {"errors": [error]})


class BadInput(ValueError):
    """A request to a WireMock route that cannot be read: its answer is ready."""

    def __init__(self, answer: Respond) -> None:
        super().__init__("bad admin input")
        self.answer = answer


def _number(request: Request, name: str) -> int | None:
    raw = request.query.get(name, [""])[0]
    if not raw:
        return None
    if not raw.isdigit():
        raise BadInput(_error(400, f"{raw} is not a whole number", pointer=name))
    return int(raw)


def _since(request: Request) -> float | None:
    raw = request.query.get("since", [""])[0]
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadInput(_error(400, f"{raw} is not a valid ISO8601 date", pointer="since")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _document(request: Request) -> Any:
    """The JSON body, or a 422 as WireMock gives for what it cannot parse."""
    if not request.body.strip():
        detail = "No content to map due to end-of-input"
        raise BadInput(_error(422, _PARSE_TITLE, pointer="/", detail=detail))
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(_json(422, {"errors": [_parse_error(str(exc))]})) from None


def _parse_error(detail: str) -> dict[str, Any]:
    return {"code": 10, "source": {}, "title": _PARSE_TITLE, "detail": detail}


def _pattern(request: Request) -> Mapping[str, Any]:
    document = _document(request)
    if not isinstance(document, Mapping):
        detail = "a request pattern must be a JSON object"
        raise BadInput(_error(422, _PARSE_TITLE, pointer="/", detail=detail))
    return document


def _uuid_id(value: str) -> None:
    """WireMock answers 400 for an id that is not a UUID, before looking it up."""
    try:
        UUID(value)
    except ValueError:
        raise BadInput(_error(400, f"{value} is not a valid UUID")) from None


class WireMockRoutes:
    """The route functions, over one ``Admin``; each turns ``BadInput`` into its answer."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def register(self, routes: AdminRoutes) -> None:
        add, template = routes.add, routes.add_template
        add(("GET",), "/__admin/mappings", self._guard(self.mappings))
        template(("GET",), "/__admin/mappings/{id}", self._guard_params(self.mapping))
        add(("GET",), "/__admin/requests", self._guard(self.requests))
        add(("DELETE",), "/__admin/requests", self._guard(self.clear))
        add(("POST",), "/__admin/requests/reset", self._guard(self.clear))
        add(("POST",), "/__admin/requests/count", self._guard(self.count))
        add(("POST",), "/__admin/requests/find", self._guard(self.find))
        add(("GET",), "/__admin/requests/unmatched", self._guard(self.unmatched))
        template(("GET",), "/__admin/requests/{id}", self._guard_params(self.request))
        add(("GET",), "/__admin/scenarios", self._guard(self.scenarios))
        add(("POST",), "/__admin/scenarios/reset", self._guard(self.reset_scenarios))
        template(("PUT",), "/__admin/scenarios/{name}/state", self._guard_params(self.state))

    @staticmethod
    def _guard(route: Callable[[Request], Outcome]) -> Callable[[Request], Outcome]:
        def guarded(request: Request) -> Outcome:
            try:
                return route(request)
            except BadInput as bad:
                return bad.answer

        return guarded

    @staticmethod
    def _guard_params(route: _ParamRoute) -> _ParamRoute:
        def guarded(request: Request, params: Mapping[str, str]) -> Outcome:
            try:
                return route(request, params)
            except BadInput as bad:
                return bad.answer

        return guarded

    # --- mappings -------------------------------------------------------------------

    def mappings(self, request: Request) -> Outcome:
        limit, offset = _number(request, "limit"), _number(request, "offset") or 0
        return _json(200, self.admin.mappings(limit, offset))

    def mapping(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        found = self.admin.mapping(params["id"])
        if found is None:
            return _error(404, f"No stub mapping with id {params['id']}", code=404)
        return _json(200, found)

    # --- the journal ----------------------------------------------------------------

    def requests(self, request: Request) -> Outcome:
        limit, since = _number(request, "limit"), _since(request)
        unmatched = request.query.get("unmatched", [""])[0].lower() == "true"
        return _json(200, self.admin.serve_events(limit, since, unmatched))

    def request(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        found = self.admin.serve_event(params["id"])
        if found is None:
            return _error(404, f"No request with id {params['id']}", code=404)
        return _json(200, found)

    def clear(self, request: Request) -> Outcome:
        self.admin.clear_logs()
        return _json(200, {})

    def count(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            count = self.admin.count_requests(pattern)
        except ValueError as exc:
            return _pattern_error(exc)
        disabled = self.admin.journal_disabled
        return _json(200, {"count": count, "requestJournalDisabled": disabled})

    def find(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            found = self.admin.find_requests(pattern)
        except ValueError as exc:
            return _pattern_error(exc)
        disabled = self.admin.journal_disabled
        return _json(200, {"requests": found, "requestJournalDisabled": disabled})

    def unmatched(self, request: Request) -> Outcome:
        found = self.admin.unmatched_requests()
        disabled = self.admin.journal_disabled
        return _json(200, {"requests": found, "requestJournalDisabled": disabled})

    # --- scenarios ------------------------------------------------------------------

    def scenarios(self, request: Request) -> Outcome:
        return _json(200, {"scenarios": self.admin.scenarios()})

    def reset_scenarios(self, request: Request) -> Outcome:
        self.admin.reset_scenarios()
        return _json(200, {})

    def state(self, request: Request, params: Mapping[str, str]) -> Outcome:
        if request.body.strip():  # WireMock: no body puts the scenario back to Started
            document = _document(request)
            state = document.get("state") if isinstance(document, Mapping) else None
        else:
            state = SCENARIO_START
        try:
            self.admin.set_scenario_state(params["name"], state if isinstance(state, str) else None)
        except LookupError as exc:
            return _error(404, str(exc), code=404)
        except ValueError as exc:
            return _error(422, str(exc), code=11)
        return _json(200, {})


def _pattern_error(exc: ValueError) -> Outcome:
    """A pattern ``request_pattern`` refused, as WireMock reports one it cannot read."""
    pointer = getattr(exc, "pointer", "") or "/"
    return _error(422, _PARSE_TITLE, pointer=pointer, detail=str(exc))


def add_wiremock_routes(routes: AdminRoutes) -> None:
    """Add WireMock's admin routes to ``routes``, over its ``Admin``."""
    WireMockRoutes(routes.admin).register(routes)
