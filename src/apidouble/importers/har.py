"""HAR 1.2 recordings (a browser's or a proxy's "save as HAR") as native endpoints: the
``har`` entry point of ``apidouble.importers``, so ``apidouble run session.har`` serves one
and ``apidouble import har session.har`` writes it as YAML.

Each entry answers its own request:

- method and exact path (the URL without its query; ``{``, ``}`` and ``*`` escaped so
  they stay literal); the host is not matched, so a session replays against the mock;
- every query parameter of the URL is a ``match.query`` condition (a repeated name:
  each of its values must be among the request's). Parameters the recording lacks are
  allowed, and of the endpoints of one method and path the one with more conditions
  comes first, so ``/p?a=1&b=2`` and ``/p?a=1`` each get their own answer, and an
  unrecorded cache-buster on a recorded request does not stop it answering;
- a request body as ``match.body``: ``json`` (partial) when it parses as a JSON object
  or array, else ``equals`` on its text (a form's params are joined as the browser
  would send them; a multipart form's parts, or a base64 body, are not matched);
- the response: status (and its reason when not the standard one), headers without the
  hop-by-hop ones and ``content-length``/``content-encoding``/``transfer-encoding``
  (HAR bodies are decoded), the body from ``content.text`` (``response_base64`` when
  ``encoding: base64``; none when there is no text, or for a 1xx, 204, 304 or HEAD),
  ``content.mimeType`` as the type when no header gives one. A redirect answers its own
  status with its ``Location`` (``redirectURL`` when the header is missing); a location
  on a host the recording talked to is made relative, so a client follows it into the
  mock;
- the same request answered several times differently: one endpoint with
  ``responses`` in recorded order, ``mode: sequence`` (the last one repeats).

Strings are escaped for the loader: ``${X}`` stays literal, and a response with ``{{``,
``{%`` or ``{#`` in it says ``templating: none``. Entries that cannot be served
(``CONNECT``, WebSocket upgrades, aborted requests with ``status: 0``, 1xx answers,
unknown methods, unreadable entries) are skipped; ``notes`` gives the reasons and
``convert`` logs each one as a warning.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from apidouble.config.fields import HTTP_METHODS
from apidouble.importers.literal import env_escaped, has_template_marks
from apidouble.model import HOP_BY_HOP
from apidouble.naming import unique

__all__ = ["HarDocument", "convert", "detect", "read_har"]

log = logging.getLogger("apidouble.importers.har")

_DROPPED_HEADERS = HOP_BY_HOP | {"trailers", "content-length", "content-encoding"}
_UNSERVED_METHODS = frozenset({"CONNECT"})
_NO_BODY_STATUSES = frozenset({204, 304})
_NAME_LIMIT = 120


def detect(data: Any, path: Path) -> bool:
    """A HAR by its shape: ``log.entries`` is a list and ``log`` has a version or creator."""
    log_ = data.get("log") if isinstance(data, dict) else None
    return (
        isinstance(log_, dict)
        and isinstance(log_.get("entries"), list)
        and ("version" in log_ or "creator" in log_)
    )


def convert(data: Any, path: Path) -> dict[str, Any]:
    """The native document for the HAR ``data`` (the parsed file at ``path``)."""
    har = read_har(data)
    for note in har.notes:
        log.warning("%s: %s", path, note)
    return har.document


@dataclass(slots=True)
class HarDocument:
    """A HAR read: the native document, and one note per entry it skipped."""

    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Group:
    """The endpoints-to-be of one request: its conditions and its answers in order."""

    first: int
    request: dict[str, Any]
    conditions: int
    answers: list[dict[str, Any]] = field(default_factory=list)


def read_har(data: Any) -> HarDocument:
    """Every servable entry of the HAR ``data`` as native endpoints; never raises on an
    entry (one that cannot be read is a note)."""
    entries = data["log"]["entries"]
    hosts = {_host(entry) for entry in entries} - {""}
    groups: dict[str, _Group] = {}
    notes: list[str] = []
    for index, entry in enumerate(entries):
        try:
            read = _entry(entry, hosts)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            notes.append(f"entry {index}: skipped, cannot be read ({type(exc).__name__}: {exc})")
            continue
        if isinstance(read, str):
            notes.append(f"entry {index} ({_shown(entry)}): skipped, {read}")
            continue
        request, conditions, answer = read
        key = json.dumps(request, sort_keys=True)
        group = groups.setdefault(key, _Group(index, request, conditions))
        group.answers.append(answer)
    return HarDocument({"endpoints": _endpoints(groups.values())}, notes)


# --- one entry -------------------------------------------------------------------------


def _entry(entry: Any, hosts: set[str]) -> str | tuple[dict[str, Any], int, dict[str, Any]]:
    """(the request's conditions, how many, the answer), or why it cannot be served."""
    if not isinstance(entry, dict):
        return "not an object"
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return "no request and response"
    method = str(request.get("method", "")).upper()
    if method in _UNSERVED_METHODS:
        return f"{method} opens a tunnel, not an answer"
    if method not in HTTP_METHODS:
        return f"method {method!r} cannot be served"
    if _websocket(entry, request, response):
        return "a WebSocket connection"
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or status == 0:
        return f"no response (status {status!r}: aborted or blocked)"
    if not 200 <= status <= 599:
        return f"status {status} cannot be served as an answer"
    url = urlsplit(str(request.get("url", "")))
    path = url.path or "/"
    if not path.startswith("/"):
        return f"URL {request.get('url')!r} has no path"
    matched: dict[str, Any] = {"method": method, "path": _literal(path)}
    conditions = _query(url.query, matched)
    body = _body_condition(request.get("postData"))
    if body is not None:
        matched.setdefault("match", {})["body"] = body
        conditions += 1
    name = f"{method} {path}{'?' + url.query if url.query else ''}"
    return matched, conditions, _answer(method, status, response, hosts, name)


def _websocket(entry: dict[str, Any], request: dict[str, Any], response: dict[str, Any]) -> bool:
    if entry.get("_resourceType") == "websocket" or "_webSocketMessages" in entry:
        return True
    if response.get("status") == 101:
        return True
    return any(
        str(h.get("name", "")).lower() == "upgrade"
        and str(h.get("value", "")).lower() == "websocket"
        for h in _pairs(request.get("headers"))
    )


def _literal(path: str) -> str:
    """The path as a literal path template: its wildcard characters percent-encoded
    (paths are compared decoded, so it still matches the request's)."""
    return path.replace("{", "%7B").replace("}", "%7D").replace("*", "%2A")


def _query(query: str, matched: dict[str, Any]) -> int:
    """The URL's query parameters as conditions on ``matched``; how many."""
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    if not values:
        return 0
    match = matched.setdefault("match", {})
    for name, given in values.items():
        if len(set(given)) == 1:
            match.setdefault("query", {})[name] = given[0]
        else:  # each value among the request's: WireMock's multi-value operator
            includes = [{"equalTo": value} for value in dict.fromkeys(given)]
            wiremock = match.setdefault("wiremock", {"queryParameters": {}})
            wiremock["queryParameters"][name] = {"includes": includes}
    return len(values)


def _body_condition(post: Any) -> dict[str, Any] | None:
    """What the request body must be, from HAR ``postData``; None: anything."""
    if not isinstance(post, dict):
        return None
    mime = str(post.get("mimeType") or "").lower()
    text = post.get("text")
    if post.get("encoding") == "base64" or post.get("_encoding") == "base64":
        return None
    if not isinstance(text, str) or not text:
        params = [p for p in _pairs(post.get("params")) if "fileName" not in p]
        if not params or "multipart/" in mime:
            return None
        text = urlencode([(str(p.get("name", "")), str(p.get("value", ""))) for p in params])
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict | list):
        return {"json": parsed}
    return {"equals": text}


def _answer(
    method: str, status: int, response: dict[str, Any], hosts: set[str], name: str
) -> dict[str, Any]:
    """The native response keys of a HAR response."""
    answer: dict[str, Any] = {"name": name, "status": status}
    reason = response.get("statusText")
    if isinstance(reason, str) and reason and reason != _standard_reason(status):
        answer["status_message"] = reason
    headers = _headers(response.get("headers"))
    if 300 <= status < 400:
        _locate(headers, response.get("redirectURL"), hosts)
    content = response.get("content")
    content = content if isinstance(content, dict) else {}
    has_type = any(header.lower() == "content-type" for header in headers)
    mime = content.get("mimeType")
    if not has_type and isinstance(mime, str) and mime and mime != "x-unknown":
        answer["content_type"] = mime
    if headers:
        answer["headers"] = headers
    bodiless = status in _NO_BODY_STATUSES or method == "HEAD"
    text = content.get("text")
    if isinstance(text, str) and text and not bodiless:
        if content.get("encoding") == "base64":
            if _is_base64(text):  # else the bytes are lost: nothing to send
                answer["response_base64"] = "".join(text.split())
        else:
            answer["response"] = text.encode("utf-8", "replace").decode("utf-8")
    if has_template_marks(answer):
        answer["templating"] = "none"
    return answer


def _headers(raw: Any) -> dict[str, str | list[str]]:
    """Response headers to send: repeated names as lists, in the recording's spelling."""
    found: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for pair in _pairs(raw):
        name, value = str(pair.get("name", "")), str(pair.get("value", ""))
        lower = name.lower()
        if not name or name.startswith(":") or lower in _DROPPED_HEADERS:
            continue
        found.setdefault(spelled.setdefault(lower, name), []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in found.items()}


def _locate(headers: dict[str, str | list[str]], redirect: Any, hosts: set[str]) -> None:
    """A redirect's ``Location``: the header, else ``redirectURL``; relative when it
    points at a host of the recording."""
    name = next((n for n in headers if n.lower() == "location"), None)
    if name is None:
        if not isinstance(redirect, str) or not redirect:
            return
        name, headers["Location"] = "Location", redirect
    location = headers[name]
    if isinstance(location, str):
        target = urlsplit(location)
        if target.netloc and target.netloc.lower() in hosts:
            relative = target.path or "/"
            relative += f"?{target.query}" if target.query else ""
            headers[name] = relative + (f"#{target.fragment}" if target.fragment else "")


# --- the endpoints -------------------------------------------------------------------


def _endpoints(groups: Any) -> list[dict[str, Any]]:
    """One endpoint per distinct request, grouped by method and path in the order each
    was first seen, the one with more conditions first within a group."""
    ordered: list[_Group] = list(groups)
    where: dict[tuple[str, str], int] = {}
    for group in ordered:
        where.setdefault((group.request["method"], group.request["path"]), group.first)
    ordered.sort(
        key=lambda g: (where[(g.request["method"], g.request["path"])], -g.conditions, g.first)
    )
    names: set[str] = set()
    return [env_escaped(_endpoint(group, names)) for group in ordered]


def _endpoint(group: _Group, names: set[str]) -> dict[str, Any]:
    answers = _distinct_runs(group.answers)
    name = _unique(answers[0].pop("name"), names)
    for answer in answers[1:]:
        answer.pop("name")
    endpoint: dict[str, Any] = {"name": name, **group.request}
    if len(answers) == 1:
        endpoint.update(answers[0])
    else:
        endpoint["responses"] = answers
        endpoint["mode"] = "sequence"
    return endpoint


def _distinct_runs(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All the answers when they differ (the sequence), else the one answer."""
    first = {k: v for k, v in answers[0].items() if k != "name"}
    if all({k: v for k, v in a.items() if k != "name"} == first for a in answers[1:]):
        return answers[:1]
    return answers


def _unique(name: str, names: set[str]) -> str:
    """A name no other endpoint of the document has (ids are made from names)."""
    if len(name) > _NAME_LIMIT:
        name = name[: _NAME_LIMIT - 3] + "..."
    return unique(name, names)


# --- small readers -------------------------------------------------------------------


def _pairs(raw: Any) -> list[dict[str, Any]]:
    """HAR's ``[{name, value}]`` lists, tolerating what is not one."""
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []


def _host(entry: Any) -> str:
    try:
        return urlsplit(str(entry["request"]["url"])).netloc.lower()
    except (KeyError, TypeError, ValueError):
        return ""


def _shown(entry: Any) -> str:
    try:
        return f"{entry['request']['method']} {entry['request']['url']}"[:_NAME_LIMIT]
    except (KeyError, TypeError):
        return "?"


def _standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
