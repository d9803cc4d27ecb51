"""Mockoon's ``{{faker 'module.method' ...}}``: faker.js names mapped onto Python Faker.

faker.js and Faker are different generators, so values differ by design; what a mapping
keeps is the JSON type and the shape (an int stays an int, a UUID stays a UUID). The
name is checked at load time (``check_faker_names``): an unknown one is a config error,
never a 500 while serving.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .registry import Helper, arg
from .request import Root

__all__ = ["FAKER_HELPERS", "FAKER_NAMES", "check_faker_names"]

Args = tuple[list[Any], dict[str, Any]]
Maker = Callable[[Any, list[Any], dict[str, Any]], Any]
MAX_SAFE_INTEGER = 2**53 - 1
MAX_LENGTH = 10_000
"""Longest string ``string.numeric``/``string.alpha`` builds from a request-chosen length."""
_CALL = re.compile(r"""\{\{[#~]?\s*\(?\s*faker\s+(['"])([^'"]*)\1""")


def _opt(args: list[Any], opts: dict[str, Any], key: str, default: Any) -> Any:
    """faker.js's ``fn(n)`` or ``fn({key: n})`` reading of the first argument."""
    if key in opts:
        return opts[key]
    if args and not isinstance(args[0], dict):
        return args[0]
    return default


def _num(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _int(f: Any, args: list[Any], opts: dict[str, Any]) -> int:
    low = int(_num(opts.get("min", 0), 0))
    high = int(_num(_opt(args, opts, "max", MAX_SAFE_INTEGER), MAX_SAFE_INTEGER))
    return int(f.random_int(min(low, high), max(low, high)))


def _float(f: Any, args: list[Any], opts: dict[str, Any]) -> float:
    low = _num(opts.get("min", 0), 0.0)
    high = _num(_opt(args, opts, "max", 1), 1.0)
    digits = opts.get("fractionDigits")
    value = low + (high - low) * _unit(f)
    return round(value, int(_num(digits, 2))) if digits is not None else value


def _unit(f: Any) -> float:
    """A uniform fraction in [0, 1) from the seeded Faker."""
    return float(f.random_int(0, 10**9 - 1)) / 10**9


def _length(args: list[Any], opts: dict[str, Any], default: int) -> int:
    return max(0, min(MAX_LENGTH, int(_num(_opt(args, opts, "length", default), default))))


def _js_date(moment: datetime) -> str:
    """A JS ``Date`` as Handlebars prints it (``Date.prototype.toString`` in UTC)."""
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _recent(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    days = _num(_opt(args, opts, "days", 1), 1.0)
    seconds = _unit(f) * days * 86400
    return _js_date(datetime.now(UTC) - timedelta(seconds=seconds))


def _soon(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    days = _num(_opt(args, opts, "days", 1), 1.0)
    return _js_date(datetime.now(UTC) + timedelta(seconds=_unit(f) * days * 86400))


def _past(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    years = _num(_opt(args, opts, "years", 1), 1.0)
    return _js_date(datetime.now(UTC) - timedelta(days=_unit(f) * years * 365))


def _future(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    years = _num(_opt(args, opts, "years", 1), 1.0)
    return _js_date(datetime.now(UTC) + timedelta(days=_unit(f) * years * 365))


def _price(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    low = _num(_opt(args, opts, "min", 1), 1.0)
    high = _num(opts.get("max", arg(tuple(args), 1, 1000)), 1000.0)
    dec = int(_num(opts.get("dec", arg(tuple(args), 2, 2)), 2))
    return f"{low + (high - low) * _unit(f):.{dec}f}"


def _sentences(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    count = int(_num(_opt(args, opts, "min", f.random_int(2, 6)), 3))
    return " ".join(f.sentences(max(1, min(count, 100))))


def _call(method: str) -> Maker:
    return lambda f, args, opts: getattr(f, method)()


def _numeric(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    return "".join(str(f.random_digit()) for _ in range(_length(args, opts, 1)))


def _alpha(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(f.random_element(letters) for _ in range(_length(args, opts, 1)))


def _words(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    return " ".join(f.words(max(1, min(_length(args, opts, 3), 1000))))


def _flickr(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    width, height = opts.get("width", 640), opts.get("height", 480)
    category = opts.get("category", "all")
    return f"https://loremflickr.com/{width}/{height}/{category}?lock={f.random_int(0, 10**6)}"


def _avatar(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    return f"https://avatars.githubusercontent.com/u/{f.random_int(0, 10**8)}"


def _mongo_id(f: Any, args: list[Any], opts: dict[str, Any]) -> str:
    return "".join(f.random_element("0123456789abcdef") for _ in range(24))


def _coordinate(low: float, high: float) -> Maker:
    def make(f: Any, args: list[Any], opts: dict[str, Any]) -> float:
        top = _num(opts.get("max", high), high)
        bottom = _num(opts.get("min", low), low)
        return round(bottom + (top - bottom) * _unit(f), int(opts.get("precision", 4)))

    return make


FAKER_NAMES: dict[str, Maker] = {
    "airline.flightNumber": lambda f, a, o: str(f.random_int(1, 9999)),
    "color.human": _call("safe_color_name"),
    "color.rgb": _call("hex_color"),
    "commerce.department": _call("word"),
    "commerce.price": _price,
    "commerce.product": _call("word"),
    "commerce.productMaterial": lambda f, a, o: f.random_element(
        ["Bronze", "Cotton", "Wooden", "Steel", "Plastic", "Granite", "Rubber", "Metal"]
    ),
    "commerce.productName": lambda f, a, o: f"{f.word().title()} {f.word().title()}",
    "company.catchPhrase": _call("catch_phrase"),
    "company.name": _call("company"),
    "database.mongodbObjectId": _mongo_id,
    "datatype.boolean": lambda f, a, o: bool(f.pybool()),
    "date.future": _future,
    "date.past": _past,
    "date.recent": _recent,
    "date.soon": _soon,
    "finance.accountNumber": lambda f, a, o: "".join(str(f.random_digit()) for _ in range(8)),
    "finance.amount": _price,
    "finance.currencyCode": _call("currency_code"),
    "finance.iban": _call("iban"),
    "image.avatar": _avatar,
    "image.url": _flickr,
    "image.urlLoremFlickr": _flickr,
    "internet.domainName": _call("domain_name"),
    "internet.domainSuffix": _call("tld"),
    "internet.email": _call("email"),
    "internet.ip": _call("ipv4"),
    "internet.ipv4": _call("ipv4"),
    "internet.ipv6": _call("ipv6"),
    "internet.password": _call("password"),
    "internet.url": _call("url"),
    "internet.userName": _call("user_name"),
    "internet.username": _call("user_name"),
    "location.buildingNumber": _call("building_number"),
    "location.city": _call("city"),
    "location.country": _call("country"),
    "location.countryCode": _call("country_code"),
    "location.latitude": _coordinate(-90, 90),
    "location.longitude": _coordinate(-180, 180),
    "location.state": _call("state"),
    "location.stateAbbr": _call("state_abbr"),
    "location.street": _call("street_name"),
    "location.streetAddress": _call("street_address"),
    "location.timeZone": _call("timezone"),
    "location.zipCode": _call("postcode"),
    "lorem.paragraph": _call("paragraph"),
    "lorem.sentence": _call("sentence"),
    "lorem.sentences": _sentences,
    "lorem.slug": _call("slug"),
    "lorem.word": _call("word"),
    "lorem.words": _words,
    "number.float": _float,
    "number.int": _int,
    "person.firstName": _call("first_name"),
    "person.fullName": _call("name"),
    "person.jobTitle": _call("job"),
    "person.lastName": _call("last_name"),
    "person.prefix": _call("prefix"),
    "person.sex": lambda f, a, o: f.random_element(["female", "male"]),
    "phone.number": _call("phone_number"),
    "string.alpha": _alpha,
    "string.numeric": _numeric,
    "string.uuid": _call("uuid4"),
    "word.adjective": _call("word"),
    "word.noun": _call("word"),
    "word.sample": _call("word"),
    "word.verb": _call("word"),
}
"""faker.js 9 name -> a maker ``(faker, args, options) -> value``."""


def _faker(p: tuple[Any, ...], h: dict[str, Any], r: Root) -> Any:
    name = str(arg(p, 0, ""))
    maker = FAKER_NAMES.get(name)
    if maker is None:  # a name computed at serve time; literal names fail at load time
        return ""
    args: list[Any] = []
    opts: dict[str, Any] = {}
    for value in p[1:]:
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                opts.update(parsed)
                continue
        args.append(value)
    opts.update(h)
    return maker(r.faker, args, opts)


def check_faker_names(source: str) -> None:
    """Load time: ``ValueError`` naming the first ``faker`` method we do not map."""
    for match in _CALL.finditer(source):
        name = match.group(2)
        if name not in FAKER_NAMES:
            line = source.count("\n", 0, match.start()) + 1
            raise ValueError(
                f"handlebars template error (line {line}): {name!r} is not a faker method"
                " we map (see docs/mockoon-templating.md)"
            )


_SHORTHANDS = {
    "city": "location.city",
    "color": "color.human",
    "company": "company.name",
    "country": "location.country",
    "countryCode": "location.countryCode",
    "domain": "internet.domainName",
    "email": "internet.email",
    "firstName": "person.firstName",
    "lastName": "person.lastName",
    "hexColor": "color.rgb",
    "ipv4": "internet.ipv4",
    "ipv6": "internet.ipv6",
    "lat": "location.latitude",
    "long": "location.longitude",
    "phone": "phone.number",
    "postcode": "location.zipCode",
    "street": "location.streetAddress",
    "tld": "internet.domainSuffix",
    "zipcode": "location.zipCode",
    "title": "person.prefix",
}
"""Mockoon's one-word helpers, each a faker.js call without arguments."""


def _shorthand(name: str) -> Helper:
    maker = FAKER_NAMES[name]
    return Helper(lambda p, h, r: maker(r.faker, [], {}), needs=frozenset({"faker"}))


def _lorem(p: tuple[Any, ...], h: dict[str, Any], r: Root) -> str:
    count = arg(p, 0)
    if isinstance(count, int) and not isinstance(count, bool):
        return str(r.faker.sentence(nb_words=max(1, min(count, 1000)), variable_nb_words=False))
    return str(r.faker.sentence())


FAKER_HELPERS = {
    "faker": Helper(_faker, needs=frozenset({"faker"})),
    "lorem": Helper(_lorem, needs=frozenset({"faker"})),
    **{helper: _shorthand(name) for helper, name in _SHORTHANDS.items()},
}
