"""One route response -> the native keys of one response, answered as Mockoon does.

- Headers: the environment's, then the response's over them (``Set-Cookie`` adds);
  entries with no key or no value are skipped, as Mockoon skips them.
- Content type (Express's ``res.send``): the headers' ``Content-Type`` with
  ``; charset=utf-8`` added, else ``text/html; charset=utf-8``; a file's own type when
  the response's headers give none.
- Body: ``INLINE`` text; ``DATABUCKET`` the bucket's value (JSON printed compactly, not
  templated again); ``FILE`` a ``response_file`` inside the environment's folder, a
  template when Mockoon templates it (``.handlebars``, text and JSON types), sent as an
  attachment unless ``sendFileAsBody``; a missing file with ``fallbackTo404`` is a 404
  with the inline body. A file sent as it is (streamed) keeps its type as ``res.set``
  leaves it: a charset only on text and JSON types.
- A 204 or 304 inline answer has no body and no ``Content-Type`` (``res.send``
  removes them).
- Latency: the environment's plus the response's (ms).
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from apidouble.importers.mockoon.templates import TEMPLATING, check_templates

TEXT_TYPES = (
    "application/json",
    "text/html",
    "text/css",
    "text/csv",
    "application/javascript",
    "application/typescript",
    "text/plain",
    "application/xhtml+xml",
    "application/xml",
    "text/x-handlebars-template",
)
"""``MimeTypesWithTemplating``: the file types Mockoon templates (and ``.handlebars``)."""
HTML = "text/html; charset=utf-8"
NO_BODY = (204, 304)
"""Statuses Express's ``res.send`` answers with no body, ``Content-Type`` or length."""
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")
_SET_CHARSET = re.compile(r"^text/|^application/(?:javascript|json)")
"""The types ``mime.charsets.lookup`` (Express 4's ``res.set``) gives a UTF-8 charset."""


class ResponseProblem(ValueError):
    """The response cannot be served as Mockoon serves it; the message says why."""


@dataclass
class Environment:
    """What every response of an environment shares."""

    folder: Path
    """The environment file's folder: ``filePath`` is relative to it and stays inside."""
    base: Path
    """The folder the native config is written to: its ``response_file`` paths are
    relative to it."""
    headers: Sequence[tuple[str, str]] = ()
    latency: float = 0
    buckets: Mapping[str, str] = field(default_factory=dict)
    """Data bucket values (templates) by id."""


def listed(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one: an environment may hold any JSON
    where a list of routes, responses, rules or callbacks goes."""
    return value if isinstance(value, list) else []


def bucket_named(buckets: Mapping[str, str], response: Mapping[str, Any]) -> str | None:
    """The data bucket a ``DATABUCKET`` body's ``databucketID`` names; None for another
    body, or an id that names none (any JSON may stand there: only text is an id)."""
    given = response.get("databucketID")
    if response.get("bodyType") != "DATABUCKET" or not isinstance(given, str):
        return None
    return buckets.get(given)


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects ``listed`` in ``value``."""
    return [item for item in listed(value) if isinstance(item, dict)]


def headers_of(raw: Any) -> list[tuple[str, str]]:
    """A Mockoon header list, without the entries Mockoon skips."""
    found = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and item.get("key") and item.get("value"):
            found.append((str(item["key"]), str(item["value"])))
    return found


def merged(*lists: Sequence[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Header lists in order, a later one replacing an earlier one's value (names in any
    case) but adding to ``Set-Cookie``; the native ``headers`` form."""
    found: dict[str, tuple[str, list[str]]] = {}
    for headers in lists:
        for key, value in headers:
            lower = key.lower()
            if lower == "set-cookie" and lower in found:
                found[lower][1].append(value)
            else:
                found[lower] = (key, [value])
    return {key: values[0] if len(values) == 1 else values for key, values in found.values()}


def response_keys(response: Mapping[str, Any], env: Environment) -> dict[str, Any]:
    """The native response keys (``status``, ``headers``, a body, ``latency_ms``,
    ``templating``); ``ResponseProblem`` when it cannot be served."""
    status = response.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ResponseProblem(f"statusCode {status!r} is not an HTTP status (100-599)")
    if status < 200:
        raise ResponseProblem(f"statusCode {status} is informational, not a final answer")
    own = headers_of(response.get("headers"))
    templated = not response.get("disableTemplating")
    keys: dict[str, Any] = {"status": status}
    kind = response.get("bodyType") or "INLINE"
    if kind == "FILE" and response.get("filePath"):
        found, templated = _file(response, own, env, templated)
        keys.update(found)
    else:
        text, templated = _body(response, kind, env, templated)
        headers = merged(env.headers, own)
        _typed(headers)
        if status in NO_BODY:  # Express's res.send drops the body and its type
            headers = {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}
            text, templated = "", False
        keys["headers"] = headers
        keys["response"] = text
    latency = _number(response.get("latency")) + env.latency
    if latency > 0:
        keys["latency_ms"] = latency
    keys["templating"] = TEMPLATING if templated else "none"
    if templated:
        texts = [keys.get("response") or "", keys.get("response_file") or ""]
        texts += [v for value in keys["headers"].values() for v in _listed(value)]
        check_templates(str(text) for text in texts)
        if keys.get("_file_text") is not None:
            check_templates([keys["_file_text"]])
    keys.pop("_file_text", None)
    if not keys["headers"]:
        del keys["headers"]
    return keys


def _body(
    response: Mapping[str, Any], kind: str, env: Environment, templated: bool
) -> tuple[str, bool]:
    """The body text and whether it is a template."""
    body = response.get("body")
    text = "" if body is None else str(body)
    value = bucket_named(env.buckets, response)
    if value is None:
        return text, templated  # Mockoon serves the inline body when the bucket is gone
    if "{{" in value:
        return value, True  # rendered per request here (Mockoon: once, at start)
    try:
        parsed = json.loads(value)
    except ValueError:
        return value, False
    if isinstance(parsed, str):
        return parsed, False
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False), False


def _typed(headers: dict[str, str | list[str]]) -> None:
    """Express's content type for a text body: charset added, else HTML."""
    for key, value in headers.items():
        if key.lower() == "content-type":
            first = value if isinstance(value, str) else value[-1]
            if "charset=" not in first.lower() and "{{" not in first:
                headers[key] = f"{first}; charset=utf-8"
            return
    headers["Content-Type"] = HTML


def set_type(headers: dict[str, str | list[str]]) -> None:
    """Express's ``res.set`` on the content type, for answers that are not a text body
    (a preflight, a streamed file): ``; charset=utf-8`` added to text and JSON types only."""
    for key, value in headers.items():
        first = value if isinstance(value, str) else value[-1]
        if key.lower() == "content-type" and _SET_CHARSET.match(first.split(";")[0]):
            if not re.search(r";\s*charset\s*=", first, re.IGNORECASE) and "{{" not in first:
                headers[key] = f"{first}; charset=utf-8"


def _file(
    response: Mapping[str, Any],
    own: list[tuple[str, str]],
    env: Environment,
    templated: bool,
) -> tuple[dict[str, Any], bool]:
    """A file body's keys, and whether Mockoon templates the file."""
    given = str(response["filePath"]).replace("\\", "/")
    if "{{" in given:
        raise ResponseProblem(f"filePath {given!r} is a template: not yet")
    folder = env.folder.resolve()
    path = (folder / given).resolve()
    if Path(given).is_absolute() or not path.is_relative_to(folder):
        raise ResponseProblem(f"filePath {given!r} leads outside the environment's folder {folder}")
    if not path.is_file():
        if response.get("fallbackTo404"):
            text, _ = _body(response, "INLINE", env, templated)
            headers = merged(env.headers, own)
            _typed(headers)
            return {"status": 404, "headers": headers, "response": text}, templated
        raise ResponseProblem(f"filePath {given!r}: no file {path}")
    mime = mimetypes.guess_type(path.name)[0] or ""
    templating = templated and (mime in TEXT_TYPES or path.suffix == ".handlebars")
    headers = merged(env.headers, own)
    if not any(k.lower() == "content-type" for k, _ in own) and mime:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = mime
    if templating:
        _typed(headers)
    else:
        set_type(headers)  # streamed: the type as res.set leaves it
    if not response.get("sendFileAsBody"):
        name = quote(path.name, safe="!'()*")  # encodeURIComponent's
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    relative = os.path.relpath(path, env.base.resolve())
    if relative.startswith(".."):
        raise ResponseProblem(
            f"filePath {given!r} is outside {env.base}: write the config in the"
            " environment's folder (or a folder above it)"
        )
    found: dict[str, Any] = {"headers": headers, "response_file": Path(relative).as_posix()}
    if templating:
        try:
            found["_file_text"] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass
    return found, templating


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
