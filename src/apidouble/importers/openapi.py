"""OpenAPI 3.0/3.1 and Swagger 2.0 specs as native endpoints: the ``openapi`` entry point
of ``apidouble.importers``, so ``apidouble run spec.yaml`` serves a spec and ``apidouble
import openapi spec.yaml`` writes it as YAML.

Each operation answers at its path (the server's base path in front, ``{param}``
templates kept; names that are not identifiers renamed, other wildcard characters
escaped) with one endpoint per way of choosing its answer, the Prism way:

- no preference: the lowest 2xx (else a ``2XX`` range, else ``default``, else the first
  response), named after the ``operationId`` (else ``METHOD path``);
- ``Prefer: code=404`` or ``?__code=404``: that status;
- ``Prefer: example=NAME`` or ``?__example=NAME``: that named example (with ``code=``, of
  that status).

The conditional endpoints come first in the file: same path, so file order decides and
no ``priority`` is needed (a native stub beside the spec still ranks as usual). A body is
the first named example of the first JSON media type (else the first media type), else
its ``example``, else data generated from its schema with a seed fixed per operation and
status, so the output does not change from run to run. Response headers get their
example (or generated data). Strings are escaped for the loader as the HAR importer does
(``${X}`` literal, ``templating: none`` where ``{{`` appears). Spec problems are logged
as warnings; operations with errors are left out.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apidouble.importers.literal import env_escaped, has_template_marks
from apidouble.naming import unique
from apidouble.openapi.generate import GenerationError, generate
from apidouble.openapi.model import NO_EXAMPLE, MediaType, Operation, ResponseSpec, Spec
from apidouble.openapi.negotiate import header_text
from apidouble.openapi.spec import read_spec

__all__ = ["convert", "detect", "endpoints", "path_template"]

log = logging.getLogger("apidouble.importers.openapi")

_PARAM = re.compile(r"\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NO_BODY_STATUSES = frozenset({204, 304})
_SKIPPED_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})
_ARRAY_MAX = 1
"""Generated arrays get at most one item beyond their ``minItems``: a written file stays
readable (and a big spec quick to import)."""
_WILDCARD_TYPES = {"*/*": "application/octet-stream", "application/*": "application/octet-stream"}


def detect(data: Any, path: Path) -> bool:
    """A spec by its shape: ``openapi: 3.x`` or ``swagger: "2.0"``, and ``paths`` (or,
    in 3.1, ``webhooks``)."""
    if not isinstance(data, Mapping):
        return False
    if "openapi" in data and isinstance(data.get("webhooks"), Mapping):
        return str(data["openapi"]).startswith("3.1")  # 3.1 may have webhooks only
    if not isinstance(data.get("paths"), Mapping):
        return False
    if "openapi" in data:
        return str(data["openapi"]).startswith("3.")
    return "swagger" in data and str(data["swagger"]) == "2.0"


def convert(data: Any, path: Path) -> dict[str, Any]:
    """The native document for the spec ``data`` (the parsed file at ``path``)."""
    spec = read_spec(data, path)
    for problem in spec.problems:
        log.warning("%s", problem)
    return {"endpoints": endpoints(spec)}


def endpoints(spec: Spec) -> list[dict[str, Any]]:
    """Every operation of ``spec`` as native endpoints, in the spec's order."""
    names: set[str] = set()
    out: list[dict[str, Any]] = []
    for operation in spec.operations:
        out.extend(env_escaped(e) for e in _Operation(spec, operation, names).endpoints())
    return out


def path_template(path: str) -> str:
    """A spec path as our path template: ``{param}`` kept (renamed when not an
    identifier), ``*`` and stray braces escaped, a ``#fragment`` or ``?query`` dropped."""
    path = path.split("#", 1)[0].split("?", 1)[0] or "/"
    names: set[str] = set()
    segments = []
    for segment in path.split("/"):
        pieces: list[str] = []
        last = 0
        for found in _PARAM.finditer(segment):
            pieces.append(_literal(segment[last : found.start()]))
            pieces.append("{" + _param_name(found.group(1), names) + "}")
            last = found.end()
        pieces.append(_literal(segment[last:]))
        segments.append("".join(pieces))
    return "/".join(segments)


def _literal(text: str) -> str:
    return text.replace("{", "%7B").replace("}", "%7D").replace("*", "%2A")


def _param_name(name: str, names: set[str]) -> str:
    """``name`` when it is an identifier, else one made of its letters and digits."""
    if not _IDENTIFIER.fullmatch(name):
        name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        name = name if name and not name[0].isdigit() else "p_" + name
    return unique(name, names, "{}_{}".format)


class _Operation:
    """The endpoints of one operation."""

    def __init__(self, spec: Spec, operation: Operation, names: set[str]) -> None:
        self.spec = spec
        self.op = operation
        self.names = names
        self.path = path_template(operation.path)
        self.label = operation.operation_id or f"{operation.method} {operation.path}"

    def endpoints(self) -> list[dict[str, Any]]:
        default = _default_response(self.op.responses)
        chosen: list[tuple[int, ResponseSpec]] = []
        codes: set[int] = set()
        for response in self.op.responses:
            code = _code(response.status)
            if code is not None and code < 200:
                continue  # a 1xx is no final answer: nothing a mock can send
            if code is not None and code not in codes:
                codes.add(code)
                chosen.append((code, response))
        out: list[dict[str, Any]] = []
        for code, response in chosen:
            for example in _examples(response):
                out.extend(self._variants(code, response, code=str(code), example=example))
        if default is not None:
            for example in _examples(default):
                out.extend(self._variants(self._status(default), default, example=example))
        for code, response in chosen:
            if response is not default:
                out.extend(self._variants(code, response, code=str(code)))
        answer = self._answer(self._status(default), default, None) if default else {"status": 200}
        out.append(self._endpoint(self.label, answer))
        return out

    def _status(self, response: ResponseSpec) -> int:
        return _code(response.status) or 200

    def _variants(self, status: int, response: ResponseSpec, **prefer: str) -> list[dict[str, Any]]:
        """The header and the query form of one preference."""
        label = " ".join(f"{key}={value}" for key, value in prefer.items())
        header = {"headers": {"Prefer": {"regex": _prefer_regex(prefer)}}}
        query = {"query": {f"__{key}": value for key, value in prefer.items()}}
        example = prefer.get("example")
        return [
            self._endpoint(
                f"{self.label} [{label}]", self._answer(status, response, example), header
            ),
            self._endpoint(
                f"{self.label} [__{label.replace(' ', ' __')}]",
                self._answer(status, response, example),
                query,
            ),
        ]

    def _endpoint(
        self, name: str, answer: dict[str, Any], match: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        endpoint: dict[str, Any] = {
            "name": unique(name, self.names),
            "method": self.op.method,
            "path": self.path,
        }
        if match:
            endpoint["match"] = match
        endpoint.update(answer)
        if has_template_marks(endpoint):
            endpoint["templating"] = "none"
        return endpoint

    def _answer(self, status: int, response: ResponseSpec, example: str | None) -> dict[str, Any]:
        """The native response keys: status, headers, content type and body."""
        answer: dict[str, Any] = {"status": status}
        rng = random.Random(f"{self.op.method} {self.op.path} {response.status}")
        headers = {}
        for name, header in response.headers.items():
            if name.lower() in _SKIPPED_HEADERS:
                continue
            value = header.example
            if value is NO_EXAMPLE and header.schema is not None:
                value = self._generated(header.schema, rng, name)
            if value is not NO_EXAMPLE and value is not None:
                headers[name] = header_text(_plain(value))
        media = _media(response)
        bodiless = status in _NO_BODY_STATUSES or self.op.method == "HEAD"
        if media is not None and not bodiless:
            value = _body_value(media, example)
            if value is NO_EXAMPLE and media.schema is not None:
                value = self._generated(media.schema, rng, "")
            if value is not NO_EXAMPLE:
                answer["content_type"] = _content_type(media.name, value)
                answer.update(_body(answer["content_type"], _plain(value)))
        if headers:
            answer["headers"] = headers
        return answer

    def _generated(self, schema: dict[str, Any], rng: random.Random, name: str) -> Any:
        try:
            return generate(
                schema,
                rng=rng,
                dialect=self.spec.dialect,
                name=name,
                use_examples=True,
                array_max=_ARRAY_MAX,
            )
        except (GenerationError, RecursionError) as exc:
            log.warning("%s#%s: no data generated: %s", self.spec.file, self.op.pointer, exc)
            return NO_EXAMPLE


def _code(status: str) -> int | None:
    """A response key's status: ``404``, ``4XX`` → 400; None for ``default``."""
    if status.isdigit() and 100 <= int(status) <= 599:
        return int(status)
    if len(status) == 3 and status[0] in "12345" and status[1:].upper() == "XX":
        return int(status[0]) * 100
    return None


def _informational(status: str) -> bool:
    return status[:1] == "1"


def _default_response(responses: tuple[ResponseSpec, ...]) -> ResponseSpec | None:
    """Prism's choice: the lowest 2xx, else a 2XX range, else ``default``, else the first."""
    responses = tuple(r for r in responses if not _informational(r.status))
    explicit = [r for r in responses if r.status.isdigit() and r.status.startswith("2")]
    if explicit:
        return min(explicit, key=lambda r: int(r.status))
    for wanted in ("2XX", "default"):
        for response in responses:
            if response.status.upper() == wanted.upper():
                return response
    return responses[0] if responses else None


def _media(response: ResponseSpec) -> MediaType | None:
    """The media type answered: the first JSON one, else the first."""
    for media in response.content.values():
        if _is_json(media.name):
            return media
    return next(iter(response.content.values()), None)


def _examples(response: ResponseSpec) -> list[str]:
    media = _media(response)
    return list(media.examples) if media is not None else []


def _body_value(media: MediaType, example: str | None) -> Any:
    if example is not None:
        return media.examples[example]
    if media.examples:
        return next(iter(media.examples.values()))
    return media.example


def _is_json(name: str) -> bool:
    essence = name.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _content_type(name: str, value: Any) -> str:
    if name in _WILDCARD_TYPES or name.endswith("/*"):
        if not isinstance(value, str):
            return "application/json"
        return "text/plain" if name.startswith("text/") else _WILDCARD_TYPES.get(name, "text/plain")
    return name


def _body(content_type: str, value: Any) -> dict[str, Any]:
    """The body keys: JSON values as ``response``, text as written, bytes as base64."""
    if isinstance(value, bytes):
        return {"response_base64": base64.b64encode(value).decode("ascii")}
    if _is_json(content_type) or not isinstance(value, str):
        if isinstance(value, dict | list):
            return {"response": value}
        return {"response": json.dumps(value)}
    return {"response": value}


def _prefer_regex(prefer: dict[str, str]) -> str:
    """A full-match regex for a ``Prefer`` header holding every ``key=value`` given
    (among other preferences, separated by commas or semicolons)."""
    terms = [
        f"(.*[,; ])?{re.escape(key)}={re.escape(value)}([,; ].*)?" for key, value in prefer.items()
    ]
    if len(terms) == 1:
        return terms[0]
    return "".join(f"(?={term}$)" for term in terms) + ".*"


def _plain(value: Any) -> Any:
    """``value`` as plain JSON-able data, copied (YAML dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value
