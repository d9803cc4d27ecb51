"""WireMock mappings -> one native config (``apidouble import wiremock``).

Each mapping is read by the WireMock loader first; its ``Stub`` is what the native
endpoint must load back into. Conditions the native vocabulary says exactly become
native ``match:`` keys; the rest stay WireMock-spelt under ``match.wiremock``, so nothing
is lost and nothing is re-interpreted. Bodies stay in their files (``response_file``
relative to the output's folder). ``check`` then loads the result and compares it stub
by stub: an import that would serve differently is refused, never written.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from apidouble.config.convert import native_body_spec, native_value_spec
from apidouble.config.load import load_config, load_data
from apidouble.config.schema import STUB_ID_PATTERN
from apidouble.errors import ApidoubleError, ConfigError
from apidouble.importers.wiremock.export import NATIVE_KEY
from apidouble.importers.wiremock.mapping import DEFAULT_PRIORITY, files_folder
from apidouble.importers.wiremock.patterns import body_spec, value_spec
from apidouble.model import Latency, RequestPattern, ResponseSpec, Stub
from apidouble.stubconfig import latency_to_config

_FRAGMENT_ONLY = (
    "basicAuthCredentials", "formParameters", "multipartPatterns", "pathParameters",
    "host", "port", "scheme", "clientIp", "customMatcher",
)  # fmt: skip
_NATIVE_VALUES = {"queryParameters": "query", "headers": "headers", "cookies": "cookies"}


class ImportFailed(ApidoubleError):
    """The mappings cannot become a native config that serves the same (the message
    names the mapping)."""


def import_wiremock(source: Path, out_dir: Path, templating: bool = False) -> dict[str, Any]:
    """The native config for the WireMock root (or mapping folder) ``source``, its
    ``response_file`` paths relative to ``out_dir``; checked to serve as the mappings do.
    ``templating`` is WireMock's ``--global-response-templating``."""
    try:
        config = load_config(source, templating=templating)
    except ConfigError as exc:
        raise ImportFailed("\n".join(str(p) for p in exc.problems)) from None
    if config.skipped:
        lines = [str(p) for p in config.skipped]
        raise ImportFailed("WireMock would refuse this root:\n" + "\n".join(lines))
    stubs = config.stubs
    for stub in stubs:
        if stub.origin is None:
            raise ImportFailed(f"{stub.source.file}: a native config, not a WireMock mapping")
    out = out_dir.resolve()
    natives = [_restored(stub, out) for stub in stubs]
    if stubs and all(native is not None for native in natives):  # an export of ours
        restored = {str(native.get("id")): native for native in natives if native is not None}
        return {"endpoints": list(restored.values())}  # one per endpoint, not per method
    if any(native is not None for native in natives):
        raise ImportFailed(
            f"{source}: some mappings were exported from a native config and some not;"
            " import them separately"
        )
    names = Counter(stub.name for stub in stubs if stub.name)
    document: dict[str, Any] = {"compat": "wiremock"}
    if len(config.file_roots) > 1:
        raise ImportFailed(f"{source}: several __files folders; import each root on its own")
    endpoints = [endpoint(stub, out, names[stub.name or ""] > 1) for stub in stubs]
    if config.file_roots:  # unmatched GETs are answered from __files
        document["document_root"] = _folder(config.file_roots[0], out)
    document["endpoints"] = endpoints
    check(document, stubs, out)
    return document


def _folder(folder: Path, out: Path) -> str:
    relative = os.path.relpath(folder.resolve(), out)
    if relative == ".." or relative.startswith(".." + os.sep):
        raise ImportFailed(
            f"{folder} lies outside {out}; write the config into a folder that holds the"
            " WireMock root (response_file stays inside the config's folder)"
        )
    return Path(relative).as_posix()


def _restored(stub: Stub, out: Path) -> dict[str, Any] | None:
    """The native endpoint an export kept in the mapping's metadata, its ``response_file``
    names (relative to the root's ``__files``) made relative to ``out``."""
    metadata = (stub.origin or {}).get("metadata")
    native = metadata.get(NATIVE_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(native, Mapping):
        return None
    found = copy.deepcopy(dict(native))
    files = files_folder(Path(stub.source.file)) or out
    places = [found, *(found.get("responses") or []), found.get("failure") or {}]
    for place in places:
        if isinstance(place, dict) and isinstance(place.get("response_file"), str):
            target = files.resolve() / place["response_file"]
            relative = os.path.relpath(target, out)
            if relative.startswith(".."):
                raise ImportFailed(
                    f"{_where(stub)}: its body file {target} lies outside {out}; write the"
                    " config into a folder that holds the WireMock root"
                )
            place["response_file"] = Path(relative).as_posix()
    return found


def endpoint(stub: Stub, out: Path, keep_id: bool = False) -> dict[str, Any]:
    """One WireMock-loaded stub as a native endpoint (under ``compat: wiremock``); its id
    is written when the mapping gave one (or ``keep_id``: its name is not unique)."""
    raw = stub.origin or {}
    request = raw.get("request") or {}
    found: dict[str, Any] = {}
    given = keep_id or any(raw.get(key) for key in ("id", "uuid"))
    if given and re.fullmatch(STUB_ID_PATTERN, stub.id):
        found["id"] = stub.id
    if stub.name:
        found["name"] = stub.name
    method = request.get("method", "ANY")
    found["method"] = "ANY" if str(method).upper() == "ANY" else method
    match, fragment = _match(request)
    found.update(_url(request, stub.pattern, fragment))
    if fragment or ("path" not in found and "path_regex" not in found):
        match["wiremock"] = fragment
    if match:
        found["match"] = match
    if stub.priority is not None and stub.priority != DEFAULT_PRIORITY:
        found["priority"] = stub.priority
    found.update(_response(stub, out))
    if stub.latency is not None:
        found.update(latency_to_config(stub.latency))
    if stub.behaviours is not None:
        found.update(stub.behaviours.config)
    if stub.scenario is not None:
        scenario = stub.scenario
        found["scenario"] = {"name": scenario.name} | {
            key: value for key, value in (("when", scenario.when), ("then", scenario.then)) if value
        }
    return found


def _url(
    request: Mapping[str, Any], pattern: RequestPattern, fragment: dict[str, Any]
) -> dict[str, Any]:
    """``path`` or ``path_regex`` as the loader made them; ``url``/``urlPattern`` (which
    include the query) go to the fragment."""
    for key in ("url", "urlPattern"):
        if request.get(key) is not None:
            fragment[key] = request[key]
    if pattern.path is not None:
        return {"path": pattern.path}
    if pattern.path_regex is not None:
        return {"path_regex": pattern.path_regex}
    return {}


def _match(request: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(native ``match`` keys, the WireMock fragment): a group goes native only when
    every one of its conditions loads natively into the same spec."""
    match: dict[str, Any] = {}
    fragment: dict[str, Any] = {}
    for theirs, ours in _NATIVE_VALUES.items():
        given = request.get(theirs)
        if given is None:
            continue
        native = {str(name): _native_value(pattern) for name, pattern in given.items()}
        if all(value is not None for value in native.values()):
            match[ours] = native
        else:
            fragment[theirs] = given
    bodies = request.get("bodyPatterns")
    if bodies is not None:
        native_bodies = [_native_body(item) for item in bodies]
        if native_bodies and all(item is not None for item in native_bodies):
            match["body"] = native_bodies[0] if len(native_bodies) == 1 else native_bodies
        else:
            fragment["bodyPatterns"] = bodies
    for key in _FRAGMENT_ONLY:
        if request.get(key) is not None:
            fragment[key] = request[key]
    return match, fragment


def _native_value(pattern: Any) -> Any:
    """The native matcher for a WireMock value pattern, or None when none loads the same."""
    spec = value_spec(pattern)
    candidate: Any
    match spec.op:
        case "equals" if isinstance(spec.expected, str) and not spec.case_insensitive:
            candidate = spec.expected
        case "equals" | "contains" | "regex":
            candidate = {spec.op: spec.expected}
            if spec.case_insensitive:
                candidate["case_insensitive"] = True
        case "present":
            candidate = {"present": spec.expected}
        case _:
            return None
    return candidate if _loads_as(native_value_spec, candidate, spec) else None


def _native_body(pattern: Any) -> Any:
    spec = body_spec(pattern)
    if spec.op != "schema" or not isinstance(spec.expected, Mapping):
        return None
    candidate = {"schema": dict(spec.expected)}
    return candidate if _loads_as(native_body_spec, candidate, spec) else None


def _loads_as(load: Any, candidate: Any, spec: Any) -> bool:
    try:
        return bool(load(candidate) == spec)
    except ValueError:
        return False


def _response(stub: Stub, out: Path) -> dict[str, Any]:
    spec = stub.responses[0]
    raw = (stub.origin or {}).get("response") or {}
    found: dict[str, Any] = {}
    if spec.status != 200:
        found["status"] = spec.status
    if spec.reason is not None:
        found["status_message"] = spec.reason
    if spec.headers:
        found["headers"] = _headers(spec.headers)
    if spec.templating != "none":
        found["templating"] = spec.templating
    named = raw.get("bodyFileName") if isinstance(raw, Mapping) else None
    if spec.body_kind == "file" and spec.body is not None:
        found["response_file"] = _relative(Path(spec.body), out, stub)
    elif spec.body_kind == "file" and spec.file_template is not None:
        folder = _relative(Path(spec.base_dir or "."), out, stub)
        found["response_file"] = f"{folder}/{spec.file_template}"
    elif spec.body_kind == "text" and isinstance(named, str) and spec.templating != "none":
        files = files_folder(Path(stub.source.file))  # a template read from its file
        found["response_file"] = _relative((files or out) / named, out, stub)
    elif spec.body_kind in ("json", "text"):
        found["response"] = spec.body
    elif spec.body_kind == "base64":
        found["response_base64"] = spec.body
    if spec.proxy is not None:
        found["proxy"] = spec.proxy.to_config()
    return found


def _headers(headers: Sequence[tuple[str, str]]) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


def _relative(path: Path, out: Path, stub: Stub) -> str:
    relative = os.path.relpath(path.resolve(), out)
    if relative == ".." or relative.startswith(".." + os.sep):
        raise ImportFailed(
            f"{_where(stub)}: its body file {path} lies outside {out}; write the config"
            " into a folder that holds the WireMock root (response_file stays inside"
            " the config's folder)"
        )
    return Path(relative).as_posix()


# --- the check ---------------------------------------------------------------------------

_COMPARED = ("pattern", "responses", "latency", "behaviours", "scenario", "priority", "ordering")


def check(document: Mapping[str, Any], stubs: Sequence[Stub], out: Path) -> None:
    """Load ``document`` as the output file would be loaded and compare each endpoint's
    stub with the mapping's; raise ``ImportFailed`` naming the first that differs."""
    try:
        loaded = load_data(document, source=str(out / "<import>"), base_dir=out).stubs
    except ConfigError as exc:
        raise ImportFailed(
            "the converted config does not load:\n" + "\n".join(str(p) for p in exc.problems)
        ) from None
    if len(loaded) != len(stubs):
        raise ImportFailed(f"{len(stubs)} mappings became {len(loaded)} endpoints")
    for want, got in zip(stubs, loaded, strict=True):
        for name in _COMPARED:
            theirs, ours = _comparable(getattr(want, name)), _comparable(getattr(got, name))
            if theirs != ours:
                raise ImportFailed(
                    f"{_where(want)}: the native endpoint would serve differently"
                    f" ({name}: WireMock {theirs!r}, native {ours!r})"
                )


def _comparable(value: Any) -> Any:
    """What must agree: a templated file name as the path it renders under, and delay
    parameters to 12 digits (a lognormal's median goes through log and exp)."""
    if isinstance(value, tuple):
        return tuple(_comparable(item) for item in value)
    if isinstance(value, ResponseSpec) and value.file_template is not None:
        joined = os.path.normpath(os.path.join(value.base_dir or "", value.file_template))
        value = replace(value, file_template=joined, base_dir=None)
    if isinstance(value, ResponseSpec) and value.latency is not None:
        value = replace(value, latency=_comparable(value.latency))
    if isinstance(value, Latency):
        params = {k: float(f"{v:.12g}") if math.isfinite(v) else v for k, v in value.params.items()}
        return Latency(value.distribution, params)
    return value


def _where(stub: Stub) -> str:
    where = f"{stub.source.file}:{stub.source.line}" if stub.source.line else stub.source.file
    pointer = f" {stub.source.pointer}" if stub.source.pointer else ""
    return f"{where}{pointer} ({stub.label})"


# --- writing -----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as ``|`` blocks, keys in the order written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value == value.strip(" ") and "\t" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(document: Mapping[str, Any]) -> str:
    """The config as readable YAML."""
    return yaml.dump(dict(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


__all__ = ["ImportFailed", "check", "endpoint", "import_wiremock", "to_yaml"]
