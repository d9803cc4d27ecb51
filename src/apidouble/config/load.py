"""Load time, first step: native config files and folders -> validated ``Stub``s.

Every problem in every file is collected before one ``ConfigError`` is raised, so a user
fixes a config in one round, and each problem says file, line, JSON pointer and stub.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from apidouble.behaviours.cors import CorsPolicy
from apidouble.behaviours.faults import FaultSpec
from apidouble.behaviours.latency import LatencyModel
from apidouble.behaviours.ratelimit import RateLimiter
from apidouble.behaviours.trouble import compile_trouble
from apidouble.config.envsubst import substitute
from apidouble.config.positions import SyntaxProblem, child, line_of, parse, pointer
from apidouble.config.schema import (
    BodyMatcher,
    ConfigFile,
    Endpoint,
    FakerConfig,
    LatencyConfig,
    ResponseItem,
    ResponseKeys,
    ValueMatcher,
    unknown_key_message,
)
from apidouble.errors import ConfigError, ConfigProblem
from apidouble.model import (
    ANY_METHOD,
    BodySpec,
    Latency,
    RequestPattern,
    ResponseSpec,
    Source,
    Stub,
    ValueSpec,
)
from apidouble.templating.compile import is_template
from apidouble.templating.data import read_data_file
from apidouble.templating.files import candidate_folder, resolve_response_file

CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
SKIPPED_DIRS = frozenset({"__files"})
"""Folders of response bodies (the WireMock convention), never configs themselves."""

_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://apidouble.dev/stub")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything loaded from the given paths: the stubs in global order and the files read;
    ``data`` holds the parsed ``data:`` files by name (read from ``data_files``)."""

    stubs: tuple[Stub, ...]
    files: tuple[Path, ...]
    seed: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    data_files: tuple[Path, ...] = ()
    faker: FakerConfig | None = None
    server: Mapping[str, Any] = field(default_factory=dict)
    """Server-wide behaviour: ``cors``, ``rate_limit``, ``debug_headers``."""


def load_config(*paths: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Load native YAML/JSON configs (files or folders); raise ``ConfigError`` listing all problems.

    ``environ`` (default ``os.environ``) supplies ``${VAR}`` substitutions.
    """
    env = os.environ if environ is None else environ
    problems: list[ConfigProblem] = []
    files = discover(paths, problems)
    stubs: list[Stub] = []
    seed: tuple[int, str] | None = None
    faker: tuple[FakerConfig, str] | None = None
    server: dict[str, tuple[Any, str]] = {}
    data: dict[str, tuple[Any, str]] = {}
    data_files: list[Path] = []
    for path in files:
        loader = _Loader(str(path), path.parent, path.absolute().as_posix(), problems)
        start = len(problems)
        if loader.read(path):
            stubs.extend(loader.load(env, first_order=len(stubs)))
        for name, value in loader.datasets.items():
            if name in data:
                loader.problem(f"data {name!r} is also defined in {data[name][1]}", f"/data/{name}")
            data.setdefault(name, (value, loader.display))
        data_files.extend(loader.data_files)
        problems[start:] = sorted(problems[start:], key=lambda p: p.line or 0)
        seed = _one_setting(loader, "seed", loader.seed, seed)
        faker = _one_setting(loader, "faker", loader.faker, faker)
        for key, value in loader.server.items():
            if (given := _one_setting(loader, key, value, server.get(key))) is not None:
                server[key] = given
    if problems:
        raise ConfigError(problems)
    return Config(
        tuple(stubs),
        tuple(p.absolute() for p in files),
        seed[0] if seed else None,
        {name: value for name, (value, _) in data.items()},
        tuple(data_files),
        faker[0] if faker else None,
        {key: value for key, (value, _) in server.items()},
    )


def load_data(
    data: Any,
    *,
    source: str = "<memory>",
    base_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load a config already in memory (``{"endpoints": [...]}``), as from Python or the API.

    ``response_file`` resolves inside ``base_dir`` (default: the working directory);
    ``${VAR}`` is substituted only when ``environ`` is given. Stub ids are random, since
    there is no file to make them stable.
    """
    problems: list[ConfigProblem] = []
    loader = _Loader(source, Path(base_dir or "."), None, problems)
    loader.data = data
    stubs = loader.load(environ)
    if problems:
        raise ConfigError(problems)
    return Config(
        tuple(stubs),
        (),
        loader.seed,
        loader.datasets,
        tuple(loader.data_files),
        loader.faker,
        loader.server,
    )


def _one_setting(
    loader: _Loader, key: str, value: Any, first: tuple[Any, str] | None
) -> tuple[Any, str] | None:
    """A top-level setting (``seed``, ``faker``) that several files may give only alike."""
    if value is None:
        return first
    if first is not None and first[0] != value:
        loader.problem(
            f"{key} {value!r} conflicts with {key} {first[0]!r} in {first[1]}", f"/{key}"
        )
    return first or (value, loader.display)


def discover(paths: Iterable[str | Path], problems: list[ConfigProblem]) -> list[Path]:
    """The config files under ``paths``: folders are walked recursively, sorted by path,
    skipping hidden entries and ``__files`` body folders; each file appears once."""
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path):
                found.setdefault(file.absolute(), file)
        elif path.is_file():
            found.setdefault(path.absolute(), path)
        else:
            problems.append(ConfigProblem(str(path), "no such file or directory"))
    return list(found.values())


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        files.extend(
            Path(root, n)
            for n in names
            if not n.startswith(".") and Path(n).suffix.lower() in CONFIG_SUFFIXES
        )
    return sorted(files, key=lambda p: p.relative_to(folder).parts)


def stub_label(raw: Any) -> str | None:
    """How problems name an endpoint from its raw data: its name, else ``METHOD path``."""
    if not isinstance(raw, dict):
        return None
    if isinstance(raw.get("name"), str) and raw["name"]:
        return str(raw["name"])
    method = raw.get("method", "GET")
    methods = "|".join(str(m).upper() for m in method) if isinstance(method, list) else method
    return f"{str(methods).upper()} {raw.get('path') or raw.get('path_regex') or '?'}"


@dataclass
class _Loader:
    """One document through parse -> substitute -> validate -> convert."""

    display: str
    folder: Path
    id_key: str | None
    problems: list[ConfigProblem]
    data: Any = None
    lines: dict[str, int] = field(default_factory=dict)
    seed: int | None = None
    faker: FakerConfig | None = None
    datasets: dict[str, Any] = field(default_factory=dict)
    data_files: list[Path] = field(default_factory=list)
    skip: set[str] = field(default_factory=set)
    server: dict[str, Any] = field(default_factory=dict)
    default_latency: Latency | None = None

    def problem(self, message: str, ptr: str = "", line: int | None = None) -> None:
        label = None
        parts = ptr.split("/")
        if len(parts) > 2 and parts[1] == "endpoints" and parts[2].isdigit():
            endpoints = self.data.get("endpoints") if isinstance(self.data, dict) else None
            if isinstance(endpoints, list) and int(parts[2]) < len(endpoints):
                label = stub_label(endpoints[int(parts[2])])
        line = line if line is not None else line_of(self.lines, ptr)
        self.problems.append(ConfigProblem(self.display, message, line, ptr, label))

    def read(self, path: Path) -> bool:
        """Read and parse ``path``; False (with a problem) when that is impossible."""
        try:
            text = path.read_text(encoding="utf-8-sig")
            parsed = parse(text, as_json=path.suffix.lower() == ".json")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(f"cannot read the file: {exc}")
            return False
        except SyntaxProblem as exc:
            self.problem(exc.message, line=exc.line)
            return False
        self.data, self.lines = parsed.data, parsed.lines
        return True

    def load(self, environ: Mapping[str, str] | None, first_order: int = 0) -> list[Stub]:
        if environ is not None:
            self.data, unset = substitute(self.data, environ)
            for var in unset:
                self.skip.add(var.pointer)
                hint = f"set it, or give a default: ${{{var.name}:-default}}"
                self.problem(f"environment variable {var.name} is not set ({hint})", var.pointer)
        stubs: list[Stub] = []
        for index, endpoint in self._validate():
            stub = self._convert(index, endpoint, first_order + len(stubs))
            if stub is not None:
                stubs.append(stub)
        return stubs

    # --- validate ----------------------------------------------------------------------

    def _validate(self) -> list[tuple[int, Endpoint]]:
        """Validate the top level and each endpoint on its own, so all errors show up."""
        data = self.data
        if data is None:
            self.problem("the file is empty; expected a mapping with an 'endpoints' list")
            return []
        if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
            self._check(ConfigFile, data, ())
            return []
        top = self._check(ConfigFile, {**data, "endpoints": []}, ())
        if isinstance(top, ConfigFile):
            self.seed, self.faker = top.seed, top.faker
            self.server = server_settings(top)
            self._check_server(self.server)
            if top.defaults is not None:
                where = "/defaults/latency"
                latency = self._latency(top.defaults.latency_ms, top.defaults.latency, where)
                self.default_latency = latency
            self._read_data(top.data)
        valid = []
        for index, raw in enumerate(data["endpoints"]):
            endpoint = self._check(Endpoint, raw, ("endpoints", index))
            if isinstance(endpoint, Endpoint):
                valid.append((index, endpoint))
        return valid

    def _check_server(self, settings: Mapping[str, Any]) -> None:
        """Semantic checks of the server-wide behaviours, located at their keys."""
        checks = {"cors": CorsPolicy.from_config, "rate_limit": RateLimiter.from_config}
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

    def _check(self, model: type[BaseModel], raw: Any, prefix: tuple[str | int, ...]) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                ptr = _pointer_in(self.data, (*prefix, *error["loc"]))
                if ptr not in self.skip or error["type"] == "extra_forbidden":
                    self.problem(_message(error, model), ptr)
            return None

    # --- convert -----------------------------------------------------------------------

    def _convert(self, index: int, ep: Endpoint, order: int) -> Stub | None:
        ptr = pointer("endpoints", index)
        before = len(self.problems)
        if ep.scenario is not None:
            self.problem("'scenario' is not supported yet", child(ptr, "scenario"))
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
        try:
            if len(self.problems) == before:  # else the same mistake may be reported twice
                compile_trouble(trouble, random.Random(0), time.monotonic)
        except ValueError as exc:
            key = str(exc).split(":", 1)[0].split(".", 1)[0].strip()
            self.problem(str(exc), child(ptr, key) if key in trouble else ptr)
        if len(self.problems) > before:
            return None
        return Stub(
            id=self._id(index),
            pattern=_pattern(ep),
            responses=tuple(r for r in responses if r is not None),
            name=ep.name,
            priority=ep.priority,
            response_mode=ep.mode or "sequence",
            latency=latency,
            failure_rate=ep.failure_rate,
            failure=failure,
            validate_schema=ep.validate_.schema_ if ep.validate_ else None,
            source=Source(self.display, line_of(self.lines, ptr), ptr),
            order=order,
            trouble=trouble,
        )

    def _id(self, index: int) -> str:
        if self.id_key is None:
            return str(uuid.uuid4())
        return str(uuid.uuid5(_ID_NAMESPACE, f"{self.id_key}#{index}"))

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
        headers = {name.lower(): (name, value) for name, value in base.headers.items()}
        if defaults is not None:
            headers.update({name.lower(): (name, value) for name, value in keys.headers.items()})
        content_type = keys.content_type or base.content_type
        if content_type and "content-type" not in headers:
            headers["content-type"] = ("content-type", content_type)
        latency = keys.latency_ms if isinstance(keys, ResponseItem) else None
        kind: Any = "empty"
        body: Any = None
        file_template = None
        if keys.response_file is not None:
            found = self._file(keys.response_file, f"{ptr}/response_file")
            if found is None:
                return None
            kind, (body, file_template) = "file", found
        elif keys.response_base64 is not None:
            kind, body = "base64", keys.response_base64
        elif "response" in keys.model_fields_set:
            kind, body = ("text" if isinstance(keys.response, str) else "json"), keys.response
        return ResponseSpec(
            status=status,
            headers=tuple(headers.values()),
            body_kind=kind,
            body=body,
            latency=Latency("fixed", {"ms": latency}) if latency is not None else None,
            file_template=file_template,
            base_dir=str(self.folder.resolve()) if file_template else None,
        )

    def _file(self, name: str, ptr: str) -> tuple[str | None, str | None] | None:
        """``response_file`` -> (resolved literal path, template); confined to the folder."""
        try:
            if is_template(name):
                candidate_folder(str(self.folder), name)
                return None, name
            return resolve_response_file(self.folder, name), None
        except ValueError as exc:
            self.problem(str(exc), ptr)
            return None


def _trouble(ep: Endpoint) -> dict[str, Any]:
    """The endpoint's behaviour keys, as plain data for ``behaviours.trouble``."""
    fault = ep.fault if ep.fault is not None else (ep.failure.fault if ep.failure else None)
    found: dict[str, Any] = {
        "failure_rate": ep.failure_rate or None,
        "fail_first": ep.fail_first,
        "fail_every": ep.fail_every,
        "outage": ep.outage.model_dump(by_alias=True) if ep.outage else None,
        "per_client": ep.per_client,
        "fault": fault,
        "rate_limit": _plain(ep.rate_limit),
        "cache": _plain(ep.cache),
        "cors": _plain(ep.cors),
        "dribble": _plain(ep.dribble),
        "bandwidth_kbps": ep.bandwidth_kbps,
    }
    return {key: value for key, value in found.items() if value is not None}


def _plain(value: BaseModel | bool | None) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_defaults=False, exclude_none=True)
    return value


def server_settings(top: ConfigFile) -> dict[str, Any]:
    """The file's server-wide behaviour keys (cors, rate_limit, debug_headers)."""
    found = {
        "cors": _plain(top.cors),
        "rate_limit": _plain(top.rate_limit),
        "debug_headers": top.debug_headers,
    }
    return {key: value for key, value in found.items() if value is not None}


def _pattern(ep: Endpoint) -> RequestPattern:
    match = ep.match
    return RequestPattern(
        methods=ANY_METHOD if "ANY" in ep.method else frozenset(ep.method),
        path=ep.path,
        path_regex=ep.path_regex,
        query=_values(match.query) if match else (),
        headers=_values(match.headers) if match else (),
        cookies=_values(match.cookies) if match else (),
        body=tuple(_body(b) for b in match.body) if match else (),
    )


def _values(matchers: Mapping[str, ValueMatcher]) -> tuple[tuple[str, ValueSpec], ...]:
    return tuple((name, _value_spec(m)) for name, m in matchers.items())


def _value_spec(m: ValueMatcher | BodyMatcher) -> ValueSpec:
    op = next(n for n in ("equals", "contains", "regex", "present", "one_of") if m.given(n))
    expected = getattr(m, op)
    expected = tuple(expected) if isinstance(expected, list) and op == "one_of" else expected
    return ValueSpec(op, expected, m.case_insensitive, m.not_)  # type: ignore[arg-type]


def _body(m: BodyMatcher) -> BodySpec:
    if m.jsonpath is not None:
        if m.given("equals", "contains", "regex", "present", "one_of"):
            return BodySpec("jsonpath", expression=m.jsonpath, value=_value_spec(m))
        absent = ValueSpec("present", False) if m.not_ else None
        return BodySpec("jsonpath", expression=m.jsonpath, value=absent)
    op = next(n for n in ("equals", "contains", "regex", "json_", "schema_") if m.given(n))
    return BodySpec(op.rstrip("_"), getattr(m, op))  # type: ignore[arg-type]


def _pointer_in(data: Any, loc: Sequence[str | int]) -> str:
    """The JSON pointer of the deepest existing value along a pydantic ``loc``.

    Parts that are not keys or indexes of the data (union member tags, a missing key)
    are skipped, so the pointer always names something in the file.
    """
    ptr, current = "", data
    for part in loc:
        if isinstance(current, dict) and part in current:
            ptr, current = child(ptr, part), current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            ptr, current = child(ptr, part), current[part]
    return ptr


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
