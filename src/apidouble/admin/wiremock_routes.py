"""WireMock 3.13's admin routes (the read side, journal queries, scenarios) as table rows.

Paths, JSON shapes and status codes follow the real WireMock; where it answers 500 (a
``limit`` that is not a number) we answer 400 in its error shape,
``{"errors": [{"code", "title", ...}]}``. ``POST /__admin/requests/reset`` is WireMock 2's
spelling, kept because python-wiremock still calls it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from .._version import VERSION
from ..errors import ConfigError
from ..har_export import har_document
from ..importers.wiremock.problems import MappingError
from ..model import SCENARIO_START, Request
from ..outcome import Outcome, Respond, Response
from ..responses import json_response
from .api import Admin
from .persist import UnsafeId
from .wiremock_writes import DuplicateId

if TYPE_CHECKING:
    from .routes import AdminRoutes

_PARSE_TITLE = "Error parsing JSON"
WIREMOCK_VERSION = "wiremock 3.13"
"""The WireMock admin API these routes answer as."""
_ParamRoute = Callable[[Request, Mapping[str, str]], Outcome]


def json_answer(status: int, body: Any) -> Respond:
    return Respond(json_response(status, body))


def _empty(status: int) -> Respond:
    """WireMock's bodiless answers (a 404 for an unknown mapping, a 200 for save)."""
    return Respond(Response.build(status, [], b""))


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
    return json_answer(status, {"errors": [error]})


class BadInput(ValueError):
    """A request to a WireMock route that cannot be read: its answer is ready."""

    def __init__(self, answer: Respond) -> None:
        super().__init__("bad admin input")
        self.answer = answer


def _number(request: Request, name: str) -> int | None:
    raw = request.query.get(name, [""])[0]
    if not raw:
        return None
    number = whole_number(raw)
    if number is None:
        raise BadInput(_error(400, f"{raw} is not a whole number", pointer=name))
    return number


def whole_number(raw: str) -> int | None:
    """``raw`` as a count (ASCII digits, at most ``sys.maxsize``), or None."""
    if not (raw.isascii() and raw.isdigit()):
        return None  # "²" is a digit to ``isdigit`` and not to ``int``
    number = int(raw)
    return number if number <= sys.maxsize else None


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


def document_of(request: Request) -> Any:
    """The JSON body, or a 422 as WireMock gives for what it cannot parse."""
    if not request.body.strip():
        detail = "No content to map due to end-of-input"
        raise BadInput(_error(422, _PARSE_TITLE, pointer="/", detail=detail))
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(json_answer(422, {"errors": [_parse_error(str(exc))]})) from None


def _parse_error(detail: str) -> dict[str, Any]:
    return {"code": 10, "source": {}, "title": _PARSE_TITLE, "detail": detail}


def _pattern(request: Request) -> Mapping[str, Any]:
    document = document_of(request)
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
        add(("POST",), "/__admin/mappings", self._write(self.create))
        add(("DELETE",), "/__admin/mappings", self._write(self.delete_all))
        add(("POST",), "/__admin/mappings/reset", self._write(self.reset_mappings))
        add(("POST",), "/__admin/mappings/save", self._write(self.save))
        add(("POST",), "/__admin/mappings/import", self._write(self.import_))
        add(("POST",), "/__admin/mappings/find-by-metadata", self._guard(self.by_metadata))
        add(("POST",), "/__admin/mappings/remove-by-metadata", self._write(self.remove_by_metadata))
        add(("GET",), "/__admin/mappings/unmatched", self._guard(self.unmatched_mappings))
        add(("DELETE",), "/__admin/mappings/unmatched", self._write(self.delete_unmatched))
        template(("GET",), "/__admin/mappings/{id}", self._guard_params(self.mapping))
        template(("PUT",), "/__admin/mappings/{id}", self._write_params(self.replace))
        template(("DELETE",), "/__admin/mappings/{id}", self._write_params(self.delete))
        add(("GET",), "/__admin/requests", self._guard(self.requests))
        add(("DELETE",), "/__admin/requests", self._guard(self.clear))
        add(("POST",), "/__admin/requests/reset", self._guard(self.clear))
        add(("POST",), "/__admin/requests/count", self._guard(self.count))
        add(("POST",), "/__admin/requests/find", self._guard(self.find))
        add(("GET",), "/__admin/requests/unmatched", self._guard(self.unmatched))
        add(("POST",), "/__admin/requests/remove", self._guard(self.remove))
        template(("GET",), "/__admin/requests/{id}", self._guard_params(self.request))
        template(("DELETE",), "/__admin/requests/{id}", self._guard_params(self.remove_one))
        add(("GET",), "/__admin/settings", self._guard(self.settings))
        add(("POST", "PUT"), "/__admin/settings", self._write(self.set_settings))
        add(("PATCH",), "/__admin/settings/extended", self._write(self.extend_settings))
        add(("GET",), "/__admin/version", self._guard(self.version))
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

    @staticmethod
    def _write(
        route: Callable[[Request], Awaitable[Outcome]],
    ) -> Callable[[Request], Awaitable[Outcome]]:
        async def guarded(request: Request) -> Outcome:
            try:
                return await route(request)
            except BadInput as bad:
                return bad.answer
            except ConfigError as exc:  # compiling refused it: nothing changed
                return config_error(exc)
            except UnsafeId as exc:  # an id no file can be named after (made from Python)
                return _error(422, _PARSE_TITLE, pointer="/id", detail=str(exc))
            except OSError as exc:  # not persisted: nothing changed
                return _error(500, "the stub could not be written to disk", detail=str(exc))

        return guarded

    @staticmethod
    def _write_params(
        route: Callable[[Request, Mapping[str, str]], Awaitable[Outcome]],
    ) -> Callable[[Request, Mapping[str, str]], Awaitable[Outcome]]:
        async def guarded(request: Request, params: Mapping[str, str]) -> Outcome:
            try:
                return await route(request, params)
            except BadInput as bad:
                return bad.answer
            except ConfigError as exc:
                return config_error(exc)
            except UnsafeId as exc:
                return _error(422, _PARSE_TITLE, pointer="/id", detail=str(exc))
            except OSError as exc:
                return _error(500, "the stub could not be written to disk", detail=str(exc))

        return guarded

    # --- mappings -------------------------------------------------------------------

    def mappings(self, request: Request) -> Outcome:
        limit, offset = _number(request, "limit"), _number(request, "offset") or 0
        return json_answer(200, self.admin.mappings(limit, offset))

    def mapping(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        found = self.admin.mapping(params["id"])
        if found is None:
            return _error(404, f"No stub mapping with id {params['id']}", code=404)
        return json_answer(200, found)

    async def create(self, request: Request) -> Outcome:
        document = document_of(request)
        try:
            created = await self.admin.create_mapping(document)
        except MappingError as exc:
            return pattern_error(exc)
        except DuplicateId as exc:
            return _error(422, "Duplicate stub mapping ID", code=109, detail=str(exc))
        return json_answer(201, created)

    async def replace(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        document = document_of(request)
        try:
            replaced = await self.admin.replace_mapping(params["id"], document)
        except MappingError as exc:
            return pattern_error(exc)
        if replaced is None:
            return _empty(404)
        return json_answer(200, replaced)

    async def delete(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        if not await self.admin.delete_mapping(params["id"]):
            return _empty(404)
        return json_answer(200, {})

    async def delete_all(self, request: Request) -> Outcome:
        await self.admin.delete_mappings()
        return json_answer(200, {})

    async def reset_mappings(self, request: Request) -> Outcome:
        await self.admin.reset_mappings()
        return _empty(200)

    async def save(self, request: Request) -> Outcome:
        await self.admin.save_mappings()
        return _empty(200)

    async def import_(self, request: Request) -> Outcome:
        document = document_of(request)
        mappings = document.get("mappings") if isinstance(document, Mapping) else None
        if not isinstance(mappings, list):
            detail = "an import is an object with a 'mappings' list"
            raise BadInput(_error(422, _PARSE_TITLE, pointer="/mappings", detail=detail))
        options = document.get("importOptions") or {}
        if not isinstance(options, Mapping):
            options = {}
        policy = str(options.get("duplicatePolicy", "OVERWRITE")).upper()
        if policy not in ("OVERWRITE", "IGNORE"):
            detail = f"duplicatePolicy must be OVERWRITE or IGNORE, not {policy}"
            raise BadInput(_error(422, _PARSE_TITLE, pointer="/importOptions", detail=detail))
        delete_others = options.get("deleteAllNotInImport") is True
        try:
            await self.admin.import_mappings(mappings, policy == "OVERWRITE", delete_others)
        except MappingError as exc:
            return pattern_error(exc)
        return _empty(200)

    def by_metadata(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            found = self.admin.mappings_by_metadata(pattern)
        except ValueError as exc:
            return pattern_error(exc)
        return json_answer(200, {"mappings": found, "meta": {"total": len(found)}})

    async def remove_by_metadata(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            await self.admin.remove_mappings_by_metadata(pattern)
        except ValueError as exc:
            return pattern_error(exc)
        return json_answer(200, {})

    def unmatched_mappings(self, request: Request) -> Outcome:
        found = self.admin.unmatched_mappings()
        return json_answer(200, {"mappings": found, "meta": {"total": len(found)}})

    async def delete_unmatched(self, request: Request) -> Outcome:
        await self.admin.delete_unmatched_mappings()
        return json_answer(200, {})

    # --- settings and version -------------------------------------------------------

    def settings(self, request: Request) -> Outcome:
        return json_answer(200, self.admin.settings())

    async def set_settings(self, request: Request) -> Outcome:
        try:
            return json_answer(200, await self.admin.set_settings(document_of(request)))
        except MappingError as exc:
            return pattern_error(exc)

    async def extend_settings(self, request: Request) -> Outcome:
        try:
            return json_answer(200, await self.admin.extend_settings(document_of(request)))
        except MappingError as exc:
            return pattern_error(exc)

    def version(self, request: Request) -> Outcome:
        return json_answer(200, {"version": VERSION, "compatibility": WIREMOCK_VERSION})

    # --- the journal ----------------------------------------------------------------

    def requests(self, request: Request) -> Outcome:
        limit, since = _number(request, "limit"), _since(request)
        if request.query.get("format", [""])[0] == "har":
            return json_answer(200, har_document(self.admin.logs(limit)["logs"]))
        unmatched = request.query.get("unmatched", [""])[0].lower() == "true"
        stub = request.query.get("matchingStub", [""])[0] or None
        if stub is not None:
            try:
                UUID(stub)
            except ValueError:
                title = f"Query parameter matchingStub value '{stub}' is not a valid UUID"
                raise BadInput(_error(400, title, code=15)) from None
        return json_answer(200, self.admin.serve_events(limit, since, unmatched, stub))

    def remove(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            removed = self.admin.remove_requests(pattern)
        except ValueError as exc:
            return pattern_error(exc)
        return json_answer(200, {"serveEvents": removed})

    def remove_one(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        self.admin.remove_request(params["id"])  # WireMock answers 200 either way
        return json_answer(200, {})

    def request(self, request: Request, params: Mapping[str, str]) -> Outcome:
        _uuid_id(params["id"])
        found = self.admin.serve_event(params["id"])
        if found is None:
            return _error(404, f"No request with id {params['id']}", code=404)
        return json_answer(200, found)

    def clear(self, request: Request) -> Outcome:
        self.admin.clear_logs()
        return json_answer(200, {})

    def count(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            count = self.admin.count_requests(pattern)
        except ValueError as exc:
            return pattern_error(exc)
        disabled = self.admin.journal_disabled
        return json_answer(200, {"count": count, "requestJournalDisabled": disabled})

    def find(self, request: Request) -> Outcome:
        pattern = _pattern(request)
        try:
            found = self.admin.find_requests(pattern)
        except ValueError as exc:
            return pattern_error(exc)
        disabled = self.admin.journal_disabled
        return json_answer(200, {"requests": found, "requestJournalDisabled": disabled})

    def unmatched(self, request: Request) -> Outcome:
        found = self.admin.unmatched_requests()
        disabled = self.admin.journal_disabled
        return json_answer(200, {"requests": found, "requestJournalDisabled": disabled})

    # --- scenarios ------------------------------------------------------------------

    def scenarios(self, request: Request) -> Outcome:
        return json_answer(200, {"scenarios": self.admin.scenarios()})

    def reset_scenarios(self, request: Request) -> Outcome:
        self.admin.reset_scenarios()
        return json_answer(200, {})

    def state(self, request: Request, params: Mapping[str, str]) -> Outcome:
        if request.body.strip():  # WireMock: no body puts the scenario back to Started
            document = document_of(request)
            state = document.get("state") if isinstance(document, Mapping) else None
        else:
            state = SCENARIO_START
        try:
            self.admin.set_scenario_state(params["name"], state if isinstance(state, str) else None)
        except LookupError as exc:
            return _error(404, str(exc), code=404)
        except ValueError as exc:
            return _error(422, str(exc), code=11)
        return json_answer(200, {})


def config_error(error: ConfigError) -> Outcome:
    """A stub the compiler refused (a pattern or a delay it cannot use), as WireMock
    reports a mapping it cannot read."""
    problem = error.problems[0]
    return _error(422, _PARSE_TITLE, pointer=problem.pointer or "/", detail=problem.message)


def pattern_error(exc: ValueError) -> Outcome:
    """A pattern ``request_pattern`` refused, as WireMock reports one it cannot read."""
    pointer = getattr(exc, "pointer", "") or "/"
    return _error(422, _PARSE_TITLE, pointer=pointer, detail=str(exc))


def add_wiremock_routes(routes: AdminRoutes) -> None:
    """Add WireMock's admin routes to ``routes``, over its ``Admin``."""
    WireMockRoutes(routes.admin).register(routes)
