"""Mockoon's date helpers: ``now``, ``dateTimeShift``, ``date``, ``time``,
``dateFormat``, ``isValidDate``, with date-fns format tokens (``yyyy-MM-dd'T'HH:mm``).

Dates are in UTC (mockoon-cli uses the server's zone); ``now`` is the response's moment,
so one response shows one time.
"""

from __future__ import annotations

import calendar
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .helpers_mockoon_logic import js_number
from .registry import Helper, arg
from .request import Root

__all__ = ["DATE_HELPERS", "date_fns_format"]

P = tuple[Any, ...]
H = dict[str, Any]
ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSxxx"
_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*")


def _zone(d: datetime, colon: bool, z: bool) -> str:
    offset = d.utcoffset() or timedelta(0)
    if z and not offset:
        return "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


_FIELDS: dict[str, Callable[[datetime], str]] = {
    "yyyy": lambda d: f"{d.year:04d}",
    "yy": lambda d: f"{d.year % 100:02d}",
    "y": lambda d: str(d.year),
    "MMMM": lambda d: calendar.month_name[d.month],
    "MMM": lambda d: calendar.month_abbr[d.month],
    "MM": lambda d: f"{d.month:02d}",
    "M": lambda d: str(d.month),
    "dd": lambda d: f"{d.day:02d}",
    "d": lambda d: str(d.day),
    "EEEE": lambda d: calendar.day_name[d.weekday()],
    "EEE": lambda d: calendar.day_abbr[d.weekday()],
    "HH": lambda d: f"{d.hour:02d}",
    "H": lambda d: str(d.hour),
    "hh": lambda d: f"{(d.hour % 12) or 12:02d}",
    "h": lambda d: str((d.hour % 12) or 12),
    "mm": lambda d: f"{d.minute:02d}",
    "m": lambda d: str(d.minute),
    "ss": lambda d: f"{d.second:02d}",
    "s": lambda d: str(d.second),
    "SSS": lambda d: f"{d.microsecond // 1000:03d}",
    "SS": lambda d: f"{d.microsecond // 10000:02d}",
    "S": lambda d: str(d.microsecond // 100000),
    "a": lambda d: "AM" if d.hour < 12 else "PM",
    "xxx": lambda d: _zone(d, True, False),
    "xx": lambda d: _zone(d, False, False),
    "XXX": lambda d: _zone(d, True, True),
    "XX": lambda d: _zone(d, False, True),
    "X": lambda d: _zone(d, False, True),
    "T": lambda d: str(int(d.timestamp() * 1000)),
    "t": lambda d: str(int(d.timestamp())),
    "DDD": lambda d: f"{d.timetuple().tm_yday:03d}",
    "D": lambda d: str(d.timetuple().tm_yday),
}


def date_fns_format(moment: datetime, pattern: str) -> str:
    """``date-fns``' ``format``: tokens we know, quoted literals, other text as is."""
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(pattern):
        out.append(pattern[last : match.start()])
        token = match.group(0)
        if token.startswith("'"):
            out.append(token[1:-1].replace("''", "'") if token != "''" else "'")
        else:
            field = _FIELDS.get(token) or _FIELDS.get(token[:4]) or _FIELDS.get(token[:3])
            out.append(field(moment) if field is not None else token)
        last = match.end()
    out.append(pattern[last:])
    return "".join(out)


def _moment(r: Root) -> datetime:
    moment = r.moment if r.moment is not None else datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_date(value: Any) -> datetime | None:
    """JavaScript's ``new Date(text)`` for ISO forms; None when it is not a date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    source = value.strip().replace("Z", "+00:00")
    try:
        found = datetime.fromisoformat(source)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _format(p: P, index: int, default: str) -> str:
    value = arg(p, index)
    return value if isinstance(value, str) else default


def _now(p: P, h: H, r: Root) -> str:
    return date_fns_format(_moment(r), _format(p, 0, ISO))


def _add_months(d: datetime, months: int) -> datetime:
    """JavaScript's ``setMonth``: a day the month lacks overflows (Jan 31 + 1 is Mar 2)."""
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    return d.replace(year=year, month=month, day=1) + timedelta(days=d.day - 1)


def _shift(p: P, h: H, r: Root) -> str:
    given = h.get("date")
    start = _moment(r) if given is None else parse_date(given)
    if start is None:
        return "Invalid Date"
    fmt = h.get("format")
    amounts = {key: js_number(h.get(key)) for key in ("days", "months", "years")}
    for key in ("hours", "minutes", "seconds"):
        amounts[key] = js_number(h.get(key))
    try:
        moved = _shifted(start, amounts)
    except (OverflowError, ValueError):  # a shift past year 9999 (Mockoon: Invalid Date)
        return "Invalid Date"
    return date_fns_format(moved, fmt if isinstance(fmt, str) else ISO)


def _shifted(start: datetime, amounts: dict[str, float]) -> datetime:
    moved = start
    if amounts["days"] == amounts["days"]:
        moved += timedelta(days=amounts["days"])
    if amounts["months"] == amounts["months"]:
        moved = _add_months(moved, int(amounts["months"]))
    if amounts["years"] == amounts["years"]:
        moved = _add_months(moved, 12 * int(amounts["years"]))
    for key in ("hours", "minutes", "seconds"):
        if amounts[key] == amounts[key]:
            moved += timedelta(**{key: amounts[key]})
    return moved


def _rng(r: Root) -> random.Random:
    return r.rng if r.rng is not None else random.Random()


def _between(r: Root, low: datetime, high: datetime) -> datetime:
    span = (high - low).total_seconds()
    return low + timedelta(seconds=_rng(r).random() * span)


def _date(p: P, h: H, r: Root) -> str:
    low, high = parse_date(arg(p, 0)), parse_date(arg(p, 1))
    if low is None or high is None:
        return ""
    picked = _between(r, low, high)
    if isinstance(arg(p, 2), str):
        return date_fns_format(picked, str(p[2]))
    return picked.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _time(p: P, h: H, r: Root) -> str:
    low = parse_date(f"1970-01-01T{arg(p, 0)}") if isinstance(arg(p, 0), str) else None
    high = parse_date(f"1970-01-01T{arg(p, 1)}") if isinstance(arg(p, 1), str) else None
    low = low or datetime(1970, 1, 1, tzinfo=UTC)
    high = high or datetime(1970, 1, 1, 23, 59, tzinfo=UTC)
    return date_fns_format(_between(r, low, high), _format(p, 2, "HH:mm"))


def _date_format(p: P, h: H, r: Root) -> str:
    found = parse_date(arg(p, 0))
    pattern = arg(p, 1)
    if found is None or not isinstance(pattern, str):
        return ""
    return date_fns_format(found, pattern)


DATE_HELPERS = {
    "now": Helper(_now, needs=frozenset({"now"})),
    "dateTimeShift": Helper(_shift, needs=frozenset({"now"})),
    "date": Helper(_date, needs=frozenset({"random"})),
    "time": Helper(_time, needs=frozenset({"random"})),
    "dateFormat": Helper(_date_format),
    "isValidDate": Helper(lambda p, h, r: parse_date(arg(p, 0)) is not None),
}
