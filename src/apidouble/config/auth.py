"""The config's ``auth`` keys: issuers served at ``/oauth2/{name}``, and what endpoints demand.

The models here only give editors the shape (and refuse unknown top-level keys); the
details are checked by ``auth.settings.parse_issuers`` and ``auth.requirement``, whose
messages start with the key path, turned into a JSON pointer by `key_path_pointer`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from apidouble.auth.requirement import AnyOf, JwtRequirement, Requirement, parse_requirement
from apidouble.auth.settings import IssuerSettings, parse_issuers
from apidouble.config.fields import ConfigModel
from apidouble.templating.files import resolved

_STEP = re.compile(r"\.|\[(\d+)\]")

AuthRequirementValue = dict[str, Any] | bool
"""An endpoint's ``auth``: a requirement ({jwt|basic|api_key|any_of: ...}), or false."""


class AuthSection(ConfigModel):
    """Mock OAuth2/OIDC issuers, and the requirement every endpoint has by default."""

    issuers: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict,
        description="Issuers by name, each served at /oauth2/NAME (discovery, JWKS,"
        " authorize, token, userinfo, introspect, revoke, logout): {auto_login, users,"
        " clients, claims, scopes, audience, token_lifetime_s, signing_alg, keys, ...}.",
    )
    require: dict[str, Any] | None = Field(
        None,
        description="What every endpoint demands unless it says auth: itself (auth: false"
        " opts out): {jwt: {issuer, audience, scopes, claims}}, {basic: {users}},"
        " {api_key: {header, values}} or {any_of: [...]}.",
    )


def key_path_pointer(message: str, prefix: str = "") -> tuple[str, str]:
    """``auth.issuers.default.clients[1].client_id: required`` → (``/auth/issuers/default/
    clients/1/client_id``, ``required``); a message without a key path points at ``prefix``."""
    place, colon, rest = message.partition(": ")
    if not colon or " " in place:
        return prefix, message
    steps = [part for part in _STEP.split(place) if part]
    return "/" + "/".join(steps), rest


Problems = list[tuple[str, str]]
"""(JSON pointer, message) pairs, reported by the document at their keys."""


def read_issuers(
    section: AuthSection, folder: Path
) -> tuple[dict[str, IssuerSettings], Requirement | None, Problems]:
    """The issuers (key files resolved against ``folder``) and the server-wide requirement
    of one file's ``auth`` section, with the problems found, located."""
    problems: Problems = []
    issuers: dict[str, IssuerSettings] = {}
    try:
        issuers = parse_issuers(section.issuers)
    except ValueError as exc:
        problems.append(key_path_pointer(str(exc), "/auth/issuers"))
    for name, settings in issuers.items():
        keys: list[str] = []
        for index, key in enumerate(settings.keys or ()):
            try:
                keys.append(str(resolved(folder, key, "key file")))
            except ValueError as exc:  # a name no file system can hold
                step = name.replace("~", "~0").replace("/", "~1")
                problems.append((f"/auth/issuers/{step}/keys/{index}", str(exc)))
        if keys:
            issuers[name] = replace(settings, keys=tuple(keys))
    require: Requirement | None = None
    if section.require is not None:
        found, problem = read_requirement(section.require, folder, "auth.require")
        if problem is not None:
            problems.append(problem)
        elif found is False:
            problems.append(("/auth/require", "give a requirement, or leave require out"))
        else:
            require = found
    return issuers, require, problems


def read_requirement(
    raw: Any, folder: Path, where: str
) -> tuple[Requirement | Literal[False] | None, tuple[str, str] | None]:
    """An endpoint's ``auth`` value: a requirement (JWKS files resolved against ``folder``),
    False for ``auth: false``, or None when not given; else the located problem."""
    if raw is None:
        return None, None
    try:
        found = parse_requirement(raw, where)
    except ValueError as exc:
        return None, key_path_pointer(str(exc), "/" + where.replace(".", "/"))
    if found is None:
        return False, None
    try:
        return _resolved(found, folder, where), None
    except ValueError as exc:
        return None, key_path_pointer(str(exc), "/" + where.replace(".", "/"))


def _resolved(requirement: Requirement, folder: Path, where: str) -> Requirement:
    """JWKS file paths made absolute (URLs stay as they are), throughout ``any_of``;
    ValueError at the key path of a name no file system can hold."""
    if isinstance(requirement, AnyOf):
        options = tuple(
            _resolved(option, folder, f"{where}.any_of[{index}]")
            for index, option in enumerate(requirement.options)
        )
        return replace(requirement, options=options)
    if isinstance(requirement, JwtRequirement) and requirement.jwks is not None:
        if "://" not in requirement.jwks:
            try:
                jwks = resolved(folder, requirement.jwks, "JWKS file")
            except ValueError as exc:
                raise ValueError(f"{where}.jwt.jwks: {exc}") from None
            return replace(requirement, jwks=str(jwks))
    return requirement
