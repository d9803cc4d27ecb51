"""HTTP caching: validators and ``Cache-Control`` on responses, 304s, and a server cache.

``CachePolicy`` is the client-facing side (``cache: {etag, max_age, last_modified,
vary, private}``): the ETag is a strong validator hashed from the rendered body, so it
changes exactly when the bytes do. ``not_modified`` follows RFC 9110 section 13.2.2:
only GET and HEAD get a 304; ``If-None-Match`` wins over ``If-Modified-Since`` (which is
then ignored), compares weakly and accepts ``*``; an unparsable date is ignored.

``ResponseCache`` is the opt-in server side (``cache: {server: {key: [path, query],
ttl: 30s}}``): rendered templated responses kept for ``ttl`` under a key built from the
request, bounded by entry count and evicted least recently used.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Generic, TypeVar
from urllib.parse import parse_qsl

from ..model import Request
from ..state.memory import MemorySpace
from ..state.store import StateSpace

V = TypeVar("V")
_ETAG_LIST = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def etag_for(body: bytes) -> str:
    """A strong, quoted ETag: 128 bits of BLAKE2b, fast and collision-safe for bodies."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def http_date(moment: datetime) -> str:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` (IMF-fixdate)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_last_modified(value: str | datetime) -> datetime:
    """An aware UTC datetime, whole seconds, from a datetime, ISO 8601 or an HTTP date."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                moment = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                raise ValueError(
                    "cache.last_modified must be ISO 8601 (2024-05-01T12:00:00Z) "
                    f"or an HTTP date, got {value!r}"
                ) from None
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """What a stub says about caching its responses."""

    etag: bool = True
    max_age: int | None = None
    last_modified: datetime | None = None
    vary: tuple[str, ...] = ()
    private: bool = False

    @classmethod
    def build(
        cls,
        etag: bool = True,
        max_age: int | None = None,
        last_modified: str | datetime | None = None,
        vary: Sequence[str] = (),
        private: bool = False,
    ) -> CachePolicy:
        """Validate config values (at load time) into a policy."""
        if max_age is not None and (isinstance(max_age, bool) or max_age < 0):
            raise ValueError(f"cache.max_age must be whole seconds >= 0, got {max_age!r}")
        moment = parse_last_modified(last_modified) if last_modified is not None else None
        return cls(etag, max_age, moment, tuple(vary), private)

    def headers_for(self, body: bytes) -> list[tuple[str, str]]:
        """``ETag``, ``Last-Modified``, ``Cache-Control`` and ``Vary`` for this body.

        The same list goes on a 304 (RFC 9110 15.4.5 wants the 200's validators and
        caching fields repeated). Static bodies: compute once at load time.
        """
        found: list[tuple[str, str]] = []
        if self.etag:
            found.append(("ETag", etag_for(body)))
        if self.last_modified is not None:
            found.append(("Last-Modified", http_date(self.last_modified)))
        control = self.cache_control()
        if control:
            found.append(("Cache-Control", control))
        if self.vary:
            found.append(("Vary", ", ".join(self.vary)))
        return found

    def cache_control(self) -> str:
        """``max-age=N`` (with ``private``), ``no-cache`` for 0 (always revalidate), or ''."""
        parts = ["private"] if self.private else []
        if self.max_age == 0:
            parts.append("no-cache")
        elif self.max_age is not None:
            parts.append(f"max-age={self.max_age}")
        return ", ".join(parts)

    def not_modified(
        self, request: Request, etag: str | None, last_modified: datetime | None = None
    ) -> bool:
        """True when the client's copy is current and a 304 is the answer."""
        return not_modified(request, etag, last_modified or self.last_modified)


def not_modified(request: Request, etag: str | None, last_modified: datetime | None) -> bool:
    """RFC 9110 13.2.2 steps 3-4 for a representation that exists (GET/HEAD only)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.header_map.get("if-none-match")
    if if_none_match is not None:
        return _matches_any(",".join(if_none_match), etag)
    since = request.header("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored, as the RFC says
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return last_modified <= moment


def _matches_any(field: str, etag: str | None) -> bool:
    """Weak comparison of ``etag`` against an ``If-None-Match`` list (or ``*``)."""
    if field.strip() == "*":
        return True
    if etag is None:
        return False
    ours = etag.removeprefix("W/")
    position = 0
    while position < len(field):
        found = _ETAG_LIST.match(field, position)
        if found is None or found.end() == position:
            return False  # malformed list: no match, send the full response
        if found.group(1) == ours:
            return True
        position = found.end()
    return False


KeyPart = str
"""``method``, ``path``, ``query`` (order-insensitive), ``body`` or ``header:NAME``."""


def compile_cache_key(parts: Sequence[KeyPart]) -> Callable[[Request], tuple[str, ...]]:
    """A function of the request giving the server-cache key, built once at load."""
    getters: list[Callable[[Request], str]] = []
    for part in parts:
        if part == "method":
            getters.append(lambda r: r.method)
        elif part == "path":
            getters.append(lambda r: r.path)
        elif part == "query":
            getters.append(lambda r: repr(sorted(parse_qsl(r.query_string, True))))
        elif part == "body":
            getters.append(lambda r: hashlib.blake2b(r.body, digest_size=16).hexdigest())
        elif part.startswith(("header:", "headers:")) and part.partition(":")[2].strip():
            name = part.partition(":")[2].strip()
            getters.append(_header_part(name))
        else:
            raise ValueError(
                f"cache.server.key parts are method, path, query, body or header:NAME, got {part!r}"
            )
    return lambda request: tuple(get(request) for get in getters)


def _header_part(name: str) -> Callable[[Request], str]:
    lower = name.lower()
    return lambda request: "\n".join(request.header_map.get(lower, ()))


class ResponseCache(Generic[V]):
    """Rendered responses by key for ``ttl_s`` seconds, at most ``max_entries`` of them.

    The entries live in a ``StateSpace`` (given, or a private one), so a reload that
    keeps the stub keeps its cache.
    """

    def __init__(
        self,
        ttl_s: float,
        key: Sequence[KeyPart] = ("path", "query"),
        max_entries: int = 1000,
        *,
        space: StateSpace | None = None,
    ) -> None:
        if ttl_s <= 0 or max_entries < 1:
            raise ValueError("cache.server needs ttl > 0 and max_entries >= 1")
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.key_parts = tuple(key)
        self.key_for = compile_cache_key(key)
        self._space: StateSpace = space if space is not None else MemorySpace(max_entries)
        self.hits = 0
        self.misses = 0

    def bind(self, space: StateSpace) -> ResponseCache[V]:
        """The same settings, keeping the entries in ``space``."""
        return ResponseCache(self.ttl_s, self.key_parts, self.max_entries, space=space)

    def get(self, key: tuple[str, ...], now: float) -> V | None:
        """The cached value if stored less than ``ttl_s`` ago, else None (and dropped)."""
        value: V | None = self._space.cached(key, now)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: tuple[str, ...], value: V, now: float) -> None:
        """Store ``value`` until ``now + ttl_s``, evicting the least recently used."""
        self._space.cache(key, value, now + self.ttl_s)

    def __len__(self) -> int:
        space = self._space
        return space.cache_size() if isinstance(space, MemorySpace) else 0

    def clear(self) -> None:
        """Drop everything (an admin reset)."""
        self._space.clear()
