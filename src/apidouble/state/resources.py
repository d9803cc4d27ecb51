"""CRUD resources over a json-server database document, answering as json-server 0.17 does.

A ``Database`` holds a json-server ``db.json`` document (top-level arrays are plural
resources, objects singular ones) and ``answer`` turns one request into a ``Reply``:
``GET /posts`` with json-server's query conventions, ``GET /posts/1``, ``POST`` with a new
id, ``PUT``, ``PATCH``, ``DELETE`` (with json-server's sweep of dependents), nested
``/posts/1/comments``, ``_embed``/``_expand`` and ``GET /db``. It does no I/O and keeps
no clock, so it can sit behind any storage; the only randomness is json-server's own
(a 7-character id for collections with string ids), and that comes from ``new_id``.

Where json-server's JavaScript throws (a duplicate id on ``POST``, a bad ``_like``
pattern), it answers 500 with the error's text; so does ``answer``, with the text's
first line (json-server adds its stack trace). A body that is not a JSON object is
answered 400 here: json-server would store an array as a row.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from .resource_naming import plural, singular
from .resource_query import (
    MISSING,
    Headers,
    Query,
    ScriptError,
    js_compare,
    js_str,
    qs_query,
    select,
    sort,
    truthy,
    window,
)

TEXT_HTML = ("Content-Type", "text/html; charset=utf-8")
"""The header of json-server's plain-text answers (its 500s): ``body`` is then a ``str``."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
_NANOID = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"
_URL_UNSAFE = re.compile(
    r"(?:[^\x21\x25\x26-\x3B\x3D\x3F-\x5B\x5D\x5F\x61-\x7A\x7E]"
    r"|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+"
)


@dataclass(slots=True)
class Reply:
    """json-server's answer: JSON-ready ``body`` (a ``str`` when ``TEXT_HTML`` is a header).

    The body may share objects with the database: encode it before the next call.
    """

    status: int
    body: Any
    headers: Headers = field(default_factory=list)


def nanoid() -> str:
    """A 7-character id from nanoid's alphabet, as json-server makes for string-id collections."""
    return "".join(secrets.choice(_NANOID) for _ in range(7))


class Database:
    """One json-server database: its resources, in document order, changed in place."""

    __slots__ = ("_data", "_names", "id_key", "id_keys", "foreign_key_suffix", "_new_id")

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        id_key: str = "id",
        id_keys: Mapping[str, str] | None = None,
        foreign_key_suffix: str = "Id",
        new_id: Callable[[], str] = nanoid,
    ) -> None:
        self.id_key = id_key
        self.id_keys: dict[str, str] = dict(id_keys or {})
        """Resources whose rows name their id otherwise (``resources: {users: {id: uid}}``)."""
        self.foreign_key_suffix = foreign_key_suffix
        self._new_id = new_id
        self._data: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        self.restore(document)

    @property
    def resources(self) -> tuple[str, ...]:
        """The resource names (``$schema`` is not one)."""
        return tuple(self._names.values())

    def document(self) -> dict[str, Any]:
        """The live state, as ``GET /db`` shows it."""
        return self._data

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state that later changes do not touch (for ``restore``)."""
        snapshot: dict[str, Any] = _clone(self._data)
        return snapshot

    def restore(self, document: Mapping[str, Any]) -> None:
        """Replace the whole state by (a copy of) ``document``, checked as json-server checks it."""
        if not isinstance(document, Mapping):
            raise ValueError(f"a json-server database is an object, not {type(document).__name__}")
        names: dict[str, str] = {}
        for key, value in document.items():
            if not isinstance(key, str):  # YAML allows other keys: ~, 1, an alias
                raise ValueError(f"a resource name is text, not {key!r}")
            if "/" in key:
                raise ValueError(f"'/' is not allowed in a resource name: {key!r}")
            if key != "$schema" and not isinstance(value, list | dict):
                raise ValueError(f"resource {key!r} must be an array or an object")
            if key != "$schema":
                names.setdefault(key.lower(), key)
        self._data = _clone(dict(document))
        self._names = names

    def answer(
        self,
        method: str,
        path_segments: list[str],
        query: Query,
        body: Any,
        *,
        base_url: str = "",
        original_url: str | None = None,
    ) -> Reply | None:
        """json-server's answer to one request, or None when the path is none of ours.

        ``path_segments`` are the decoded segments of the path; ``original_url`` is the
        request target as received (path and query), which json-server's ``Link`` and
        ``Location`` headers repeat after ``base_url`` (rebuilt from the parts if absent).
        """
        method = method.upper()
        if method not in METHODS:
            return None
        segments = list(path_segments)
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()  # Express routes are not strict about a trailing slash
        if not segments or segments == [""]:
            return None
        target = original_url if original_url is not None else _target(segments, query)
        query = qs_query(query)
        try:
            return self._route(
                "GET" if method == "HEAD" else method, segments, query, body, base_url + target
            )
        except ScriptError as error:
            return Reply(500, str(error), [TEXT_HTML])
        except _NotAnObject:
            return Reply(400, {"error": "the request body must be a JSON object"})

    def owns(self, method: str, path_segments: list[str]) -> bool:
        """Whether ``answer`` would answer this request (with a 404 maybe) rather than
        return None: a shared database is fetched only for requests that are its own."""
        method = method.upper()
        segments = list(path_segments)
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()
        if method not in METHODS or not segments or segments == [""]:
            return False
        if len(segments) == 1 and segments[0].lower() == "db" and method in ("GET", "HEAD"):
            return True
        if len(segments) == 3 and method in ("GET", "HEAD", "POST") and self._find(segments[2]):
            return True
        return self._find(segments[0]) is not None

    def _id(self, name: str) -> str:
        """The id field of ``name``'s rows."""
        return self.id_keys.get(name, self.id_key)

    def _find(self, segment: str) -> str | None:
        return self._names.get(segment.lower())  # Express matches paths case-insensitively

    def _route(
        self, method: str, segments: list[str], query: Query, body: Any, url: str
    ) -> Reply | None:
        if method == "GET" and len(segments) == 1 and segments[0].lower() == "db":
            return Reply(200, self._data)
        if len(segments) == 3 and method in ("GET", "POST"):
            nested = self._find(segments[2])
            if nested is not None:
                key = singular(segments[0]) + self.foreign_key_suffix
                if method == "GET":
                    query = {**query, key: [segments[1]]}
                elif isinstance(body, dict) or body is None:
                    body = {**(body or {}), key: segments[1]}
                return self._resource(method, nested, [], query, body, url)
        name = self._find(segments[0])
        if name is None:
            return None
        return self._resource(method, name, segments[1:], query, body, url)

    def _resource(
        self, method: str, name: str, rest: list[str], query: Query, body: Any, url: str
    ) -> Reply:
        value = self._data[name]
        if isinstance(value, dict):
            return self._singular(method, name, rest, body, url)
        if not rest:
            if method == "GET":
                return self._list(name, value, query, url)
            if method == "POST":
                return self._create(name, value, body, url)
        elif len(rest) == 1:
            if method == "GET":
                return self._show(name, value, rest[0], query)
            if method in ("PUT", "PATCH"):
                return self._update(name, value, rest[0], body, method == "PATCH")
            if method == "DELETE":
                return self._destroy(name, rest[0])
        return _not_found()

    def _singular(self, method: str, name: str, rest: list[str], body: Any, url: str) -> Reply:
        if rest or method == "DELETE":
            return _not_found()
        if method == "GET":
            return Reply(200, self._data[name])
        if method == "PATCH":
            self._data[name].update(_object(body))
            return Reply(200, self._data[name])
        self._data[name] = _object(body)
        if method == "PUT":
            return Reply(200, self._data[name])
        return Reply(201, self._data[name], _location(url))

    def _list(self, name: str, rows: list[Any], query: Query, url: str) -> Reply:
        headers: Headers = []
        chosen = window(sort(select(rows, query), query), query, url, headers)
        embeds, expands = _names(query, "_embed"), _names(query, "_expand")
        if embeds or expands:
            chosen = [self._joined(name, row, embeds, expands) for row in chosen]
        return Reply(200, chosen, headers)

    def _show(self, name: str, rows: list[Any], wanted: str, query: Query) -> Reply:
        row = _by_id(rows, wanted, self._id(name))
        if row is None:
            return _not_found()
        embeds, expands = _names(query, "_embed"), _names(query, "_expand")
        return Reply(200, self._joined(name, row, embeds, expands) if embeds or expands else row)

    def _joined(self, name: str, row: Any, embeds: list[str], expands: list[str]) -> Any:
        """``_embed`` (children whose ``postId`` is this id) and ``_expand`` (the parent)."""
        row = _clone(row)
        if not isinstance(row, dict):
            return row
        key = singular(name) + self.foreign_key_suffix
        own = row.get(self._id(name), MISSING)
        for child in embeds:
            rows = _rows(self._data.get(child, []))
            row[child] = [
                r for r in rows if isinstance(r, dict) and key in r and _equal(r[key], own)
            ]
        for parent in expands:
            table = self._data.get(plural(parent))
            if table is None:
                continue
            wanted = row.get(parent + self.foreign_key_suffix, MISSING)
            found = _by_id(_rows(table), wanted, self._id(plural(parent)))
            if found is None:
                row.pop(parent, None)  # json-server sets it to undefined, which JSON drops
            else:
                row[parent] = found
        return row

    def _create(self, name: str, rows: list[Any], body: Any, url: str) -> Reply:
        row, id_key = _object(body), self._id(name)
        if not truthy(row.get(id_key, MISSING)):
            row[id_key] = self._next_id(rows, id_key)
        if _by_id(rows, row[id_key], id_key) is not None:
            raise ScriptError("Error: Insert failed, duplicate id")
        rows.append(row)
        return Reply(201, row, _location(f"{url}/{js_str(row[id_key])}"))

    def _next_id(self, rows: list[Any], id_key: str) -> Any:
        """json-server's ``createId``: one more than the largest number id, else a nanoid."""
        if not rows:
            return 1
        best: Any = MISSING
        for row in rows:
            value = row.get(id_key, MISSING) if isinstance(row, dict) else MISSING
            if value is None or value is MISSING:
                continue
            if best is MISSING or js_compare(value, best) == 1:
                best = value
        if best is MISSING:
            raise ScriptError(
                f"TypeError: Cannot read properties of undefined (reading '{id_key}')"
            )
        if (
            isinstance(best, int | float)
            and not isinstance(best, bool)
            and abs(best) != float("inf")
        ):
            return best + 1
        return self._new_id()

    def _update(self, name: str, rows: list[Any], wanted: str, body: Any, merge: bool) -> Reply:
        id_key = self._id(name)
        row = _by_id(rows, wanted, id_key)
        if row is None:
            return _not_found()
        own, changes = row[id_key], _object(body)
        if not merge:
            row.clear()
        row.update(changes)
        row[id_key] = own
        return Reply(200, row)

    def _destroy(self, name: str, wanted: str) -> Reply:
        row = _by_id(self._data[name], wanted, self._id(name))
        if row is None:
            return _not_found()
        # Work on copies of the lists and commit at the end, so a throw changes nothing.
        after = {key: list(v) if isinstance(v, list) else v for key, v in self._data.items()}
        _remove(after[name], row)
        for dependent, dependent_id in self._dependents(after):
            table = after[dependent]
            if isinstance(table, list):
                found = _by_id(table, dependent_id, self._id(dependent))
                if found is not None:
                    _remove(table, found)
        for key, value in after.items():
            if isinstance(value, list):
                self._data[key][:] = value
        return Reply(200, {})

    def _dependents(self, data: dict[str, Any]) -> list[tuple[str, Any]]:
        """json-server's ``getRemovable``: rows whose ``xId`` names a missing ``xs`` row."""
        suffix = self.foreign_key_suffix
        found: list[tuple[str, Any]] = []
        for name, table in data.items():
            if name == "$schema":
                continue
            for doc in _rows(table):
                if not isinstance(doc, dict):
                    continue
                for key, value in doc.items():
                    if not key.endswith(suffix):
                        continue
                    parent = plural(key[: len(key) - len(suffix)])
                    ref = data.get(parent)
                    if ref is not None and _by_id(_rows(ref), value, self._id(parent)) is None:
                        found.append((name, doc.get(self._id(name), MISSING)))
        return found


class _NotAnObject(Exception):
    """A write whose body is not a JSON object (json-server would store an array as a row)."""


def _object(body: Any) -> dict[str, Any]:
    """A copy of a write's body; no body is ``{}``, as json-server's body parser leaves it."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise _NotAnObject
    return {key: _clone(value) for key, value in body.items()}


def _not_found() -> Reply:
    return Reply(404, {})


def _location(url: str) -> Headers:
    """Express's ``res.location`` (percent-encodes what a URL cannot carry)."""
    encoded = _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=";,/?:@&=+$-_.!~*'()#"), url)
    return [("Access-Control-Expose-Headers", "Location"), ("Location", encoded)]


def _names(query: Query, key: str) -> list[str]:
    values = query.get(key) or []
    return values if len(values) > 1 or (values and values[0]) else []


def _rows(table: Any) -> list[Any]:
    return (
        list(table.values())
        if isinstance(table, dict)
        else table
        if isinstance(table, list)
        else []
    )


def _by_id(rows: list[Any], wanted: Any, id_key: str) -> Any:
    """lodash-id's ``getById``: the first row whose id reads the same as ``wanted``."""
    for row in rows:
        if not isinstance(row, dict) or id_key not in row:
            continue
        if row[id_key] is None or wanted is None or wanted is MISSING:
            missing = "null" if row[id_key] is None or wanted is None else "undefined"
            raise ScriptError(
                f"TypeError: Cannot read properties of {missing} (reading 'toString')"
            )
        if js_str(row[id_key]) == js_str(wanted):
            return row
    return None


def _remove(rows: list[Any], row: Any) -> None:
    for index, candidate in enumerate(rows):
        if candidate is row:
            del rows[index]
            return


def _equal(left: Any, right: Any) -> bool:
    """lodash's ``isEqual`` for JSON values (``1`` and ``"1"`` differ)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_equal(v, right[k]) for k, v in left.items())
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    return bool(left == right)


def _clone(value: Any) -> Any:
    """A deep copy of a JSON value (faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _target(segments: list[str], query: Query) -> str:
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    return f"{path}?{urlencode(query, doseq=True)}" if query else path
