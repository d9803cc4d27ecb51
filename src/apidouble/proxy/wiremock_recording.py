"""WireMock's recordings: proxied exchanges from the journal as WireMock stub mappings.

What ``/__admin/recordings/stop`` and ``/snapshot`` answer, shaped as WireMock 3.13 shapes
them (checked against the jar): one mapping per distinct request, newest first, named
after its path (``/jobs/7`` -> ``jobs_7``); ``url`` for a request without a query, else
``urlPath`` with ``queryParameters`` that must have exactly the recorded values; a JSON
body as ``equalToJson`` ignoring array order and extra elements, other text as
``equalTo``; the answer's status, headers (less ``Content-Length`` and hop-by-hop ones;
secrets redacted, as the native recorder does, where WireMock would keep them) and body
(``base64Body`` when it is not text). A request answered differently over time becomes
a scenario (``repeatsAsScenarios``, WireMock's default): ``scenario-N-PATH``,
moving from ``Started`` through ``scenario-N-PATH-2``...

Spec fields read: ``filters`` (``url``, ``urlPattern``, ``urlPath``, ``urlPathPattern``,
``method``), ``captureHeaders`` (``{Name: {caseInsensitive}}``), ``requestBodyPattern``
(``{matcher: equalTo|equalToJson|auto, ignoreArrayOrder, ignoreExtraElements}``),
``extractBodyCriteria`` (``wiremock_bodies``), ``repeatsAsScenarios``, ``persist``,
``outputFormat``. ``transformers`` and ``transformerParameters`` name WireMock's
stub-mapping transformer extensions, which run over the recorded mappings; WireMock ships
none (an unknown name is passed over, the mappings stay as they are), and neither do we:
both are checked for their type and otherwise change nothing, as in WireMock. Any other
field is refused, as WireMock refuses it (``requestIdsToSnapshot``, ``allowNonProxied``
are not fields of its spec). A credential-like query parameter or captured header is
matched by presence (``matches: .*``), never written down.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ..model import HOP_BY_HOP
from .recorder import PROXIED, is_secret, recorded_headers
from .wiremock_bodies import body_criteria, is_text_media

log = logging.getLogger("apidouble")

_UNRECORDED_HEADERS = HOP_BY_HOP | {"content-length", "date", "server"}
PRESENT = {"matches": ".*"}
"""How a credential-like query parameter or captured header is matched: by presence."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One proxied request and what the upstream answered, as the journal kept it."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    answer_headers: tuple[tuple[str, str], ...]
    answer_body: bytes
    delay_ms: int | None = None
    """How long the upstream took, recorded as ``fixedDelayMilliseconds`` when given."""


def exchanges(entries: Iterable[Mapping[str, Any]]) -> list[Exchange]:
    """The proxied exchanges among journal entries (``Journal.newest``), oldest first;
    one whose body the journal cut short is left out (logged)."""
    found: list[Exchange] = []
    for entry in sorted(entries, key=lambda e: e["id"]):
        notes = entry.get("notes") or ()
        response = entry.get("response")
        if not any(str(n).startswith(PROXIED) for n in notes) or not response:
            continue
        if entry.get("body_truncated") or response.get("body_truncated"):
            log.warning("recording: %s %s left out (the journal cut its body short)",
                        entry["method"], entry["path"])  # fmt: skip
            continue
        found.append(
            Exchange(
                entry["method"],
                entry["path"],
                entry.get("query") or "",
                tuple((str(n), str(v)) for n, v in entry.get("headers") or ()),
                _bytes(entry.get("body", ""), entry.get("body_encoding")),
                int(response["status"]),
                tuple((str(n), str(v)) for n, v in response.get("headers") or ()),
                _bytes(response.get("body", ""), response.get("body_encoding")),
            )
        )
    return found


def _bytes(text: str, encoding: str | None) -> bytes:
    return base64.b64decode(text) if encoding == "base64" else text.encode()


SPEC_FIELDS = frozenset(
    {
        "targetBaseUrl",
        "filters",
        "captureHeaders",
        "requestBodyPattern",
        "extractBodyCriteria",
        "outputFormat",
        "persist",
        "repeatsAsScenarios",
        "transformers",
        "transformerParameters",
    }
)
"""WireMock 3.13's ``RecordSpec``: it refuses any other field."""


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """Why a recording spec cannot be used, as WireMock's 422 says it."""

    title: str
    pointer: str | None = None
    detail: str | None = None

    def error(self) -> dict[str, Any]:
        """The entry of WireMock's ``errors`` list."""
        error: dict[str, Any] = {"code": 10}
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        error["title"] = self.title
        if self.detail is not None:
            error["detail"] = self.detail
        return error


def _parse_error(pointer: str, detail: str) -> SpecProblem:
    return SpecProblem("Error parsing JSON", pointer, detail)


def check_spec(spec: Any, needs_target: bool) -> SpecProblem | None:
    """Why a recording spec cannot be used, or None."""
    if not isinstance(spec, Mapping):
        return SpecProblem("the recording spec must be a JSON object")
    for name in spec:
        if name not in SPEC_FIELDS:
            return _parse_error(
                f"/{name}", f'Unrecognized field "{name}" (not a recording spec field)'
            )
    target = spec.get("targetBaseUrl")
    if needs_target and (
        not isinstance(target, str) or not re.match(r"^https?://[^/?#\s]+", target, re.I)
    ):
        return SpecProblem("targetBaseUrl must be an http:// or https:// URL")
    for name in ("persist", "repeatsAsScenarios"):
        if not _is_boolean(spec.get(name)):
            return _parse_error(f"/{name}", f"{name} is true or false")
    transformers = spec.get("transformers")
    if transformers is not None and not isinstance(transformers, list):
        return _parse_error("/transformers", "transformers is a list of names")
    for index, name in enumerate(transformers or ()):
        if isinstance(name, dict | list):
            return _parse_error(f"/transformers/{index}", "a transformer is named by a string")
    parameters = spec.get("transformerParameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        return _parse_error("/transformerParameters", "transformerParameters is an object")
    captured = spec.get("captureHeaders")
    if captured is not None and not isinstance(captured, Mapping):
        return _parse_error("/captureHeaders", "captureHeaders is an object of header names")
    for name, options in (captured or {}).items():
        insensitive = options.get("caseInsensitive") if isinstance(options, Mapping) else None
        if not _is_boolean(insensitive):
            return _parse_error(f"/captureHeaders/{name}/caseInsensitive", "true or false")
    output = spec.get("outputFormat")
    if output is not None and str(output).upper() not in ("FULL", "IDS"):
        return _parse_error("/outputFormat", "Invalid output format")
    try:
        body_criteria(spec)
    except ValueError as exc:
        return _parse_error("/extractBodyCriteria", str(exc))
    return None


def _is_boolean(value: Any) -> bool:
    """What Jackson reads as a Boolean: true, false, a number, their text, or null."""
    if value is None or isinstance(value, bool | int):
        return True
    return isinstance(value, str) and value in ("true", "false")


def flag(spec: Mapping[str, Any], name: str, default: bool) -> bool:
    """A boolean field of the spec as WireMock reads it (``_is_boolean``)."""
    value = spec.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        return value == "true"
    return bool(value)


Ids = Callable[[str, int], str]
"""A mapping's id from its request (as JSON text) and the answer's place among that
request's answers: random for the recording API, as WireMock's are."""


def _random_id(request: str, index: int) -> str:
    return str(uuid.uuid4())


def mappings(
    recorded: list[Exchange],
    spec: Mapping[str, Any],
    ids: Ids = _random_id,
    known: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The stub mappings WireMock makes of ``recorded`` (oldest first), newest first;
    a request in ``known`` (``request_key`` of an existing mapping) is left out."""
    wanted = _filter(spec.get("filters"))
    captured = _captured_headers(spec.get("captureHeaders"))
    scenarios = flag(spec, "repeatsAsScenarios", True)
    groups: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for exchange in recorded:
        if not wanted(exchange):
            continue
        request = _request(exchange, captured, spec.get("requestBodyPattern"))
        key = request_key(request)
        if key in known:
            continue
        answer = _response(exchange)
        group = groups.setdefault(key, (request, []))
        if answer not in group[1]:
            group[1].append(answer)
    out: list[dict[str, Any]] = []
    number = 0
    for key, (request, answers) in groups.items():
        name = _name(request)
        if len(answers) == 1 or not scenarios:
            out.append(_mapping(ids(key, 0), name, request, answers[0]))
            continue
        number += 1
        scenario = f"scenario-{number}-{name.replace('_', '-')}"
        states = ["Started", *(f"{scenario}-{i}" for i in range(2, len(answers) + 1))]
        for index, answer in enumerate(answers):
            mapping = _mapping(ids(key, index), name, request, answer)
            mapping["scenarioName"] = scenario
            mapping["requiredScenarioState"] = states[index]
            if index + 1 < len(answers):
                mapping["newScenarioState"] = states[index + 1]
            out.append(mapping)
    persistent = flag(spec, "persist", True)
    for mapping in out:
        mapping["persistent"] = persistent
    return list(reversed(out))


def request_key(request: Mapping[str, Any]) -> str:
    """A mapping's request as text that is the same for the same request."""
    return json.dumps(request, sort_keys=True)


def _mapping(
    ident: str, name: str, request: dict[str, Any], answer: dict[str, Any]
) -> dict[str, Any]:
    return {"id": ident, "name": name, "request": request, "response": dict(answer), "uuid": ident}


def _name(request: Mapping[str, Any]) -> str:
    """WireMock's name for a recorded path (its ``FilenameMaker.sanitizeUrl``):
    ``/Jobs/7.json`` is ``jobs_7.json``."""
    path = str(request.get("url") or request.get("urlPath") or "/").split("?", 1)[0]
    text = unicodedata.normalize("NFD", re.sub(r"\s", "-", path.replace("/", "_")))
    text = re.sub(r"[^\w.-]", "", text, flags=re.ASCII).lower()
    return text.strip("_")[:200]


def _request(exchange: Exchange, captured: Mapping[str, bool], body_pattern: Any) -> dict[str, Any]:
    request: dict[str, Any] = {}
    pairs = parse_qsl(exchange.query, keep_blank_values=True)
    if pairs:
        request["urlPath"] = exchange.path
    else:
        request["url"] = exchange.path
    request["method"] = exchange.method
    if captured:
        headers: dict[str, Any] = {}
        for name, insensitive in captured.items():
            value = next((v for n, v in exchange.headers if n.lower() == name.lower()), None)
            if value is not None and is_secret(name):
                headers[name] = dict(PRESENT)  # a credential is never written down
            elif value is not None:
                headers[name] = {
                    "equalTo": value,
                    **({"caseInsensitive": True} if insensitive else {}),
                }
        if headers:
            request["headers"] = headers
    if pairs:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)
        request["queryParameters"] = {
            name: (
                dict(PRESENT)
                if is_secret(name)
                else {"hasExactly": [{"equalTo": v} for v in given]}
            )
            for name, given in values.items()
        }
    if exchange.body:
        request["bodyPatterns"] = [_body_pattern(exchange.body, body_pattern)]
    return request


def _body_pattern(body: bytes, spec: Any) -> dict[str, Any]:
    options = spec if isinstance(spec, Mapping) else {}
    matcher = options.get("matcher", "auto")
    text = body.decode("utf-8", "replace")
    is_json = False
    try:
        json.loads(text)
        is_json = True
    except ValueError:
        pass
    if matcher == "equalToJson" or (matcher == "auto" and is_json):
        return {
            "equalToJson": text,
            "ignoreArrayOrder": options.get("ignoreArrayOrder", True),
            "ignoreExtraElements": options.get("ignoreExtraElements", True),
        }
    return {"equalTo": text}


def _response(exchange: Exchange) -> dict[str, Any]:
    """The recorded answer as WireMock keeps it: a body of a text media type as text,
    any other as ``base64Body``; a gzipped one unzipped (its ``Content-Encoding`` gone)."""
    answer: dict[str, Any] = {"status": exchange.status}
    body, dropped = exchange.answer_body, _UNRECORDED_HEADERS
    encoding = next((v for n, v in exchange.answer_headers if n.lower() == "content-encoding"), "")
    if "gzip" in encoding.lower():
        try:
            body, dropped = gzip.decompress(body), dropped | {"content-encoding"}
        except (OSError, EOFError):
            pass  # not gzip after all: kept as it came, with its header
    media = next((v for n, v in exchange.answer_headers if n.lower() == "content-type"), None)
    if body:
        text = None
        if media is not None and is_text_media(media.split(";", 1)[0].strip()):
            text = body.decode("utf-8", "replace")
        if text is not None:
            answer["body"] = text
        else:
            answer["base64Body"] = base64.b64encode(body).decode("ascii")
    headers = recorded_headers(exchange.answer_headers, dropped)
    if headers:
        answer["headers"] = headers
    if exchange.delay_ms is not None:
        answer["fixedDelayMilliseconds"] = exchange.delay_ms
    return answer


def _captured_headers(spec: Any) -> dict[str, bool]:
    if not isinstance(spec, Mapping):
        return {}
    return {
        str(name): bool(options.get("caseInsensitive")) if isinstance(options, Mapping) else False
        for name, options in spec.items()
    }


def _filter(spec: Any) -> Callable[[Exchange], bool]:
    """Which exchanges to record: WireMock's ``filters`` (a request pattern; the URL and
    method parts are read)."""
    if not isinstance(spec, Mapping):
        return lambda exchange: True
    tests: list[Callable[[Exchange], bool]] = []
    method = spec.get("method")
    if isinstance(method, str) and method.upper() != "ANY":
        wanted = method.upper()
        tests.append(lambda e: e.method == wanted)
    if isinstance(url := spec.get("url"), str):
        tests.append(lambda e: _url(e) == url)
    if isinstance(path := spec.get("urlPath"), str):
        tests.append(lambda e: e.path == path)
    if isinstance(pattern := spec.get("urlPattern"), str):
        compiled = re.compile(pattern)
        tests.append(lambda e: compiled.fullmatch(_url(e)) is not None)
    if isinstance(path_pattern := spec.get("urlPathPattern"), str):
        compiled_path = re.compile(path_pattern)
        tests.append(lambda e: compiled_path.fullmatch(e.path) is not None)
    return lambda exchange: all(test(exchange) for test in tests)


def _url(exchange: Exchange) -> str:
    return exchange.path + (f"?{exchange.query}" if exchange.query else "")
