"""``POST /__admin/import`` and the YAML face of the endpoint routes.

The browser has no YAML parser and the UI no build step, so the server reads and writes
YAML for it: a body sent as ``application/yaml`` (or ``text/yaml``) is parsed by the
config loader's own parser (``config.positions``), so a problem keeps its JSON pointer
and also gets the line of the text it points at; ``?format=yaml`` or ``Accept:
application/yaml`` answers YAML.

An import is another tool's file (a WireMock mapping or ``mappings`` list, an OpenAPI
spec, a HAR, a Postman collection) converted as ``apidouble import`` converts it, then
served as runtime stubs: WireMock mappings as mappings (``import_mappings``), the rest
as the native endpoints their importer makes (``import_endpoints``). ``?dry_run=true``
converts and checks the same way and answers what would be served, serving nothing.
A Mockoon environment is refused with the way to serve it: its server-wide settings
(CORS, headers, data buckets, the 404 page) cannot join a running config.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.load import load_data
from ..config.positions import Lines, SyntaxProblem, line_of, parse
from ..errors import ConfigError
from ..importers.mockoon import is_mockoon_environment
from ..importers.wiremock.native import to_yaml
from ..importers.wiremock.problems import MappingError
from ..model import Request
from ..outcome import Outcome, Respond, Response
from ..plugins import PluginError, converted, importer, plugin_import
from ..responses import json_response

if TYPE_CHECKING:
    from .api import Admin
from .layer import ADMIN_SOURCE, wiremock_stub

IMPORT_PATH = "/__admin/import"
YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml")
FORMATS = ("auto", "wiremock", "openapi", "har", "postman")
_YAML_TYPE = "application/yaml; charset=utf-8"


class BadBody(ValueError):
    """A body that does not parse; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line

    def answer(self) -> Respond:
        body: dict[str, Any] = {"error": str(self)}
        if self.line is not None:
            body["line"] = self.line
        return Respond(json_response(400, body))


def is_yaml(request: Request) -> bool:
    """Whether the body is sent as YAML (by its content type)."""
    kind = (request.header("content-type") or "").split(";")[0].strip().lower()
    return kind in YAML_TYPES


def wants_yaml(request: Request) -> bool:
    """Whether the answer should be YAML: ``?format=yaml`` or an ``Accept`` naming YAML."""
    if request.query.get("format", [""])[0].lower() == "yaml":
        return True
    accept = (request.header("accept") or "").lower()
    return any(kind in accept for kind in YAML_TYPES)


def read_body(request: Request, *, yaml_too: bool = False) -> tuple[Any, Lines | None]:
    """The body's data, and its lines when it was YAML (``BadBody`` when it does not
    parse). ``yaml_too`` reads any body that is not JSON as YAML (an uploaded file)."""
    try:
        text = request.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadBody(f"the body is not UTF-8: {exc}") from None
    yaml = is_yaml(request)
    if not yaml and not yaml_too:
        try:
            return json.loads(text), None
        except ValueError as exc:
            raise BadBody(f"the body is not JSON: {exc}") from None
    try:
        parsed = parse(text, as_json=False)
    except SyntaxProblem as exc:
        raise BadBody(f"the body is not {'YAML' if yaml else 'JSON or YAML'}: {exc.message}",
                      exc.line) from None  # fmt: skip
    return parsed.data, parsed.lines


def problems(error: ConfigError, lines: Lines | None, under: str = "") -> list[dict[str, Any]]:
    """The problems as the API answers them; with ``lines`` (a YAML body), each with the
    line its pointer names (``under``: the pointer's part the body does not have)."""
    found = []
    for p in error.problems:
        item: dict[str, Any] = {"message": p.message, "pointer": p.pointer, "stub": p.stub}
        if lines is not None and p.pointer is not None:
            inside = p.pointer[len(under) :] if p.pointer.startswith(under) else p.pointer
            line = line_of(lines, inside)
            if line is not None:
                item["line"] = line
        found.append(item)
    return found


def answer(request: Request, status: int, body: Any) -> Respond:
    """``body`` as JSON, or as YAML when the request asks for it."""
    if wants_yaml(request) and isinstance(body, Mapping):
        text = to_yaml(body).encode()
        return Respond(Response.build(status, [("content-type", _YAML_TYPE)], text))
    return Respond(json_response(status, body))


def _wiremock(data: Any) -> list[Any] | None:
    """The mappings of a WireMock file (one mapping or ``{"mappings": [...]}``), or None."""
    if isinstance(data, Mapping):
        if isinstance(data.get("mappings"), list):
            return list(data["mappings"])
        if isinstance(data.get("request"), Mapping) and "response" in data:
            return [data]
    return None


MOCKOON_REFUSED = (
    "a Mockoon environment is served whole (apidouble run ENV.json) or converted"
    " (apidouble import mockoon ENV.json): its server-wide settings cannot join a running"
    " config"
)


def dry_run(request: Request) -> bool:
    """``?dry_run=true`` (or 1, yes): convert and check, serve nothing."""
    return request.query.get("dry_run", [""])[0].lower() in ("1", "true", "yes")


class ImportRoute:
    """``POST /__admin/import?format=auto|wiremock|openapi|har|postman[&dry_run=true]``."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    async def __call__(self, request: Request) -> Outcome:
        kind = request.query.get("format", ["auto"])[0].lower() or "auto"
        if kind not in FORMATS:
            return _fail(400, f"format must be one of {', '.join(FORMATS)}")
        try:
            data, _lines = read_body(request, yaml_too=True)
        except BadBody as exc:
            return exc.answer()
        if kind == "auto" and is_mockoon_environment(data):
            return _fail(422, MOCKOON_REFUSED)
        mappings = _wiremock(data) if kind in ("auto", "wiremock") else None
        checking = dry_run(request)
        try:
            if mappings is not None:
                return _checked_mappings(mappings) if checking else await self._mappings(mappings)
            if kind == "wiremock":
                return _fail(422, "not a WireMock mapping or a JSON with 'mappings'")
            document = _convert(kind, data)
            if document is None:
                return _fail(422, "not a WireMock, OpenAPI, HAR or Postman file")
            if checking:
                loaded = load_data({"endpoints": document["endpoints"]}, source=ADMIN_SOURCE)
                return _would(kind, [stub.id for stub in loaded.stubs], document["endpoints"])
            ids = await self.admin.import_endpoints(document["endpoints"])
        except ConfigError as exc:
            body = {"error": "invalid import", "problems": problems(exc, None)}
            return Respond(json_response(422, body))
        except PluginError as exc:
            return _fail(422, str(exc))
        except OSError as exc:
            return _fail(500, f"the stubs could not be written to disk: {exc}")
        return Respond(json_response(201, {"imported": len(ids), "ids": ids}))

    async def _mappings(self, mappings: list[Any]) -> Outcome:
        named = [_named(mapping) for mapping in mappings]
        try:
            await self.admin.import_mappings(named)
        except MappingError as exc:
            problem = {"message": exc.message, "pointer": exc.pointer, "stub": None}
            body = {"error": "invalid mapping", "problems": [problem]}
            return Respond(json_response(422, body))
        ids = [str(mapping["id"]) for mapping in named]
        return Respond(json_response(201, {"imported": len(ids), "ids": ids}))


def _would(kind: str, ids: list[str], documents: list[Any]) -> Respond:
    """A dry run's answer: what the import would serve, and its ids."""
    body = {"dry_run": True, "format": kind, "would_import": len(ids), "ids": ids,
            "stubs": documents}  # fmt: skip
    return Respond(json_response(200, body))


def _checked_mappings(mappings: list[Any]) -> Respond:
    """A dry run of WireMock mappings: each read as an import reads it (``__files`` and
    templating aside: those are checked when it is served)."""
    named = [_named(mapping) for mapping in mappings]
    for index, mapping in enumerate(named):
        try:
            wiremock_stub(mapping)
        except MappingError as exc:
            error = exc.under("mappings", index)
            problem = {"message": error.message, "pointer": error.pointer, "stub": None}
            return Respond(json_response(422, {"error": "invalid mapping", "problems": [problem]}))
    return _would("wiremock", [str(mapping["id"]) for mapping in named], named)


def _named(mapping: Any) -> Any:
    """A mapping with its id (a new UUID when it has none, as WireMock gives it), so the
    answer can name it; anything else is left for the import to refuse."""
    if not isinstance(mapping, Mapping):
        return mapping
    given = mapping.get("id") or mapping.get("uuid")
    if not isinstance(given, str):
        return {**mapping, "id": str(uuid.uuid4())} if given is None else mapping
    try:
        return {**mapping, "id": str(uuid.UUID(given))}
    except ValueError:
        return {**mapping, "id": given}


def _convert(kind: str, data: Any) -> dict[str, Any] | None:
    """The native document an importer makes of ``data`` (``auto``: the one that claims
    it), or None when none does."""
    path = Path(f"upload.{kind}.json")
    if kind == "auto":
        found = plugin_import(data, path)
        return None if found is None else found[0]
    plugin = importer(kind)
    if plugin is None or not plugin.detect(data, path):
        return None
    return converted(kind, plugin, data, path)


def _fail(status: int, message: str) -> Respond:
    return Respond(json_response(status, {"error": message}))
