"""String formats and patterns: values that pass a format checker, drawn from one ``rng``.

Each maker takes the caller's ``random.Random`` and nothing global, so a seed gives the
same value in every process. Faker is slow to import, so it is loaded on first use only,
once, and driven by the caller's ``rng`` (its ``random`` attribute is swapped in per call).
"""

from __future__ import annotations

import base64
import ipaddress
import math
import random
import re
import string
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apidouble.openapi.names import is_id_like, string_maker

if TYPE_CHECKING:
    from apidouble.openapi.plan import Plan

__all__ = [
    "FORMATS",
    "faker",
    "integer_value",
    "lorem",
    "number_value",
    "pattern_string",
    "pattern_usable",
    "string_value",
]

_FAKER: Any = None

_WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt"
    " ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation"
).split()


def faker(rng: random.Random) -> Any:
    """The shared Faker, drawing from ``rng`` (deterministic for a seeded ``rng``)."""
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker("en_US")
    _FAKER.random = rng
    return _FAKER


def lorem(rng: random.Random, min_length: int = 0, max_length: int | None = None) -> str:
    """Words, cut or padded to fit the length bounds (plain ASCII: counts are exact)."""
    top = max_length if max_length is not None else max(min_length, 20)
    target = rng.randint(min_length, max(min_length, min(top, max(min_length, 24))))
    words: list[str] = []
    size = -1
    while size < target:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    text = " ".join(words)[:target].rstrip()
    if len(text) < min_length:
        text = text + "x" * (min_length - len(text))
    return text


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _instant(rng: random.Random) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randint(0, 6 * 365 * 86400))


def _date_time(rng: random.Random) -> str:
    return _instant(rng).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(rng: random.Random) -> str:
    return date.isoformat(_instant(rng).date())


def _time(rng: random.Random) -> str:
    return _instant(rng).strftime("%H:%M:%SZ")


def _duration(rng: random.Random) -> str:
    return f"P{rng.randint(0, 30)}DT{rng.randint(0, 23)}H{rng.randint(0, 59)}M"


def _hostname(rng: random.Random) -> str:
    label = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
    return f"{label}.{rng.choice(('com', 'org', 'net', 'io', 'example'))}"


def _email(rng: random.Random) -> str:
    user = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
    return f"{user}@{_hostname(rng)}"


def _uri(rng: random.Random) -> str:
    path = "/".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 3)))
    return f"https://{_hostname(rng)}/{path}"


def _uri_reference(rng: random.Random) -> str:
    return "/" + "/".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))


def _ipv4(rng: random.Random) -> str:
    return str(ipaddress.IPv4Address(rng.getrandbits(32)))


def _ipv6(rng: random.Random) -> str:
    return str(ipaddress.IPv6Address(rng.getrandbits(128)))


def _byte(rng: random.Random) -> str:
    return base64.b64encode(rng.randbytes(rng.randint(4, 24))).decode("ascii")


def _binary(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(8, 24)))


def _password(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-?@"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(10, 16)))


def _json_pointer(rng: random.Random) -> str:
    return "/" + "/".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))


def _regex(rng: random.Random) -> str:
    return rng.choice(("^[a-z]+$", "\\d{3}", "[A-Z][a-z]*"))


FORMATS: dict[str, Callable[[random.Random], str]] = {
    "email": _email,
    "idn-email": _email,
    "uuid": _uuid,
    "date-time": _date_time,
    "date": _date,
    "time": _time,
    "duration": _duration,
    "uri": _uri,
    "url": _uri,
    "iri": _uri,
    "uri-reference": _uri_reference,
    "iri-reference": _uri_reference,
    "hostname": _hostname,
    "idn-hostname": _hostname,
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "byte": _byte,
    "binary": _binary,
    "password": _password,
    "json-pointer": _json_pointer,
    "regex": _regex,
}
"""Format name → maker. A format not here is treated as a plain string."""


_PATTERNS: dict[str, Any] = {}


def pattern_usable(pattern: str) -> bool:
    """Whether Python's regex engine reads ``pattern`` (an ECMA regex, as the spec has it)."""
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _xeger() -> Any:
    """One pattern-string maker (rstr's), its ``*``/``+`` repeats capped per call."""
    xeger = _PATTERNS.get("xeger")
    if xeger is None:
        from rstr.xeger import Xeger

        class _Xeger(Xeger):
            limit = 10

            def _handle_repeat(self, start_range: int, end_range: int, value: Any) -> str:
                top = max(start_range, min(end_range, self.limit))
                times = self._random.randint(start_range, top)
                return "".join("".join(self._handle_state(i) for i in value) for _ in range(times))

        xeger = _PATTERNS["xeger"] = _Xeger(random.Random(0))
    return xeger


def pattern_string(
    rng: random.Random, pattern: str, min_length: int = 0, max_length: int | None = None
) -> str:
    """A string matching ``pattern``; a few draws to fit the length bounds too."""
    xeger = _xeger()
    xeger._random = rng
    xeger.limit = 10 if max_length is None else max(1, min(10, max_length))
    value = ""
    for _ in range(8):
        value = str(xeger.xeger(pattern))
        if len(value) >= min_length and (max_length is None or len(value) <= max_length):
            break
        xeger.limit = max(1, xeger.limit // 2) if max_length is not None else xeger.limit
    return value


def string_value(plan: Plan, rng: random.Random, name: str) -> str:
    """A string for ``plan``: its format, else its pattern, else a name hint, else words."""
    lo, hi = plan.min_length, plan.max_length
    if plan.format in FORMATS:
        if plan.format == "time" and plan.dialect == "3.0":
            return _time(rng)[:-1]  # 3.0's validators check the older HH:MM:SS form
        return FORMATS[plan.format](rng)
    if plan.pattern is not None:
        if pattern_usable(plan.pattern):
            return pattern_string(rng, plan.pattern, lo, hi)
    elif plan.format is None:
        maker = string_maker(name)
        if maker is not None:
            value = maker(faker(rng))
            if isinstance(value, str) and lo <= len(value) and (hi is None or len(value) <= hi):
                return value
    return lorem(rng, lo, hi)


def _number_bounds(plan: Plan, integer: bool, name: str) -> tuple[float, float]:
    lo, hi = plan.minimum, plan.maximum
    if integer:
        if lo is not None:
            lo = math.floor(lo) + 1 if plan.excl_min and lo == math.floor(lo) else math.ceil(lo)
        if hi is not None:
            hi = math.ceil(hi) - 1 if plan.excl_max and hi == math.ceil(hi) else math.floor(hi)
        if plan.format == "int32":
            lo = max(lo, -(2**31)) if lo is not None else None
            hi = min(hi, 2**31 - 1) if hi is not None else None
    span = 1000 if is_id_like(name) else 10000
    if lo is None and hi is None:
        return (1, span) if is_id_like(name) else (0, span)
    if lo is None:
        assert hi is not None
        return (min(hi - span, 0) if hi > 0 else hi - span), hi
    if hi is None:
        return lo, lo + span
    return lo, hi


def integer_value(plan: Plan, rng: random.Random, name: str) -> int:
    """An integer inside the bounds, a multiple of ``multipleOf``."""
    lo, hi = _number_bounds(plan, True, name)
    ilo, ihi = int(lo), int(hi)
    step = plan.multiple_of
    if step:
        first, last = math.ceil(ilo / step), math.floor(ihi / step)
        for _ in range(6):
            k = rng.randint(first, last) if first <= last else first
            value = k * step
            if value == int(value) and _multiple(int(value), step):
                return int(value)
        return int(first * step)
    return rng.randint(ilo, max(ilo, ihi))


def _multiple(value: float, step: float) -> bool:
    """The check validators make (``value / step`` integral), float error and all."""
    if isinstance(step, float) or isinstance(value, float):
        quotient = value / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return value % step == 0


def number_value(plan: Plan, rng: random.Random, name: str) -> float:
    """A float inside the bounds (exclusive ones too), a multiple of ``multipleOf``."""
    lo, hi = _number_bounds(plan, False, name)
    step = plan.multiple_of
    if step:
        first, last = math.ceil(lo / step), math.floor(hi / step)
        for _ in range(8):
            k = rng.randint(first, last) if first <= last else first
            value = float(k * step)
            if _multiple(value, step) and _inside(plan, value):
                return value
        for k in range(first, min(last, first + 50) + 1):
            if _multiple(float(k * step), step) and _inside(plan, float(k * step)):
                return float(k * step)
        return float(first * step)
    for _ in range(8):
        value = round(rng.uniform(lo, hi), 2)
        if _inside(plan, value):
            return value
    return float(lo + hi) / 2


def _inside(plan: Plan, value: float) -> bool:
    if plan.minimum is not None and (
        value < plan.minimum or (plan.excl_min and value == plan.minimum)
    ):
        return False
    return plan.maximum is None or not (
        value > plan.maximum or (plan.excl_max and value == plan.maximum)
    )
