"""String helpers: Handlebars.java's ``StringHelpers`` as WireMock registers them, plus
WireMock's ``trim``, ``base64``, ``urlEncode`` and ``regexExtract``."""

from __future__ import annotations

import base64 as base64_module
import re
import textwrap
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from ...openapi.regexbound import bounded_pattern
from ..limits import check_size
from .registry import BODY, Helper, arg, number, opt_bool
from .request import Root
from .values import text

__all__ = ["TEXT_HELPERS"]

P = tuple[Any, ...]
H = dict[str, Any]


def _str(value: Any) -> str | None:
    return None if value is None else text(value)


def _upper(p: P, h: H, r: Root) -> Any:
    value = _str(arg(p, 0))
    return None if value is None else value.upper()


def _lower(p: P, h: H, r: Root) -> Any:
    value = _str(arg(p, 0))
    return None if value is None else value.lower()


def _capitalize(p: P, h: H, r: Root) -> Any:
    value = _str(arg(p, 0))
    if value is None:
        return None
    if opt_bool(h.get("fully", False)):
        value = value.lower()
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), value)


def _capitalize_first(p: P, h: H, r: Root) -> Any:
    value = _str(arg(p, 0))
    return None if value is None else value[:1].upper() + value[1:]


def _abbreviate(p: P, h: H, r: Root) -> Any:
    value, width = text(arg(p, 0)), int(arg(p, 1, 0))
    if width < 4:
        raise ValueError("abbreviate needs a width of at least 4")
    return value if len(value) <= width else value[: width - 3] + "..."


def _pad(p: P, h: H) -> tuple[str, int, str]:
    size = int(h.get("size", arg(p, 1, 0)))
    pad = text(h.get("pad", " ")) or " "
    return text(arg(p, 0)), size, pad[0]


def _center(p: P, h: H, r: Root) -> Any:
    value, size, pad = _pad(p, h)
    missing = size - len(value)
    if missing <= 0:
        return value
    check_size(size)
    left = missing // 2
    return pad * left + value + pad * (missing - left)


def _ljust(p: P, h: H, r: Root) -> Any:
    value, size, pad = _pad(p, h)
    check_size(size)  # before padding: refused without making the text
    return value.ljust(size, pad)


def _rjust(p: P, h: H, r: Root) -> Any:
    value, size, pad = _pad(p, h)
    check_size(size)
    return value.rjust(size, pad)


def _cut(p: P, h: H, r: Root) -> Any:
    return text(arg(p, 0)).replace(text(arg(p, 1, " ")), "")


def _default_if_empty(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    return arg(p, 1, "") if value is None or text(value) == "" else value


def _join(p: P, h: H, r: Root) -> Any:
    """The last parameter is the separator; the items are a list or the parameters
    before it (``join 'a' 'b' '-'``)."""
    if len(p) < 2 or not isinstance(p[-1], str):
        raise ValueError("join needs items, then a separator")
    first, separator = p[0], p[-1]
    items = [*first, *p[1:-1]] if isinstance(first, list | tuple) else list(p[:-1])
    joined = separator.join(text(item) for item in items)
    return f"{text(h.get('prefix', ''))}{joined}{text(h.get('suffix', ''))}"


def _replace(p: P, h: H, r: Root) -> Any:
    return text(arg(p, 0)).replace(text(arg(p, 1)), text(arg(p, 2)))


def _slugify(p: P, h: H, r: Root) -> Any:
    value = re.sub(r"[^\w\s-]", "", text(arg(p, 0))).strip().lower()
    return re.sub(r"[-\s]", "-", value)


def _strip_tags(p: P, h: H, r: Root) -> Any:
    return re.sub(r"<[^>]*>", "", text(arg(p, 0)))


def _substring(p: P, h: H, r: Root) -> Any:
    value = text(arg(p, 0))
    start, end = int(arg(p, 1, 0)), arg(p, 2)
    return value[start:] if end is None else value[start : int(end)]


def _word_wrap(p: P, h: H, r: Root) -> Any:
    width = int(arg(p, 1, 80))
    return "\n".join(textwrap.wrap(text(arg(p, 0)), width, break_long_words=False))


def _yesno(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    if value is None:
        return h.get("maybe", "maybe")
    return h.get("yes", "yes") if value is True or value == "true" else h.get("no", "no")


def _trim(p: P, h: H, r: Root) -> Any:
    return text(h[BODY] if BODY in h else arg(p, 0)).strip()


def _base64(p: P, h: H, r: Root) -> Any:
    value = text(h[BODY] if BODY in h else arg(p, 0))
    if opt_bool(h.get("decode", False)):
        padded = value + "=" * (-len(value) % 4)
        return base64_module.b64decode(padded).decode("utf-8", "replace")
    encoded = base64_module.b64encode(value.encode()).decode("ascii")
    return encoded if opt_bool(h.get("padding", True)) else encoded.rstrip("=")


def _url_encode(p: P, h: H, r: Root) -> Any:
    value = text(arg(p, 0))
    if opt_bool(h.get("decode", False)):
        return unquote_plus(value)
    return quote_plus(value, safe="*").replace("~", "%7E")


def _regex_extract(p: P, h: H, r: Root) -> Any:
    value, pattern = text(arg(p, 0)), text(arg(p, 1))
    name = arg(p, 2)
    match = bounded_pattern(pattern).search_found(value)  # given up on: no match
    if match is None:
        if "default" in h:
            return h["default"]
        raise ValueError("regexExtract: nothing matched")
    if name is None:
        return match.group(0)
    r[text(name)] = list(match.groups()) or [match.group(0)]
    return ""


def _number_format(p: P, h: H, r: Root) -> Any:
    value = number(arg(p, 0))
    style = text(arg(p, 1, "")) or None
    digits = h.get("maximumFractionDigits")
    if style is None:
        places = int(digits) if digits is not None else 3
        return _grouped(value, places, minimum=0)
    if style == "integer":
        return _grouped(value, 0, minimum=0)
    if style == "percent":
        return _grouped(value * 100, 0, minimum=0) + "%"
    if style == "currency":
        return "$" + _grouped(value, 2, minimum=2)
    match = re.fullmatch(r"[#,]*0*(?:\.(0*)(#*))?", style)
    if match is None:
        raise ValueError(f"numberFormat: unsupported pattern {style!r}")
    required, optional = len(match.group(1) or ""), len(match.group(2) or "")
    shown = _grouped(value, required + optional, minimum=required)
    return shown if "," in style else shown.replace(",", "")


def _grouped(value: Decimal, places: int, minimum: int) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0").ljust(minimum, "0")
    sign = "-" if rounded < 0 else ""
    return f"{sign}{int(whole):,}" + (f".{fraction}" if fraction else "")


TEXT_HELPERS: dict[str, Helper] = {
    "upper": Helper(_upper),
    "lower": Helper(_lower),
    "capitalize": Helper(_capitalize),
    "capitalizeFirst": Helper(_capitalize_first),
    "abbreviate": Helper(_abbreviate),
    "center": Helper(_center),
    "ljust": Helper(_ljust),
    "rjust": Helper(_rjust),
    "cut": Helper(_cut),
    "defaultIfEmpty": Helper(_default_if_empty),
    "join": Helper(_join),
    "replace": Helper(_replace),
    "slugify": Helper(_slugify),
    "stripTags": Helper(_strip_tags),
    "substring": Helper(_substring),
    "wordWrap": Helper(_word_wrap),
    "yesno": Helper(_yesno),
    "trim": Helper(_trim, block="capture"),
    "base64": Helper(_base64, block="capture"),
    "urlEncode": Helper(_url_encode),
    "regexExtract": Helper(_regex_extract),
    "numberFormat": Helper(_number_format),
}
