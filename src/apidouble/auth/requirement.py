"""What an endpoint demands of a request before it answers: the ``auth:`` setting, as data.

`parse_requirement` reads what users write on an endpoint (or as a server-wide default)::

    auth: {jwt: {issuer: default, audience: api, scopes: [read:users], claims: {role: admin}}}
    auth: {jwt: {jwks: keys/jwks.json, issuer: "https://idp.example.com/", audience: api}}
    auth: {basic: {users: {ada: secret}, realm: shop}}
    auth: {api_key: {header: X-Api-Key, values: [k1, k2]}}
    auth: {any_of: [{jwt: {issuer: default}}, {api_key: {query: api_key, values: [k1]}}]}
    auth: false

Every mistake is a ValueError whose message starts with the key path (``auth.jwt.leeway_s: must
be >= 0``) and unknown keys are refused, so a typo points at its line. Nothing here holds a key
or touches the network: `auth.guard.compile_guard` turns a requirement into what serve time runs,
and ``to_config`` gives the YAML shape back for stubs written out as config.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeAlias
from urllib.parse import urlsplit

from apidouble.auth.verify import DEFAULT_ALGORITHMS, JwtPolicy

__all__ = [
    "DEFAULT_LEEWAY_S",
    "DEFAULT_REALM",
    "AnyOf",
    "ApiKeyRequirement",
    "BasicRequirement",
    "JwtRequirement",
    "Requirement",
    "jwks_kind",
    "parse_requirement",
]

DEFAULT_LEEWAY_S = 30.0
DEFAULT_REALM = "apidouble"
_DEFAULT_ALGS: tuple[str, ...] = tuple(sorted(DEFAULT_ALGORITHMS))
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
"""An HTTP token (RFC 9110 §5.6.2): what a header name may be."""
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class JwtRequirement:
    """A bearer JWT from a local issuer (``issuer`` names it, no ``jwks``) or an external one
    (``jwks`` a file or loopback URL; ``issuer`` then the exact ``iss`` to expect, if any)."""

    issuer: str | None = None
    jwks: str | None = None
    audience: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    leeway_s: float = DEFAULT_LEEWAY_S
    algorithms: tuple[str, ...] = _DEFAULT_ALGS

    def to_config(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.issuer is not None:
            body["issuer"] = self.issuer
        if self.jwks is not None:
            body["jwks"] = self.jwks
        if self.audience:
            body["audience"] = self.audience[0] if len(self.audience) == 1 else list(self.audience)
        if self.scopes:
            body["scopes"] = list(self.scopes)
        if self.claims:
            body["claims"] = dict(self.claims)
        if self.leeway_s != DEFAULT_LEEWAY_S:
            body["leeway_s"] = self.leeway_s
        if set(self.algorithms) != DEFAULT_ALGORITHMS:
            body["algorithms"] = list(self.algorithms)
        return {"jwt": body}


@dataclass(frozen=True, slots=True)
class BasicRequirement:
    """HTTP Basic (RFC 7617) against configured username -> password pairs."""

    users: Mapping[str, str]
    realm: str = DEFAULT_REALM

    def to_config(self) -> dict[str, Any]:
        body: dict[str, Any] = {"users": dict(self.users)}
        if self.realm != DEFAULT_REALM:
            body["realm"] = self.realm
        return {"basic": body}


ApiKeyPlace = Literal["header", "query", "cookie"]


@dataclass(frozen=True, slots=True)
class ApiKeyRequirement:
    """An API key in one header, query parameter or cookie; each key maps to the claims the
    request is admitted with (``sub`` among them names the caller)."""

    values: Mapping[str, Mapping[str, Any]]
    header: str | None = None
    query: str | None = None
    cookie: str | None = None

    @property
    def place(self) -> tuple[ApiKeyPlace, str]:
        """Where the key is read: ("header", "X-Api-Key"), ("query", ...) or ("cookie", ...)."""
        if self.header is not None:
            return "header", self.header
        if self.query is not None:
            return "query", self.query
        if self.cookie is not None:
            return "cookie", self.cookie
        raise ValueError("api_key: give one of header, query or cookie")

    def to_config(self) -> dict[str, Any]:
        kind, name = self.place
        values: Any
        if any(self.values.values()):
            values = {key: dict(claims) for key, claims in self.values.items()}
        else:
            values = list(self.values)
        return {"api_key": {kind: name, "values": values}}


@dataclass(frozen=True, slots=True)
class AnyOf:
    """The first option that admits the request wins."""

    options: tuple[Requirement, ...]

    def to_config(self) -> dict[str, Any]:
        return {"any_of": [option.to_config() for option in self.options]}


Requirement: TypeAlias = JwtRequirement | BasicRequirement | ApiKeyRequirement | AnyOf

_KINDS = ("jwt", "basic", "api_key", "any_of")


def parse_requirement(value: Any, where: str = "auth") -> Requirement | None:
    """The requirement ``value`` describes; None for ``false`` (no auth, even under a
    server-wide default)."""
    if value is False:
        return None
    data = _mapping(value, where, "a mapping with one of jwt, basic, api_key, any_of, or false")
    _known(data, where, _KINDS)
    if len(data) != 1:
        given = ", ".join(sorted(data)) or "nothing"
        raise ValueError(
            f"{where}: give exactly one of jwt, basic, api_key, any_of (got {given}); "
            "use any_of to accept several"
        )
    ((kind, body),) = data.items()
    path = f"{where}.{kind}"
    if kind == "jwt":
        return _jwt(body, path)
    if kind == "basic":
        return _basic(body, path)
    if kind == "api_key":
        return _api_key(body, path)
    return _any_of(body, path)


def jwks_kind(value: str, where: str) -> Literal["url", "file"]:
    """Whether a ``jwks`` setting is a URL or a file path; a URL must be http(s) on a loopback
    host (a mock must not depend on, or reach out to, anything beyond this machine)."""
    if "://" not in value:
        return "file"
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        scheme, host = "", None
    if scheme not in ("http", "https") or not host or not _loopback(host):
        raise ValueError(
            f"{where}: {value!r} must be an http(s) URL on a loopback host "
            "(127.0.0.0/8, ::1 or localhost), or a file path"
        )
    return "url"


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _jwt(raw: Any, where: str) -> JwtRequirement:
    data = _mapping(raw, where)
    _known(data, where, JwtRequirement.__dataclass_fields__)
    issuer = _text(data, "issuer", where)
    jwks = _text(data, "jwks", where)
    if issuer is None and jwks is None:
        raise ValueError(f"{where}: give issuer (a local issuer's name) and/or jwks")
    if jwks is not None:
        jwks_kind(jwks, f"{where}.jwks")
    leeway = data.get("leeway_s", DEFAULT_LEEWAY_S)
    if isinstance(leeway, bool) or not isinstance(leeway, int | float) or math.isnan(leeway):
        raise ValueError(f"{where}.leeway_s: expected a number of seconds, got {_kind(leeway)}")
    if not leeway >= 0 or math.isinf(leeway):
        raise ValueError(f"{where}.leeway_s: must be >= 0 and finite, got {leeway!r}")
    algorithms = _strings(data, "algorithms", where)
    if algorithms is not None:
        if not algorithms:
            raise ValueError(f"{where}.algorithms: give at least one algorithm")
        try:
            JwtPolicy(algorithms=frozenset(algorithms))
        except ValueError as error:
            raise ValueError(f"{where}.algorithms: {error}") from None
    claims = data.get("claims", {})
    if not isinstance(claims, Mapping) or not all(isinstance(k, str) for k in claims):
        raise ValueError(f"{where}.claims: expected a mapping of claim names to values")
    return JwtRequirement(
        issuer=issuer,
        jwks=jwks,
        audience=_strings(data, "audience", where, words=False) or (),
        scopes=_strings(data, "scopes", where) or (),
        claims=_frozen(claims),
        leeway_s=float(leeway),
        algorithms=_DEFAULT_ALGS if algorithms is None else tuple(dict.fromkeys(algorithms)),
    )


def _basic(raw: Any, where: str) -> BasicRequirement:
    data = _mapping(raw, where)
    _known(data, where, ("users", "realm"))
    users = data.get("users")
    if not isinstance(users, Mapping) or not users:
        raise ValueError(f"{where}.users: expected a mapping of usernames to passwords")
    for name, password in users.items():
        if not isinstance(name, str) or not name or ":" in name:
            raise ValueError(f"{where}.users: username {name!r} must be text without ':'")
        if not isinstance(password, str):
            raise ValueError(f"{where}.users.{name}: expected a password string")
    realm = _text(data, "realm", where)
    if realm is not None:
        _quotable(realm, f"{where}.realm")
    return BasicRequirement(users=MappingProxyType(dict(users)), realm=realm or DEFAULT_REALM)


def _api_key(raw: Any, where: str) -> ApiKeyRequirement:
    data = _mapping(raw, where)
    _known(data, where, ("header", "query", "cookie", "values"))
    places = {kind: _text(data, kind, where) for kind in ("header", "query", "cookie")}
    given = [kind for kind, name in places.items() if name is not None]
    if len(given) != 1:
        raise ValueError(f"{where}: give exactly one of header, query or cookie")
    header = places["header"]
    if header is not None and not _TOKEN.match(header):
        raise ValueError(f"{where}.header: {header!r} is not a header name")
    _quotable(places[given[0]] or "", f"{where}.{given[0]}")
    return ApiKeyRequirement(
        values=_key_values(data.get("values"), f"{where}.values"),
        header=header,
        query=places["query"],
        cookie=places["cookie"],
    )


def _key_values(raw: Any, where: str) -> Mapping[str, Mapping[str, Any]]:
    """A list of keys, or a mapping of key -> claims (null for none)."""
    values: dict[str, Mapping[str, Any]] = {}
    if isinstance(raw, list):
        for index, key in enumerate(raw):
            if not isinstance(key, str) or not key:
                raise ValueError(f"{where}[{index}]: expected a non-empty key string")
            values[key] = _EMPTY
    elif isinstance(raw, Mapping):
        for key, claims in raw.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"{where}: key {key!r} must be a non-empty string")
            claims = {} if claims is None else claims
            if not isinstance(claims, Mapping) or not all(isinstance(k, str) for k in claims):
                raise ValueError(f"{where}.{key}: expected a mapping of claims (or null)")
            if "sub" in claims and not isinstance(claims["sub"], str):
                raise ValueError(f"{where}.{key}.sub: expected a string")
            values[key] = _frozen(claims)
    else:
        raise ValueError(f"{where}: expected a list of keys or a mapping of keys to claims")
    if not values:
        raise ValueError(f"{where}: give at least one key")
    return MappingProxyType(values)


def _any_of(raw: Any, where: str) -> AnyOf:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: expected a non-empty list of requirements")
    options: list[Requirement] = []
    for index, item in enumerate(raw):
        option = parse_requirement(item, f"{where}[{index}]")
        if option is None:
            raise ValueError(f"{where}[{index}]: false cannot be an option")
        options.append(option)
    return AnyOf(tuple(options))


def _mapping(raw: Any, where: str, expected: str = "a mapping") -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected {expected}, got {_kind(raw)}")
    return raw


def _known(data: Mapping[str, Any], where: str, fields: Any) -> None:
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ValueError(f"{where}.{key}: unknown key; known are {known}")


def _text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}.{key}: expected a non-empty string, got {_kind(value)}")
    return value


def _strings(
    data: Mapping[str, Any], key: str, where: str, words: bool = True
) -> tuple[str, ...] | None:
    """A list of strings, or one string: of space-separated words (``scopes: read write``)
    with ``words``, else a single item (an audience)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise ValueError(f"{where}.{key}: expected a non-empty string")
        return tuple(value.split()) if words else (value,)
    if not isinstance(value, list):
        raise ValueError(f"{where}.{key}: expected a string or a list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ValueError(f"{where}.{key}[{index}]: expected a non-empty string")
    return tuple(value)


def _quotable(text: str, where: str) -> None:
    """Text that goes into a WWW-Authenticate quoted-string as it is."""
    if not all(" " <= c <= "~" and c not in '"\\' for c in text):
        raise ValueError(f"{where}: use printable ASCII without quotes or backslashes")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
