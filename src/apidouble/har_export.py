"""The request journal as a HAR 1.2 document, for ``GET /__admin/requests?format=har``
and ``apidouble export har``: what a browser's network panel or a HAR viewer reads, and
what ``apidouble run`` (the ``har`` importer) serves back as the same stubs.

Entries are the dicts ``Journal.newest()`` gives (``journal_entries.parse``); the HAR
lists them oldest first, as recordings do. What the journal does not keep is written as
HAR's "unknown": ``-1`` sizes of heads, ``HTTP/1.1`` as the version, no timings but the
wait. A body kept only in part (the journal's cap) says so in ``content.comment``; an
exchange where nothing was sent (a fault) has ``status: 0``, which importers skip.

``redact`` (what ``apidouble export har`` writes to disk, unless told to keep them)
replaces credentials with ``REDACTED``, as the recorder does and as browsers' sanitized
HAR export does: the values of ``Authorization``, ``Cookie``, ``Set-Cookie`` and any
header or query parameter whose name looks like a secret (``proxy.recorder.is_secret``),
the cookies, and the same parameters in the URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote

from ._version import VERSION
from .proxy.recorder import REDACTED, is_secret

__all__ = ["har_document", "har_entry", "journal_entries"]

HAR_VERSION = "1.2"
_HTTP_VERSION = "HTTP/1.1"


def har_document(entries: Iterable[Mapping[str, Any]], redact: bool = False) -> dict[str, Any]:
    """A HAR 1.2 document of journal ``entries`` (in any order; written oldest first),
    with credentials ``REDACTED`` when ``redact``."""
    ordered = sorted(entries, key=lambda entry: (entry.get("time", 0), entry.get("id", 0)))
    made = [har_entry(entry) for entry in ordered]
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "apidouble", "version": VERSION},
            "pages": [],
            "entries": [_redacted(entry) for entry in made] if redact else made,
        }
    }


def _redacted(entry: dict[str, Any]) -> dict[str, Any]:
    """A HAR entry without credentials (see the module's docstring)."""
    request, response = entry["request"], entry["response"]
    for part in (request, response):
        part["headers"] = [_hidden(pair, is_secret(pair["name"])) for pair in part["headers"]]
        part["cookies"] = [_hidden(cookie, True) for cookie in part["cookies"]]
    query = request["queryString"]
    if any(is_secret(pair["name"]) for pair in query):
        request["queryString"] = [_hidden(pair, is_secret(pair["name"])) for pair in query]
        base = request["url"].partition("?")[0]
        shown = "&".join(
            f"{quote(pair['name'], safe='')}={quote(pair['value'], safe='')}"
            for pair in request["queryString"]
        )
        request["url"] = f"{base}?{shown}"
    return entry


def _hidden(pair: dict[str, Any], secret: bool) -> dict[str, Any]:
    return {**pair, "value": REDACTED} if secret else pair


def journal_entries(data: Any) -> list[Mapping[str, Any]]:
    """The entries of a saved journal: a list of entries, or the ``{"logs": [...]}`` of
    ``GET /__admin/logs``; ``ValueError`` for anything else."""
    if isinstance(data, dict) and isinstance(data.get("logs"), list):
        data = data["logs"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError('expected a list of journal entries or {"logs": [...]}')
    return data


def har_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One journal entry as a HAR entry."""
    duration = float(entry.get("duration_ms") or 0.0)
    found: dict[str, Any] = {
        "startedDateTime": _started(entry.get("time")),
        "time": duration,
        "request": _request(entry),
        "response": _response(entry.get("response")),
        "cache": {},
        "timings": {"send": 0, "wait": duration, "receive": 0},
    }
    stub = entry.get("stub")
    found["comment"] = f"stub: {stub}" if stub else "no stub matched"
    return found


def _request(entry: Mapping[str, Any]) -> dict[str, Any]:
    headers = _pairs(entry.get("headers"))
    query = str(entry.get("query") or "")
    host = _first(headers, "host") or "localhost"
    target = str(entry.get("path") or "/") + (f"?{query}" if query else "")
    request: dict[str, Any] = {
        "method": str(entry.get("method") or "GET"),
        "url": f"http://{host}{target}",
        "httpVersion": _HTTP_VERSION,
        "cookies": _request_cookies(headers),
        "headers": _har_headers(headers),
        "queryString": [
            {"name": n, "value": v} for n, v in parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": int(entry.get("body_size") or 0),
    }
    if entry.get("body_size"):
        post: dict[str, Any] = {
            "mimeType": _first(headers, "content-type") or "",
            "text": str(entry.get("body") or ""),
        }
        if entry.get("body_encoding") == "base64":  # HAR has no encoding for postData
            post["_encoding"] = "base64"
        if comment := _comment(entry, request=True):
            post["comment"] = comment
        request["postData"] = post
    return request


def _response(response: Any) -> dict[str, Any]:
    if not isinstance(response, Mapping):
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "comment": "nothing was sent (a fault)",
        }
    headers = _pairs(response.get("headers"))
    status = int(response.get("status") or 0)
    size = int(response.get("body_size") or 0)
    content: dict[str, Any] = {
        "size": size,
        "mimeType": _first(headers, "content-type") or "x-unknown",
    }
    if size:
        content["text"] = str(response.get("body") or "")
        if response.get("body_encoding") == "base64":
            content["encoding"] = "base64"
        if comment := _comment(response, request=False):
            content["comment"] = comment
    return {
        "status": status,
        "statusText": _reason(status),
        "httpVersion": _HTTP_VERSION,
        "cookies": _response_cookies(headers),
        "headers": _har_headers(headers),
        "content": content,
        "redirectURL": _first(headers, "location") or "",
        "headersSize": -1,
        "bodySize": size,
    }


# --- small writers -------------------------------------------------------------------


def _started(received: Any) -> str:
    """A received time (``time.time()``) as ISO 8601 in UTC, with milliseconds."""
    moment = datetime.fromtimestamp(float(received or 0), UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pairs(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        return []
    return [
        (str(pair[0]), str(pair[1]))
        for pair in raw
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _har_headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _request_cookies(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    cookies: list[dict[str, str]] = []
    for name, value in headers:
        if name.lower() == "cookie":
            for part in value.split(";"):
                key, sep, item = part.strip().partition("=")
                if sep and key:
                    cookies.append({"name": key, "value": item})
    return cookies


def _response_cookies(headers: list[tuple[str, str]]) -> list[dict[str, Any]]:
    cookies: list[dict[str, Any]] = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        first, *attributes = value.split(";")
        key, sep, item = first.strip().partition("=")
        if not sep or not key:
            continue
        cookie: dict[str, Any] = {"name": key, "value": item}
        for attribute in attributes:
            attr, _, given = attribute.strip().partition("=")
            match attr.lower():
                case "path" | "domain":
                    cookie[attr.lower()] = given
                case "httponly":
                    cookie["httpOnly"] = True
                case "secure":
                    cookie["secure"] = True
        cookies.append(cookie)
    return cookies


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _comment(part: Mapping[str, Any], *, request: bool) -> str:
    """What a reader must know about a body's text: base64 (a request's), cut short."""
    notes = []
    if part.get("body_encoding") == "base64" and request:
        notes.append("the text is base64")
    if part.get("body_truncated"):
        notes.append(f"the journal kept only the first part of {part.get('body_size')} bytes")
    return "; ".join(notes)
