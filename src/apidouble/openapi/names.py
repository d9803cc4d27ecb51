"""Realistic strings for properties whose name says what they hold (``email``, ``city``…).

Only a hint: the caller checks the schema's own constraints (length, pattern, format,
enum) first and falls back to plain generation when the hint does not fit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["string_maker", "is_id_like"]

_Maker = Callable[[Any], str]

_STRING_MAKERS: dict[str, _Maker] = {
    "email": lambda f: f.email(),
    "emailaddress": lambda f: f.email(),
    "name": lambda f: f.name(),
    "fullname": lambda f: f.name(),
    "username": lambda f: f.user_name(),
    "login": lambda f: f.user_name(),
    "firstname": lambda f: f.first_name(),
    "givenname": lambda f: f.first_name(),
    "lastname": lambda f: f.last_name(),
    "surname": lambda f: f.last_name(),
    "familyname": lambda f: f.last_name(),
    "city": lambda f: f.city(),
    "town": lambda f: f.city(),
    "country": lambda f: f.country(),
    "countrycode": lambda f: f.country_code(),
    "state": lambda f: f.state(),
    "phone": lambda f: f.phone_number(),
    "phonenumber": lambda f: f.phone_number(),
    "mobile": lambda f: f.phone_number(),
    "telephone": lambda f: f.phone_number(),
    "address": lambda f: f.address().replace("\n", ", "),
    "street": lambda f: f.street_address(),
    "streetaddress": lambda f: f.street_address(),
    "address1": lambda f: f.street_address(),
    "line1": lambda f: f.street_address(),
    "zip": lambda f: f.postcode(),
    "zipcode": lambda f: f.postcode(),
    "postcode": lambda f: f.postcode(),
    "postalcode": lambda f: f.postcode(),
    "company": lambda f: f.company(),
    "companyname": lambda f: f.company(),
    "organization": lambda f: f.company(),
    "url": lambda f: f.url(),
    "website": lambda f: f.url(),
    "homepage": lambda f: f.url(),
    "avatar": lambda f: f.image_url(),
    "avatarurl": lambda f: f.image_url(),
    "image": lambda f: f.image_url(),
    "imageurl": lambda f: f.image_url(),
    "photo": lambda f: f.image_url(),
    "photourl": lambda f: f.image_url(),
    "picture": lambda f: f.image_url(),
    "description": lambda f: f.sentence(),
    "summary": lambda f: f.sentence(),
    "title": lambda f: f.sentence(nb_words=4).rstrip("."),
    "comment": lambda f: f.sentence(),
    "message": lambda f: f.sentence(),
    "color": lambda f: f.color_name(),
    "colour": lambda f: f.color_name(),
    "currency": lambda f: f.currency_code(),
    "language": lambda f: f.language_code(),
    "locale": lambda f: f.locale(),
    "timezone": lambda f: f.timezone(),
    "ip": lambda f: f.ipv4(),
    "ipaddress": lambda f: f.ipv4(),
    "hostname": lambda f: f.hostname(),
    "domain": lambda f: f.domain_name(),
    "job": lambda f: f.job(),
    "jobtitle": lambda f: f.job(),
}

_MAKER_CACHE: dict[str, _Maker | None] = {}


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").replace(" ", "").lower()


def string_maker(name: str) -> _Maker | None:
    """The Faker call for a property called ``name``, or None when the name says nothing."""
    if not name:
        return None
    try:
        return _MAKER_CACHE[name]
    except KeyError:
        pass
    key = _key(name)
    maker = _STRING_MAKERS.get(key)
    if maker is None and key.endswith("email"):
        maker = _STRING_MAKERS["email"]
    _MAKER_CACHE[name] = maker
    return maker


def is_id_like(name: str) -> bool:
    """``id``, ``userId``, ``order_id``: integers that read best small and positive."""
    key = _key(name)
    return key == "id" or name.endswith(("Id", "_id", "-id", "ID")) or key.endswith("count")
