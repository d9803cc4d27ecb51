"""``Stub`` -> WireMock mappings (``apidouble export wiremock``).

A stub that came from WireMock is exported as its mapping was written (plus its id). A
native stub is written as the mapping WireMock serves the same way where it can:
``urlPath``/``urlPathTemplate``/``urlPathPattern``, value and body patterns, the first
response with the content type we would imply, delays, faults and scenarios; priorities
rank the mappings as our router ranks the stubs (WireMock has no notion of the most
specific path). What WireMock lacks stays under ``metadata.apidouble`` as the native
endpoint (``Stub.to_config()``), which ``import wiremock`` restores as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from apidouble.importers.wiremock.spelling import fragment
from apidouble.model import ANY_METHOD, RequestPattern, ResponseSpec, Stub

MAPPINGS = "mappings"
FILES = "__files"
NATIVE_KEY = "apidouble"
"""The ``metadata`` key the native endpoint is kept under."""
_FAULTS = {
    "connection_reset": "CONNECTION_RESET_BY_PEER",
    "empty_response": "EMPTY_RESPONSE",
    "malformed_chunk": "MALFORMED_RESPONSE_CHUNK",
    "random_data_then_close": "RANDOM_DATA_THEN_CLOSE",
}
_JSON_TYPE = "application/json"
_ID_SPACE = uuid.UUID("6f1c6b0e-8a52-4d8e-9d55-2f0a3a1f7c41")


def export_wiremock(stubs: Sequence[Stub], out: Path) -> list[Path]:
    """Write ``stubs`` as a WireMock root in ``out`` (``mappings/`` one file per mapping,
    ``__files/`` the bodies, copied); returns the mapping files written."""
    mappings_dir, files_dir = out / MAPPINGS, out / FILES
    mappings_dir.mkdir(parents=True, exist_ok=True)
    files_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    priorities = native_priorities(stubs)
    for stub in stubs:
        mappings = _origin(stub, files_dir) if stub.origin is not None else None
        if mappings is None:
            mappings = stub_mappings(stub, priorities.get(stub.id), _Files(stub, files_dir))
        for mapping in mappings:
            path = mappings_dir / f"{len(written) + 1:04d}-{_slug(stub)}.json"
            path.write_text(json.dumps(mapping, indent=2, ensure_ascii=False) + "\n")
            written.append(path)
    return written


def stub_mappings(
    stub: Stub, priority: int | None, files: _Files | None = None
) -> list[dict[str, Any]]:
    """A native stub as WireMock mappings: one per method when it names several."""
    pattern = stub.pattern
    methods = sorted(pattern.methods) if pattern.methods != ANY_METHOD else ["ANY"]
    request: dict[str, Any] = {**_url(pattern), **fragment(pattern, 0, everything=True)}
    response = _response(stub, stub.responses[0] if stub.responses else ResponseSpec(), files)
    native = _native(stub, files)
    found: list[dict[str, Any]] = []
    for method in methods:
        mapping: dict[str, Any] = {"id": mapping_uuid(stub.id, method if len(methods) > 1 else "")}
        if stub.name:
            mapping["name"] = stub.name
        mapping["request"] = {"method": method, **request}
        mapping["response"] = response
        if priority is not None:
            mapping["priority"] = priority
        if stub.scenario is not None:
            mapping["scenarioName"] = stub.scenario.name
            if stub.scenario.when is not None:
                mapping["requiredScenarioState"] = stub.scenario.when
            if stub.scenario.then is not None:
                mapping["newScenarioState"] = stub.scenario.then
        mapping["metadata"] = {NATIVE_KEY: native}
        found.append(mapping)
    return found


def _native(stub: Stub, files: _Files | None) -> dict[str, Any]:
    """``stub.to_config()``, its ``response_file`` names relative to the export's
    ``__files`` (where the files are copied), as ``import wiremock`` reads them."""
    native = stub.to_config()
    specs = list(stub.responses)
    places: list[dict[str, Any]] = [native] if "responses" not in native else native["responses"]
    if stub.failure is not None and "failure" in native:
        places, specs = [*places, native["failure"]], [*specs, stub.failure]
    for place, spec in zip(places, specs, strict=False):
        if "response_file" in place and files is not None:
            place["response_file"] = files.native(spec)
    return native


def _origin(stub: Stub, files_dir: Path) -> list[dict[str, Any]]:
    """A WireMock stub as it was written, with its id and its root's ``__files``."""
    mapping = dict(stub.origin or {})
    if "id" not in mapping and "uuid" not in mapping:
        mapping = {"id": stub.id, **mapping}
    source = Path(stub.source.file)
    from apidouble.importers.wiremock.mapping import files_folder

    folder = files_folder(source) if source.exists() else None
    if folder is not None and folder.resolve() != files_dir.resolve():
        shutil.copytree(folder, files_dir, dirs_exist_ok=True)
    return [mapping]


def _url(pattern: RequestPattern) -> dict[str, Any]:
    """``urlPath`` for a literal path, ``urlPathTemplate`` for ``{name}`` segments,
    ``urlPathPattern`` for the rest (``*``, ``**``, mixed segments, ``path_regex``); none
    when the whole URL is the condition (``url``/``urlPattern`` in the fragment)."""
    if pattern.url is not None or pattern.no_query:
        return {}
    if pattern.path_regex is not None:
        return {"urlPathPattern": java_regex(pattern.path_regex)}
    path = pattern.path
    if path is None:
        return {}
    segments = path.split("/")
    if not any("{" in part or "*" in part for part in segments):
        return {"urlPath": path}
    if all("*" not in part and ("{" not in part or _whole(part)) for part in segments):
        return {"urlPathTemplate": path}
    return {"urlPathPattern": path_regex(path)}


def java_regex(regex: str) -> str:
    """Python's named groups in Java's spelling (WireMock refuses ``(?P<name>``)."""
    return re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", regex.replace("(?P<", "(?<"))


def _whole(part: str) -> bool:
    return re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*\}", part) is not None


def path_regex(path: str) -> str:
    """Our path syntax as a regex over the path (``**`` last: the rest, or nothing)."""
    parts = path.split("/")
    regex = ""
    for index, part in enumerate(parts[1:], 1):
        if part == "**" and index == len(parts) - 1:
            return regex + "(/.*)?"
        if part == "*":
            regex += "/[^/]+"
            continue
        pieces = re.split(r"\{[^{}]*\}", part)
        regex += "/" + "[^/]+".join(re.escape(piece) for piece in pieces)
    return regex


def _response(stub: Stub, spec: ResponseSpec, files: _Files | None) -> dict[str, Any]:
    found: dict[str, Any] = {"status": spec.status if isinstance(spec.status, int) else 200}
    if spec.reason is not None:
        found["statusMessage"] = spec.reason
    headers: dict[str, Any] = {}
    for name, value in spec.headers:
        given = headers.get(name)
        headers[name] = value if given is None else [*_listed(given), value]
    implied = _implied_type(spec)
    if implied and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = implied
    if headers:
        found["headers"] = headers
    if spec.body_kind == "json":
        found["jsonBody"] = spec.body
    elif spec.body_kind == "text":
        found["body"] = spec.body
    elif spec.body_kind == "base64":
        found["base64Body"] = spec.body
    elif spec.body_kind == "file" and spec.body is not None:
        found["bodyFileName"] = files.copy(Path(spec.body)) if files else Path(spec.body).name
    elif spec.body_kind == "file" and spec.file_template is not None:
        found["bodyFileName"] = spec.file_template  # a template: see metadata.apidouble
    if spec.templating == "handlebars":
        found["transformers"] = ["response-template"]
    latency = spec.latency or stub.latency
    if latency is not None:
        found.update(_delay(latency.distribution, latency.params))
    config = stub.behaviours.config if stub.behaviours is not None else {}
    fault = config.get("fault")
    if isinstance(fault, str) and fault in _FAULTS and not stub.failure_rate:
        found["fault"] = _FAULTS[fault]
    dribble = config.get("dribble")
    if isinstance(dribble, Mapping):
        found["chunkedDribbleDelay"] = {
            "numberOfChunks": dribble.get("chunks", 10),
            "totalDuration": dribble.get("over_ms", 1000),
        }
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _implied_type(spec: ResponseSpec) -> str | None:
    """The content type we would add (WireMock adds none): so both send the same."""
    from apidouble.responses import infer_text_type
    from apidouble.templating.files import content_type_of

    if not spec.infer_type:
        return None
    if spec.body_kind == "json":
        return _JSON_TYPE
    if spec.body_kind == "text" and isinstance(spec.body, str):
        return infer_text_type(spec.body)  # a template's: what its text looks like
    if spec.body_kind == "base64":
        return "application/octet-stream"
    if spec.body_kind == "file" and spec.body is not None:
        return content_type_of(str(spec.body))
    return None


def _delay(distribution: str, params: Mapping[str, float]) -> dict[str, Any]:
    if distribution == "fixed":
        return {"fixedDelayMilliseconds": _number(params["ms"])}
    if distribution == "lognormal":
        found: dict[str, Any] = {"type": "lognormal", "median": _number(params["median_ms"])}
        found["sigma"] = params["sigma"]
        if "max_ms" in params:
            found["maxValue"] = _number(params["max_ms"])
        return {"delayDistribution": found}
    if distribution == "uniform":
        lower, upper = _number(params["min_ms"]), _number(params["max_ms"])
        return {"delayDistribution": {"type": "uniform", "lower": lower, "upper": upper}}
    return {}  # WireMock has no normal distribution: see metadata.apidouble


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Files:
    """Copies a native stub's body files into the export's ``__files``."""

    def __init__(self, stub: Stub, files_dir: Path) -> None:
        source = Path(stub.source.file)
        self.base = source.parent.resolve() if source.exists() else None
        self.files_dir = files_dir

    def copy(self, path: Path) -> str:
        """Copy one file; its name in ``__files`` (its path under the config's folder)."""
        name = path.name
        if self.base is not None and path.resolve().is_relative_to(self.base):
            name = path.resolve().relative_to(self.base).as_posix()
        target = self.files_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return name

    def native(self, spec: ResponseSpec) -> str:
        """A response's ``response_file`` relative to ``__files``, its files copied there
        (for a templated name, every file it may name)."""
        if spec.body is not None:
            return self.copy(Path(spec.body))
        template = spec.file_template or ""
        if spec.base_dir is not None:
            from apidouble.templating.files import candidate_files

            base = Path(spec.base_dir).resolve()
            for path in candidate_files(spec.base_dir, template):
                target = self.files_dir / path.resolve().relative_to(base)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        return template


def native_priorities(stubs: Iterable[Stub]) -> dict[str, int]:
    """WireMock priorities for native stubs, in the order our router ranks them: their
    priority (unset last), the most specific path, then file order. They follow every
    priority the WireMock stubs of the same config use."""
    from apidouble.matching.paths import compile_path, compile_path_regex

    native = [stub for stub in stubs if stub.origin is None]
    taken = [stub.priority or 5 for stub in stubs if stub.origin is not None]
    first = max(taken, default=0) + 1

    def key(stub: Stub) -> tuple[int, int, tuple[int, ...], int]:
        pattern = stub.pattern
        if pattern.path is not None:
            specificity = compile_path(pattern.path).specificity
        elif pattern.path_regex is not None:
            specificity = compile_path_regex(pattern.path_regex).specificity
        else:
            specificity = ()
        unset = stub.priority is None
        return (1 if unset else 0, stub.priority or 0, specificity, stub.order)

    return {stub.id: first + rank for rank, stub in enumerate(sorted(native, key=key))}


def mapping_uuid(stub_id: str, method: str) -> str:
    """WireMock ids are UUIDs: the stub's own when it is one (and names one method)."""
    if not method:
        try:
            return str(uuid.UUID(stub_id))
        except ValueError:
            pass
    return str(uuid.uuid5(_ID_SPACE, f"{stub_id} {method}".strip()))


def _slug(stub: Stub) -> str:
    text = stub.name or stub.pattern.path or stub.pattern.path_regex or "any"
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "stub"
