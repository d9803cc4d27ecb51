"""Date helpers: ``now``, ``date``, ``dateFormat``, ``parseDate``, ``truncateDate``, with
Java date patterns (``yyyy-MM-dd'T'HH:mm:ss``), ``epoch`` (ms) and ``unix`` (s)."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ..names import zone
from .registry import Helper, arg, number
from .request import Root
from .values import text

__all__ = ["DATE_HELPERS", "java_format"]

P = tuple[Any, ...]
H = dict[str, Any]
_PATTERN = re.compile(r"'([^']*)'|([A-Za-z])\2*|.", re.DOTALL)
_OFFSET = re.compile(r"\s*(-?\d+)\s+([a-zA-Z]+)\s*")


def _offset_text(moment: datetime, colon: bool, zulu: bool, short: bool = False) -> str:
    offset = moment.utcoffset() or timedelta()
    if zulu and not offset:
        return "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    if short and not mins:
        return f"{sign}{hours:02}"
    return f"{sign}{hours:02}:{mins:02}" if colon else f"{sign}{hours:02}{mins:02}"


def _field(letter: str, count: int, m: datetime) -> str:
    if letter in "yu":
        return f"{m.year % 100:02}" if count == 2 else f"{m.year:0{count}}"
    if letter in "ML":
        if count >= 4:
            return calendar.month_name[m.month]
        return calendar.month_abbr[m.month] if count == 3 else f"{m.month:0{count}}"
    if letter == "E":
        return calendar.day_name[m.weekday()] if count >= 4 else calendar.day_abbr[m.weekday()]
    simple = {
        "d": m.day,
        "H": m.hour,
        "h": (m.hour % 12) or 12,
        "k": m.hour or 24,
        "K": m.hour % 12,
        "m": m.minute,
        "s": m.second,
        "D": m.timetuple().tm_yday,
    }
    if letter in simple:
        return f"{simple[letter]:0{count}}"
    if letter == "S":
        return f"{m.microsecond:06}"[:count].ljust(count, "0")
    if letter == "a":
        return "AM" if m.hour < 12 else "PM"
    if letter == "Z":
        return _offset_text(m, colon=count == 5, zulu=False)
    if letter == "X":
        return _offset_text(m, colon=count >= 3, zulu=True, short=count == 1)
    if letter == "x":
        return _offset_text(m, colon=count >= 3, zulu=False, short=count == 1)
    if letter == "z":
        name = m.tzname() or "UTC"
        return "UTC" if name in ("UTC", "Z") else name
    raise ValueError(f"unsupported date pattern letter {letter!r}")


def java_format(moment: datetime, pattern: str) -> str:
    """Format with a Java ``DateTimeFormatter``/``SimpleDateFormat`` pattern."""
    if pattern == "epoch":
        return str(int(moment.timestamp() * 1000))
    if pattern == "unix":
        return str(int(moment.timestamp()))
    out = []
    for match in _PATTERN.finditer(pattern):
        quoted, letter = match.group(1), match.group(2)
        if quoted is not None:
            out.append(quoted or "'")
        elif letter is not None:
            out.append(_field(letter, len(match.group(0)), moment))
        else:
            out.append(match.group(0))
    return "".join(out)


def _plus_months(moment: datetime, months: int) -> datetime:
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def shift(moment: datetime, offset: str) -> datetime:
    """``'3 days'``, ``'-2 hours'``, ``'1 months'``: WireMock's offset form."""
    match = _OFFSET.fullmatch(offset)
    if match is None:
        raise ValueError(f"bad date offset {offset!r}")
    amount, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
    if unit == "month":
        return _plus_months(moment, amount)
    if unit == "year":
        return _plus_months(moment, 12 * amount)
    if unit == "millisecond":
        return moment + timedelta(milliseconds=amount)
    if unit not in _UNITS:
        raise ValueError(f"bad date offset unit {unit!r}")
    return moment + amount * _UNITS[unit]


def _moment(r: Root) -> datetime:
    return r.moment if r.moment is not None else datetime.now(UTC)


def _render(moment: datetime, h: H, zoned: bool) -> Any:
    if "offset" in h:
        moment = shift(moment, text(h["offset"]))
    if zoned and "timezone" in h:
        moment = moment.astimezone(zone(text(h["timezone"])))
    if "format" in h:
        return java_format(moment, text(h["format"]))
    return moment.replace(microsecond=0)


def _now(p: P, h: H, r: Root) -> Any:
    return _render(_moment(r), h, zoned=True)


def _as_date(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return _parse(text(value), None)


def _date(p: P, h: H, r: Root) -> Any:
    return _render(_as_date(arg(p, 0)), h, zoned=False)


def _date_format(p: P, h: H, r: Root) -> Any:
    pattern = text(h.get("format", arg(p, 1, "yyyy-MM-dd'T'HH:mm:ssXXX")))
    return java_format(_as_date(arg(p, 0)), pattern)


_STRPTIME = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "MMM": "%b",
    "MMMM": "%B",
    "dd": "%d",
    "d": "%d",
    "M": "%m",
    "HH": "%H",
    "H": "%H",
    "hh": "%I",
    "mm": "%M",
    "ss": "%S",
    "SSS": "%f",
    "a": "%p",
    "EEE": "%a",
    "EEEE": "%A",
    "Z": "%z",
    "XXX": "%z",
    "X": "%z",
}


def _parse(source: str, pattern: str | None) -> datetime:
    if pattern in ("epoch", "unix"):
        seconds = float(number(source)) / (1000 if pattern == "epoch" else 1)
        return datetime.fromtimestamp(seconds, UTC)
    if pattern is None:
        try:
            moment = datetime.fromisoformat(source.strip())
        except ValueError as exc:
            raise ValueError(f"parseDate: {source!r} is not an ISO 8601 date") from exc
    else:
        parts = []
        for match in _PATTERN.finditer(pattern):
            if match.group(1) is not None:
                parts.append(match.group(1).replace("%", "%%"))
            elif match.group(2) is not None:
                parts.append(_STRPTIME.get(match.group(0), match.group(0)))
            else:
                parts.append(match.group(0).replace("%", "%%"))
        moment = datetime.strptime(source.strip(), "".join(parts))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_date(p: P, h: H, r: Root) -> Any:
    pattern = h.get("format")
    return _parse(text(arg(p, 0)), None if pattern is None else text(pattern))


def _truncate(moment: datetime, how: str) -> datetime:
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = midnight.replace(day=1)
    last_day = calendar.monthrange(moment.year, moment.month)[1]
    rules = {
        "first minute of hour": moment.replace(minute=0, second=0, microsecond=0),
        "first hour of day": midnight,
        "first day of month": month_start,
        "first day of next month": _plus_months(month_start, 1),
        "last day of month": midnight.replace(day=last_day),
        "first day of year": month_start.replace(month=1),
        "first day of next year": month_start.replace(year=moment.year + 1, month=1),
        "last day of year": midnight.replace(month=12, day=31),
    }
    if how not in rules:
        raise ValueError(f"truncateDate: unknown truncation {how!r}")
    return rules[how]


def _truncate_date(p: P, h: H, r: Root) -> Any:
    return _truncate(_as_date(arg(p, 0)), text(arg(p, 1)).strip().lower())


NOW = frozenset({"now"})
DATE_HELPERS: dict[str, Helper] = {
    "now": Helper(_now, needs=NOW),
    "date": Helper(_date),
    "dateFormat": Helper(_date_format),
    "parseDate": Helper(_parse_date),
    "truncateDate": Helper(_truncate_date),
}
