"""One mock OAuth2/OIDC issuer's endpoints: which handler answers a path under ``/oauth2/{name}``.

`OAuthProvider.handle` takes the request and what follows ``/oauth2/{name}`` and returns a ready
`Response`; it never raises for a client's mistake. The issuer URL follows the request's Host
header (``http://{host}/oauth2/{name}``) unless ``base_url`` says otherwise, so tokens name the
address the client actually used. Grant logic is in `grants`, the HTML in `login_page`.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from apidouble.auth.grants import (
    ClaimRenderer,
    Grants,
    GrantState,
    OAuthError,
    PendingCode,
    allowed_scopes,
    authenticate_client,
    check_scope,
    jwt_part,
)
from apidouble.auth.keys import KeyRing
from apidouble.auth.login_page import error_page, login_page, logout_page
from apidouble.auth.settings import ALL_GRANTS, ClientSettings, IssuerSettings, UserSettings
from apidouble.auth.verify import MISSING_TOKEN, JwtPolicy, Refusal, Verified, Verifier
from apidouble.model import Request
from apidouble.outcome import Response
from apidouble.responses import json_response

__all__ = ["OAuthProvider", "default_base_url"]

_FORM_TYPE = "application/x-www-form-urlencoded"
_HTML_TYPE = "text/html; charset=utf-8"
_NO_STORE = (("cache-control", "no-store"), ("pragma", "no-cache"))
_CORS = (("access-control-allow-origin", "*"),)
_PAGE_HEADERS = (
    ("content-type", _HTML_TYPE),
    ("cache-control", "no-store"),
    # No form-action: browsers apply it to the redirect after the form, which goes elsewhere.
    ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("x-frame-options", "DENY"),
)
_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_REGISTERED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "jti")
_LOOPBACK_IPS = frozenset({"127.0.0.1", "::1"})
"""Loopback IP literals (not ``localhost``: RFC 8252 §8.3 leaves it out)."""
_SCRIPT_SCHEMES = frozenset({"javascript", "data", "vbscript"})
"""Never redirect targets, even for a client that registered no redirect_uris."""
_VERIFIER_BOUND = 16
"""Verifiers kept per issuer URL (one per Host value the provider has been reached by)."""

_ROUTES: dict[str, tuple[str, ...]] = {
    "/.well-known/openid-configuration": ("GET",),
    "/.well-known/oauth-authorization-server": ("GET",),
    "/jwks": ("GET",),
    "/authorize": ("GET", "POST"),
    "/token": ("POST",),
    "/userinfo": ("GET", "POST"),
    "/introspect": ("POST",),
    "/revoke": ("POST",),
    "/logout": ("GET", "POST"),
}


def default_base_url(request: Request) -> str:
    """``http://{Host}``: the address the client used (``localhost`` when it sent no Host)."""
    return f"http://{request.header('host') or 'localhost'}"


class _BadForm(Exception):
    """A form that cannot be read: wrong content type or a parameter given twice."""


@dataclass(frozen=True, slots=True)
class _Authorize:
    """A checked authorization request, good enough to issue a code for."""

    client: ClientSettings
    redirect_uri: str
    redirect_given: bool
    state: str | None
    nonce: str | None
    scope: str
    challenge: str | None
    method: str | None
    params: dict[str, str]


class OAuthProvider:
    """The endpoints of the issuer ``name``. State lives in this object (`GrantState`): at most
    1,000 pending codes, 10,000 refresh tokens and 10,000 revoked jtis, oldest dropped first.

    With no ``clients`` in ``settings`` any client_id is accepted as public: the easiest
    headless use (a public client must then use PKCE for the authorization code grant).
    """

    def __init__(
        self,
        name: str,
        settings: IssuerSettings,
        ring: KeyRing,
        base_url: Callable[[Request], str] | str = default_base_url,
        clock: Callable[[], float] = time.time,
        render_claims: ClaimRenderer | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.ring = ring
        self.base_url = base_url
        self.clock = clock
        self.state = GrantState()
        self.grants = Grants(settings, ring, self.state, clock, render_claims)
        self._verifiers: OrderedDict[str, Verifier] = OrderedDict()

    def adopt(self, previous: OAuthProvider) -> None:
        """Carry over ``previous``'s grant state (pending codes, refresh tokens, revocations):
        a reload that changed this issuer's settings must not sign everybody out."""
        self.state = previous.state
        self.grants.state = previous.state

    def issuer_url(self, request: Request) -> str:
        base = self.base_url if isinstance(self.base_url, str) else self.base_url(request)
        return f"{base.rstrip('/')}/oauth2/{self.name}"

    def handle(self, request: Request, subpath: str) -> Response:
        """The response for ``subpath`` (what follows ``/oauth2/{name}``, e.g. ``/token``)."""
        path = subpath.rstrip("/") or "/"
        methods = _ROUTES.get(path)
        if methods is None:
            return json_response(
                404, {"error": "not_found", "error_description": f"no endpoint {path}"}
            ).with_headers(_CORS)
        if request.method == "OPTIONS":
            return _preflight(methods)
        if request.method not in methods:
            body = {
                "error": "method_not_allowed",
                "error_description": f"use {' or '.join(methods)}",
            }
            return json_response(405, body).with_headers([("allow", ", ".join(methods)), *_CORS])
        issuer = self.issuer_url(request)
        if path.startswith("/.well-known/"):
            return json_response(200, self.discovery(issuer)).with_headers(_CORS)
        if path == "/jwks":
            return json_response(200, self.ring.jwks()).with_headers(
                [("cache-control", "no-cache"), *_CORS]
            )
        if path == "/authorize":
            return self._authorize(request, issuer)
        if path == "/userinfo":
            return self._userinfo(request, issuer)
        if path == "/logout":
            return self._logout(request, issuer)
        try:
            form = _read_form(request)
        except _BadForm as problem:
            return _oauth_error(OAuthError("invalid_request", str(problem)))
        try:
            if path == "/token":
                body = self.grants.token(request, form, issuer, issuer + "/token")
                return _json(200, body)
            if path == "/introspect":
                return _json(200, self._introspect(request, form, issuer))
            return self._revoke(request, form, issuer)
        except OAuthError as error:
            return _oauth_error(error)

    def discovery(self, issuer: str) -> dict[str, Any]:
        """The RFC 8414 / OpenID Connect Discovery document (both well-known paths)."""
        names = dict.fromkeys(_REGISTERED)
        for user in self.settings.users:
            names.update(dict.fromkeys(user.claims))
        names.update(dict.fromkeys(self.settings.claims))
        auth_methods = ["client_secret_basic", "client_secret_post", "none"]
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "introspection_endpoint": f"{issuer}/introspect",
            "revocation_endpoint": f"{issuer}/revoke",
            "end_session_endpoint": f"{issuer}/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(ALL_GRANTS),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": auth_methods,
            "introspection_endpoint_auth_methods_supported": auth_methods[:2],
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "code_challenge_methods_supported": ["S256", "plain"],
            "scopes_supported": list(self.settings.scopes),
            "claims_supported": list(names),
            "authorization_response_iss_parameter_supported": True,
        }

    # -- authorize ---------------------------------------------------------------------------

    def _authorize(self, request: Request, issuer: str) -> Response:
        params = _request_params(request, "Bad sign-in request", "Bad authorization request")
        if isinstance(params, Response):
            return params
        checked = self._check_authorize(params, issuer)
        if isinstance(checked, Response):
            return checked
        if request.method == "POST":
            return self._sign_in(checked, params, issuer)
        hint = params.get("login_hint")
        user = self.settings.user(hint) if hint is not None else None
        prompt = params.get("prompt", "").split()
        if user is not None:
            return self._grant_code(checked, issuer, user.subject, user)
        if self.settings.auto_login:
            if hint is not None:
                return self._grant_code(checked, issuer, hint, None)
            first = self.settings.users[0] if self.settings.users else None
            subject = first.subject if first is not None else "user"
            return self._grant_code(checked, issuer, subject, first)
        if "none" in prompt:
            return _redirect_error(checked, issuer, "login_required", "no user is signed in")
        page = login_page(
            issuer,
            checked.client.client_id,
            f"{issuer}/authorize",
            checked.params,
            self.settings.users,
        )
        return _page(200, page)

    def _check_authorize(self, params: Mapping[str, str], issuer: str) -> _Authorize | Response:
        """RFC 6749 §4.1.2.1: a bad client or redirect_uri gets a page; anything else is
        reported to the (now trusted) redirect_uri."""
        client_id = params.get("client_id")
        if client_id is None:
            return _page(400, error_page("Bad authorization request", "client_id is required"))
        client = self.settings.client(client_id)
        if client is None:
            return _page(400, error_page("Unknown client", f"no client {client_id!r} here"))
        given = params.get("redirect_uri")
        if given is not None:
            problem = _redirect_problem(given, client)
            if problem:
                return _page(400, error_page("Bad redirect_uri", problem))
            redirect_uri = given
        elif len(client.redirect_uris) == 1:
            redirect_uri = client.redirect_uris[0]
        else:
            return _page(400, error_page("Bad authorization request", "redirect_uri is required"))
        state = params.get("state")
        partial = _Authorize(
            client, redirect_uri, given is not None, state, None, "", None, None, {}
        )
        response_type = params.get("response_type")
        if response_type is None:
            return _redirect_error(partial, issuer, "invalid_request", "response_type is required")
        if response_type != "code":
            return _redirect_error(
                partial, issuer, "unsupported_response_type", "only response_type=code"
            )
        if not client.allows_grant("authorization_code"):
            return _redirect_error(
                partial, issuer, "unauthorized_client", "client may not use authorization_code"
            )
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge is None and method is not None:
            return _redirect_error(
                partial, issuer, "invalid_request", "code_challenge_method without code_challenge"
            )
        if challenge is not None:
            method = method or "plain"  # RFC 7636 §4.3
            if method not in ("S256", "plain"):
                return _redirect_error(
                    partial, issuer, "invalid_request", f"code_challenge_method {method!r}"
                )
            if not _CHALLENGE.match(challenge):
                return _redirect_error(
                    partial, issuer, "invalid_request", "code_challenge must be 43-128 characters"
                )
        try:
            scope = check_scope(params.get("scope"), allowed_scopes(self.settings, client))
        except OAuthError as error:
            return _redirect_error(partial, issuer, error.error, error.description)
        kept = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce")
        hidden = {
            k: params[k] for k in (*kept, "code_challenge", "code_challenge_method") if k in params
        }
        return _Authorize(
            client,
            redirect_uri,
            given is not None,
            state,
            params.get("nonce"),
            scope,
            challenge,
            method,
            hidden,
        )

    def _sign_in(self, checked: _Authorize, form: Mapping[str, str], issuer: str) -> Response:
        """The login form's answer: a user button, a free subject, or Cancel."""
        if form.get("deny"):
            return _redirect_error(checked, issuer, "access_denied", "the user cancelled")
        username = form.get("username")
        user = self.settings.user(username) if username is not None else None
        if user is not None:
            return self._grant_code(checked, issuer, user.subject, user, form)
        subject = (form.get("subject") or username or "").strip()
        if not subject:
            page = login_page(
                issuer,
                checked.client.client_id,
                f"{issuer}/authorize",
                checked.params,
                self.settings.users,
                error="Pick a user or type a subject.",
            )
            return _page(400, page)
        return self._grant_code(
            checked, issuer, subject, self.settings.user_by_subject(subject), form
        )

    def _grant_code(
        self,
        checked: _Authorize,
        issuer: str,
        subject: str,
        user: UserSettings | None,
        form: Mapping[str, str] | None = None,
    ) -> Response:
        now = self.clock()
        fields = {**checked.params, **(form or {})}
        fields.setdefault("username", user.username if user is not None else subject)
        fields.pop("deny", None)
        pending = PendingCode(
            client_id=checked.client.client_id,
            redirect_uri=checked.redirect_uri,
            redirect_given=checked.redirect_given,
            scope=checked.scope,
            subject=subject,
            user=user,
            nonce=checked.nonce,
            code_challenge=checked.challenge,
            code_challenge_method=checked.method,
            auth_time=int(now),
            expires_at=now + self.settings.code_lifetime_s,
            form=fields,
        )
        code = self.state.add_code(pending, now)
        answer = {"code": code}
        if checked.state is not None:
            answer["state"] = checked.state
        answer["iss"] = issuer  # RFC 9207: tells the client which issuer answered
        return _redirect(checked.redirect_uri, answer)

    # -- userinfo, introspection, revocation ----------------------------------------------------

    def _verifier(self, issuer: str) -> Verifier:
        """A caching verifier of this issuer's tokens for one issuer URL."""
        verifier = self._verifiers.get(issuer)
        if verifier is None:
            verifier = Verifier(self.ring, JwtPolicy(issuer=issuer), self.clock)
            self._verifiers[issuer] = verifier
            while len(self._verifiers) > _VERIFIER_BOUND:
                self._verifiers.popitem(last=False)
        return verifier

    def _access_token(self, token: str, issuer: str) -> Verified | Refusal:
        """A live access token of this issuer: signed, in date, typ at+jwt, not revoked."""
        result = self._verifier(issuer).check(token)
        if isinstance(result, Refusal):
            return result
        if jwt_part(token, 0).get("typ") != "at+jwt":
            return Refusal(401, "invalid_token", "not an access token")
        if self.state.is_revoked(result.claims.get("jti")):
            return Refusal(401, "invalid_token", "token revoked")
        return result

    def _userinfo(self, request: Request, issuer: str) -> Response:
        header = request.header("authorization")
        token: str | None = None
        if header is None and request.method == "POST":
            try:
                token = _read_form(request).get("access_token")
            except _BadForm:
                token = None
        if token is not None:
            result = self._access_token(token, issuer)
        else:
            checked = self._verifier(issuer).check_authorization(header)
            if isinstance(checked, Verified):
                scheme_token = (header or "").strip().partition(" ")[2].strip()
                result = self._access_token(scheme_token, issuer)
            else:
                result = checked
        if isinstance(result, Refusal):
            body = (
                {"error_description": "an access token is required"}
                if result is MISSING_TOKEN
                else {"error": result.error, "error_description": result.description}
            )
            challenge = ("www-authenticate", result.www_authenticate(realm=issuer))
            return json_response(result.status, body).with_headers([challenge, *_NO_STORE, *_CORS])
        sub = str(result.claims.get("sub"))
        user = self.settings.user_by_subject(sub)
        claims: dict[str, Any] = dict(user.claims) if user is not None else {}
        claims["sub"] = sub
        return _json(200, claims)

    def _introspect(self, request: Request, form: Mapping[str, str], issuer: str) -> dict[str, Any]:
        """RFC 7662: only a confidential client may ask; anything not live is just inactive."""
        client = authenticate_client(request, form, self.settings)
        if not client.confidential:
            raise OAuthError("invalid_client", "introspection needs client authentication", 401)
        token = form.get("token")
        if token is None:
            raise OAuthError("invalid_request", "token is required")
        held = self.state.refresh.get(token)
        if held is not None:
            if self.clock() >= held.expires_at:
                return {"active": False}
            info: dict[str, Any] = {
                "active": True,
                "client_id": held.client_id,
                "sub": held.subject,
                "exp": int(held.expires_at),
                "iat": int(held.issued_at),
                "iss": issuer,
                "token_type": "refresh_token",
            }
            if held.scope:
                info["scope"] = held.scope
            return info
        result = self._access_token(token, issuer)
        if isinstance(result, Refusal):
            return {"active": False}
        return {"active": True, **result.claims, "token_type": "Bearer"}

    def _revoke(self, request: Request, form: Mapping[str, str], issuer: str) -> Response:
        """RFC 7009: 200 whatever the token was; only the client's own tokens are revoked."""
        client = authenticate_client(request, form, self.settings)
        token = form.get("token")
        if token is None:
            raise OAuthError("invalid_request", "token is required")
        held = self.state.refresh.get(token)
        if held is not None:
            if held.client_id == client.client_id:
                self.state.refresh.pop(token)
        else:
            result = self._verifier(issuer).check(token)
            if isinstance(result, Verified) and result.claims.get("client_id") == client.client_id:
                jti = result.claims.get("jti")
                exp = result.expires_at if result.expires_at is not None else float("inf")
                if isinstance(jti, str):
                    self.state.revoke_jti(jti, exp, self.clock())
        return Response.build(200, [*_NO_STORE, *_CORS], b"")

    # -- logout ------------------------------------------------------------------------------

    def _logout(self, request: Request, issuer: str) -> Response:
        """OIDC RP-initiated logout: back to a registered post_logout_redirect_uri (or any
        client redirect_uri), else a page. With no clients list any http(s) URL is allowed."""
        params = _request_params(request, "Bad logout request", "Bad logout request")
        if isinstance(params, Response):
            return params
        target = params.get("post_logout_redirect_uri")
        if target is None:
            return _page(200, logout_page(issuer))
        client_id = params.get("client_id")
        hint = params.get("id_token_hint")
        if client_id is None and hint is not None:
            aud = _unverified_claims(hint).get("aud")
            client_id = aud if isinstance(aud, str) else None
        if not self._logout_allowed(target, client_id):
            note = f"{target} is not a registered post_logout_redirect_uri."
            return _page(400, logout_page(issuer, note))
        answer = {"state": params["state"]} if "state" in params else {}
        return _redirect(target, answer)

    def _logout_allowed(self, target: str, client_id: str | None) -> bool:
        clients = self.settings.clients
        if clients is None:
            return target.startswith(("http://", "https://")) and "#" not in target
        if client_id is not None:
            clients = tuple(c for c in clients if c.client_id == client_id)
        return any(
            target in c.post_logout_redirect_uris or target in c.redirect_uris for c in clients
        )


def _read_form(request: Request) -> dict[str, str]:
    """A form-encoded body as single values; blank values count as absent (RFC 6749 §3.1)."""
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise _BadForm(f"the body must be {_FORM_TYPE}")
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    form, duplicated = _single(parsed)
    if duplicated:
        raise _BadForm(duplicated)
    return form


def _single(values: Mapping[str, list[str]]) -> tuple[dict[str, str], str]:
    """Single-valued parameters, blanks dropped, plus a complaint when one came twice."""
    single: dict[str, str] = {}
    for name, given in values.items():
        present = [value for value in given if value != ""]
        if len(present) > 1:
            return {}, f"parameter {name} given more than once"
        if present:
            single[name] = present[0]
    return single, ""


def _redirect_problem(uri: str, client: ClientSettings) -> str:
    if client.redirect_uris:
        if uri not in client.redirect_uris and not _loopback_match(uri, client.redirect_uris):
            return f"{uri} is not registered for client {client.client_id}"
        return ""
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or "#" in uri:
        return f"{uri} must be an absolute URI without a fragment"
    if parts.scheme.lower() in _SCRIPT_SCHEMES:
        return f"{uri}: a {parts.scheme} URI cannot receive a code"
    return ""


def _loopback_match(uri: str, registered: tuple[str, ...]) -> bool:
    """RFC 8252 §7.3: a native app's loopback redirect (``http://127.0.0.1:PORT/cb``, or
    ``[::1]``) matches its registration whatever the port, which the app picks at run time.
    Never with a fragment (RFC 6749 §3.1.2): the code would land in it."""
    given = urlsplit(uri)
    if "#" in uri or given.scheme != "http" or given.hostname not in _LOOPBACK_IPS:
        return False
    for known in registered:
        parts = urlsplit(known)
        if (parts.scheme, parts.hostname, parts.path, parts.query) == (
            given.scheme,
            given.hostname,
            given.path,
            given.query,
        ):
            return True
    return False


def _redirect(target: str, params: Mapping[str, str]) -> Response:
    location = target
    if params:
        location += ("&" if "?" in target else "?") + urlencode(params)
    return Response.build(302, [("location", location), ("cache-control", "no-store")], b"")


def _redirect_error(checked: _Authorize, issuer: str, error: str, description: str) -> Response:
    answer = {"error": error, "error_description": description}
    if checked.state is not None:
        answer["state"] = checked.state
    answer["iss"] = issuer
    return _redirect(checked.redirect_uri, answer)


def _page(status: int, html: str) -> Response:
    return Response.build(status, _PAGE_HEADERS, html.encode("utf-8"))


def _json(status: int, body: Mapping[str, Any]) -> Response:
    return json_response(status, body).with_headers([*_NO_STORE, *_CORS])


def _oauth_error(error: OAuthError) -> Response:
    headers = [*_NO_STORE, *_CORS]
    if error.basic_challenge:
        headers.insert(0, ("www-authenticate", 'Basic realm="oauth2", charset="UTF-8"'))
    return json_response(error.status, error.body()).with_headers(headers)


def _preflight(methods: tuple[str, ...]) -> Response:
    """CORS preflight, so a browser app can call the token and userinfo endpoints."""
    headers = [
        ("access-control-allow-origin", "*"),
        ("access-control-allow-methods", ", ".join((*methods, "OPTIONS"))),
        ("access-control-allow-headers", "authorization, content-type"),
        ("access-control-max-age", "600"),
    ]
    return Response.build(204, headers, b"")


def _unverified_claims(token: str) -> dict[str, Any]:
    """A token's payload without checking it: logout only uses it to pick a client, and the
    redirect must still be registered to that client."""
    return jwt_part(token, 1)


def _request_params(
    request: Request, form_title: str, query_title: str
) -> dict[str, str] | Response:
    """A POST's form or a GET's query, one value per name; an error page when it is bad."""
    if request.method == "POST":
        try:
            return _read_form(request)
        except _BadForm as problem:
            return _page(400, error_page(form_title, str(problem)))
    params, duplicated = _single(request.query)
    if duplicated:
        return _page(400, error_page(query_title, duplicated))
    return params
