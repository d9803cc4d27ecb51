"""Automatic persisted queries, as Apollo does them: a hash first, the text on a miss.

A client sends ``extensions.persistedQuery.sha256Hash`` without the query; an unknown
hash answers ``PersistedQueryNotFound`` and the client resends hash and query, which
registers it. The store is bounded (least recently used leaves first): clients cannot
grow it without limit.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["PersistedQueries", "PersistedQueryError"]

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryError(Exception):
    """The request's persisted-query extension cannot be served; ``code`` as Apollo's."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PersistedQueries:
    """Query texts by SHA-256 hash, at most ``capacity`` of them."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._texts)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The query to run: the given one (registered when it carries a hash) or the
        one stored for the hash; ``PersistedQueryError`` when that cannot be."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if not isinstance(persisted, dict):
            raise PersistedQueryError("persistedQuery must be an object", "BAD_REQUEST")
        if persisted.get("version", 1) != 1:
            raise PersistedQueryError("Unsupported persisted query version", "BAD_REQUEST")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not digest:
            raise PersistedQueryError("persistedQuery needs a sha256Hash", "BAD_REQUEST")
        digest = digest.lower()
        with self._lock:
            if query is None:
                text = self._texts.get(digest)
                if text is None:
                    raise PersistedQueryError("PersistedQueryNotFound", NOT_FOUND)
                self._texts.move_to_end(digest)
                return text
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                raise PersistedQueryError("provided sha does not match query", "BAD_REQUEST")
            self._texts[digest] = query
            self._texts.move_to_end(digest)
            while len(self._texts) > self.capacity:
                self._texts.popitem(last=False)
        return query
