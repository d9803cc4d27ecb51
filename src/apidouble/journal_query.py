"""The conditions of one journal query, checked against entries as ``marshal.loads`` gives them.

Built once per ``find``/``count`` call: the method upper-cased, a ``RequestPattern``
compiled with the same matchers stubs use. ``accepts`` tests the cheap atoms first and
rebuilds a ``model.Request`` only for a pattern with query, header, cookie or body
conditions, so entries that fail on method or path are never decoded further.
``body_jsonpath`` is compiled once too (``BodySelection``) and tested last: only the
entries that met everything else have their body parsed as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .journal_entries import (
    BODY,
    METHOD,
    PATH,
    RECEIVED,
    STATUS,
    STUB_ID,
    Fields,
    rebuild_request,
)
from .matching.body import json_equal, json_text
from .matching.pattern import CompiledPattern, compile_pattern
from .matching.result import Check, shown
from .model import RequestPattern

BodyJsonPath = str | Mapping[str, Any]
"""``"$.a"`` (the path selects something) or ``{"$.a": 1, ...}`` (each selects a value
equal, as JSON, to the one given)."""

_ANY = object()
"""The expected value of an expression that only has to select something."""
_NOT_JSON = object()


class BodySelection:
    """JSONPath conditions on a JSON body, compiled once per query; ``ValueError`` on an
    invalid expression."""

    __slots__ = ("source", "_paths")

    def __init__(self, spec: BodyJsonPath) -> None:
        self.source = spec
        wanted: Mapping[str, Any] = {spec: _ANY} if isinstance(spec, str) else spec
        paths: list[tuple[str, Any, Any]] = []
        import jsonpath  # here: only a query that selects on the body pays for its import

        for expression, expected in wanted.items():
            try:
                compiled = jsonpath.compile(expression)
            except jsonpath.JSONPathError as error:
                message = str(error).splitlines()[0]
                raise ValueError(f"invalid JSONPath {expression!r}: {message}") from None
            paths.append((expression, compiled, expected))
        self._paths = tuple(paths)

    def test(self, body: bytes) -> bool:
        """Whether the body is JSON and every expression selects what it should."""
        document = _document(body)
        if document is _NOT_JSON:
            return False
        return all(_holds(path.findall(document), want) for _, path, want in self._paths)

    def explain(self, body: bytes) -> list[Check]:
        """One check per expression, for near-miss reports."""
        document = _document(body)
        checks = []
        for expression, path, want in self._paths:
            label = f"body {expression}"
            expected = "selects something" if want is _ANY else shown(json_text(want))
            if document is _NOT_JSON:
                checks.append(Check(label, False, expected, "<not JSON>"))
                continue
            found = path.findall(document)
            actual = "<nothing selected>" if not found else shown(json_text(found[0]))
            checks.append(Check(label, _holds(found, want), expected, actual))
        return checks

    def describe(self) -> str:
        """The conditions as a verification message shows them."""
        return ", ".join(
            f"body {expression}" if want is _ANY else f"body {expression} == {json_text(want)}"
            for expression, _, want in self._paths
        )


def _document(body: bytes) -> Any:
    if not body:
        return _NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _holds(found: list[Any], want: Any) -> bool:
    if want is _ANY:
        return bool(found)
    return any(json_equal(node, want) for node in found)


class Query:
    """What an entry must satisfy (the stub itself is chosen by the index, not here)."""

    __slots__ = ("method", "path", "stub", "status", "unmatched", "pattern", "since", "body")

    def __init__(
        self,
        method: str | None = None,
        path: str | None = None,
        stub: str | None = None,
        status: int | None = None,
        unmatched: bool | None = None,
        pattern: RequestPattern | CompiledPattern | None = None,
        since: float | None = None,
        body_jsonpath: BodyJsonPath | BodySelection | None = None,
    ) -> None:
        self.method = method.upper() if method else None
        self.path = path
        self.stub = stub
        self.status = status
        self.unmatched = unmatched
        self.pattern = compile_pattern(pattern) if isinstance(pattern, RequestPattern) else pattern
        self.since = since
        self.body = (
            BodySelection(body_jsonpath)
            if body_jsonpath is not None and not isinstance(body_jsonpath, BodySelection)
            else body_jsonpath
        )

    @property
    def by_counter(self) -> bool:
        """Whether the exact counters answer ``count``: no condition, or only a stub or
        ``unmatched=True`` (everything else is a question about the kept entries)."""
        return (
            self.method is None
            and self.path is None
            and self.status is None
            and self.pattern is None
            and self.since is None
            and self.body is None
            and (self.unmatched is None or (self.unmatched and self.stub is None))
        )

    @property
    def filters(self) -> bool:
        """Whether ``accepts`` can turn down an entry the index already chose."""
        return not (
            self.method is None
            and self.path is None
            and self.status is None
            and self.pattern is None
            and self.since is None
            and self.body is None
            and self.unmatched is not False
        )

    def accepts(self, fields: Fields) -> bool:
        """Whether the entry meets every condition but the stub (see ``Journal._select``)."""
        if self.since is not None and fields[RECEIVED] < self.since:
            return False
        if self.method is not None and fields[METHOD] != self.method:
            return False
        if self.path is not None and fields[PATH] != self.path:
            return False
        if self.status is not None and fields[STATUS] != self.status:
            return False
        if self.unmatched is False and fields[STUB_ID] is None:
            return False
        pattern = self.pattern
        if pattern is not None:
            if not pattern.test_method(fields[METHOD]) or pattern.test_path(fields[PATH]) is None:
                return False
            if pattern.has_conditions and not pattern.test_conditions(rebuild_request(fields)):
                return False
        return self.body is None or self.body.test(fields[BODY])
