"""Load time, one document: parse -> substitute -> validate -> convert into ``Stub``s.

Problems are collected, never raised: each says file, line, JSON pointer and endpoint,
and a mistake in one endpoint does not hide those of the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from apidouble.addons.loading import AddonSpec
from apidouble.addons.webhooks import CallbackSpec, parse_callbacks
from apidouble.auth.requirement import Requirement
from apidouble.auth.settings import IssuerSettings
from apidouble.behaviours.cors import CorsPolicy
from apidouble.behaviours.faults import FaultSpec
from apidouble.behaviours.keys import compile_key
from apidouble.behaviours.latency import LatencyModel
from apidouble.behaviours.ratelimit import RateLimiter
from apidouble.behaviours.spec import NO_BEHAVIOURS, build_behaviours
from apidouble.config.auth import read_issuers, read_requirement
from apidouble.config.cache import spec_files
from apidouble.config.convert import (
    behaviour_key,
    file_text,
    header_lines,
    jinja_parts,
    plain,
    request_pattern,
    server_settings,
    stub_label,
)
from apidouble.config.envsubst import substitute
from apidouble.config.grpc import GrpcSection
from apidouble.config.ids import IdConflict, Place, StubIds
from apidouble.config.positions import (
    SyntaxProblem,
    child,
    line_of,
    parse,
    pointer,
    pointer_along,
)
from apidouble.config.resources import ResourceSet, looks_like_resources, read_resources
from apidouble.config.schema import (
    AddonEntry,
    ConfigFile,
    Endpoint,
    FakerConfig,
    LatencyConfig,
    OpenApiEntry,
    Proxy,
    ResponseItem,
    ResponseKeys,
    unknown_key_message,
)
from apidouble.config.templates import template_problems
from apidouble.errors import ConfigError, ConfigProblem
from apidouble.model import Latency, ProxySpec, ResponseSpec, Scenario, Source, Stub, Templating
from apidouble.realtime.ws_rules import compile_websocket
from apidouble.templating import TemplateEnvironment
from apidouble.templating.compile import is_template
from apidouble.templating.data import read_data_file
from apidouble.templating.files import (
    candidate_folder,
    check_name,
    is_file_at,
    is_folder_at,
    resolve_response_file,
    resolved,
    shown_name,
)

if TYPE_CHECKING:
    from apidouble.grpc.stubs import GrpcConfig

WIREMOCK_PRIORITY = 5
_SECTIONS = ("endpoints", "websockets", "graphql", "llm")
"""The top-level lists whose items are stubs (a problem there names its stub)."""


@dataclass(frozen=True, slots=True)
class SpecSource:
    """An OpenAPI spec to serve: its file and the entry's settings (None: the run flags
    decide). The spec itself is read when the config is composed (``compose``)."""

    path: Path
    dynamic: bool | None = None
    errors: bool | None = None
    cors: bool | None = None
    validate: bool | None = None


"""An endpoint's priority under ``compat: wiremock`` when it gives none (WireMock's)."""


@dataclass
class Document:
    """One document through parse -> substitute -> validate -> convert.

    ``id_key`` names the document in content-made stub ids (its absolute path, or the
    in-memory source); ``ids`` is shared by every document of one config.
    """

    display: str
    folder: Path
    id_key: str
    problems: list[ConfigProblem]
    ids: StubIds = field(default_factory=StubIds)
    data: Any = None
    raw: Any = None
    """The document as written, before ``${VAR}`` substitution (content ids hash this)."""
    lines: dict[str, int] = field(default_factory=dict)
    seed: int | None = None
    faker: FakerConfig | None = None
    datasets: dict[str, Any] = field(default_factory=dict)
    data_files: list[Path] = field(default_factory=list)
    skip: set[str] = field(default_factory=set)
    server: dict[str, Any] = field(default_factory=dict)
    default_latency: Latency | None = None
    compat: str | None = None
    """``wiremock``: the file's endpoints select and answer as WireMock's do."""
    file_roots: list[Path] = field(default_factory=list)
    """``document_root``: the folder unmatched GETs are served from."""
    addons: list[AddonSpec] = field(default_factory=list)
    """The top-level ``addons``, located for error messages."""
    resources: ResourceSet | None = None
    """The top-level ``resources``: their rows, read at load time."""
    specs: list[SpecSource] = field(default_factory=list)
    """The top-level ``openapi`` specs, located."""
    spec_reads: list[Path] = field(default_factory=list)
    """The files those specs read (each spec and its ``$ref`` targets), also in
    ``data_files`` (stamped and watched)."""
    issuers: dict[str, IssuerSettings] = field(default_factory=dict)
    """The top-level ``auth.issuers``, parsed (key files resolved)."""
    auth_require: Requirement | None = None
    """The top-level ``auth.require``: every endpoint's requirement unless it says ``auth``."""
    grpc: GrpcConfig | None = None
    """The top-level ``grpc`` section, compiled (protos read, stubs checked)."""
    plain: Any = None
    """The data as ``read`` parsed it, when its text holds no ``${`` (nothing to
    substitute, so ``load`` need not walk it); None otherwise."""

    def problem(self, message: str, ptr: str = "", line: int | None = None) -> None:
        label = None
        parts = ptr.split("/")
        if len(parts) > 2 and parts[1] in _SECTIONS and parts[2].isdigit():
            endpoints = self.data.get(parts[1]) if isinstance(self.data, dict) else None
            if isinstance(endpoints, list) and int(parts[2]) < len(endpoints):
                label = stub_label(endpoints[int(parts[2])])
        line = line if line is not None else line_of(self.lines, ptr)
        self.problems.append(ConfigProblem(self.display, message, line, ptr, label))

    def read(self, path: Path, text: str | None = None) -> bool:
        """Read (unless ``text`` was read already) and parse ``path``; False (with a
        problem) when that is impossible."""
        try:
            if text is None:
                text = path.read_text(encoding="utf-8-sig")
            parsed = parse(text, as_json=path.suffix.lower() == ".json")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(f"cannot read the file: {exc}")
            return False
        except SyntaxProblem as exc:
            self.problem(exc.message, line=exc.line)
            return False
        self.data, self.lines = parsed.data, parsed.lines
        self.plain = parsed.data if "${" not in text else None
        return True

    def load(self, environ: Mapping[str, str] | None, first_order: int = 0) -> list[Stub]:
        self.raw = self.data
        if environ is not None and (self.plain is None or self.plain is not self.data):
            self.data, unset = substitute(self.data, environ)
            for var in unset:
                self.skip.add(var.pointer)
                hint = f"set it, or give a default: ${{{var.name}:-default}}"
                self.problem(f"environment variable {var.name} is not set ({hint})", var.pointer)
        stubs: list[Stub] = []
        for section, index, endpoint in self._validate():
            stub = self._convert(index, endpoint, first_order + len(stubs), section)
            if stub is not None:
                stubs.append(stub)
        return stubs

    # --- validate ----------------------------------------------------------------------

    def _validate(self) -> list[tuple[str, int, Endpoint]]:
        """Validate the top level and each endpoint on its own, so all errors show up."""
        data = self.data
        if data is None:
            self.problem("the file is empty; expected a mapping with an 'endpoints' list")
            return []
        if isinstance(data, dict) and "endpoints" not in data:
            if looks_like_resources(data) or any(
                k in data for k in ("openapi", "websockets", "auth", "graphql", "grpc", "llm")
            ):
                data = {
                    **data,
                    "endpoints": [],
                }  # a file of resources, specs, sockets, issuers or graphql only
        if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
            self._check(ConfigFile, data, ())
            return []
        top = self._check(ConfigFile, {**data, "endpoints": []}, ())
        if isinstance(top, ConfigFile):
            self.seed, self.faker, self.compat = top.seed, top.faker, top.compat
            self.server = server_settings(top)
            self._check_server(self.server)
            if top.defaults is not None:
                where = "/defaults/latency"
                latency = self._latency(top.defaults.latency_ms, top.defaults.latency, where)
                self.default_latency = latency
            self._read_data(top.data)
            if top.document_root is not None:
                self._document_root(top.document_root)
            self._read_addons(top.addons)
            if top.resources:
                self._read_resources(top)
            if top.openapi is not None:
                self._read_specs(top.openapi)
            if top.auth is not None:
                self.issuers, self.auth_require, problems = read_issuers(top.auth, self.folder)
                for where, message in problems:
                    self.problem(message, where)
            if top.grpc is not None:
                self._read_grpc(top.grpc)
        valid = []
        for index, raw in enumerate(data["endpoints"]):
            endpoint = self._check(Endpoint, raw, ("endpoints", index))
            if isinstance(endpoint, Endpoint):
                valid.append(("endpoints", index, endpoint))
            else:  # its templates are checked all the same, for one round of fixes
                self._check_templates(index)
        if isinstance(top, ConfigFile):
            valid.extend(("websockets", i, e.endpoint()) for i, e in enumerate(top.websockets))
            for index, entry in enumerate(top.graphql):
                endpoint = self._check(Endpoint, entry.endpoint(), ("graphql", index))
                if isinstance(endpoint, Endpoint):
                    valid.append(("graphql", index, endpoint))
            for index, preset in enumerate(top.llm):
                for route in preset.endpoints():
                    endpoint = self._check(Endpoint, route, ("llm", index))
                    if isinstance(endpoint, Endpoint):
                        valid.append(("llm", index, endpoint))
        return valid

    def _check_server(self, settings: Mapping[str, Any]) -> None:
        """Semantic checks of the server-wide behaviours, located at their keys."""
        checks: dict[str, Callable[[Any], object]] = {
            "cors": CorsPolicy.from_config,
            "rate_limit": RateLimiter.from_config,
            "state_key": compile_key,
        }
        for key, check in checks.items():
            if key in settings:
                try:
                    check(settings[key])
                except ValueError as exc:
                    self.problem(str(exc), f"/{key}")

    def _read_data(self, files: Mapping[str, str]) -> None:
        """Load time: read and parse every ``data:`` file (confined to the folder)."""
        for name, relative in files.items():
            try:
                path, self.datasets[name] = read_data_file(self.folder, relative)
            except ValueError as exc:
                self.problem(str(exc), child("/data", name))
            else:
                self.data_files.append(path)

    def _read_resources(self, top: ConfigFile) -> None:
        found, problems = read_resources(self.folder, top.resources, top.seed, top.faker)
        for ptr, message in problems:
            self.problem(message, ptr)
        self.resources = found
        self.data_files.extend(found.files)

    def _read_specs(self, given: str | Sequence[str | OpenApiEntry]) -> None:
        """Locate the ``openapi`` specs (relative to this file) and watch their files."""
        entries = [given] if isinstance(given, str) else list(given)
        for index, entry in enumerate(entries):
            where = "/openapi" if isinstance(given, str) else f"/openapi/{index}"
            source = (
                SpecSource(self.folder / entry)
                if isinstance(entry, str)
                else SpecSource(
                    self.folder / entry.spec,
                    entry.dynamic,
                    entry.errors,
                    entry.cors,
                    entry.validate_,
                )
            )
            try:
                check_name(
                    source.path,
                    "openapi: spec file",
                    str(entry if isinstance(entry, str) else entry.spec),
                )
            except ValueError as exc:
                self.problem(str(exc), where)
                continue
            if not is_file_at(source.path):
                self.problem(f"openapi: no spec file {source.path}", where)
                continue
            self.specs.append(source)
            reads = spec_files(source.path)
            self.spec_reads.extend(reads)
            self.data_files.extend(reads)

    def _read_addons(self, entries: Sequence[str | AddonEntry]) -> None:
        for index, entry in enumerate(entries):
            self.addons.append(
                AddonEntry.spec_of(entry, self.folder, self.display, self.lines, index)
            )

    def _document_root(self, relative: str) -> None:
        root = self.folder.resolve()
        try:
            folder = resolved(root, relative, "document_root")
        except ValueError as exc:
            self.problem(str(exc), "/document_root")
            return
        shown = shown_name(relative)
        if Path(relative).is_absolute() or not folder.is_relative_to(root):
            self.problem(f"document_root {shown} leads outside {root}", "/document_root")
        elif not is_folder_at(folder):
            self.problem(f"document_root {shown}: no folder {folder}", "/document_root")
        else:
            self.file_roots.append(folder)

    def _check(self, model: type[BaseModel], raw: Any, prefix: tuple[str | int, ...]) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                ptr = pointer_along(self.data, (*prefix, *error["loc"]))
                if ptr not in self.skip or error["type"] == "extra_forbidden":
                    self.problem(_message(error, model), ptr)
            return None

    # --- convert -----------------------------------------------------------------------

    def _convert(
        self, index: int, ep: Endpoint, order: int, section: str = "endpoints"
    ) -> Stub | None:
        ptr = pointer(section, index)
        before = len(self.problems)
        wiremock = self.compat == "wiremock"
        faults = [(ep.fault, "fault")]
        if ep.failure is not None:
            faults.append((ep.failure.fault, "failure/fault"))
        for fault, where in faults:
            if fault is not None:
                try:
                    FaultSpec.from_config(fault)
                except ValueError as exc:
                    self.problem(str(exc), f"{ptr}/{where}")
        latency = self._latency(ep.latency_ms, ep.latency, f"{ptr}/latency")
        if ep.latency_ms is None and ep.latency is None:
            latency = self.default_latency
        if ep.responses is None:
            responses = [self._response(ep, ptr)]
        else:
            responses = [
                self._response(item, child(f"{ptr}/responses", i), defaults=ep)
                for i, item in enumerate(ep.responses)
            ]
        failure = self._response(ep.failure, f"{ptr}/failure") if ep.failure else None
        trouble = _trouble(ep)
        behaviours = NO_BEHAVIOURS
        try:
            if len(self.problems) == before:  # else the same mistake may be reported twice
                behaviours = build_behaviours(trouble)
        except ValueError as exc:
            key = behaviour_key(exc, {**trouble, "failure": None})
            self.problem(str(exc), child(ptr, key) if key else ptr)
        requirement, problem = read_requirement(ep.auth, self.folder, "auth")
        if problem is not None:
            self.problem(problem[1], ptr + problem[0])
        elif requirement is not None:
            config = {**behaviours.config, "auth": ep.auth}
            behaviours = replace(behaviours, auth=requirement, config=config)
        callbacks: tuple[CallbackSpec, ...] = ()
        try:
            callbacks = parse_callbacks(ep.callbacks)
        except ValueError as exc:
            self.problem(str(exc), f"{ptr}/callbacks")
        stub_id = self._id(index, ep, ptr, section)
        if section == "endpoints":
            self._check_templates(index)
        if ep.websocket is not None:
            self._check_websocket(ep, ptr if section == "websockets" else child(ptr, "websocket"))
        if len(self.problems) > before or stub_id is None:
            return None
        return Stub(
            id=stub_id,
            pattern=request_pattern(ep),
            responses=tuple(r for r in responses if r is not None),
            name=ep.name,
            priority=ep.priority if ep.priority is not None or not wiremock else WIREMOCK_PRIORITY,
            response_mode=ep.mode or "sequence",
            latency=latency,
            failure_rate=ep.failure_rate,
            failure=failure,
            validate_schema=ep.validate_.schema_ if ep.validate_ else None,
            source=Source(self.display, line_of(self.lines, ptr), ptr),
            order=order,
            behaviours=behaviours,
            ordering="insertion" if wiremock else "specific",
            scenario=Scenario(ep.scenario.name, ep.scenario.when, ep.scenario.then)
            if ep.scenario is not None
            else None,
            addons=tuple(ep.addons or ()),
            callbacks=callbacks,
        )

    def _check_websocket(self, ep: Endpoint, ptr: str) -> None:
        """Compile the conversation now, so a mistake is reported at its own key."""
        assert ep.websocket is not None
        try:
            compile_websocket(ep.websocket.entry(ep.path or "/"), TemplateEnvironment())
        except ValueError as exc:
            place, colon, message = str(exc).partition(": ")
            if colon and place and " " not in place:
                self.problem(message, f"{ptr}/{place}")
            else:
                self.problem(str(exc), ptr)

    def _id(self, index: int, ep: Endpoint, ptr: str, section: str = "endpoints") -> str | None:
        """The stub's stable id (see ``ids``); None, with a problem, when it is taken."""
        endpoints = self.raw.get(section) if isinstance(self.raw, dict) else None
        raw = endpoints[index] if isinstance(endpoints, list) and index < len(endpoints) else None
        key = "id" if ep.id is not None else "name" if ep.name is not None else ""
        where = child(ptr, key) if key else ptr
        place = Place(self.display, line_of(self.lines, where), where)
        try:
            return self.ids.assign(ep, raw, self.id_key, place)
        except IdConflict as exc:
            self.problem(str(exc), child(ptr, exc.key))
            return None
        except RecursionError:  # an id from content walks it: hostile nesting stops there
            self.problem("the endpoint is nested too deeply to read; give it an id", ptr)
            return None

    def _check_templates(self, index: int) -> None:
        """Every Jinja template of endpoint ``index``, at its own key (see ``templates``);
        a key that already has a problem (a status that is no template at all) is not
        reported twice. Responses templated otherwise (or not at all) are left out."""
        endpoints = self.data.get("endpoints") if isinstance(self.data, dict) else None
        if not isinstance(endpoints, list) or index >= len(endpoints):
            return
        raw = jinja_parts(endpoints[index], self._default_templating())
        reported = {p.pointer for p in self.problems if p.file == self.display}
        for where, message in template_problems(raw, pointer("endpoints", index)):
            if where not in reported:
                self.problem(message, where)

    def _latency(self, ms: float | None, spec: LatencyConfig | None, where: str) -> Latency | None:
        """Validate a latency (``latency_ms`` or ``latency: {...}``) into the model's form."""
        if ms is not None:
            return Latency("fixed", {"ms": ms})
        if spec is None:
            return None
        try:
            return LatencyModel.from_config(spec.model_dump(exclude_none=True)).to_latency()
        except ValueError as exc:
            self.problem(str(exc), where)
            return None

    def _response(
        self, keys: ResponseKeys, ptr: str, defaults: ResponseKeys | None = None
    ) -> ResponseSpec | None:
        """A response object (with the endpoint's status/headers as defaults) -> ResponseSpec."""
        base = defaults or keys
        status = keys.status if "status" in keys.model_fields_set or not defaults else base.status
        headers = {name.lower(): header_lines(name, value) for name, value in base.headers.items()}
        if defaults is not None:
            headers.update(
                {name.lower(): header_lines(name, value) for name, value in keys.headers.items()}
            )
        content_type = keys.content_type or base.content_type
        if content_type and "content-type" not in headers:
            headers["content-type"] = [("content-type", content_type)]
        latency = keys.latency_ms if isinstance(keys, ResponseItem) else None
        templating = keys.templating or base.templating or self._default_templating()
        reason = keys.status_message if keys.status_message is not None else base.status_message
        kind: Any = "empty"
        body: Any = None
        file_template = None
        if keys.response_file is not None:
            found = self._file(keys.response_file, f"{ptr}/response_file", templating)
            if found is None:
                return None
            kind, (body, file_template) = "file", found
            if templating in ("handlebars", "mockoon") and body is not None:
                kind, body = file_text(body)
        elif keys.response_base64 is not None:
            kind, body = "base64", keys.response_base64
        elif "response" in keys.model_fields_set:
            kind, body = ("text" if isinstance(keys.response, str) else "json"), keys.response
        proxy = None
        if keys.proxy is not None:
            proxy = self._proxy(keys.proxy, f"{ptr}/proxy")
            if proxy is None:
                return None
        return ResponseSpec(
            status=status,
            headers=tuple(line for lines in headers.values() for line in lines),
            body_kind=kind,
            body=body,
            latency=Latency("fixed", {"ms": latency}) if latency is not None else None,
            file_template=file_template,
            base_dir=str(self.folder.resolve()) if file_template else None,
            reason=reason,
            templating=templating,
            infer_type=self.compat != "wiremock",
            proxy=proxy,
            sse=keys.sse.spec() if keys.sse is not None else None,
            websocket=_conversation(keys),
            graphql=self._graphql(keys, ptr),
            llm=(
                keys.llm.model_dump(by_alias=True, exclude_unset=True)
                if isinstance(keys, Endpoint) and keys.llm is not None
                else None
            ),
        )

    def _read_grpc(self, section: GrpcSection) -> None:
        """Compile the ``grpc`` section (only configs that have one import grpcio)."""
        from apidouble.grpc import require_grpc
        from apidouble.grpc.stubs import compile_section

        try:
            require_grpc(self.display)
        except ConfigError as exc:
            self.problems.extend(exc.problems)
            return
        file = self.folder / Path(self.display).name  # protos are relative to its folder
        self.grpc, problems = compile_section(section, file, self.lines, "/grpc")
        self.problems.extend(replace(problem, file=self.display) for problem in problems)

    def _graphql(self, keys: ResponseKeys, ptr: str) -> dict[str, Any] | None:
        """An endpoint's ``graphql``, its schema files resolved (each must exist)."""
        if not isinstance(keys, Endpoint) or keys.graphql is None:
            return None
        given = keys.graphql
        inner = ptr if ptr.startswith("/graphql/") else f"{ptr}/graphql"  # a `graphql:` entry
        files, refused = _graphql_files(given.schema_, self.folder)
        for message in refused:
            self.problem(message, f"{inner}/schema")
        for name in files:
            if not is_file_at(Path(name)):
                self.problem(f"graphql: no schema file {name}", f"{inner}/schema")
        spec = given.model_dump(by_alias=True)
        operations = [
            self._operation_auth(entry, f"{inner}/operations/{index}")
            for index, entry in enumerate(spec.get("operations") or ())
        ]
        return {**spec, "schema": files, "operations": operations}

    def _operation_auth(self, entry: dict[str, Any], ptr: str) -> dict[str, Any]:
        """A GraphQL operation stub with its ``auth`` read as an endpoint's is (JWKS files
        resolved against the config's folder); a problem where it is wrong."""
        raw = entry.get("auth")
        if raw is None or raw is False:
            return entry
        requirement, problem = read_requirement(raw, self.folder, "auth")
        if problem is not None:
            inside, message = problem
            self.problem(message, ptr + inside)
            return entry
        return {**entry, "auth": requirement.to_config() if requirement else False}

    def _proxy(self, given: Proxy | str, ptr: str) -> ProxySpec | None:
        """``proxy:`` as the model's spec; a problem when the URL is not http(s)."""
        spec = Proxy.model_validate({"to": given}) if isinstance(given, str) else given
        if not re.match(r"^https?://[^/?#\s]+", spec.to, re.IGNORECASE):
            self.problem(f"proxy: expected an http:// or https:// URL, got {spec.to!r}", ptr)
            return None
        return ProxySpec(
            to=spec.to,
            strip_prefix=spec.strip_prefix,
            add_headers=tuple(spec.add_headers.items()),
            remove_headers=tuple(spec.remove_headers),
            timeout_ms=spec.timeout_ms,
            verify=spec.verify,
        )

    def _default_templating(self) -> Templating:
        return "none" if self.compat == "wiremock" else "jinja"

    def _file(
        self, name: str, ptr: str, templating: Templating = "jinja"
    ) -> tuple[str | None, str | None] | None:
        """``response_file`` -> (resolved literal path, template); confined to the folder."""
        templated = is_template(name) if templating == "jinja" else "{{" in name
        try:
            if templated and templating != "none":
                candidate_folder(str(self.folder), name)
                return None, name
            return resolve_response_file(self.folder, name), None
        except ValueError as exc:
            self.problem(str(exc), ptr)
            return None


def _graphql_files(given: str | list[str], folder: Path) -> tuple[list[str], list[str]]:
    """The schema files, resolved, and a message for each name no file can have."""
    files, refused = [], []
    for name in [given] if isinstance(given, str) else given:
        try:
            files.append(str(resolved(folder, name, "graphql: schema file")))
        except ValueError as exc:
            refused.append(str(exc))
    return files, refused


def _conversation(keys: ResponseKeys) -> dict[str, Any] | None:
    """An endpoint's ``websocket``, as ``compile_websocket`` reads it."""
    if not isinstance(keys, Endpoint) or keys.websocket is None:
        return None
    return keys.websocket.entry(keys.path or "/")


def _trouble(ep: Endpoint) -> dict[str, Any]:
    """The endpoint's behaviour keys, as plain data for ``behaviours.spec``.

    ``failure_rate`` stays on the stub itself; a fault under ``failure`` is
    ``failure_fault``: it faults only the requests that fail.
    """
    found: dict[str, Any] = {
        "fail_first": ep.fail_first,
        "fail_every": ep.fail_every,
        "outage": ep.outage.model_dump(by_alias=True) if ep.outage else None,
        "per_client": ep.per_client,
        "fault": ep.fault,
        "failure_fault": ep.failure.fault if ep.failure is not None else None,
        "rate_limit": plain(ep.rate_limit),
        "cache": plain(ep.cache),
        "cors": plain(ep.cors),
        "dribble": plain(ep.dribble),
        "bandwidth_kbps": ep.bandwidth_kbps,
    }
    return {key: value for key, value in found.items() if value is not None}


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind, loc, text = error["type"], error["loc"], error["msg"]
    if kind == "extra_forbidden":
        return unknown_key_message(model, loc)
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    if kind == "value_error":
        return text.removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool) or value is None:
        shown = repr(value)
        return f"{text} (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return text
