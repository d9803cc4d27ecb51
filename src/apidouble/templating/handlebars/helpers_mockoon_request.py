"""Mockoon's request helpers: ``body``, ``bodyRaw``, ``queryParam``, ``urlParam``,
``header``, ``cookie``, ``method``, ``hostname``, ``ip``, ``baseUrl``...

Paths are Mockoon's: ``a.b.0`` (object-path, ``\\.`` escapes a dot) or a JSONPath
starting with ``$``. The printing helpers (``body``, ``queryParam``) print objects and
lists as JSON; the ``Raw`` ones hand the value itself to other helpers.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from ...model import INVALID_JSON, Request
from .registry import Helper, arg
from .request import Root
from .values import text

__all__ = ["REQUEST_HELPERS", "get_path", "js_text"]

P = tuple[Any, ...]
H = dict[str, Any]


def js_text(value: Any) -> str:
    """A value as Mockoon prints a ``SafeString`` of it: JSON for objects and lists."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value)


def _split(path: str) -> list[str]:
    if "\\." in path:
        return [part.replace("%#%", ".") for part in path.replace("\\.", "%#%").split(".")]
    return path.split(".")


def get_path(data: Any, path: str, default: Any, as_jsonpath: bool | None = None) -> Any:
    """Mockoon's ``getValueFromPath``: object-path or JSONPath (a path starting with
    ``$``, unless ``as_jsonpath`` says which); ``default`` when absent."""
    if not isinstance(data, dict | list) or not path:
        return data
    if path.startswith("$") if as_jsonpath is None else as_jsonpath:
        import jsonpath  # lazy: only templates that use it pay its import

        try:
            found = jsonpath.findall(path, data)
        except jsonpath.JSONPathError:  # a bad JSONPath reads as absent, as in Mockoon
            return default
        if not found:
            return default
        return found[0] if len(found) == 1 else found
    value: Any = data
    for part in _split(path):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return default
        if value is None:
            return default
    return value


def _request(root: Root) -> Request | None:
    model = root.get("request")
    return getattr(model, "_request", None)


def _params(root: Root) -> dict[str, str]:
    return getattr(root.get("request"), "_params", None) or {}


def _parsed_body(request: Request) -> Any:
    """The body as Mockoon's parsers read it: JSON, or a urlencoded form."""
    value = request.json
    if value is not INVALID_JSON:
        return value
    kind = (request.header("content-type") or "").lower()
    if "x-www-form-urlencoded" in kind:
        return _flat(parse_qs(request.text, keep_blank_values=True))
    return None


def _flat(multi: dict[str, list[str]]) -> dict[str, Any]:
    return {name: values[0] if len(values) == 1 else values for name, values in multi.items()}


def _body(p: P, h: H, r: Root) -> Any:
    request = _request(r)
    path, default = text(arg(p, 0, "")), arg(p, 1, "")
    if request is None:
        return default
    if not path:
        return request.text
    parsed = _parsed_body(request)
    value = get_path(parsed, path, default) if parsed is not None else default
    if isinstance(value, dict | list) or arg(p, 2) is True:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return js_text(value)


def _body_raw(p: P, h: H, r: Root) -> Any:
    request = _request(r)
    default = arg(p, 1, "")
    parsed = _parsed_body(request) if request is not None else None
    if not parsed:
        return default
    return get_path(parsed, text(arg(p, 0, "")), default)


def _query(r: Root) -> dict[str, Any]:
    request = _request(r)
    return _flat(request.query) if request is not None else {}


def _query_param(p: P, h: H, r: Root) -> Any:
    value = get_path(_query(r), text(arg(p, 0, "")), arg(p, 1, ""))
    if isinstance(value, dict | list) or arg(p, 2) is True:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return js_text(value)


def _query_param_raw(p: P, h: H, r: Root) -> Any:
    return get_path(_query(r), text(arg(p, 0, "")), arg(p, 1, ""))


def _header(p: P, h: H, r: Root) -> Any:
    request, default = _request(r), arg(p, 1, "")
    name = arg(p, 0)
    if request is None or not isinstance(name, str):
        return default
    return request.header(name) or default


def _headers(p: P, h: H, r: Root) -> Any:
    request = _request(r)
    return {} if request is None else {k: ", ".join(v) for k, v in request.header_map.items()}


def _cookie(p: P, h: H, r: Root) -> Any:
    request = _request(r)
    found = request.cookies.get(text(arg(p, 0, ""))) if request is not None else None
    return found or arg(p, 1, "")


def _hostname(r: Root) -> str:
    request = _request(r)
    host = (request.header("host") if request is not None else None) or "localhost"
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() else host


def _base_url(p: P, h: H, r: Root) -> str:
    request = _request(r)
    host = (request.header("host") if request is not None else None) or "localhost"
    return f"http://{host}"


def _ip(p: P, h: H, r: Root) -> str:
    request = _request(r)
    return request.client[0] if request is not None and request.client else "127.0.0.1"


def _method(p: P, h: H, r: Root) -> str:
    request = _request(r)
    return request.method if request is not None else ""


def _path_helper(jsonpath: bool) -> Any:
    """``jsonPath``/``objectPath``: a path into a value another helper gave."""

    def run(p: P, h: H, r: Root) -> Any:
        if len(p) < 2:
            return None
        path = text(p[1])
        if jsonpath and not path.startswith("$"):
            return arg(p, 2, "")
        return get_path(p[0], path, arg(p, 2, ""), jsonpath)

    return run


REQUEST_HELPERS = {
    "jsonPath": Helper(_path_helper(True)),
    "objectPath": Helper(_path_helper(False)),
    "body": Helper(_body),
    "bodyRaw": Helper(_body_raw),
    "urlParam": Helper(lambda p, h, r: _params(r).get(text(arg(p, 0, "")))),
    "urlParams": Helper(lambda p, h, r: dict(_params(r))),
    "queryParam": Helper(_query_param),
    "queryParamRaw": Helper(_query_param_raw),
    "queryParams": Helper(lambda p, h, r: _query(r)),
    "header": Helper(_header),
    "headers": Helper(_headers),
    "cookie": Helper(_cookie),
    "method": Helper(_method),
    "hostname": Helper(lambda p, h, r: _hostname(r)),
    "ip": Helper(_ip),
    "baseUrl": Helper(_base_url),
}
