"""Issuer settings: what one mock OAuth2/OIDC issuer accepts, parsed from the YAML users write.

`parse_issuers` reads the mapping under ``auth.issuers``; every mistake is a ValueError whose
message starts with the key path (``auth.issuers.default.clients[1].client_id: required``), so a
typo points at its line. Unknown keys are refused for the same reason.

Two permissive defaults keep headless use easy: with no ``clients`` list any client_id is
accepted (as a public client, or as a confidential one with whatever secret it sends), and a
client with no ``redirect_uris`` may redirect anywhere (any absolute http(s) URL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALL_GRANTS",
    "GRANT_ALIASES",
    "JWT_BEARER",
    "TOKEN_EXCHANGE",
    "ClientSettings",
    "IssuerSettings",
    "UserSettings",
    "parse_issuer",
    "parse_issuers",
]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ALL_GRANTS: tuple[str, ...] = (
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    TOKEN_EXCHANGE,
    JWT_BEARER,
)
GRANT_ALIASES: dict[str, str] = {
    "token_exchange": TOKEN_EXCHANGE,
    "token-exchange": TOKEN_EXCHANGE,
    "jwt_bearer": JWT_BEARER,
    "jwt-bearer": JWT_BEARER,
}
"""Short names accepted in ``grants:`` lists, because nobody wants to type the URNs."""

DEFAULT_SCOPES: tuple[str, ...] = ("openid", "profile", "email", "offline_access")
SIGNING_ALGS = ("RS256", "ES256")
_NAME = re.compile(r"^[A-Za-z0-9._~-]+$")
"""An issuer name is one URL path segment (``/oauth2/{name}/...``), unreserved characters only."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """One registered client.

    ``grants`` None allows every grant type; ``scopes`` None allows the issuer's scopes. A client
    without ``client_secret`` is public (``public`` follows from it unless given).
    """

    client_id: str
    client_secret: str | None = None
    public: bool = True
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    grants: tuple[str, ...] | None = None
    scopes: tuple[str, ...] | None = None
    audience: str | None = None
    jwks: Mapping[str, Any] | None = None
    """Public keys for jwt-bearer assertions this client signs itself (RFC 7523)."""

    def allows_grant(self, grant: str) -> bool:
        return self.grants is None or grant in self.grants


@dataclass(frozen=True, slots=True)
class UserSettings:
    """One configured user: the login page lists it; ``password`` enables the password grant."""

    username: str
    password: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """The ``sub``: an explicit ``claims.sub`` wins over the username."""
        sub = self.claims.get("sub")
        return str(sub) if sub is not None else self.username

    def context(self) -> dict[str, Any]:
        """What claim templates see as ``user``: the claims flattened (``user.role``) plus
        ``username``, ``sub`` and ``claims``; never the password."""
        return {
            **self.claims,
            "username": self.username,
            "sub": self.subject,
            "claims": dict(self.claims),
        }


@dataclass(frozen=True, slots=True)
class IssuerSettings:
    """One issuer. ``clients`` None means any client_id is accepted (see the module docstring);
    ``audience`` None makes access tokens' aud the client_id; an empty ``scopes`` allows any."""

    auto_login: bool = False
    accept_any_password: bool = False
    token_lifetime_s: float = 3600.0
    refresh_lifetime_s: float = 86400.0
    code_lifetime_s: float = 60.0
    audience: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    claims: Mapping[str, Any] = field(default_factory=dict)
    """Extra access-token claims, templates allowed; they may override sub, aud and scope."""
    clients: tuple[ClientSettings, ...] | None = None
    users: tuple[UserSettings, ...] = ()
    signing_alg: str = "RS256"
    keys: tuple[str, ...] = ()
    """PEM private key files (RSA for RS256, P-256 for ES256) to sign with; others generated."""
    rotation_grace_s: float = 3600.0
    """How long a rotated-out key stays published, so tokens it signed keep verifying."""

    def client(self, client_id: str) -> ClientSettings | None:
        """The registered client, or None; with no clients list, an ad-hoc public one."""
        if self.clients is None:
            return ClientSettings(client_id=client_id)
        for client in self.clients:
            if client.client_id == client_id:
                return client
        return None

    def user(self, username: str) -> UserSettings | None:
        for user in self.users:
            if user.username == username:
                return user
        return None

    def user_by_subject(self, subject: str) -> UserSettings | None:
        for user in self.users:
            if user.subject == subject:
                return user
        return None


def parse_issuers(raw: Any, where: str = "auth.issuers") -> dict[str, IssuerSettings]:
    """Every issuer under ``auth.issuers`` by name."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping of issuer names, got {_kind(raw)}")
    issuers: dict[str, IssuerSettings] = {}
    for name, body in raw.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"{where}: issuer name {name!r} must be letters, digits, '.', '_', '~' or '-'"
            )
        issuers[name] = parse_issuer(body if body is not None else {}, f"{where}.{name}")
    return issuers


def parse_issuer(raw: Any, where: str = "issuer") -> IssuerSettings:
    """One issuer's settings from its mapping."""
    data = _mapping(raw, where)
    _known(data, where, IssuerSettings.__dataclass_fields__)
    clients_raw = data.get("clients")
    clients: tuple[ClientSettings, ...] | None = None
    if clients_raw is not None:
        clients = tuple(
            _client(item, f"{where}.clients[{index}]")
            for index, item in enumerate(_list(clients_raw, f"{where}.clients"))
        )
        _unique([c.client_id for c in clients], f"{where}.clients", "client_id")
    users = tuple(
        _user(item, f"{where}.users[{index}]")
        for index, item in enumerate(_list(data.get("users", []), f"{where}.users"))
    )
    _unique([u.username for u in users], f"{where}.users", "username")
    alg = _str(data, "signing_alg", where) or "RS256"
    if alg not in SIGNING_ALGS:
        raise ValueError(f"{where}.signing_alg: {alg!r} is not one of {list(SIGNING_ALGS)}")
    scopes = _strings(data, "scopes", where)
    return IssuerSettings(
        auto_login=_bool(data, "auto_login", where, False),
        accept_any_password=_bool(data, "accept_any_password", where, False),
        token_lifetime_s=_seconds(data, "token_lifetime_s", where, 3600.0),
        refresh_lifetime_s=_seconds(data, "refresh_lifetime_s", where, 86400.0),
        code_lifetime_s=_seconds(data, "code_lifetime_s", where, 60.0),
        audience=_str(data, "audience", where),
        scopes=DEFAULT_SCOPES if scopes is None else scopes,
        claims=_claims(data, "claims", where),
        clients=clients,
        users=users,
        signing_alg=alg,
        keys=_strings(data, "keys", where) or (),
        rotation_grace_s=_seconds(data, "rotation_grace_s", where, 3600.0),
    )


def _client(raw: Any, where: str) -> ClientSettings:
    data = _mapping(raw, where)
    _known(data, where, ClientSettings.__dataclass_fields__)
    client_id = _str(data, "client_id", where)
    if not client_id:
        raise ValueError(f"{where}.client_id: required")
    secret = _str(data, "client_secret", where)
    public = _bool(data, "public", where, secret is None)
    if public and secret is not None:
        raise ValueError(f"{where}.public: a public client cannot have a client_secret")
    if not public and secret is None:
        raise ValueError(f"{where}.client_secret: required for a confidential client")
    grants = _strings(data, "grants", where)
    if grants is not None:
        grants = tuple(GRANT_ALIASES.get(grant, grant) for grant in grants)
        for grant in grants:
            if grant not in ALL_GRANTS:
                raise ValueError(
                    f"{where}.grants: unknown grant {grant!r}; use some of {list(ALL_GRANTS)}"
                )
    redirect_uris = _strings(data, "redirect_uris", where) or ()
    for uri in redirect_uris:
        if ":" not in uri or "#" in uri:
            raise ValueError(
                f"{where}.redirect_uris: {uri!r} is not an absolute URI without a fragment"
            )
    jwks = data.get("jwks")
    if jwks is not None and (
        not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list)
    ):
        raise ValueError(f"{where}.jwks: expected a JWK Set (a mapping with a 'keys' list)")
    return ClientSettings(
        client_id=client_id,
        client_secret=secret,
        public=public,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=_strings(data, "post_logout_redirect_uris", where) or (),
        grants=grants,
        scopes=_strings(data, "scopes", where),
        audience=_str(data, "audience", where),
        jwks=dict(jwks) if jwks is not None else None,
    )


def _user(raw: Any, where: str) -> UserSettings:
    data = _mapping(raw, where)
    _known(data, where, UserSettings.__dataclass_fields__)
    username = _str(data, "username", where)
    if not username:
        raise ValueError(f"{where}.username: required")
    return UserSettings(
        username=username,
        password=_str(data, "password", where),
        claims=_claims(data, "claims", where),
    )


def _mapping(raw: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {_kind(raw)}")
    return raw


def _known(data: Mapping[str, Any], where: str, fields: Mapping[str, Any]) -> None:
    for key in data:
        if key not in fields:
            raise ValueError(f"{where}.{key}: unknown key; known are {', '.join(sorted(fields))}")


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list, got {_kind(raw)}")
    return raw


def _str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected a string, got {_kind(value)}")
    return value


def _strings(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    """A list of strings; a single space-separated string is accepted too (``scopes: a b``)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(value.split())
    items = _list(value, f"{where}.{key}")
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ValueError(f"{where}.{key}[{index}]: expected a string, got {_kind(item)}")
    return tuple(items)


def _bool(data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{where}.{key}: expected true or false, got {_kind(value)}")
    return value


def _seconds(data: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{where}.{key}: expected a positive number of seconds, got {value!r}")
    return float(value)


def _claims(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{where}.{key}: expected a mapping of claim names to values")
    return dict(value)


def _unique(values: list[str], where: str, key: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{where}: {key} {value!r} appears twice")
        seen.add(value)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
