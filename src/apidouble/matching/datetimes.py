"""WireMock's date-time value operators: ``equals_datetime``, ``before``, ``after``.

``expected`` is ``{"value", "offset_amount", "offset_unit", "actual_format",
"truncate_expected", "truncate_actual", "apply_truncation_last"}``. Semantics, checked
against WireMock 3.13:

- ``value`` is an ISO 8601 date-time (with or without a zone), a local date, or ``now``
  with an optional ``+N unit``; ``now`` is read per request from the injected clock.
- Offsets and ``truncate_expected`` apply only to ``now``: a literal expectation is used
  as written.
- Actual values: ISO 8601 with an offset or ``Z`` (a ``[Zone]`` suffix allowed), local
  date-times and dates (read as UTC), RFC 1123; not epoch numbers unless ``actual_format``
  says ``unix``/``epoch``; ``actual_format`` is a Java ``DateTimeFormatter`` pattern.
- A local expectation compares wall-clock times: a zoned actual drops its zone.
- With several values (a repeated header or query parameter) WireMock matches none.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from apidouble.matching.values import ValueOperator, ValueOptions, register_value_operator
from apidouble.state.clock import SYSTEM_CLOCK, Clock

_clock: Clock = SYSTEM_CLOCK


def use_clock(clock: Clock) -> Clock:
    """Read ``now`` from ``clock`` (a test's ``ManualClock``); returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


_UNITS = ("seconds", "minutes", "hours", "days", "weeks", "months", "years")
_NOW = re.compile(r"now(?:\s*([+-])\s*(\d+)\s+([a-z]+))?", re.IGNORECASE)
_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"(?:(Z|[+-]\d{2}:\d{2})(?:\[[^\]]+\])?)?)?"
)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    unit = unit.lower()
    if not unit.endswith("s"):
        unit += "s"
    if unit in ("months", "years"):
        months = moment.month - 1 + amount * (12 if unit == "years" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    if unit not in _UNITS:
        raise ValueError(f"unknown time unit {unit!r} (known: {', '.join(_UNITS)})")
    return moment + timedelta(**{unit: amount})


def _truncate(moment: datetime, how: str) -> datetime:
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    last = calendar.monthrange(moment.year, moment.month)[1]
    rules: dict[str, Callable[[], datetime]] = {
        "first second of minute": lambda: moment.replace(second=0, microsecond=0),
        "first minute of hour": lambda: moment.replace(minute=0, second=0, microsecond=0),
        "first hour of day": lambda: midnight,
        "first day of month": lambda: midnight.replace(day=1),
        "first day of next month": lambda: _shift(midnight.replace(day=1), 1, "months"),
        "last day of month": lambda: midnight.replace(day=last),
        "first day of year": lambda: midnight.replace(month=1, day=1),
        "first day of next year": lambda: midnight.replace(year=moment.year + 1, month=1, day=1),
        "last day of year": lambda: midnight.replace(month=12, day=31),
    }
    rule = rules.get(how.lower())
    if rule is None:
        raise ValueError(f"unknown truncation {how!r} (known: {', '.join(rules)})")
    return rule()


def parse_moment(text: str) -> datetime | None:
    """An actual value as WireMock reads it, or None; naive results are local times."""
    found = _ISO.fullmatch(text.strip())
    if found is not None:
        day, clock, zone = found.groups()
        try:
            if clock is None:
                return datetime.combine(date.fromisoformat(day), datetime.min.time())
            moment = datetime.fromisoformat(f"{day}T{clock}")
        except ValueError:
            return None
        if zone is None:
            return moment
        return moment.replace(tzinfo=UTC if zone == "Z" else datetime.strptime(zone, "%z").tzinfo)
    if "," in text:
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return None


_JAVA_FIELDS = [
    ("yyyy", "%Y"), ("uuuu", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"),
    ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("hh", "%I"), ("mm", "%M"),
    ("ss", "%S"), ("SSS", "%f"), ("EEEE", "%A"), ("EEE", "%a"), ("a", "%p"),
    ("XXX", "%z"), ("Z", "%z"), ("z", "%Z"), ("M", "%m"), ("d", "%d"), ("H", "%H"),
]  # fmt: skip


def java_format(pattern: str) -> Callable[[str], datetime | None]:
    """A parser for a Java ``DateTimeFormatter`` pattern (the common letters), or the
    epoch forms WireMock names ``unix`` (seconds) and ``epoch`` (milliseconds)."""
    if pattern in ("unix", "epoch"):
        scale = 1 if pattern == "unix" else 1000

        def epoch(text: str) -> datetime | None:
            try:
                return datetime.fromtimestamp(int(text) / scale, UTC)
            except (ValueError, OverflowError):
                return None

        return epoch
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.index("'", i + 1) if "'" in pattern[i + 1 :] else len(pattern)
            out.append(pattern[i + 1 : end].replace("%", "%%"))
            i = end + 1
            continue
        for java, strf in _JAVA_FIELDS:
            if pattern.startswith(java, i):
                out.append(strf)
                i += len(java)
                break
        else:
            out.append(pattern[i].replace("%", "%%"))
            i += 1
    strf = "".join(out)

    def parse(text: str) -> datetime | None:
        try:
            return datetime.strptime(text, strf)
        except ValueError:
            return None

    return parse


def _comparable(moment: datetime, local: bool) -> datetime:
    if local:
        return moment.replace(tzinfo=None)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _compile(compare: Callable[[datetime, datetime], bool], symbol: str) -> Any:
    def compile(expected: Any, options: ValueOptions) -> ValueOperator:
        if not isinstance(expected, dict) or not isinstance(expected.get("value"), str):
            raise ValueError(f"{options.what}: expected {{'value': date-time, ...}}")
        text: str = expected["value"]
        for key in ("offset_unit", "truncate_expected", "truncate_actual", "actual_format"):
            if expected.get(key) is not None and not isinstance(expected[key], str):
                raise ValueError(f"{options.what}: {key} must be text, got {expected[key]!r}")
        amount = expected.get("offset_amount")
        if isinstance(amount, str) and amount.strip().lstrip("+-").isdigit():
            amount = int(amount)  # as WireMock's JSON reader takes "5" for a number
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
            raise ValueError(f"{options.what}: offset_amount must be a whole number")
        unit: str = expected.get("offset_unit") or "seconds"
        if amount is not None and expected.get("offset_unit") is None:
            raise ValueError(f"{options.what}: an offset needs a unit")
        truncate_expected = expected.get("truncate_expected")
        truncate_actual = expected.get("truncate_actual")
        last = bool(expected.get("apply_truncation_last"))
        fmt = expected.get("actual_format")
        read: Callable[[str], datetime | None] = java_format(fmt) if fmt else parse_moment
        now = _NOW.fullmatch(text.strip())
        literal: datetime | None = None
        if now is None:
            literal = parse_moment(text)
            if literal is None:
                raise ValueError(f"{options.what}: cannot read {text!r} as a date-time")
        else:
            sign, count, word = now.groups()
            if count is not None:
                _shift(datetime(2000, 1, 1), 0, word)  # validate the unit at load time
                amount, unit = (int(count) if sign == "+" else -int(count)), word
        for how in (truncate_expected, truncate_actual):
            if how is not None:
                _truncate(datetime(2000, 1, 1), how)
        local = literal is not None and literal.tzinfo is None

        def expected_moment() -> datetime:
            if literal is not None:
                return _comparable(literal, local)
            moment = datetime.fromtimestamp(_clock.time(), UTC)
            if last:
                moment = moment if amount is None else _shift(moment, amount, unit)
                return moment if truncate_expected is None else _truncate(moment, truncate_expected)
            if truncate_expected is not None:
                moment = _truncate(moment, truncate_expected)
            return moment if amount is None else _shift(moment, amount, unit)

        def actual_moment(value: str) -> datetime | None:
            actual = read(value)
            if actual is None:
                return None
            actual = _comparable(actual, local)
            return actual if truncate_actual is None else _truncate(actual, truncate_actual)

        def hit(value: str) -> bool:
            actual = actual_moment(value)
            return actual is not None and compare(actual, expected_moment())

        def whole(values: Sequence[str]) -> bool:
            # WireMock judges only the value nearest in time to the expectation.
            target = expected_moment()
            moments = [m for m in map(actual_moment, values) if m is not None]
            if not moments:
                return False
            nearest = min(moments, key=lambda m: abs((m - target).total_seconds()))
            return compare(nearest, target)

        shown = text if amount is None or now is None else f"now {amount:+d} {unit}"
        return ValueOperator(hit, f"{symbol} {shown}", whole=whole)

    return compile


register_value_operator("equals_datetime", _compile(datetime.__eq__, "="), shown_as="equals date")
register_value_operator("before", _compile(datetime.__lt__, "<"), shown_as="before")
register_value_operator("after", _compile(datetime.__gt__, ">"), shown_as="after")
