"""A WireMock response definition as our ``ResponseSpec`` plus behaviour keys.

Delays, dribbling and faults become the same behaviours native stubs use; bodies keep
WireMock's rules: no content type is implied, and strings are templates only when the
mapping asks for ``response-template`` (or templating is global).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apidouble.importers.wiremock.problems import MappingError, at, unknown
from apidouble.model import Latency, ProxySpec, ResponseSpec
from apidouble.templating.files import resolve_response_file
from apidouble.templating.handlebars import check_handlebars

RESPONSE_KEYS = frozenset({
    "status", "statusMessage", "headers", "body", "jsonBody", "base64Body", "bodyFileName",
    "fixedDelayMilliseconds", "delayDistribution", "chunkedDribbleDelay", "fault",
    "proxyBaseUrl", "proxyUrlPrefixToRemove", "additionalProxyRequestHeaders",
    "removeProxyRequestHeaders", "transformers", "transformerParameters",
    "fromConfiguredStub",
})  # fmt: skip
TEMPLATE_TRANSFORMER = "response-template"
FAULTS = {
    "CONNECTION_RESET_BY_PEER": "connection_reset",
    "EMPTY_RESPONSE": "empty_response",
    "MALFORMED_RESPONSE_CHUNK": "malformed_chunk",
    "RANDOM_DATA_THEN_CLOSE": "random_data_then_close",
}


@dataclass(frozen=True, slots=True)
class Converted:
    """A response, its delay, and the behaviour keys it adds to the stub."""

    response: ResponseSpec
    latency: Latency | None = None
    trouble: Mapping[str, Any] = field(default_factory=dict)


def response_spec(raw: Any, files: Path | None, templating: bool) -> Converted:
    """Convert ``response``; ``files`` is the root's ``__files`` folder (None: absent);
    ``templating`` is on for the whole server. Raises ``MappingError``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise MappingError("'response' must be an object")
    unknown(raw, RESPONSE_KEYS, "response")
    transformers = raw.get("transformers") or []
    if not isinstance(transformers, list):
        raise at("transformers must be a list of names", "transformers")
    templated = templating or TEMPLATE_TRANSFORMER in transformers
    status = raw.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise at(f"status must be a number from 100 to 599, got {status!r}", "status")
    reason = raw.get("statusMessage")
    if reason is not None and not isinstance(reason, str):
        raise at("statusMessage must be a string", "statusMessage")
    headers = _headers(raw.get("headers"))
    trouble: dict[str, Any] = {}
    if (fault := raw.get("fault")) is not None:
        if not isinstance(fault, str) or fault not in FAULTS:
            raise at(f"fault must be one of {', '.join(FAULTS)}, got {fault!r}", "fault")
        trouble["fault"] = FAULTS[fault]
    if (dribble := raw.get("chunkedDribbleDelay")) is not None:
        trouble["dribble"] = _dribble(dribble)
    latency = delay_latency(raw)
    if raw.get("proxyBaseUrl") is not None:
        return Converted(ResponseSpec(proxy=_proxy(raw), infer_type=False), latency, trouble)
    try:
        kind, body, file_template, base_dir = _body(raw, files, templated)
    except _MissingFile as missing:  # WireMock loads the mapping and answers 500
        text = ResponseSpec(500, (), "text", str(missing), templating="none", infer_type=False)
        return Converted(text, latency, trouble)
    spec = ResponseSpec(
        status=status,
        headers=headers,
        body_kind=kind,
        body=body,
        file_template=file_template,
        base_dir=base_dir,
        reason=reason,
        templating="handlebars" if templated else "none",
        infer_type=False,
    )
    if templated:
        _check_templates(spec, raw)
    return Converted(spec, latency, trouble)


def _check_templates(spec: ResponseSpec, raw: Mapping[str, Any]) -> None:
    """Every Handlebars template of the response compiles, or a ``MappingError`` at its
    key: a broken template skips its file at load, as a broken mapping does."""
    body_key = next((k for k in ("body", "jsonBody", "bodyFileName") if k in raw), "body")
    sources: list[tuple[str, tuple[str, ...]]] = [
        (value, ("headers", name)) for name, value in spec.headers
    ]
    if spec.body_kind == "json":
        sources.append((json.dumps(spec.body), (body_key,)))
    elif spec.body_kind == "text" and isinstance(spec.body, str):
        sources.append((spec.body, (body_key,)))
    if spec.file_template is not None:
        sources.append((spec.file_template, ("bodyFileName",)))
    for source, where in sources:
        if "{{" in source:
            try:
                check_handlebars(source)
            except ValueError as exc:
                raise at(str(exc), *where) from None


class _MissingFile(Exception):
    """A ``bodyFileName`` that does not exist (inside the root)."""


def _headers(given: Any) -> tuple[tuple[str, str], ...]:
    if given is None:
        return ()
    if not isinstance(given, Mapping):
        raise at("headers must map names to a value or a list of values", "headers")
    found: list[tuple[str, str]] = []
    for name, value in given.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise at(f"header {name} must be text, got {item!r}", "headers", name)
            found.append((str(name), item if isinstance(item, str) else json.dumps(item)))
    return tuple(found)


def _body(
    raw: Mapping[str, Any], files: Path | None, templated: bool
) -> tuple[Any, Any, str | None, str | None]:
    """(kind, body, file template, base dir) of the one body key given."""
    given = [k for k in ("body", "jsonBody", "base64Body", "bodyFileName") if k in raw]
    if len(given) > 1:
        raise at(f"give one of body, jsonBody, base64Body, bodyFileName, not {given}", given[1])
    if not given:
        return "empty", None, None, None
    key = given[0]
    value = raw[key]
    if key == "jsonBody":
        return "json", value, None, None
    if not isinstance(value, str):
        if key == "body" and value is not None:
            return "text", json.dumps(value), None, None
        raise at(f"{key} must be a string", key)
    if key == "body":
        return "text", value, None, None
    if key == "base64Body":
        return "base64", value, None, None
    if files is None:
        raise at(f"bodyFileName {value!r}: there is no __files folder beside mappings/", key)
    if templated and "{{" in value:
        return "file", None, value, str(files.resolve())
    try:
        found = resolve_response_file(files, value)
    except ValueError as exc:
        if not (files / value).resolve().is_relative_to(files.resolve()):
            raise at(f"bodyFileName: {exc}", key) from None
        raise _MissingFile(f"bodyFileName {value!r}: {exc}") from None
    if templated:  # the file's text is a template too (WireMock renders it)
        try:
            return "text", Path(found).read_text(encoding="utf-8"), None, None
        except (OSError, UnicodeDecodeError):
            pass  # binary: served as it is
    return "file", found, None, None


def _dribble(given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise at(
            "chunkedDribbleDelay needs numberOfChunks and totalDuration", "chunkedDribbleDelay"
        )
    chunks, total = given.get("numberOfChunks"), given.get("totalDuration")
    if not isinstance(chunks, int) or not isinstance(total, int | float):
        raise at(
            "chunkedDribbleDelay needs numberOfChunks and totalDuration", "chunkedDribbleDelay"
        )
    return {"chunks": chunks, "over_ms": total}


def delay_latency(raw: Mapping[str, Any]) -> Latency | None:
    """``fixedDelayMilliseconds`` or ``delayDistribution`` (the distribution wins)."""
    distribution = raw.get("delayDistribution")
    if distribution is not None:
        if not isinstance(distribution, Mapping):
            raise at("delayDistribution must be an object with a type", "delayDistribution")
        kind = distribution.get("type")
        try:
            if kind == "lognormal":
                params = {"median_ms": distribution["median"], "sigma": distribution["sigma"]}
                if distribution.get("maxValue") is not None:
                    params["max_ms"] = distribution["maxValue"]
                return Latency("lognormal", params)
            if kind == "uniform":
                params = {"min_ms": distribution["lower"], "max_ms": distribution["upper"]}
                return Latency("uniform", params)
            if kind == "fixed":
                return Latency("fixed", {"ms": distribution["milliseconds"]})
        except KeyError as exc:
            message = f"a {kind} delayDistribution needs {exc.args[0]}"
            raise at(message, "delayDistribution") from None
        raise at(f"delayDistribution type must be lognormal, uniform or fixed, got {kind!r}",
                 "delayDistribution", "type")  # fmt: skip
    fixed = raw.get("fixedDelayMilliseconds")
    if fixed is None:
        return None
    if isinstance(fixed, bool) or not isinstance(fixed, int | float) or fixed < 0:
        raise at("fixedDelayMilliseconds must be a number >= 0", "fixedDelayMilliseconds")
    return Latency("fixed", {"ms": fixed})


def _proxy(raw: Mapping[str, Any]) -> ProxySpec:
    """WireMock's proxy fields: ``proxyBaseUrl``, ``proxyUrlPrefixToRemove``,
    ``additionalProxyRequestHeaders``, ``removeProxyRequestHeaders``."""
    base = raw["proxyBaseUrl"]
    if not isinstance(base, str) or not re.match(r"^https?://[^/?#\s]+", base, re.IGNORECASE):
        raise at(f"proxyBaseUrl must be an http(s) URL, got {base!r}", "proxyBaseUrl")
    prefix = raw.get("proxyUrlPrefixToRemove")
    if prefix is not None and not isinstance(prefix, str):
        raise at("proxyUrlPrefixToRemove must be a string", "proxyUrlPrefixToRemove")
    added = raw.get("additionalProxyRequestHeaders") or {}
    if not isinstance(added, Mapping):
        raise at("additionalProxyRequestHeaders must be an object", "additionalProxyRequestHeaders")
    removed = raw.get("removeProxyRequestHeaders") or []
    if not isinstance(removed, list):
        raise at("removeProxyRequestHeaders must be a list", "removeProxyRequestHeaders")
    return ProxySpec(
        to=base,
        strip_prefix=prefix,
        add_headers=tuple((str(k), str(v)) for k, v in added.items()),
        remove_headers=tuple(str(name) for name in removed),
    )
