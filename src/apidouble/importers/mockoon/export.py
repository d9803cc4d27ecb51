"""``Stub`` -> a Mockoon environment (``apidouble export mockoon``), the reverse of the import.

Each stub is one route per method, in the order our router ranks the stubs (Mockoon
tries routes in file order). A stub with conditions becomes a ``FALLBACK`` route whose
one response carries them as ``AND``-ed rules, so a request they miss goes on to the
next route as it goes on to the next stub here. What Mockoon cannot say is left out (or
served otherwise) and named in a note, one line per stub and feature. The uuids are
``uuid5`` of the stub ids: exporting twice writes the same file.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from apidouble.model import ANY_METHOD, BodySpec, Latency, ResponseSpec, Stub, ValueSpec

LAST_MIGRATION = 33
"""What ``@mockoon/commons`` 9.9 writes."""
_ID_SPACE = uuid.UUID("3b0f5f7c-2d0e-4c1a-9a57-8c3e6f1d2b90")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SIMPLE_JSONPATH = re.compile(r"\$((?:\.[A-Za-z_][\w-]*|\[\d+\])+)")
_SIMPLE_KEY = re.compile(r"[\w-]+")
_QUERY_NAME = re.compile(r"([\w-]+)((?:\[[\w-]+\])*)")
_JS_SPECIAL = set("\\^$.|?*+()[]{}/")
_PYTHON_ONLY = re.compile(r"\(\?[aiLmsux]|\\[AZ]|\(\?P>|\*\+|\+\+|\?\+")
_LITERAL = r"[\w.~%@,;=&'-]*"
_MODES = {"sequence": "SEQUENTIAL", "cycle": "SEQUENTIAL", "random": "RANDOM"}
_LEFT_OUT_KINDS = ("proxy", "sse", "websocket", "graphql", "llm")


class _Skip(Exception):
    """A condition or response Mockoon cannot carry; the message is the note."""


def export_mockoon(
    stubs: Sequence[Stub],
    name: str = "apidouble",
    port: int = 3000,
    *,
    folder: Path | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The environment serving ``stubs`` and the notes on what it could not carry.

    ``folder`` is where the environment is written (default: the current folder): body
    files under it are ``FILE`` bodies relative to it, others are inlined."""
    base = (folder if folder is not None else Path.cwd()).resolve()
    noted: dict[int, list[str]] = {}
    routes: list[dict[str, Any]] = []
    for index, stub in sorted(enumerate(stubs), key=lambda item: ranked_key(item[1])):
        routes.extend(_Exporter(stub, base, noted.setdefault(index, [])).routes())
    notes = [note for _, found in sorted(noted.items()) for note in found]  # file order
    environment: dict[str, Any] = {
        "uuid": str(uuid.uuid5(_ID_SPACE, f"environment {name}")),
        "lastMigration": LAST_MIGRATION,
        "name": name,
        "endpointPrefix": "",
        "latency": 0,
        "port": port,
        "hostname": "",
        "folders": [],
        "routes": routes,
        "rootChildren": [{"type": "route", "uuid": route["uuid"]} for route in routes],
        "proxyMode": False,
        "proxyHost": "",
        "proxyRemovePrefix": False,
        "tlsOptions": {
            "enabled": False,
            "type": "CERT",
            "pfxPath": "",
            "certPath": "",
            "keyPath": "",
            "caPath": "",
            "passphrase": "",
        },
        "cors": False,
        "headers": [],
        "proxyReqHeaders": [],
        "proxyResHeaders": [],
        "data": [],
        "callbacks": [],
    }
    return environment, notes


def ranked_key(stub: Stub) -> tuple[int, int, tuple[int, ...], int]:
    """Sorts stubs in the order our router tries them: priority (unset last), the most
    specific path (``specific`` ordering), then file order."""
    from apidouble.matching.paths import compile_path, compile_path_regex

    pattern = stub.pattern
    specificity: tuple[int, ...] = ()
    if stub.ordering == "specific" and pattern.path is not None:
        specificity = compile_path(pattern.path).specificity
    elif stub.ordering == "specific" and pattern.path_regex is not None:
        specificity = compile_path_regex(pattern.path_regex).specificity
    unset = stub.priority is None
    return (1 if unset else 0, stub.priority or 0, specificity, stub.order)


class _Exporter:
    """One stub's routes, its notes added to the export's."""

    def __init__(self, stub: Stub, base: Path, notes: list[str]) -> None:
        self.stub, self.base, self.notes = stub, base, notes

    def note(self, text: str) -> None:
        self.notes.append(f"endpoint {self.stub.label!r}: {text}")

    def routes(self) -> list[dict[str, Any]]:
        stub = self.stub
        endpoint = self._endpoint()
        if endpoint is None:
            return []
        self._stub_features()
        rules = self._rules()
        responses = [
            found
            for index, spec in enumerate(stub.responses)
            if (found := self._response(spec, index)) is not None
        ]
        if not responses:
            self.note("no response Mockoon can send: left out")
            return []
        mode: str | None = None
        if len(responses) > 1:
            mode = _MODES[stub.response_mode]
            if stub.response_mode == "sequence":
                self.note("sequence: Mockoon starts over after the last response")
            if rules:
                self.note("conditions on several responses: not exported (Mockoon ignores them)")
                rules = []
        elif rules:
            mode = "FALLBACK"
        for response in responses:
            response["rules"] = rules
        responses[0]["default"] = not rules
        methods = sorted(stub.pattern.methods) if stub.pattern.methods != ANY_METHOD else ["all"]
        routes: list[dict[str, Any]] = []
        for method in methods:
            key = stub.id if len(methods) == 1 else f"{stub.id} {method}"
            copies = [
                {**response, "uuid": str(uuid.uuid5(_ID_SPACE, f"{key} response {index}"))}
                for index, response in enumerate(responses)
            ]
            routes.append(
                {
                    "uuid": str(uuid.uuid5(_ID_SPACE, key)),
                    "type": "http",
                    "documentation": stub.name or "",
                    "method": method.lower(),
                    "endpoint": endpoint,
                    "responses": copies,
                    "responseMode": mode,
                    "streamingMode": None,
                    "streamingInterval": 0,
                }
            )
        return routes

    def _endpoint(self) -> str | None:
        pattern = self.stub.pattern
        if pattern.path is not None:
            found = mockoon_path(pattern.path)
            if found is None:
                self.note(f"path {pattern.path} has no Mockoon endpoint: left out")
            return found
        if pattern.path_regex is not None:
            found = regex_path(pattern.path_regex)
            if found is None:
                self.note(f"path_regex {pattern.path_regex} has no Mockoon endpoint: left out")
            return found
        self.note("no path: left out (a Mockoon route needs one)")
        return None

    def _stub_features(self) -> None:
        stub, pattern = self.stub, self.stub.pattern
        unsupported = {
            "url condition": pattern.url is not None or pattern.no_query,
            "host condition": pattern.host is not None,
            "port condition": pattern.port is not None,
            "scheme condition": pattern.scheme is not None,
            "auth claims condition": bool(pattern.claims),
            "scenario": stub.scenario is not None,
            "failure injection": bool(stub.failure_rate) or stub.failure is not None,
            "validate_schema": stub.validate_schema is not None,
            "addons": bool(stub.addons),
            "callbacks": bool(stub.callbacks),
        }
        for feature, there in unsupported.items():
            if there:
                self.note(f"{feature} has no Mockoon equivalent: not exported")
        config = stub.behaviours.config if stub.behaviours is not None else {}
        for key in config:
            self.note(f"behaviour {key!r} has no Mockoon equivalent: not exported")

    def _rules(self) -> list[dict[str, Any]]:
        pattern = self.stub.pattern
        found: list[dict[str, Any]] = []
        groups = [
            ("query", "query", pattern.query),
            ("header", "header", pattern.headers),
            ("cookie", "cookie", pattern.cookies),
            ("params", "path parameter", pattern.params),
        ]
        for target, what, conditions in groups:
            for key, spec in conditions:
                try:
                    found.append(_value_rule(target, _modifier(target, key), spec))
                except _Skip as skip:
                    self.note(f"{what} {key!r}: {skip}: not exported")
        for body in pattern.body:
            try:
                found.extend(_body_rules(body))
            except _Skip as skip:
                self.note(f"{skip}: not exported")
                continue
            if body.op == "equals" and isinstance(body.expected, dict | list):
                self.note("JSON body equality: checked field by field (other fields pass)")
        return found

    def _response(self, spec: ResponseSpec, index: int) -> dict[str, Any] | None:
        which = f"response {index + 1}" if len(self.stub.responses) > 1 else "response"
        for kind in _LEFT_OUT_KINDS:
            if getattr(spec, kind) is not None:
                self.note(f"{which}: {kind} has no Mockoon equivalent: left out")
                return None
        status = spec.status
        if not isinstance(status, int):
            self.note(f"{which}: templated status {status!r}: sent as 200")
            status = 200
        if spec.reason is not None:
            self.note(f"{which}: status_message has no Mockoon equivalent: not exported")
        try:
            body, body_type, file_path, implied = self._body(spec)
        except _Skip as skip:
            self.note(f"{which}: {skip}: left out")
            return None
        headers = [{"key": key, "value": value} for key, value in spec.headers]
        if (
            implied
            and spec.infer_type
            and not any(k.lower() == "content-type" for k, _ in spec.headers)
        ):
            headers.append({"key": "Content-Type", "value": implied})
        mockoon = spec.templating == "mockoon"
        if not mockoon and spec.templating != "none" and _templated(spec, body):
            self.note(f"{which}: {spec.templating} template: sent as written (no templating)")
        return {
            "uuid": "",
            "body": body,
            "latency": self._latency(spec.latency or self.stub.latency, which),
            "statusCode": status,
            "label": self.stub.name or "",
            "headers": headers,
            "bodyType": body_type,
            "filePath": file_path,
            "databucketID": "",
            "sendFileAsBody": body_type == "FILE",
            "rules": [],
            "rulesOperator": "AND",
            "disableTemplating": not mockoon,
            "fallbackTo404": False,
            "default": False,
            "crudKey": "id",
            "callbacks": [],
        }

    def _body(self, spec: ResponseSpec) -> tuple[str, str, str, str | None]:
        """The body text, ``bodyType``, ``filePath`` and the content type implied."""
        from apidouble.responses import infer_text_type
        from apidouble.templating.files import content_type_of

        kind, value = spec.body_kind, spec.body
        if kind == "json":
            return json.dumps(value, indent=2, ensure_ascii=False), "INLINE", "", "application/json"
        if kind == "text" and isinstance(value, str):
            return value, "INLINE", "", infer_text_type(value)
        if kind == "base64" and isinstance(value, str):
            text = _text(base64.b64decode(value), "binary body")
            return text, "INLINE", "", "application/octet-stream"
        if kind == "file" and value is not None:
            path = Path(value).resolve()
            if path.is_relative_to(self.base):
                return "", "FILE", path.relative_to(self.base).as_posix(), None
            text = _text(path.read_bytes(), f"binary file {path.name} outside the output folder")
            return text, "INLINE", "", content_type_of(path.name)
        if kind == "file":
            raise _Skip(f"templated response_file {spec.file_template!r}")
        return "", "INLINE", "", None

    def _latency(self, latency: Latency | None, which: str) -> int:
        if latency is None:
            return 0
        params = latency.params
        if latency.distribution == "fixed":
            return round(params.get("ms", 0))
        for key in ("median_ms", "mean_ms"):
            if key in params:
                ms = round(params[key])
                break
        else:
            ms = round((params.get("min_ms", 0) + params.get("max_ms", 0)) / 2)
        self.note(f"{which}: {latency.distribution} latency: a fixed {ms} ms")
        return ms


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Skip(f"{what} cannot be inlined as text") from None


def _templated(spec: ResponseSpec, body: str) -> bool:
    from apidouble.templating.compile import is_template

    return is_template(body) or any(is_template(value) for _, value in spec.headers)


def mockoon_path(path: str) -> str | None:
    """A native ``path`` as a Mockoon endpoint: literal and whole ``{name}`` segments
    only (``{id}`` is ``:id``); None for the rest (``*``, ``**``, mixed segments), and
    for any the import would not read back as the same ``path``."""
    from apidouble.importers.mockoon.paths import route_path

    found = []
    for part in path.removeprefix("/").split("/"):
        whole = re.fullmatch(r"\{(" + _NAME + r")\}", part)
        if whole is not None:
            found.append(":" + whole.group(1))
        elif re.fullmatch(_LITERAL, part):
            found.append(part)
        else:
            return None
    endpoint = "/".join(found)
    try:
        back = route_path("", endpoint)
    except ValueError:
        return None
    return endpoint if back.path == path else None


def regex_path(regex: str) -> str | None:
    """A ``path_regex`` as a Mockoon endpoint when it is literal segments and whole
    ``(?P<name>[^/]+)`` segments, else None."""
    text = regex.removeprefix("^").removesuffix("$")
    text = re.sub(r"\(\?P<(" + _NAME + r")>\[\^/\]\+\)", "\0\\1", text)
    if not text.startswith("/"):
        return None
    found = []
    for part in text[1:].split("/"):
        if re.fullmatch("\0" + _NAME, part):
            found.append(":" + part[1:])
        elif re.fullmatch(r"(?:\\[.~-]|[\w~%@,;=&'-])*", part):
            found.append(re.sub(r"\\(.)", r"\1", part))
        else:
            return None
    endpoint = "/".join(found)
    native = "/" + re.sub(":(" + _NAME + ")", r"{\1}", endpoint)
    return endpoint if mockoon_path(native) is not None else None


def _modifier(target: str, key: str) -> str:
    if target == "query":
        found = _QUERY_NAME.fullmatch(key)
        if found is None:
            raise _Skip("a name Mockoon cannot address")
        keys = re.findall(r"\[([\w-]+)\]", found.group(2))
        return ".".join([found.group(1), *keys])
    return key


def _value_rule(target: str, modifier: str, spec: ValueSpec) -> dict[str, Any]:
    operator, value, invert = _operator(spec)
    return {
        "target": target,
        "modifier": modifier,
        "value": value,
        "invert": invert,
        "operator": operator,
    }


def _operator(spec: ValueSpec) -> tuple[str, str, bool]:
    """Mockoon's ``operator``, ``value`` and ``invert`` for one value condition."""
    regex = "regex_i" if spec.case_insensitive else "regex"
    if spec.op == "present":
        present = bool(spec.expected) != spec.negate
        return "null", "", present
    if spec.op == "equals" and not spec.case_insensitive:
        return "equals", _scalar(spec.expected), spec.negate
    if spec.op == "equals":
        return regex, f"^{js_escape(_scalar(spec.expected))}$", spec.negate
    if spec.op == "contains":
        return regex, js_escape(_scalar(spec.expected)), spec.negate
    if spec.op == "regex":
        return regex, f"^(?:{js_regex(str(spec.expected))})$", spec.negate
    if spec.op == "one_of" and isinstance(spec.expected, list | tuple):
        options = "|".join(js_escape(_scalar(option)) for option in spec.expected)
        return regex, f"^(?:{options})$", spec.negate
    raise _Skip(f"{spec.op} has no Mockoon rule")


def _body_rules(body: BodySpec) -> list[dict[str, Any]]:
    if body.op == "equals" and isinstance(body.expected, str):
        return [_body_rule("", "equals", body.expected)]
    if body.op == "contains":
        return [_body_rule("", "regex", js_escape(_scalar(body.expected)))]
    if body.op == "regex":
        pattern = js_regex(str(body.expected), dotall=True)
        return [_body_rule("", "regex", f"^(?:{pattern})$")]
    if body.op in ("json", "equals") and isinstance(body.expected, dict | list):
        return [_body_rule(path, "equals", value) for path, value in _leaves(body.expected)]
    if body.op == "jsonpath" and body.expression is not None:
        simple = _SIMPLE_JSONPATH.fullmatch(body.expression)
        if simple is None:
            raise _Skip(f"jsonpath body matcher {body.expression} has no Mockoon rule")
        path = re.sub(r"\[(\d+)\]", r".\1", simple.group(1)).lstrip(".")
        if body.value is None:
            return [{**_body_rule(path, "null", ""), "invert": True}]
        operator, value, invert = _operator(body.value)
        return [{**_body_rule(path, operator, value), "invert": invert}]
    raise _Skip(f"{body.op} body matcher has no Mockoon rule")


def _body_rule(path: str, operator: str, value: str) -> dict[str, Any]:
    return {
        "target": "body",
        "modifier": path,
        "value": value,
        "invert": False,
        "operator": operator,
    }


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(object path, text)`` of every scalar in a JSON value, as Mockoon's body rules
    address and compare them (``String(value) === rule.value``)."""
    items: Sequence[tuple[str, Any]]
    if isinstance(value, Mapping):
        items = [(str(key), item) for key, item in value.items()]
    else:
        items = [(str(index), item) for index, item in enumerate(value)]
    if not items:
        raise _Skip("JSON body matcher with an empty object or list has no Mockoon rule")
    for key, item in items:
        if not _SIMPLE_KEY.fullmatch(key):
            raise _Skip(f"JSON body matcher key {key!r} has no Mockoon path")
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(item, Mapping | list):
            yield from _leaves(item, path)
        elif item is None:
            raise _Skip(f"JSON body matcher null at {path} has no Mockoon rule")
        else:
            yield path, _scalar(item)


def _scalar(value: Any) -> str:
    """JavaScript's ``String(value)`` of a JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def js_escape(text: str) -> str:
    """Text as a JavaScript regex matching it literally."""
    return "".join("\\" + char if char in _JS_SPECIAL else char for char in text)


def js_regex(pattern: str, dotall: bool = False) -> str:
    """A Python regex in JavaScript's spelling; ``dotall``: ``.`` matches newlines too
    (Mockoon sets no ``s`` flag). Raises ``_Skip`` on Python-only syntax."""
    if _PYTHON_ONLY.search(pattern):
        raise _Skip(f"regex {pattern!r} uses Python-only syntax")
    pattern = re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", pattern.replace("(?P<", "(?<"))
    if not dotall:
        return pattern
    found, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            char = "[\\s\\S]"
        found.append(char)
    return "".join(found)
