"""CRUD data in Redis: every instance reads and writes the same resources.

Each session's database is one JSON document with a version number. A read asks for the
document only when its version differs from the copy this process holds (one round
trip either way); a write applies json-server's logic to a copy and stores it with a
compare-and-set on the version (one Lua script), trying again on a conflict, so two
instances writing at once never lose each other's rows. The keys carry a fingerprint of
the initial data: a config whose rows changed starts from its new rows, as a reload does
in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..behaviours.keys import LruDict
from .redis_store import RedisStore, delete_matching, glob_escape
from .resources import Database, Reply
from .resp import Script
from .store import StateUnavailable

_READ = Script("""
local version = redis.call('GET', KEYS[1]) or '0'
if version == ARGV[1] then
  return {version}
end
return {version, redis.call('GET', KEYS[2])}
""")
"""The version, and the document too when it is not the caller's."""

_WRITE = Script("""
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then
  return false
end
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('INCR', KEYS[1])
""")
"""Store the document if nobody wrote since version ARGV[1]; the new version."""

MAX_ATTEMPTS = 16
"""Writes that lose the race this many times in a row get a 503 (never seen in practice)."""
SESSIONS_CACHED = 1_000


class SharedDatabases:
    """The databases of every session, kept in Redis and cached here by version."""

    __slots__ = ("_link", "_prefix", "_initial", "_id_keys", "_cache")

    def __init__(
        self, store: RedisStore, initial: Mapping[str, Any], id_keys: Mapping[str, str]
    ) -> None:
        self._link = store.link
        self._initial = dict(initial)
        self._id_keys = dict(id_keys)
        text = json.dumps(self._initial, sort_keys=True, separators=(",", ":"))
        fingerprint = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
        self._prefix = f"{store.link.target.namespace}:db:{fingerprint}:"
        self._cache: LruDict[str, tuple[str, Database]] = LruDict(SESSIONS_CACHED)

    def run(
        self, who: str, answer: Callable[[Database], Reply | None], writes: bool
    ) -> Reply | None:
        """``answer`` on session ``who``'s database; a write is stored before it returns."""
        for _ in range(MAX_ATTEMPTS):
            version, database = self._current(who)
            if not writes:
                return answer(database)
            work = Database(database.snapshot(), id_keys=self._id_keys)
            reply = answer(work)
            if reply is None or reply.status >= 400:
                return reply  # nothing written (json-server changes nothing on an error)
            stored = self._store(who, version, work)
            if stored is not None:
                self._cache[who] = (stored, work)
                return reply
        raise StateUnavailable(f"a CRUD write lost {MAX_ATTEMPTS} races in a row; try again")

    def _keys(self, who: str) -> list[str]:
        base = self._prefix + who
        return [base + ":v", base + ":doc"]

    def _current(self, who: str) -> tuple[str, Database]:
        cached = self._cache.get(who)
        mine = cached[0] if cached is not None else ""
        link, keys = self._link, self._keys(who)
        found = link.call(lambda: link.script(_READ, keys, [mine]))
        version = str(found[0])
        if cached is not None and version == mine:
            return cached
        if len(found) > 1 and found[1] is not None:
            database = Database(json.loads(found[1]), id_keys=self._id_keys)
        else:  # never written (or reset): the initial rows
            database = Database(self._initial, id_keys=self._id_keys)
        self._cache[who] = (version, database)
        return version, database

    def _store(self, who: str, version: str, database: Database) -> str | None:
        text = json.dumps(database.document(), ensure_ascii=False, separators=(",", ":"))
        link, keys = self._link, self._keys(who)
        stored = link.call(lambda: link.script(_WRITE, keys, [version, text]))
        return None if stored is None else str(stored)

    def reset(self) -> None:
        """Every session back to the initial rows, on every instance."""
        self._cache.clear()
        delete_matching(self._link, glob_escape(self._prefix) + "*")
