"""Scalar values for mock data: by the scalar's name, then realistic by the field's name.

Every value is drawn from a ``random.Random`` (and a Faker) seeded from the value's own
key (seed, object, field), so a value does not depend on what else a query asked for:
the same object answers the same in every query, and different objects differ.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["ValueSource", "scalar_value"]

INT_MAX = 2**31 - 1
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class ValueSource:
    """Seeded randomness per key: ``rng(key)`` and ``faker(key)`` repeat for one key."""

    def __init__(self, seed: int | None, locale: str | None = None) -> None:
        self.seed = 0 if seed is None else seed
        self._locale = locale
        self._faker: Any = None

    def number(self, *parts: object) -> int:
        text = "\x1f".join(str(p) for p in (self.seed, *parts))
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")

    def rng(self, *parts: object) -> random.Random:
        return random.Random(self.number(*parts))

    def faker(self, *parts: object) -> Any:
        """The one Faker, reseeded for this key (created on first use: import is slow)."""
        if self._faker is None:
            from faker import Faker  # lazy, as in templating.fake

            self._faker = Faker(self._locale or "en_US")
        self._faker.seed_instance(self.number(*parts))
        return self._faker


def _iso(rng: random.Random) -> str:
    moment = EPOCH + timedelta(seconds=rng.randrange(0, 5 * 365 * 86400))
    return moment.isoformat().replace("+00:00", "Z")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_BY_SCALAR: dict[str, Callable[[random.Random, Any], Any]] = {
    "int": lambda rng, fk: rng.randint(0, 1000),
    "float": lambda rng, fk: round(rng.uniform(0, 1000), 2),
    "boolean": lambda rng, fk: rng.random() < 0.5,
    "datetime": lambda rng, fk: _iso(rng),
    "precisedatetime": lambda rng, fk: _iso(rng),
    "gittimestamp": lambda rng, fk: _iso(rng),
    "timestamp": lambda rng, fk: _iso(rng),
    "date": lambda rng, fk: _iso(rng)[:10],
    "time": lambda rng, fk: _iso(rng)[11:],
    "uuid": lambda rng, fk: _uuid(rng),
    "email": lambda rng, fk: fk.email(),
    "emailaddress": lambda rng, fk: fk.email(),
    "url": lambda rng, fk: fk.url(),
    "uri": lambda rng, fk: fk.url(),
    "html": lambda rng, fk: f"<p>{fk.sentence()}</p>",
    "json": lambda rng, fk: {"key": fk.word(), "value": rng.randint(0, 100)},
    "jsonobject": lambda rng, fk: {"key": fk.word(), "value": rng.randint(0, 100)},
    "bigint": lambda rng, fk: str(rng.randint(0, 10**12)),
    "long": lambda rng, fk: rng.randint(0, 10**12),
    "decimal": lambda rng, fk: f"{rng.uniform(0, 1000):.2f}",
    "gitobjectid": lambda rng, fk: f"{rng.getrandbits(160):040x}",
    "base64string": lambda rng, fk: "aGVsbG8gd29ybGQ=",
}
"""Custom scalars by (lower-case) name; unknown custom scalars get a String."""

_BY_FIELD: list[tuple[re.Pattern[str], Callable[[Any], Any]]] = [
    (re.compile(r"e?mail(address)?$"), lambda fk: fk.email()),
    (re.compile(r"^(first|given)name$"), lambda fk: fk.first_name()),
    (re.compile(r"^(last|family|sur)name$"), lambda fk: fk.last_name()),
    (re.compile(r"^(user|login|handle|nick)(name)?$"), lambda fk: fk.user_name()),
    (re.compile(r"^(full|display)?name$"), lambda fk: fk.name()),
    (re.compile(r"(avatar|image|photo|picture)(url)?$"), lambda fk: fk.image_url()),
    (re.compile(r"(url|uri|website|homepage|link|href)$"), lambda fk: fk.url()),
    (re.compile(r"city$"), lambda fk: fk.city()),
    (re.compile(r"country$"), lambda fk: fk.country()),
    (re.compile(r"(street|address)$"), lambda fk: fk.street_address()),
    (re.compile(r"(zip|postcode|postalcode)$"), lambda fk: fk.postcode()),
    (re.compile(r"(phone|phonenumber|mobile)$"), lambda fk: fk.phone_number()),
    (re.compile(r"(company|organization|organisation)(name)?$"), lambda fk: fk.company()),
    (re.compile(r"(title|headline|subject|summary)$"), lambda fk: fk.sentence(nb_words=4)),
    (re.compile(r"(description|text|body|bio|content|comment|message)$"), lambda fk: fk.text(120)),
    (re.compile(r"(color|colour)$"), lambda fk: fk.hex_color()),
    (re.compile(r"(word|slug|tag|label)$"), lambda fk: fk.word()),
]
"""Realistic strings by (lower-case, underscore-free) field name."""

_TIME_FIELD = re.compile(r"(at|date|time|since|until)$")
_MONEY_FIELD = re.compile(r"(price|amount|total|cost|balance|salary)$")


def scalar_value(scalar: str, field: str, source: ValueSource, key: str) -> Any:
    """A value of scalar type ``scalar`` for field ``field`` of the object at ``key``."""
    rng = source.rng(key, field)
    name = field.replace("_", "").lower()
    kind = scalar.lower()
    if kind == "id":
        return _uuid(source.rng(key, "id"))
    if kind == "float" and _MONEY_FIELD.search(name):
        return round(rng.uniform(1, 500), 2)
    if kind == "int" and _MONEY_FIELD.search(name):
        return rng.randint(1, 500)
    if kind in _BY_SCALAR:
        return _BY_SCALAR[kind](rng, _LazyFaker(source, key, field))
    if _TIME_FIELD.search(name) and name.endswith(("at", "date")) and len(name) > 2:
        return _iso(rng)
    for pattern, make in _BY_FIELD:
        if pattern.search(name):
            return make(source.faker(key, field))
    return (
        source.faker(key, field).word() if kind == "string" else f"{scalar}-{rng.randrange(10**6)}"
    )


class _LazyFaker:
    """The seeded Faker, only reseeded when a scalar's maker actually uses it."""

    __slots__ = ("_source", "_parts")

    def __init__(self, source: ValueSource, *parts: object) -> None:
        self._source = source
        self._parts = parts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source.faker(*self._parts), name)
