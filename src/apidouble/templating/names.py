"""The values and helpers templates see: ``now``, clocks, uuids, random helpers, ``jsonpath``.

Everything random draws from one ``random.Random`` owned by the environment, so a seed
repeats every choice for the same sequence of requests. Clock-derived names are cached
per second: ``date`` and ``time`` cost one ``time.time()`` call on the hot path.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from random import Random
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from jsonpath import CompoundJSONPath, JSONPath


LETTERS_AND_DIGITS = string.ascii_letters + string.digits
MAX_RANDOM_STRING = 1_000_000
"""Longest ``random_string``: request data may choose the length, memory may not suffer."""


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; ValueError (a render error) for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


class Now:
    """A moment for templates: ``shift``, ``format``, ``tz``, ``epoch``; ``str`` is ISO 8601.

    Immutable and plain: every method returns a new ``Now`` or a string/number, so the
    sandbox has nothing to guard beyond Python's underscore rule.
    """

    __slots__ = ("_moment",)

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def shift(
        self,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        weeks: float = 0,
        milliseconds: float = 0,
    ) -> Now:
        """The moment moved by the given amounts (negative goes back)."""
        delta = timedelta(days, seconds, 0, milliseconds, minutes, hours, weeks)
        return Now(self._moment + delta)

    def format(self, fmt: str) -> str:
        """``strftime`` formatting: ``now.format('%d/%m/%Y')``."""
        return self._moment.strftime(fmt)

    def tz(self, name: str) -> Now:
        """The same moment in another time zone: ``now.tz('Europe/Paris')``."""
        return Now(self._moment.astimezone(zone(name)))

    @property
    def moment(self) -> datetime:
        """The aware ``datetime`` itself (for helpers written in Python)."""
        return self._moment

    @property
    def iso(self) -> str:
        """ISO 8601 with milliseconds and the UTC offset."""
        return self._moment.isoformat(timespec="milliseconds")

    @property
    def epoch(self) -> int:
        """Whole seconds since 1970-01-01 UTC."""
        return int(self._moment.timestamp())

    @property
    def epoch_ms(self) -> int:
        """Milliseconds since 1970-01-01 UTC."""
        return int(self._moment.timestamp() * 1000)

    @property
    def date(self) -> str:
        """``YYYY-MM-DD`` in this moment's zone."""
        return self._moment.strftime("%Y-%m-%d")

    @property
    def time(self) -> str:
        """``HH:MM:SS`` in this moment's zone."""
        return self._moment.strftime("%H:%M:%S")

    @property
    def year(self) -> int:
        return self._moment.year

    @property
    def month(self) -> int:
        return self._moment.month

    @property
    def day(self) -> int:
        return self._moment.day

    @property
    def hour(self) -> int:
        return self._moment.hour

    @property
    def minute(self) -> int:
        return self._moment.minute

    @property
    def second(self) -> int:
        return self._moment.second

    @property
    def weekday(self) -> int:
        """Monday is 0, Sunday 6."""
        return self._moment.weekday()

    def __str__(self) -> str:
        return self.iso

    def __repr__(self) -> str:
        return f"Now({self.iso})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Now) and other._moment == self._moment

    def __hash__(self) -> int:
        return hash(self._moment)

    def __lt__(self, other: Now) -> bool:
        return self._moment < other._moment


class Clock:
    """``date``, ``time``, ``timestamp`` and ``now`` from one injectable clock.

    ``date`` and ``time`` are formatted once per second, not once per request.
    """

    __slots__ = ("_read", "_second", "_date", "_time")

    def __init__(self, read: Callable[[], float]) -> None:
        self._read = read
        self._second = -1
        self._date = ""
        self._time = ""

    def _tick(self, second: int) -> None:
        moment = datetime.fromtimestamp(second, UTC)
        self._date = moment.strftime("%Y-%m-%d")
        self._time = moment.strftime("%H:%M:%S")
        self._second = second

    def date(self) -> str:
        second = int(self._read())
        if second != self._second:
            self._tick(second)
        return self._date

    def time(self) -> str:
        second = int(self._read())
        if second != self._second:
            self._tick(second)
        return self._time

    def timestamp(self) -> str:
        return datetime.fromtimestamp(self._read(), UTC).isoformat(timespec="milliseconds")

    def now(self) -> Now:
        return Now(datetime.fromtimestamp(self._read(), UTC))


_UUID_VERSION_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)


class Randoms:
    """Every random helper, drawing from one (seedable) ``Random``."""

    __slots__ = ("rng",)

    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def uuid(self) -> str:
        """A version-4 UUID string (formatted by hand: ~4x cheaper than ``uuid.UUID``)."""
        n = (self.rng.getrandbits(128) & _UUID_VERSION_CLEAR) | _UUID_VERSION_4
        h = n.to_bytes(16, "big").hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def random_int(self, low: int = 0, high: int = 100) -> int:
        """An integer between ``low`` and ``high``, both included."""
        return self.rng.randint(int(low), int(high))

    def random_float(self, low: float = 0.0, high: float = 1.0) -> float:
        """A float between ``low`` and ``high``."""
        return self.rng.uniform(float(low), float(high))

    def random_choice(self, items: Sequence[Any]) -> Any:
        """One item of a list (or of any iterable); a render error when it is empty."""
        pool = items if isinstance(items, list | tuple | str | range) else list(items)
        if not pool:
            raise ValueError("random_choice needs a non-empty list")
        return pool[self.rng.randrange(len(pool))]

    def random_string(self, length: int = 16, alphabet: str = LETTERS_AND_DIGITS) -> str:
        """``length`` characters drawn from ``alphabet`` (letters and digits by default)."""
        length = int(length)
        if not 0 <= length <= MAX_RANDOM_STRING:
            raise ValueError(f"random_string length must be 0..{MAX_RANDOM_STRING}")
        if not alphabet:
            raise ValueError("random_string needs a non-empty alphabet")
        return "".join(self.rng.choices(alphabet, k=length))


@lru_cache(maxsize=256)
def _compiled_path(expression: str) -> JSONPath | CompoundJSONPath:
    import jsonpath  # here: only templates that select with it pay for its import

    return jsonpath.compile(expression)


def _errors() -> type[Exception]:
    from jsonpath import JSONPathError  # imported by ``_compiled_path`` already

    return JSONPathError


def jsonpath(value: Any, expression: str) -> Any:
    """Select with JSONPath: the single match, a list when several match, None when none."""
    try:
        found = _compiled_path(str(expression)).findall(value)
    except _errors() as exc:
        raise ValueError(f"jsonpath {expression!r}: {exc}") from exc
    if not found:
        return None
    return found[0] if len(found) == 1 else found
