"""``/__admin/auth``: the mock issuers as a test drives them, over the server's `AuthPlane`.

``GET /__admin/auth`` lists the served issuers (URLs from this request's Host, keys, users and
clients, never a password or secret); ``POST /__admin/auth/tokens`` mints a token, valid or
broken in one chosen way; ``POST /__admin/auth/{issuer}/rotate`` rotates the signing keys;
``/__admin/auth/{issuer}/users[/{username}]`` and ``/clients[/{client_id}]`` read and change
the users and clients added at run time, merged over the config's (``POST .../reset`` forgets
them). A change is saved before it is served, and served at once. Mistakes are 400s naming
the field, an issuer that is not served a 404.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.grants import jwt_part
from ..auth.keys import ALGORITHMS, Alg, KeyRing
from ..auth.plane import (
    TOKEN_KINDS,
    AuthPlane,
    Kind,
    Overrides,
    TokenKind,
    entries_of,
    entry_key,
)
from ..auth.provider import OAuthProvider, default_base_url
from ..auth.settings import ALL_GRANTS, ClientSettings, IssuerSettings, UserSettings
from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response
from .routes import AdminRoutes

__all__ = ["AUTH_PATH", "TOKENS_PATH", "AuthRoutes"]

AUTH_PATH = "/__admin/auth"
TOKENS_PATH = "/__admin/auth/tokens"
_ISSUER = AUTH_PATH + "/{issuer}"
_TOKEN_FIELDS = (
    "issuer",
    "sub",
    "claims",
    "scope",
    "scopes",
    "audience",
    "expires_in",
    "kind",
    "alg",
)
_KEY_FIELD: dict[Kind, str] = {"users": "username", "clients": "client_id"}

Handler = Callable[[Request, Mapping[str, str]], Awaitable[Outcome]]


class _Refused(Exception):
    """A request this API will not carry out: its status, what is wrong, and where."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field

    def outcome(self) -> Outcome:
        body: dict[str, Any] = {"error": str(self)}
        if self.field is not None:
            body["field"] = self.field
        return _json(self.status, body)


def _json(status: int, body: Any) -> Respond:
    return Respond(json_response(status, body))


def _safe(route: Handler) -> Handler:
    """``route`` with its refusals answered."""

    async def run(request: Request, params: Mapping[str, str]) -> Outcome:
        try:
            return await route(request, params)
        except _Refused as refusal:
            return refusal.outcome()

    return run


def _document(request: Request, default: Any = None) -> Any:
    """The JSON body (``default`` when there is none and one is given)."""
    if not request.body.strip() and default is not None:
        return default
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Refused(400, f"the body is not JSON: {exc}", "body") from None


def _object(request: Request, known: tuple[str, ...]) -> dict[str, Any]:
    """A JSON object body (empty when there is none) with only ``known`` keys."""
    body = _document(request, {})
    if not isinstance(body, dict):
        raise _Refused(400, "the body must be a JSON object", "body")
    for key in body:
        if key not in known:
            raise _Refused(400, f"{key}: unknown key; known are {', '.join(known)}", key)
    return body


def _invalid(error: ValueError) -> _Refused:
    """A settings parser's refusal; its message starts with the key path."""
    message = str(error)
    place, colon, _ = message.partition(": ")
    return _Refused(400, message, place if colon and " " not in place else "body")


def _number(body: Mapping[str, Any], key: str, minimum: float, strict: bool) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(400, f"{key}: expected a number of seconds, got {value!r}", key)
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise _Refused(400, f"{key}: must be {relation} {minimum:g}, got {value!r}", key)
    return float(value)


def _strings(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Refused(400, f"{key}: expected a list of strings", key)
    return value


def _string(body: Mapping[str, Any], key: str, default: str) -> str:
    value = body.get(key, default)
    if not isinstance(value, str) or not value:
        raise _Refused(400, f"{key}: expected a non-empty string, got {value!r}", key)
    return value


def _keys(ring: KeyRing) -> list[dict[str, Any]]:
    return [
        {
            "kid": key.kid,
            "alg": key.alg,
            "current": key.retired_at is None,
            "retired_until": None if key.retired_at is None else ring.published_until(key),
        }
        for key in ring.published()
    ]


def _view(entry: UserSettings | ClientSettings, runtime: bool) -> dict[str, Any]:
    """What the API shows of a user or client: never its password or secret."""
    source = "runtime" if runtime else "config"
    if isinstance(entry, UserSettings):
        return {
            "username": entry.username,
            "claims": dict(entry.claims),
            "has_password": entry.password is not None,
            "source": source,
        }
    return {
        "client_id": entry.client_id,
        "public": entry.public,
        "redirect_uris": list(entry.redirect_uris),
        "grants": list(entry.grants if entry.grants is not None else ALL_GRANTS),
        "scopes": None if entry.scopes is None else list(entry.scopes),
        "audience": entry.audience,
        "source": source,
    }


class AuthRoutes:
    """The routes of the auth admin API over ``plane`` (the runtime's, for its life)."""

    def __init__(self, plane: AuthPlane) -> None:
        self.plane = plane
        self._writing = asyncio.Lock()
        """One change of runtime users and clients at a time: read, save, serve."""

    def register(self, routes: AdminRoutes) -> None:
        """Add every route of this API to ``routes`` (the admin token guards them all)."""
        routes.add(("GET",), AUTH_PATH, self._exact(self.overview))
        routes.add(("POST",), TOKENS_PATH, self._exact(self.token))
        routes.add_template(("POST",), _ISSUER + "/rotate", _safe(self.rotate))
        routes.add_template(("POST",), _ISSUER + "/reset", _safe(self.reset))
        kinds: tuple[Kind, ...] = ("users", "clients")
        for kind in kinds:
            entries = _Entries(self, kind)
            many, one = f"{_ISSUER}/{kind}", f"{_ISSUER}/{kind}/{{key}}"
            routes.add_template(("GET",), many, _safe(entries.list))
            routes.add_template(("PUT",), many, _safe(entries.replace_all))
            routes.add_template(("POST",), many, _safe(entries.create))
            routes.add_template(("DELETE",), many, _safe(entries.clear))
            routes.add_template(("GET",), one, _safe(entries.read))
            routes.add_template(("PUT",), one, _safe(entries.put))
            routes.add_template(("DELETE",), one, _safe(entries.delete))

    @staticmethod
    def _exact(route: Handler) -> Callable[[Request], Awaitable[Outcome]]:
        safe = _safe(route)
        return lambda request: safe(request, {})

    def provider(self, name: str) -> OAuthProvider:
        """The served issuer ``name``, else a 404 naming the served ones."""
        try:
            return self.plane.provider(name)
        except KeyError:
            served = sorted(self.plane.served.providers) if self.plane.served else []
            listed = ", ".join(served) or "none"
            raise _Refused(404, f"no issuer {name!r} is served (served: {listed})") from None

    async def change(
        self, name: str, make: Callable[[Overrides, IssuerSettings], Overrides]
    ) -> None:
        """Runtime users and clients of ``name`` changed by ``make``: saved (off the loop),
        then served. Nothing is served that could not be saved (500)."""
        async with self._writing:
            self.provider(name)  # still served: the checks and make run with no await between
            changed = make(self.plane.overrides(name), self.plane.configured(name))
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(None, self.plane.save_overrides, name, changed)
            except OSError as exc:
                raise _Refused(
                    500, f"the runtime users and clients could not be saved: {exc}"
                ) from None
            self.plane.apply_overrides(name, changed)

    # --- the issuers, tokens, keys ---------------------------------------------------------

    async def overview(self, request: Request, params: Mapping[str, str]) -> Outcome:
        served = self.plane.served.providers if self.plane.served is not None else {}
        issuers = [self._issuer(name, provider, request) for name, provider in served.items()]
        return _json(200, {"issuers": issuers})

    def _issuer(self, name: str, provider: OAuthProvider, request: Request) -> dict[str, Any]:
        issuer = provider.issuer_url(request)
        overrides = self.plane.overrides(name)
        settings = provider.settings
        return {
            "name": name,
            "issuer": issuer,
            "discovery": f"{issuer}/.well-known/openid-configuration",
            "jwks_uri": f"{issuer}/jwks",
            "token_endpoint": f"{issuer}/token",
            "keys": _keys(provider.ring),
            "users": _views(settings, "users", overrides),
            "clients": _views(settings, "clients", overrides),
            "any_client": settings.clients is None,
        }

    async def token(self, request: Request, params: Mapping[str, str]) -> Outcome:
        body = _object(request, _TOKEN_FIELDS)
        name = self._issuer_for(body.get("issuer"))
        settings = self.provider(name).settings
        ask = _TokenAsk.read(body)
        claims = self.plane.access_claims(name, ask.sub, ask.scopes, ask.audience, ask.claims)
        base = default_base_url(request)
        token = self.plane.mint(name, base, claims, ask.kind, ask.expires_in, ask.alg)
        if ask.kind == "valid":
            lifetime = settings.token_lifetime_s if ask.expires_in is None else ask.expires_in
            expires_in = int(lifetime)
        else:  # negative once expired
            expires_in = int(jwt_part(token, 1).get("exp", 0)) - int(self.plane.clock())
        answer = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "issuer": self.plane.issuer_url(name, base),
            "kind": ask.kind,
            "kid": jwt_part(token, 0).get("kid"),
        }
        return _json(200, answer)

    def _issuer_for(self, given: Any) -> str:
        """The issuer a token is asked of: the one named, else ``default``, else the only one."""
        served = sorted(self.plane.served.providers) if self.plane.served is not None else []
        if given is not None:
            if not isinstance(given, str):
                raise _Refused(400, f"issuer: expected an issuer name, got {given!r}", "issuer")
            return given
        if "default" in served or not served:
            return "default"
        if len(served) == 1:
            return served[0]
        raise _Refused(400, f"issuer: required, several are served ({', '.join(served)})", "issuer")

    async def rotate(self, request: Request, params: Mapping[str, str]) -> Outcome:
        name = params["issuer"]
        grace = _number(_object(request, ("grace_s",)), "grace_s", 0, strict=False)
        ring = self.provider(name).ring
        await asyncio.get_running_loop().run_in_executor(None, self.plane.rotate, name, grace)
        published = ring.published()
        answer = {
            "issuer": name,
            "current": [key.kid for key in published if key.retired_at is None],
            "retired": [
                {"kid": key.kid, "until": ring.published_until(key)}
                for key in published
                if key.retired_at is not None
            ],
        }
        return _json(200, answer)

    async def reset(self, request: Request, params: Mapping[str, str]) -> Outcome:
        name = params["issuer"]
        await self.change(name, lambda overrides, configured: Overrides())
        return _json(200, {"issuer": name, "reset": True})


@dataclass(frozen=True, slots=True)
class _TokenAsk:
    """What ``POST /__admin/auth/tokens`` asks for, checked."""

    sub: str
    claims: dict[str, Any]
    scopes: list[str]
    audience: str | list[str] | None
    expires_in: float | None
    kind: TokenKind
    alg: Alg | None

    @classmethod
    def read(cls, body: Mapping[str, Any]) -> _TokenAsk:
        claims = body.get("claims")
        if claims is not None and not isinstance(claims, dict):
            raise _Refused(400, "claims: expected an object of claim names to values", "claims")
        if "scope" in body and "scopes" in body:
            raise _Refused(400, "scope: give scope or scopes, not both", "scope")
        scope, scopes = body.get("scope"), body.get("scopes")
        if scope is not None and not isinstance(scope, str):
            raise _Refused(400, "scope: expected a space-separated string", "scope")
        audience = body.get("audience")
        if audience is not None and not isinstance(audience, str):
            audience = _strings(audience, "audience")
        kind = body.get("kind", "valid")
        if kind not in TOKEN_KINDS:
            raise _Refused(400, f"kind: {kind!r} is not one of {list(TOKEN_KINDS)}", "kind")
        alg = body.get("alg")
        if alg is not None and alg not in ALGORITHMS:
            raise _Refused(400, f"alg: {alg!r} is not one of {list(ALGORITHMS)}", "alg")
        return cls(
            sub=_string(body, "sub", "user"),
            claims=claims or {},
            scopes=scope.split() if scope is not None else _strings(scopes or [], "scopes"),
            audience=audience,
            expires_in=_number(body, "expires_in", 0, strict=True),
            kind=kind,
            alg=alg,
        )


def _views(settings: IssuerSettings, kind: Kind, overrides: Overrides) -> list[dict[str, Any]]:
    runtime = overrides.layer(kind).entries
    return [_view(entry, entry_key(entry) in runtime) for entry in entries_of(settings, kind)]


class _Entries:
    """The users (or clients) routes of every issuer."""

    def __init__(self, routes: AuthRoutes, kind: Kind) -> None:
        self.routes = routes
        self.kind = kind
        self.key_field = _KEY_FIELD[kind]

    def _listed(self, name: str, status: int = 200) -> Outcome:
        settings = self.routes.provider(name).settings
        views = _views(settings, self.kind, self.routes.plane.overrides(name))
        return _json(status, {"issuer": name, self.kind: views})

    def _found(self, name: str, key: str) -> dict[str, Any] | None:
        settings = self.routes.provider(name).settings
        runtime = self.routes.plane.overrides(name).layer(self.kind).entries
        for entry in entries_of(settings, self.kind):
            if entry_key(entry) == key:
                return _view(entry, key in runtime)
        return None

    def _missing(self, name: str, key: str) -> _Refused:
        return _Refused(404, f"issuer {name!r} has no {self.key_field} {key!r}")

    async def list(self, request: Request, params: Mapping[str, str]) -> Outcome:
        return self._listed(params["issuer"])

    async def read(self, request: Request, params: Mapping[str, str]) -> Outcome:
        found = self._found(params["issuer"], params["key"])
        if found is None:
            raise self._missing(params["issuer"], params["key"])
        return _json(200, found)

    async def replace_all(self, request: Request, params: Mapping[str, str]) -> Outcome:
        """Exactly these (a list, or ``{users: [...]}``): config entries not given are hidden."""
        name, body = params["issuer"], _document(request)
        if isinstance(body, dict) and set(body) == {self.kind}:
            body = body[self.kind]
        if not isinstance(body, list):
            raise _Refused(400, f"{self.kind}: expected a list", self.kind)

        def make(overrides: Overrides, configured: IssuerSettings) -> Overrides:
            try:
                return overrides.exactly(self.kind, body, configured)
            except ValueError as exc:
                raise _invalid(exc) from None

        await self.routes.change(name, make)
        return self._listed(name)

    async def create(self, request: Request, params: Mapping[str, str]) -> Outcome:
        """One more (409 when one of that key is there: PUT replaces)."""
        name = params["issuer"]
        key = await self._put(name, _document(request), replace=False)
        return _json(201, self._found(name, key))

    async def put(self, request: Request, params: Mapping[str, str]) -> Outcome:
        """This one, made or replaced (the key in the body is the path's, or left out)."""
        name, key, body = params["issuer"], params["key"], _document(request)
        if isinstance(body, dict):
            given = body.setdefault(self.key_field, key)
            if given != key:
                message = f"{self.key_field}: {given!r} differs from the path's {key!r}"
                raise _Refused(400, message, self.key_field)
        await self._put(name, body, replace=True)
        return _json(200, self._found(name, key))

    async def _put(self, name: str, body: Any, replace: bool) -> str:
        added: list[str] = []

        def make(overrides: Overrides, configured: IssuerSettings) -> Overrides:
            try:
                key, changed = overrides.put(self.kind, body)
            except ValueError as exc:
                raise _invalid(exc) from None
            present = {entry_key(e) for e in entries_of(overrides.apply(configured), self.kind)}
            if not replace and key in present:
                use = f"PUT {_ISSUER.format(issuer=name)}/{self.kind}/{key} to replace it"
                raise _Refused(409, f"{self.key_field} {key!r} exists; {use}", self.key_field)
            added.append(key)
            return changed

        await self.routes.change(name, make)
        return added[0]

    async def delete(self, request: Request, params: Mapping[str, str]) -> Outcome:
        name, key = params["issuer"], params["key"]
        if self._found(name, key) is None:
            raise self._missing(name, key)
        await self.routes.change(
            name, lambda overrides, configured: overrides.drop(self.kind, key, configured)
        )
        return _json(200, {"issuer": name, "deleted": key})

    async def clear(self, request: Request, params: Mapping[str, str]) -> Outcome:
        """The config's entries again: runtime ones forgotten, hidden ones back."""
        name = params["issuer"]
        await self.routes.change(name, lambda overrides, configured: overrides.cleared(self.kind))
        return self._listed(name)
