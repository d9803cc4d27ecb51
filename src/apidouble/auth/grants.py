"""The token endpoint's decisions: who the client is, whether a grant holds, what gets issued.

Each grant checks its parameters in RFC order and raises `OAuthError` with the RFC 6749 §5.2
code for the first failure, so a test of one refusal gets exactly that refusal. State (pending
authorization codes, refresh tokens, revoked access-token ids) lives in `GrantState`: bounded
in-memory maps, oldest entries dropped first, so a long-running mock cannot grow without limit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import unquote_plus

from apidouble.auth.keys import Alg, KeyRing
from apidouble.auth.settings import (
    ALL_GRANTS,
    JWT_BEARER,
    TOKEN_EXCHANGE,
    ClientSettings,
    IssuerSettings,
    UserSettings,
)
from apidouble.auth.tokens import TokenMinter
from apidouble.auth.verify import JwtPolicy, KeySource, Refusal, StaticJwks, Verified, Verifier
from apidouble.model import Request

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "AuthedClient",
    "Bounded",
    "ClaimRenderer",
    "Grants",
    "OAuthError",
    "PendingCode",
    "RefreshGrant",
    "GrantState",
    "allowed_scopes",
    "authenticate_client",
    "check_scope",
    "pkce_matches",
    "jwt_part",
]

ClaimRenderer = Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]]
"""``render_claims(template_claims, context)``: the server's templating of claim values."""

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
_SUBJECT_TOKEN_TYPES = frozenset(
    {
        ACCESS_TOKEN_TYPE,
        "urn:ietf:params:oauth:token-type:jwt",
        "urn:ietf:params:oauth:token-type:id_token",
    }
)
_ISSUED_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:jwt"})
_MINTER_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "jti"})
"""Claims the minter owns: configured claims cannot replace them (lifetimes are settings)."""
_SECRET_FIELDS = frozenset({"client_secret", "password", "code_verifier", "assertion"})
"""Form fields kept out of the template context: no reason for a claim to echo a secret."""
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
"""RFC 7636 §4.1: the code_verifier alphabet and length."""
_REFRESH_GIVING = frozenset({"authorization_code", "password", "refresh_token"})
"""Grants that give a refresh token without offline_access (when the client may refresh)."""

CODE_BOUND = 1_000
REFRESH_BOUND = 10_000
REVOKED_BOUND = 10_000


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response: ``error`` code, description and HTTP status.

    ``basic_challenge`` marks an invalid_client answer to a client that used HTTP Basic, which
    RFC 6749 requires to carry ``WWW-Authenticate: Basic``.
    """

    def __init__(
        self, error: str, description: str, status: int = 400, basic_challenge: bool = False
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.basic_challenge = basic_challenge

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


V = TypeVar("V")


class Bounded(Generic[V]):
    """An insertion-ordered map that drops its oldest entry beyond ``bound`` entries."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._items: OrderedDict[str, V] = OrderedDict()

    def put(self, key: str, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.bound:
            self._items.popitem(last=False)

    def get(self, key: str) -> V | None:
        return self._items.get(key)

    def pop(self, key: str) -> V | None:
        return self._items.pop(key, None)

    def drop_where(self, stale: Callable[[V], bool]) -> None:
        for key in [key for key, value in self._items.items() if stale(value)]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)


@dataclass(frozen=True, slots=True)
class PendingCode:
    """What ``/authorize`` granted, waiting to be exchanged once at ``/token``."""

    client_id: str
    redirect_uri: str
    redirect_given: bool
    """The authorize request named redirect_uri, so the token request must repeat it."""
    scope: str
    subject: str
    user: UserSettings | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: float
    form: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    """One live refresh token's grant; ``scope`` is the original one, which narrowing keeps."""

    client_id: str
    subject: str
    user: UserSettings | None
    scope: str
    expires_at: float
    auth_time: int | None
    form: Mapping[str, str] = field(default_factory=dict)
    issued_at: float = 0.0


class GrantState:
    """The provider's memory: at most 1,000 pending codes, 10,000 refresh tokens and 10,000
    revoked access-token ids (oldest dropped first; expired revocations are dropped before any
    live one, since an expired token is refused anyway)."""

    def __init__(
        self,
        code_bound: int = CODE_BOUND,
        refresh_bound: int = REFRESH_BOUND,
        revoked_bound: int = REVOKED_BOUND,
    ) -> None:
        self.codes: Bounded[PendingCode] = Bounded(code_bound)
        self.refresh: Bounded[RefreshGrant] = Bounded(refresh_bound)
        self.revoked: Bounded[float] = Bounded(revoked_bound)
        """Revoked jti -> the token's exp (when the revocation may be forgotten)."""

    def add_code(self, pending: PendingCode, now: float) -> str:
        self.codes.drop_where(lambda p: p.expires_at <= now)
        code = secrets.token_urlsafe(32)
        self.codes.put(code, pending)
        return code

    def add_refresh(self, grant: RefreshGrant, now: float) -> str:
        if len(self.refresh) >= self.refresh.bound:
            self.refresh.drop_where(lambda g: g.expires_at <= now)
        token = secrets.token_urlsafe(32)
        self.refresh.put(token, grant)
        return token

    def revoke_jti(self, jti: str, exp: float, now: float) -> None:
        if len(self.revoked) >= self.revoked.bound:
            self.revoked.drop_where(lambda until: until <= now)
        self.revoked.put(jti, exp)

    def is_revoked(self, jti: object) -> bool:
        return isinstance(jti, str) and jti in self.revoked


@dataclass(frozen=True, slots=True)
class AuthedClient:
    """A client the token endpoint accepted, and how: client_secret_basic, _post, or none."""

    settings: ClientSettings
    method: str

    @property
    def client_id(self) -> str:
        return self.settings.client_id

    @property
    def confidential(self) -> bool:
        return self.method != "none"


def authenticate_client(
    request: Request, form: Mapping[str, str], issuer: IssuerSettings
) -> AuthedClient:
    """The client behind a token, introspection or revocation request (RFC 6749 §2.3).

    One method only: Basic and form credentials together are invalid_request. With no clients
    list configured, any client_id passes, confidential when it sends a secret (any secret).
    """
    basic = _basic_credentials(request.header("authorization"))
    if basic is not None and ("client_secret" in form or "client_assertion" in form):
        raise _invalid_request("use one client authentication method, not Basic and the form")
    if basic is not None:
        client_id, secret = basic
        if form.get("client_id", client_id) != client_id:
            raise _invalid_request("client_id differs from the Basic credentials")
        method = "client_secret_basic"
    else:
        client_id_or_none = form.get("client_id")
        if client_id_or_none is None:
            raise OAuthError("invalid_client", "no client authentication", 401)
        client_id = client_id_or_none
        secret_or_none = form.get("client_secret")
        method = "none" if secret_or_none is None else "client_secret_post"
        secret = secret_or_none or ""
    used_basic = method == "client_secret_basic"
    client = issuer.client(client_id)
    if client is None:
        raise OAuthError("invalid_client", f"unknown client {client_id!r}", 401, used_basic)
    if issuer.clients is None:
        return AuthedClient(client, method)
    if method == "none":
        if not client.public:
            raise OAuthError("invalid_client", "client authentication required", 401)
        return AuthedClient(client, method)
    if client.public:
        raise OAuthError("invalid_client", "a public client has no secret to send", 401, used_basic)
    expected = (client.client_secret or "").encode()
    if not hmac.compare_digest(secret.encode(), expected):
        raise OAuthError("invalid_client", "wrong client secret", 401, used_basic)
    return AuthedClient(client, method)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(client_id, secret) from ``Authorization: Basic``, both form-url-decoded (RFC 6749
    §2.3.1); None when the header is absent or another scheme."""
    if header is None:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", 401, True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401, True)
    return unquote_plus(client_id), unquote_plus(secret)


def allowed_scopes(issuer: IssuerSettings, client: ClientSettings) -> tuple[str, ...]:
    """The scopes a client may ask for: its own list, else the issuer's; empty allows any."""
    return client.scopes if client.scopes is not None else issuer.scopes


def check_scope(requested: str | None, allowed: tuple[str, ...], default: str = "") -> str:
    """The granted scope string: the request (duplicates dropped) when every scope is allowed,
    ``default`` when nothing was asked; raises invalid_scope naming the first refused one."""
    if requested is None:
        return default
    wanted = list(dict.fromkeys(requested.split()))
    if allowed:
        for scope in wanted:
            if scope not in allowed:
                raise OAuthError("invalid_scope", f"scope {scope!r} is not allowed")
    return " ".join(wanted)


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 §4.6: S256 compares base64url(SHA-256(verifier)), plain the strings."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode(), challenge.encode())


def jwt_part(token: str, index: int) -> dict[str, Any]:
    """Header (0) or payload (1) of a compact JWT, unverified: read only after verification
    passed, or to pick something that is checked independently; {} when unreadable."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    segment = parts[index]
    try:
        found = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return found if isinstance(found, dict) else {}


def _hash_half(token: str) -> str:
    """OIDC at_hash: the left half of SHA-256 (both RS256 and ES256 use SHA-256)."""
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _as_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if name not in _MINTER_CLAIMS}


@dataclass(frozen=True, slots=True)
class _Issue:
    """What one successful grant hands out."""

    grant: str
    client: ClientSettings
    subject: str
    user: UserSettings | None
    scope: str
    form: Mapping[str, str]
    audience: str | None = None
    nonce: str | None = None
    auth_time: int | None = None
    id_token: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)
    issued_token_type: str | None = None
    refresh_scope: str | None = None
    """A refresh grant's original scope: the rotated token keeps it even when this one narrows."""


class Grants:
    """Runs the token endpoint's grants for one issuer; the provider supplies the issuer URL
    per request, since it follows the Host header."""

    def __init__(
        self,
        settings: IssuerSettings,
        ring: KeyRing,
        state: GrantState,
        clock: Callable[[], float] = time.time,
        render_claims: ClaimRenderer | None = None,
    ) -> None:
        self.settings = settings
        self.ring = ring
        self.state = state
        self.clock = clock
        self.render_claims: ClaimRenderer = render_claims or (lambda claims, _ctx: dict(claims))
        self._client_keys: dict[str, StaticJwks] = {}

    def token(
        self, request: Request, form: Mapping[str, str], issuer_url: str, token_url: str
    ) -> dict[str, Any]:
        """The token response for a parsed form, or OAuthError."""
        grant = form.get("grant_type")
        if grant is None:
            raise _invalid_request("grant_type is required")
        client = authenticate_client(request, form, self.settings)
        if grant not in ALL_GRANTS:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
        if not client.settings.allows_grant(grant):
            raise OAuthError("unauthorized_client", f"client may not use grant_type {grant}")
        if grant == "authorization_code":
            issue = self._authorization_code(client, form)
        elif grant == "client_credentials":
            issue = self._client_credentials(client, form)
        elif grant == "password":
            issue = self._password(client, form)
        elif grant == "refresh_token":
            issue = self._refresh(client, form)
        elif grant == TOKEN_EXCHANGE:
            issue = self._token_exchange(client, form, issuer_url)
        else:
            issue = self._jwt_bearer(client, form, issuer_url, token_url)
        return self._respond(issue, issuer_url)

    def verifier(self, issuer_url: str, keys: KeySource | None = None, **policy: Any) -> Verifier:
        """A verifier of this issuer's tokens (no cache: each grant checks a token once)."""
        issuer: str | None = policy.pop("issuer", issuer_url)
        return Verifier(
            keys or self.ring, JwtPolicy(issuer=issuer, **policy), self.clock, cache_size=0
        )

    def _authorization_code(self, client: AuthedClient, form: Mapping[str, str]) -> _Issue:
        code = form.get("code")
        if code is None:
            raise _invalid_request("code is required")
        pending = self.state.codes.pop(code)  # popped first: a code works once, even on failure
        if pending is None:
            raise _invalid_grant("unknown or already used code")
        if pending.client_id != client.client_id:
            raise _invalid_grant("code was issued to another client")
        if self.clock() >= pending.expires_at:
            raise _invalid_grant("code expired")
        redirect_uri = form.get("redirect_uri")
        if (pending.redirect_given or redirect_uri is not None) and (
            redirect_uri != pending.redirect_uri
        ):
            raise _invalid_grant("redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier")
        if pending.code_challenge is None:
            if verifier is not None:
                raise _invalid_grant("code_verifier sent but no code_challenge was")
            if not client.confidential:
                raise _invalid_grant("public clients must use PKCE (code_challenge)")
        else:
            if verifier is None:
                raise _invalid_grant("code_verifier is required")
            if not _VERIFIER.match(verifier):
                raise _invalid_request("code_verifier must be 43-128 unreserved characters")
            method = pending.code_challenge_method or "plain"
            if not pkce_matches(verifier, pending.code_challenge, method):
                raise _invalid_grant("code_verifier does not match the code_challenge")
        return _Issue(
            "authorization_code",
            client.settings,
            pending.subject,
            pending.user,
            pending.scope,
            pending.form,
            nonce=pending.nonce,
            auth_time=pending.auth_time,
        )

    def _client_credentials(self, client: AuthedClient, form: Mapping[str, str]) -> _Issue:
        if not client.confidential:
            raise OAuthError(
                "unauthorized_client", "client_credentials needs a confidential client"
            )
        allowed = allowed_scopes(self.settings, client.settings)
        default = " ".join(client.settings.scopes or ())
        scope = check_scope(form.get("scope"), allowed, default)
        return _Issue(
            "client_credentials",
            client.settings,
            client.client_id,
            None,
            scope,
            _public_form(form),
            audience=form.get("audience"),
            id_token=False,
        )

    def _password(self, client: AuthedClient, form: Mapping[str, str]) -> _Issue:
        username, password = form.get("username"), form.get("password")
        if username is None or password is None:
            raise _invalid_request("username and password are required")
        user = self.settings.user(username)
        if not self.settings.accept_any_password:
            if user is None or user.password is None:
                raise _invalid_grant("unknown user or wrong password")
            if not hmac.compare_digest(password.encode(), user.password.encode()):
                raise _invalid_grant("unknown user or wrong password")
        scope = check_scope(form.get("scope"), allowed_scopes(self.settings, client.settings))
        subject = user.subject if user is not None else username
        return _Issue(
            "password",
            client.settings,
            subject,
            user,
            scope,
            _public_form(form),
            audience=form.get("audience"),
            auth_time=int(self.clock()),
        )

    def _refresh(self, client: AuthedClient, form: Mapping[str, str]) -> _Issue:
        token = form.get("refresh_token")
        if token is None:
            raise _invalid_request("refresh_token is required")
        held = self.state.refresh.get(token)
        if held is None:
            raise _invalid_grant("unknown, used or revoked refresh token")
        if held.client_id != client.client_id:
            raise _invalid_grant("refresh token was issued to another client")
        if self.clock() >= held.expires_at:
            self.state.refresh.pop(token)
            raise _invalid_grant("refresh token expired")
        original = held.scope.split()
        scope = check_scope(form.get("scope"), tuple(original) or ("",), held.scope)
        self.state.refresh.pop(token)  # rotation: the old token is spent
        return _Issue(
            "refresh_token",
            client.settings,
            held.subject,
            held.user,
            scope,
            held.form,
            auth_time=held.auth_time,
            refresh_scope=held.scope,
        )

    def _token_exchange(
        self, client: AuthedClient, form: Mapping[str, str], issuer_url: str
    ) -> _Issue:
        subject_token = form.get("subject_token")
        subject_type = form.get("subject_token_type")
        if subject_token is None or subject_type is None:
            raise _invalid_request("subject_token and subject_token_type are required")
        if subject_type not in _SUBJECT_TOKEN_TYPES:
            raise _invalid_request(f"subject_token_type {subject_type!r} is not supported")
        requested_type = form.get("requested_token_type", ACCESS_TOKEN_TYPE)
        if requested_type not in _ISSUED_TOKEN_TYPES:
            raise _invalid_request(f"requested_token_type {requested_type!r} is not supported")
        subject = self._own_token(subject_token, issuer_url, "subject_token")
        extra: dict[str, Any] = {}
        actor_token = form.get("actor_token")
        if actor_token is not None:
            if form.get("actor_token_type") not in _SUBJECT_TOKEN_TYPES:
                raise _invalid_request("actor_token_type is missing or not supported")
            actor = self._own_token(actor_token, issuer_url, "actor_token")
            extra["act"] = {"sub": actor.claims.get("sub")}
        sub = subject.claims.get("sub")
        if not isinstance(sub, str):
            raise _invalid_request("subject_token has no sub")
        held_scope = subject.claims.get("scope")
        default = held_scope if isinstance(held_scope, str) else ""
        scope = check_scope(
            form.get("scope"), allowed_scopes(self.settings, client.settings), default
        )
        return _Issue(
            TOKEN_EXCHANGE,
            client.settings,
            sub,
            self.settings.user_by_subject(sub),
            scope,
            _public_form(form),
            audience=form.get("audience") or form.get("resource"),
            id_token=False,
            extra=extra,
            issued_token_type=requested_type,
        )

    def _own_token(self, token: str, issuer_url: str, name: str) -> Verified:
        """RFC 8693 §2.2.2: an unacceptable subject or actor token is invalid_request."""
        result = self.verifier(issuer_url).check(token)
        if isinstance(result, Refusal):
            raise _invalid_request(f"{name}: {result.description}")
        if self.state.is_revoked(result.claims.get("jti")):
            raise _invalid_request(f"{name}: token revoked")
        return result

    def _jwt_bearer(
        self, client: AuthedClient, form: Mapping[str, str], issuer_url: str, token_url: str
    ) -> _Issue:
        assertion = form.get("assertion")
        if assertion is None:
            raise _invalid_request("assertion is required")
        sources: list[KeySource] = [self.ring]
        client_keys = self._keys_of(client.settings)
        if client_keys is not None:
            sources.append(client_keys)
        refusal: Refusal | None = None
        verified: Verified | None = None
        for source in sources:
            result = self.verifier(
                issuer_url, source, issuer=None, audience=(issuer_url, token_url)
            ).check(assertion)
            if isinstance(result, Verified):
                verified = result
                break
            if refusal is None or refusal.description == "unknown key id":
                refusal = result
        if verified is None:
            reason = refusal.description if refusal is not None else "not verifiable"
            raise _invalid_grant(f"assertion: {reason}")
        claims = verified.claims
        for name in ("iss", "sub", "exp"):
            if name not in claims:
                raise _invalid_grant(f"assertion has no {name} claim (RFC 7523 §3)")
        if self.state.is_revoked(claims.get("jti")):
            raise _invalid_grant("assertion revoked")
        sub = str(claims["sub"])
        default = " ".join(client.settings.scopes or ())
        scope = check_scope(
            form.get("scope"), allowed_scopes(self.settings, client.settings), default
        )
        return _Issue(
            JWT_BEARER,
            client.settings,
            sub,
            self.settings.user_by_subject(sub),
            scope,
            _public_form(form),
            audience=form.get("audience"),
            id_token=False,
        )

    def _keys_of(self, client: ClientSettings) -> StaticJwks | None:
        if client.jwks is None:
            return None
        keys = self._client_keys.get(client.client_id)
        if keys is None:
            try:
                keys = StaticJwks.from_json(client.jwks)
            except ValueError as error:
                raise _invalid_grant(f"client jwks unusable: {error}") from None
            self._client_keys[client.client_id] = keys
        return keys

    def _respond(self, issue: _Issue, issuer_url: str) -> dict[str, Any]:
        settings = self.settings
        context = {
            "form": dict(issue.form),
            "client": issue.client.client_id,
            "user": issue.user.context() if issue.user is not None else None,
            "scope": issue.scope,
        }
        claims: dict[str, Any] = {
            "sub": issue.subject,
            "aud": issue.audience
            or issue.client.audience
            or settings.audience
            or issue.client.client_id,
            "client_id": issue.client.client_id,
        }
        if issue.scope:
            claims["scope"] = issue.scope
        if issue.user is not None:  # a user's claims (role, email...) are what APIs check
            claims = {**_as_claims(issue.user.claims), **claims}
        claims.update(_as_claims(self.render_claims(settings.claims, context)))
        claims.update(issue.extra)
        claims["client_id"] = issue.client.client_id
        alg: Alg = "ES256" if settings.signing_alg == "ES256" else "RS256"
        minter = TokenMinter(self.ring, issuer_url, self.clock)
        lifetime = settings.token_lifetime_s
        access = minter.mint(claims, expires_in=lifetime, alg=alg, headers={"typ": "at+jwt"})
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(lifetime),
        }
        if issue.issued_token_type is not None:
            body["issued_token_type"] = issue.issued_token_type
        if issue.scope:
            body["scope"] = issue.scope
        scopes = issue.scope.split()
        refresh_scope = issue.refresh_scope if issue.refresh_scope is not None else issue.scope
        if issue.client.allows_grant("refresh_token") and (
            issue.grant in _REFRESH_GIVING or "offline_access" in scopes
        ):
            now = self.clock()
            grant = RefreshGrant(
                issue.client.client_id,
                issue.subject,
                issue.user,
                refresh_scope,
                now + settings.refresh_lifetime_s,
                issue.auth_time,
                issue.form,
                now,
            )
            body["refresh_token"] = self.state.add_refresh(grant, now)
        if issue.id_token and "openid" in scopes:
            body["id_token"] = self._id_token(issue, minter, alg, access)
        return body

    def _id_token(self, issue: _Issue, minter: TokenMinter, alg: Alg, access: str) -> str:
        claims: dict[str, Any] = _as_claims(issue.user.claims) if issue.user is not None else {}
        claims.update(
            sub=issue.subject,
            aud=issue.client.client_id,
            azp=issue.client.client_id,
            at_hash=_hash_half(access),
        )
        if issue.nonce is not None:
            claims["nonce"] = issue.nonce
        if issue.auth_time is not None:
            claims["auth_time"] = issue.auth_time
        return minter.mint(claims, expires_in=self.settings.token_lifetime_s, alg=alg)


def _public_form(form: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in form.items() if name not in _SECRET_FIELDS}
