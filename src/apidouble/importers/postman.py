"""Postman collections (v2.0, v2.1 and v1) as apidouble stubs (an ``apidouble.importers``
entry point).

What is served is what Postman's own mock server serves: the saved examples. Every
example (``item.response[]``) becomes an endpoint answering its ``originalRequest`` (the
item's request when it has none); a request without examples is skipped, as Postman's
mock server answers it with ``mockRequestNotFoundError``, and a collection with no
examples at all is refused (nothing to serve). As there, when one request has several
examples the first 2xx one answers by default, and the headers ``x-mock-response-name``
and ``x-mock-response-code`` pick another. Request headers and auth are not matched
(Postman matches them only on request); the query (enabled parameters) and a raw JSON
body are.

``{{variables}}`` are resolved from the collection's ``variable`` list and an
environment's ``values``, which take precedence as in Postman: the one chosen
(``apidouble import postman --env FILE``; ``apidouble run --postman-env FILE``, which
sets ``APIDOUBLE_POSTMAN_ENV`` for every collection of the run), else the one beside the
collection (``NAME.postman_environment.json`` next to ``NAME.postman_collection.json``).
The environment is the importer's source (``sources``), so editing it reloads.

An unresolved variable is a wildcard in the path (``/users/{{id}}`` is
``/users/{id}``) and in a query value; in response bodies and headers it stays literal
text, unless it is a dynamic variable (``{{$guid}}``, ``{{$timestamp}}``...) with a
template equivalent: that response is then a template. Environment files themselves are
claimed too and give no endpoints, so a folder holding both loads.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

from apidouble.config.fields import HTTP_METHODS
from apidouble.importers.postman_v1 import is_v1, listed, v1_items
from apidouble.naming import unique

__all__ = [
    "DYNAMIC",
    "ENVIRONMENT_VARIABLE",
    "collection_document",
    "convert",
    "detect",
    "environment_file",
    "environment_of",
    "read_environment",
    "sources",
    "with_environment",
]

log = logging.getLogger("apidouble.importers.postman")

DYNAMIC: Mapping[str, str] = {
    "$guid": "random_uuid()",
    "$randomUUID": "random_uuid()",
    "$timestamp": "now.epoch",
    "$isoTimestamp": "now.iso",
    "$randomInt": "random_int(0, 1000)",
    "$randomBoolean": "random_choice(['true', 'false'])",
    "$randomAlphaNumeric": "random_string(1)",
    "$randomFirstName": "faker.first_name()",
    "$randomLastName": "faker.last_name()",
    "$randomFullName": "faker.name()",
    "$randomUserName": "faker.user_name()",
    "$randomEmail": "faker.email()",
    "$randomPhoneNumber": "faker.phone_number()",
    "$randomCity": "faker.city()",
    "$randomCountry": "faker.country()",
    "$randomStreetAddress": "faker.street_address()",
    "$randomCompanyName": "faker.company()",
    "$randomUrl": "faker.url()",
    "$randomIP": "faker.ipv4()",
    "$randomWord": "faker.word()",
    "$randomLoremSentence": "faker.sentence()",
}
"""Postman dynamic variables and the template expression that makes the same kind of
value (each occurrence a fresh one, as in Postman)."""

_VAR = re.compile(r"\{\{([^{}]+)\}\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DROPPED = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
)
"""Saved response headers that describe the original transfer, not the saved body (it is
stored decoded, so a ``Content-Encoding: gzip`` would lie)."""
_LANGUAGES = {
    "json": "application/json",
    "xml": "application/xml",
    "html": "text/html",
    "text": "text/plain",
    "javascript": "application/javascript",
}
_ENV_SUFFIX = ".postman_environment.json"
_COLLECTION_SUFFIX = ".postman_collection.json"


def detect(data: Any, path: Path) -> bool:
    """Whether ``data`` is a Postman collection (by shape) or environment."""
    return _is_v2(data) or is_v1(data) or _is_environment(data, path)


ENVIRONMENT_VARIABLE = "APIDOUBLE_POSTMAN_ENV"
"""An environment file every collection loaded in this process uses instead of the one
beside it (``apidouble run --postman-env`` sets it, so worker processes see it too)."""


def convert(data: Any, path: Path, environment: Path | None = None) -> dict[str, Any]:
    """The native document of a collection, with ``environment`` (by default the chosen
    one or the one beside it: ``environment_file``); an environment alone gives no
    endpoints."""
    if _is_environment(data, path) and not (_is_v2(data) or is_v1(data)):
        return {"endpoints": []}
    chosen = environment if environment is not None else environment_file(path)
    variables = read_environment(chosen) if chosen is not None and chosen.is_file() else {}
    return collection_document(data, variables, str(path))


def sources(data: Any, path: Path) -> Sequence[Path]:
    """The environment a collection's conversion reads (one beside it that does not
    exist yet too: creating it changes the stubs)."""
    if _is_environment(data, path) and not (_is_v2(data) or is_v1(data)):
        return ()
    chosen = environment_file(path)
    return (chosen,) if chosen is not None else ()


def environment_file(path: Path) -> Path | None:
    """The environment for the collection at ``path``: ``APIDOUBLE_POSTMAN_ENV``, else
    ``NAME.postman_environment.json`` beside ``NAME.postman_collection.json`` (which may
    not exist), else none."""
    chosen = os.environ.get(ENVIRONMENT_VARIABLE)
    if chosen:
        return Path(chosen)
    name = path.name
    if not name.endswith(_COLLECTION_SUFFIX):
        return None
    return path.with_name(name[: -len(_COLLECTION_SUFFIX)] + _ENV_SUFFIX)


def environment_of(path: Path) -> dict[str, str]:
    """The variables of the environment for the collection at ``path`` (none when there
    is none)."""
    chosen = environment_file(path)
    return read_environment(chosen) if chosen is not None and chosen.is_file() else {}


def read_environment(file: Path) -> dict[str, str]:
    """The enabled ``values`` of a Postman environment file; ``ValueError`` naming it when
    it cannot be read."""
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the environment {file}: {exc}") from exc
    values = data.get("values") if isinstance(data, dict) else None
    return _variables(values if isinstance(values, list) else [], environment=True)


class _Chosen:
    """The importer with one environment file for every collection (``--env``)."""

    def __init__(self, environment: Path) -> None:
        self.environment = environment

    def detect(self, data: Any, path: Path) -> bool:
        return detect(data, path)

    def convert(self, data: Any, path: Path) -> dict[str, Any]:
        return convert(data, path, self.environment)

    def sources(self, data: Any, path: Path) -> Sequence[Path]:
        return (self.environment,)


def with_environment(environment: Path) -> _Chosen:
    """The importer converting with ``environment`` instead of the one beside each
    collection (``apidouble import postman COLLECTION --env FILE``)."""
    return _Chosen(environment)


def collection_document(
    data: Any, environment: Mapping[str, str], source: str = "a Postman collection"
) -> dict[str, Any]:
    """The native document of a parsed collection; ``environment`` variables win over
    the collection's. ``ValueError`` when there is nothing to serve; what is left out is
    logged, naming ``source``."""
    if not isinstance(data, dict):
        raise ValueError("a Postman collection is a JSON object")
    declared = data.get("variable", data.get("variables"))
    variables = _variables(declared if isinstance(declared, list) else [], environment=False)
    variables.update(environment)
    items = v1_items(data) if is_v1(data) and not _is_v2(data) else data.get("item", [])
    examples: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    skipped: list[str] = []
    info = data.get("info")
    named = info.get("name") if isinstance(info, dict) else data.get("name")
    prefix = f"{named} / " if isinstance(named, str) and named else ""
    for names, item in _requests(items, ()):
        title = " / ".join(names)
        saved = [r for r in item.get("response") or [] if isinstance(r, dict)]
        if not saved:
            skipped.append(f"{title}: no saved example")
        for index, example in enumerate(saved):
            request = example.get("originalRequest") or item.get("request")
            label = str(example.get("name") or f"example {index + 1}")
            examples.append((f"{title} / {label}", _request(request), example))
    endpoints = _endpoints(examples, variables, skipped, prefix)
    if skipped:
        log.info("%s: %d request(s) not served: %s", source, len(skipped), "; ".join(skipped))
    if not endpoints:
        why = "; ".join(skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
        raise ValueError(
            "nothing to serve: a request is answered with its saved example responses"
            f" only (as Postman's mock server does), and none has one ({why})"
        )
    return {"endpoints": endpoints}


# --- shapes ---------------------------------------------------------------------------


def _is_v2(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    info, items = data.get("info"), data.get("item")
    if isinstance(info, dict) and "/collection/v2" in str(info.get("schema", "")):
        return True
    if not isinstance(items, list) or not (isinstance(info, dict) or "name" in data):
        return False
    return all(isinstance(i, dict) and ("request" in i or "item" in i) for i in items)


def _is_environment(data: Any, path: Path) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("values"), list):
        return False
    named = path.name.endswith(_ENV_SUFFIX)
    return named or data.get("_postman_variable_scope") == "environment"


def _requests(items: Any, names: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every request item under ``items``, depth first in collection order, with the
    names of its folders and itself."""
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        here = (*names, str(item.get("name") or "request"))
        if isinstance(item.get("item"), list):
            yield from _requests(item["item"], here)
        elif "request" in item:
            yield here, item


def _variables(listed: list[Any], environment: bool) -> dict[str, str]:
    """``{key: value}`` of a variable list, leaving out the switched-off ones
    (``disabled: true`` in a collection, ``enabled: false`` in an environment)."""
    found: dict[str, str] = {}
    for var in listed:
        if not isinstance(var, dict):
            continue
        if var.get("enabled") is False if environment else var.get("disabled") is True:
            continue
        key = var.get("key", var.get("id"))
        if isinstance(key, str) and var.get("value") is not None:
            value = var["value"]
            found[key] = value if isinstance(value, str) else json.dumps(value)
    return found


def _request(request: Any) -> dict[str, Any]:
    """A request in its object form (a bare string is a GET of that URL)."""
    if isinstance(request, str):
        return {"method": "GET", "url": request}
    return request if isinstance(request, dict) else {}


# --- endpoints ------------------------------------------------------------------------


def _endpoints(
    examples: list[tuple[str, dict[str, Any], dict[str, Any]]],
    variables: Mapping[str, str],
    skipped: list[str],
    prefix: str,
) -> list[dict[str, Any]]:
    """One endpoint per example, named ``prefix`` (the collection's name) + its folders,
    request and example names, so two collections' stubs keep apart. Where several
    examples answer one request, the first 2xx (else the first) answers by default and
    the others on x-mock-response-name or -code (with a priority, so they are tried
    before the default)."""
    matched: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    groups: dict[str, list[int]] = {}
    for title, request, example in examples:
        method = str(request.get("method") or "GET").upper()
        if method not in HTTP_METHODS:
            skipped.append(f"{title}: method {method} is not one apidouble serves")
            continue
        condition = {"method": method, **_condition(request, variables)}
        key = json.dumps(condition, sort_keys=True)
        groups.setdefault(key, []).append(len(matched))
        matched.append((title, condition, example))
    defaults = {min(g, key=lambda i: (not _ok(matched[i][2]), i)) for g in groups.values()}
    endpoints: list[dict[str, Any]] = []
    names: set[str] = set()
    for group in groups.values():
        chosen = next(i for i in group if i in defaults)
        seen = {("name", _label(matched[chosen])), ("code", _code(matched[chosen][2]))}
        for index in group:
            title, condition, example = matched[index]
            answer = _answer(example, variables)
            if index == chosen:
                endpoints.append(_endpoint(prefix + title, condition, answer, None, names))
                continue
            for header, value in (("name", _label(matched[index])), ("code", _code(example))):
                if (header, value) not in seen:
                    seen.add((header, value))
                    pick = (f"x-mock-response-{header}", str(value))
                    endpoints.append(_endpoint(prefix + title, condition, answer, pick, names))
    return endpoints


def _endpoint(
    title: str,
    condition: dict[str, Any],
    answer: dict[str, Any],
    pick: tuple[str, str] | None,
    names: set[str],
) -> dict[str, Any]:
    name = title if pick is None else f"{title} ({pick[0]}: {pick[1]})"
    endpoint: dict[str, Any] = copy.deepcopy({"name": unique(name, names), **condition, **answer})
    if pick is not None:
        match = endpoint.setdefault("match", {})
        match["headers"] = {pick[0]: pick[1]}
        endpoint["priority"] = 1
    return endpoint  # a copy: examples share their conditions, and YAML would alias them


def _ok(example: dict[str, Any]) -> bool:
    return 200 <= _code(example) < 300


def _code(example: dict[str, Any]) -> int:
    code = example.get("code")
    code = int(code) if isinstance(code, str) and code.isdigit() else code
    return code if isinstance(code, int) and 100 <= code <= 599 else 200


def _label(entry: tuple[str, dict[str, Any], dict[str, Any]]) -> str:
    return str(entry[2].get("name") or entry[0].rsplit(" / ", 1)[-1])


# --- the request ----------------------------------------------------------------------


def _condition(request: dict[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """``path`` and ``match`` (query, JSON body) for a request."""
    url = request.get("url")
    raw = url if isinstance(url, str) else url.get("raw") if isinstance(url, dict) else None
    if isinstance(raw, str):
        target = _resolve(raw, variables)
    elif isinstance(url, dict):
        target = "/" + "/".join(_segment_text(s) for s in listed(url.get("path")))
        target = _resolve(target, variables)
    else:
        target = "/"
    path, query_text = _split_target(target)
    condition: dict[str, Any] = {"path": _path(path)}
    match: dict[str, Any] = {}
    given = url.get("query") if isinstance(url, dict) else None
    if isinstance(given, list):
        pairs = [
            (str(q.get("key")), q.get("value"))
            for q in given
            if isinstance(q, dict) and q.get("key") and not q.get("disabled")
        ]
    else:
        pairs = _query_pairs(query_text)
    query: dict[str, Any] = {}
    for key, value in pairs:
        shown = None if value is None else _resolve(str(value), variables)
        query.setdefault(_resolve(key, variables), _query_matcher(shown))
    if query:
        match["query"] = query
    body = _json_body(request.get("body"), variables)
    if body is not None:
        match["body"] = {"json": body}
    if match:
        condition["match"] = match
    return condition


def _segment_text(segment: Any) -> str:
    if isinstance(segment, dict):
        return str(segment.get("value", ""))
    return str(segment)


def _split_target(target: str) -> tuple[str, str]:
    """The path and query of a URL, its scheme and host (resolved or not) stripped."""
    head, _, query = target.strip().split("#", 1)[0].partition("?")
    head = _SCHEME.sub("", head)
    if not head.startswith("/"):
        head = "/" + head.partition("/")[2]
    return head, query


def _path(path: str) -> str:
    """A native path: ``{{var}}`` and ``:var`` segments become ``{var}`` parameters."""
    taken: set[str] = set()
    segments = []
    for segment in path.split("/"):
        if segment.startswith(":") and len(segment) > 1:
            segment = "{{" + segment[1:] + "}}"
        pieces = []
        for literal, name in _pieces(segment):
            if name is None:
                pieces.append(literal.replace("{", "%7B").replace("}", "%7D"))
            else:
                pieces.append("{" + _param(name, taken) + "}")
        segments.append("".join(pieces))
    return "/".join(segments) or "/"


def _param(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name.strip().lstrip("$")) or "param"
    base = "_" + base if base[0].isdigit() else base
    return unique(base, taken, "{}_{}".format)


def _query_pairs(text: str) -> list[tuple[str, str | None]]:
    from urllib.parse import unquote_plus

    pairs: list[tuple[str, str | None]] = []
    for part in text.split("&") if text else []:
        key, eq, value = part.partition("=")
        if key:
            pairs.append((unquote_plus(key), unquote_plus(value) if eq else None))
    return pairs


def _query_matcher(value: str | None) -> Any:
    """A query value: as written; with no value, or an unresolved variable, any value."""
    if value is None:
        return {"present": True}
    pieces = _pieces(value)
    if all(name is None for _, name in pieces):
        return value
    if len(pieces) == 1:
        return {"present": True}
    return {"regex": "".join(re.escape(text) if name is None else ".*" for text, name in pieces)}


def _json_body(body: Any, variables: Mapping[str, str]) -> Any:
    """The request's raw body when it is a JSON object or array (with variables
    resolved), else None: other bodies are not matched."""
    if not isinstance(body, dict) or body.get("mode") != "raw" or body.get("disabled"):
        return None
    raw = body.get("raw")
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        parsed = json.loads(_resolve(raw, variables))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


# --- the response ---------------------------------------------------------------------


def _answer(example: dict[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """Status, headers and body of a saved example (``templating`` as its strings need)."""
    code = _code(example)
    answer: dict[str, Any] = {"status": code}
    phrase = example.get("status")
    if isinstance(phrase, str) and phrase and phrase != _phrase(code):
        answer["status_message"] = phrase
    headers: list[tuple[str, str]] = []
    for key, value in _headers(example.get("header")):
        if key.lower() not in _DROPPED:
            headers.append((key, _resolve(value, variables)))
    body = example.get("body")
    text = "" if body is None else body if isinstance(body, str) else json.dumps(body)
    text = _resolve(text, variables)
    strings = [text, *(value for _, value in headers)]
    dynamic = any(name in DYNAMIC for s in strings for _, name in _pieces(s))
    shown = _template if dynamic else _literal
    collected: dict[str, Any] = {}
    for key, value in headers:
        previous = collected.get(key)
        if previous is None:
            collected[key] = shown(value)
        else:
            collected[key] = [*listed(previous), shown(value)]
    if collected:
        answer["headers"] = collected
    language = example.get("_postman_previewlanguage")
    if not any(k.lower() == "content-type" for k in collected) and language in _LANGUAGES:
        answer["content_type"] = _LANGUAGES[str(language)]
    if text:
        answer["response"] = shown(text)
    if dynamic:
        answer["templating"] = "jinja"
    elif any(mark in s for s in strings for mark in ("{{", "{%", "{#")):
        answer["templating"] = "none"
    return answer


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _headers(given: Any) -> Iterator[tuple[str, str]]:
    """``(name, value)`` of a header list (or v2.0's ``"Name: value"`` lines)."""
    if isinstance(given, str):
        for line in given.splitlines():
            key, _, value = line.partition(":")
            if key.strip():
                yield key.strip(), value.strip()
        return
    for header in given if isinstance(given, list) else []:
        if isinstance(header, dict) and header.get("key") and not header.get("disabled"):
            given_value = header.get("value")
            yield str(header["key"]), "" if given_value is None else str(given_value)


def _literal(text: str) -> str:
    return text


def _template(text: str) -> str:
    """Jinja source rendering ``text`` with its dynamic variables drawn: every other
    piece is a string constant, so nothing in it is read as a template."""
    out = []
    for literal, name in _pieces(text):
        if name is not None and name in DYNAMIC:
            out.append("{{ " + DYNAMIC[name] + " }}")
        else:
            piece = literal if name is None else "{{" + name + "}}"
            out.append(piece if "{" not in piece else "{{ " + json.dumps(piece) + " }}")
    return "".join(out)


# --- variables ------------------------------------------------------------------------


def _pieces(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into literal pieces ``(text, None)`` and variables ``("", name)``."""
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for found in _VAR.finditer(text):
        if found.start() > last:
            pieces.append((text[last : found.start()], None))
        pieces.append(("", found.group(1).strip()))
        last = found.end()
    if last < len(text) or not pieces:
        pieces.append((text[last:], None))
    return pieces


def _resolve(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with the known ``{{variables}}`` replaced (their values may use others,
    resolved up to a depth of ten); unknown ones are left as written."""

    def known(found: re.Match[str]) -> str:
        return variables.get(found.group(1).strip(), found.group(0))

    for _ in range(10):
        resolved = _VAR.sub(known, text)
        if resolved == text:
            break
        text = resolved
    return text
