"""The conditions of one journal query, checked against entries as ``marshal.loads`` gives them.

Built once per ``find``/``count`` call: the method upper-cased, a ``RequestPattern``
compiled with the same matchers stubs use. ``accepts`` tests the cheap atoms first and
rebuilds a ``model.Request`` only for a pattern with query, header, cookie or body
conditions, so entries that fail on method or path are never decoded further.
"""

from __future__ import annotations

from .journal_entries import METHOD, PATH, RECEIVED, STATUS, STUB_ID, Fields, rebuild_request
from .matching.pattern import CompiledPattern, compile_pattern
from .model import RequestPattern


class Query:
    """What an entry must satisfy (the stub itself is chosen by the index, not here)."""

    __slots__ = ("method", "path", "stub", "status", "unmatched", "pattern", "since")

    def __init__(
        self,
        method: str | None = None,
        path: str | None = None,
        stub: str | None = None,
        status: int | None = None,
        unmatched: bool | None = None,
        pattern: RequestPattern | CompiledPattern | None = None,
        since: float | None = None,
    ) -> None:
        self.method = method.upper() if method else None
        self.path = path
        self.stub = stub
        self.status = status
        self.unmatched = unmatched
        self.pattern = compile_pattern(pattern) if isinstance(pattern, RequestPattern) else pattern
        self.since = since

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
        if pattern is None:
            return True
        if not pattern.test_method(fields[METHOD]) or pattern.test_path(fields[PATH]) is None:
            return False
        return not pattern.has_conditions or pattern.test_conditions(rebuild_request(fields))
