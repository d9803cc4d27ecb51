"""A WireMock request pattern as our ``RequestPattern``.

URL forms, as WireMock reads them:

- ``url``: path and query exactly as received; ``urlPattern``: a regex over both;
- ``urlPath``: the path exactly; ``urlPathPattern``: a regex over the path;
- ``urlPathTemplate``: ``/users/{id}``, with ``pathParameters`` conditions on ``id``;
- none of them: any URL.

Where a literal path is known (``url``, ``urlPath``) the stub stays in the router's literal
index, so a WireMock stub costs what a native one does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from apidouble.importers.wiremock.patterns import body_spec, value_spec
from apidouble.importers.wiremock.problems import MappingError, at, unknown
from apidouble.model import ANY_METHOD, BodySpec, RequestPattern, ValueSpec

REQUEST_KEYS = frozenset({
    "method", "url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate",
    "pathParameters", "queryParameters", "formParameters", "headers", "cookies",
    "basicAuthCredentials", "bodyPatterns", "multipartPatterns", "host", "scheme", "port",
    "clientIp", "customMatcher",
})  # fmt: skip
_URL_KEYS = ("url", "urlPattern", "urlPath", "urlPathPattern", "urlPathTemplate")
_TEMPLATE_SYNTAX = re.compile(r"[{}*]")
NO_QUERY = ValueSpec("present", False)
"""Stands for "no query string" until ``request_pattern`` turns it into ``no_query``."""


def request_pattern(raw: Any) -> RequestPattern:
    """Convert ``request``; raises ``MappingError`` pointing inside it."""
    if not isinstance(raw, Mapping):
        raise MappingError("'request' must be an object")
    unknown(raw, REQUEST_KEYS, "request")
    method = raw.get("method", "ANY")
    if not isinstance(method, str) or not method:
        raise at(f"method must be a method name or ANY, got {method!r}", "method")
    methods = ANY_METHOD if method.upper() == "ANY" else frozenset({method})
    path, path_regex, url = _url(raw)
    headers = list(_values(raw, "headers"))
    if (auth := raw.get("basicAuthCredentials")) is not None:
        headers.append(("Authorization", _basic_auth(auth)))
    body: list[BodySpec] = []
    patterns = raw.get("bodyPatterns") or []
    if not isinstance(patterns, list):
        raise at("bodyPatterns must be a list of matchers", "bodyPatterns")
    for index, item in enumerate(patterns):
        try:
            body.append(body_spec(item))
        except MappingError as exc:
            raise exc.under("bodyPatterns", index) from None
    if (form := _values(raw, "formParameters")) != ():
        body.append(BodySpec("form", form))
    body.extend(_multipart(raw.get("multipartPatterns")))
    params = _values(raw, "pathParameters")
    if params and "urlPathTemplate" not in raw:
        raise at("pathParameters need a urlPathTemplate", "pathParameters")
    host = raw.get("host")
    port, scheme = raw.get("port"), raw.get("scheme")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise at(f"port must be a number, got {port!r}", "port")
    if scheme is not None and not isinstance(scheme, str):
        raise at(f"scheme must be http or https, got {scheme!r}", "scheme")
    try:
        host_spec = value_spec(host) if host is not None else None
    except MappingError as exc:
        raise exc.under("host") from None
    return RequestPattern(
        methods=methods,
        host=host_spec,
        port=port,
        scheme=scheme,
        path=path,
        path_regex=path_regex,
        query=_values(raw, "queryParameters"),
        headers=tuple(headers),
        cookies=tuple((name, _cookie(spec)) for name, spec in _values(raw, "cookies")),
        body=tuple(body),
        params=params,
        url=None if url is NO_QUERY else url,
        no_query=url is NO_QUERY,
    )


def _url(raw: Mapping[str, Any]) -> tuple[str | None, str | None, ValueSpec | None]:
    """(path, path_regex, url condition) for whichever URL form is given."""
    given = [key for key in _URL_KEYS if raw.get(key) is not None]
    if len(given) > 1:
        raise at(f"give one of {', '.join(_URL_KEYS)}, not {' and '.join(given)}", given[1])
    if not given:
        return None, None, None
    key = given[0]
    value = raw[key]
    if not isinstance(value, str):
        raise at(f"{key} must be a string, got {value!r}", key)
    match key:
        case "url":
            path, mark, _ = value.partition("?")
            literal_path, regex = _literal(path)
            return literal_path, regex, ValueSpec("equals", value) if mark else NO_QUERY
        case "urlPattern":
            return None, None, ValueSpec("regex", value)
        case "urlPath":
            literal_path, regex = _literal(value)
            return literal_path, regex, None
        case "urlPathPattern":
            return None, value, None
        case _:
            return value, None, None


def _literal(path: str) -> tuple[str | None, str | None]:
    """A literal path as ``path`` when our template syntax cannot misread it, else as
    an escaped regex."""
    if not path.startswith("/") or _TEMPLATE_SYNTAX.search(path):
        return None, re.escape(path)
    return path, None


def _values(raw: Mapping[str, Any], key: str) -> tuple[tuple[str, ValueSpec], ...]:
    given = raw.get(key)
    if given is None:
        return ()
    if not isinstance(given, Mapping):
        raise at(f"{key} must map names to matchers", key)
    found = []
    for name, matcher in given.items():
        try:
            found.append((str(name), value_spec(matcher)))
        except MappingError as exc:
            raise exc.under(key, name) from None
    return tuple(found)


def _cookie(spec: ValueSpec) -> ValueSpec:
    """WireMock fails every negated matcher on an absent cookie (unlike headers)."""
    if spec.op == "not":
        return ValueSpec("all_of", (ValueSpec("present", True), spec))
    return spec


def _basic_auth(auth: Any) -> ValueSpec:
    """WireMock checks basic credentials as an exact ``Authorization`` header."""
    if not isinstance(auth, Mapping) or not all(
        isinstance(auth.get(k), str) for k in ("username", "password")
    ):
        raise at("basicAuthCredentials needs username and password strings", "basicAuthCredentials")
    token = base64.b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
    return ValueSpec("regex", f"(?i:basic) {re.escape(token)}")  # the scheme in any case


def _multipart(given: Any) -> list[BodySpec]:
    if given is None:
        return []
    if not isinstance(given, list):
        raise at("multipartPatterns must be a list", "multipartPatterns")
    found = []
    for index, part in enumerate(given):
        where = ("multipartPatterns", index)
        if not isinstance(part, Mapping):
            raise at("a multipart pattern must be an object", *where)
        match_type = str(part.get("matchingType", "ANY")).upper()
        if match_type not in ("ANY", "ALL"):
            raise at(f"matchingType must be ANY or ALL, got {match_type!r}", *where, "matchingType")
        try:
            headers = _values(part, "headers")
        except MappingError as exc:
            raise exc.under(*where) from None
        bodies = []
        for n, item in enumerate(part.get("bodyPatterns") or []):
            try:
                bodies.append(body_spec(item))
            except MappingError as exc:
                raise exc.under(*where, "bodyPatterns", n) from None
        expected = {"match_type": match_type, "headers": headers, "body": tuple(bodies)}
        found.append(BodySpec("multipart", expected))
    return found
