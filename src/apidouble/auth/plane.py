"""The mock issuers a server runs, across reloads: signing keys that outlive every config.

A config names its issuers (``auth.issuers``); each generation of the config gets an
`IssuerSet` from `AuthPlane.prepare`, which answers ``/oauth2/{name}/...`` and lends the
protected endpoints their issuers' key rings. The plane keeps what must not change when a
file is edited: the `KeyRing` per issuer name (saved under ``keys_dir`` when there is one,
so tokens issued before a restart verify after it), the grant state (codes and refresh
tokens handed out), which a reload with changed settings carries over, and the users and
clients added at run time (`Overrides`, saved under ``overrides_dir``), merged over every
config's. A change of those rebuilds the served provider at once, on the same ring and state.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from apidouble.atomic import write_atomically
from apidouble.auth.grants import ClaimRenderer, OAuthError
from apidouble.auth.guard import Guard, compile_guard
from apidouble.auth.keys import ALGORITHMS, Alg, KeyRing, SigningKey
from apidouble.auth.overrides import Kind, Layer, Overrides, entries_of, entry_key
from apidouble.auth.provider import OAuthProvider, default_base_url
from apidouble.auth.requirement import AnyOf, JwtRequirement, Requirement
from apidouble.auth.settings import IssuerSettings
from apidouble.auth.tokens import TokenMinter
from apidouble.model import Request
from apidouble.outcome import Response
from apidouble.templating.valuetemplates import Render, compile_value

__all__ = [
    "PREFIX",
    "TOKEN_KINDS",
    "AuthPlane",
    "IssuerSet",
    "Kind",
    "Layer",
    "Overrides",
    "TokenKind",
    "claim_renderer",
    "entries_of",
    "entry_key",
]

log = logging.getLogger("apidouble.auth")

PREFIX = "/oauth2/"
"""Every issuer's endpoints live under ``/oauth2/{name}``."""
METADATA_SUFFIX = "/.well-known/oauth-authorization-server"
METADATA_PREFIX = METADATA_SUFFIX + "/"
"""RFC 8414 §3.1 puts an issuer's metadata here, before its path."""
PATHS = (PREFIX, METADATA_PREFIX)
"""Where a request may be an issuer's (the dispatcher's one prefix test)."""
GuardKey = tuple[str, tuple[str, ...], tuple[tuple[str, int], ...]]
"""A compiled guard's key: its requirement, the issuers served, its JWKS files' stamps."""
_GUARDS_KEPT = 1024
"""Distinct requirements whose guards are kept (the oldest is dropped past it)."""
CLAIM_NAMES = frozenset({"form", "client", "user", "scope"})
"""What a claim template reads besides the usual names (``sub: "{{ form.username }}"``)."""

TokenKind = Literal[
    "valid", "expired", "not_yet_valid", "wrongly_signed", "unsigned", "hs_confused"
]
TOKEN_KINDS: tuple[TokenKind, ...] = get_args(TokenKind)


def claim_renderer(claims: Mapping[str, Any], where: str) -> ClaimRenderer | None:
    """The issuer's claim templates compiled once (None when no claim is a template); a
    template error names ``where``. A render failure is the client's ``invalid_request``."""
    run, names = compile_value(dict(claims), where, CLAIM_NAMES)
    if run is None:
        return None
    if unknown := sorted(names - CLAIM_NAMES):
        listed = ", ".join(sorted(CLAIM_NAMES))
        raise ValueError(f"{where}: a claim template reads {', '.join(unknown)}; it sees {listed}")
    compiled: Render = run

    def render(template_claims: Mapping[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        if template_claims is not claims:
            return dict(template_claims)
        try:
            rendered = compiled(context)
        except Exception as exc:  # a template's failure is the request's, not the server's
            raise OAuthError("invalid_request", f"claim template failed: {exc}") from None
        return dict(rendered) if isinstance(rendered, Mapping) else {}

    return render


# --- the issuers of one config -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuerSet:
    """The issuers one config serves, by name (maybe none), and the guards its protected
    endpoints use, shared with every generation that demands the same thing."""

    providers: dict[str, OAuthProvider]
    """By name; the plane replaces a provider here when its runtime users or clients change."""
    guards: dict[GuardKey, Guard] = field(default_factory=dict)
    """Compiled guards by requirement and issuer names (the plane's, across reloads), so
    their verification caches survive an edit of another file."""
    clock: Callable[[], float] = time.time
    configured: Mapping[str, IssuerSettings] = field(default_factory=dict)
    """Each issuer's settings as the config gives them, before the runtime overrides."""

    def handle(self, request: Request) -> Response | None:
        """The answer for a path under ``/oauth2/{name}`` of a served issuer, or for its
        RFC 8414 metadata URL (``/.well-known/oauth-authorization-server/oauth2/{name}``:
        the well-known part inserted before the issuer's path); else None."""
        path = request.path
        suffix = ""
        if path.startswith(METADATA_PREFIX):
            suffix, path = METADATA_SUFFIX, path[len(METADATA_PREFIX) - 1 :]
            if not path.startswith(PREFIX):
                return None
        name, _, rest = path[len(PREFIX) :].partition("/")
        provider = self.providers.get(name)
        if provider is None or (suffix and rest.strip("/")):
            return None
        return provider.handle(request, suffix or "/" + rest)

    def rings(self) -> dict[str, KeyRing]:
        """Each issuer's keys: what protected endpoints verify tokens against."""
        return {name: provider.ring for name, provider in self.providers.items()}

    def guard(self, requirement: Requirement) -> Guard:
        """The guard enforcing ``requirement`` against these issuers; ValueError (naming
        the key) when it names an issuer that is not served, or a JWKS that cannot be read."""
        key = (
            json.dumps(requirement.to_config(), sort_keys=True),
            tuple(sorted(self.providers)),
            _jwks_stamps(requirement),
        )
        guard = self.guards.get(key)
        if guard is None:
            revocations = {name: p.state.is_revoked for name, p in self.providers.items()}
            guard = compile_guard(
                requirement, self.rings(), None, self.clock, revocations=revocations
            )
            if len(self.guards) >= _GUARDS_KEPT:
                self.guards.pop(next(iter(self.guards)))
            self.guards[key] = guard
        return guard


class AuthPlane:
    """Owns every issuer's key ring, grant state and runtime users and clients for the
    server's life."""

    def __init__(
        self,
        keys_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        base_url: str | None = None,
        overrides_dir: Path | None = None,
    ) -> None:
        self.keys_dir = keys_dir
        """Where rings are saved (``{name}.json``); None keeps keys in memory only."""
        self.clock = clock
        self.base_url = base_url
        """A fixed issuer base URL; None follows each request's Host header."""
        self.overrides_dir = overrides_dir
        """Where runtime users and clients are saved (``{name}.json``); None: memory only."""
        self._rings: dict[str, KeyRing] = {}
        self._providers: dict[str, OAuthProvider] = {}
        self._guards: dict[GuardKey, Guard] = {}
        self._overrides: dict[str, Overrides] = {}
        self._lock = threading.Lock()
        """Taken by ``install`` and ``apply_overrides``: a reload prepared in a worker
        thread never puts back a provider that misses a runtime change."""
        self.served: IssuerSet | None = None
        """The issuers of the config being served (set by ``install``)."""

    def prepare(self, issuers: Mapping[str, IssuerSettings]) -> IssuerSet:
        """The issuer set for a config that names ``issuers``, runtime users and clients
        merged in. Rings are made (or loaded) on first sight of a name and kept; a provider
        is reused while its settings are unchanged, else rebuilt on the same ring and grant
        state. Raises ValueError naming the issuer for an unreadable key file or claim template."""
        providers: dict[str, OAuthProvider] = {}
        for name, configured in issuers.items():
            settings = self.overrides(name).apply(configured)
            kept = self._providers.get(name)
            if kept is not None and kept.settings == settings:
                providers[name] = kept
                continue
            self.ring(name, settings).grace_s = settings.rotation_grace_s
            providers[name] = self._build(name, settings, kept)
        return IssuerSet(providers, self._guards, self.clock, dict(issuers))

    def install(self, issuers: IssuerSet) -> None:
        """Make ``issuers`` the served set, and remember its providers for the next
        ``prepare`` (names no config serves any more keep their rings). A provider that
        misses a runtime change made since ``prepare`` is rebuilt first."""
        with self._lock:
            for name, configured in issuers.configured.items():
                provider = issuers.providers.get(name)
                settings = self.overrides(name).apply(configured)
                if provider is not None and provider.settings != settings:
                    issuers.providers[name] = self._build(name, settings, provider)
            self.served = issuers
            self._providers.update(issuers.providers)

    def _build(
        self, name: str, settings: IssuerSettings, kept: OAuthProvider | None
    ) -> OAuthProvider:
        ring = self.ring(name, settings)
        renderer = claim_renderer(settings.claims, f"auth.issuers.{name}.claims")
        base: Any = self.base_url if self.base_url is not None else default_base_url
        provider = OAuthProvider(name, settings, ring, base, self.clock, renderer)
        if kept is not None:
            provider.adopt(kept)
        return provider

    def ring(self, name: str, settings: IssuerSettings | None = None) -> KeyRing:
        """The ring of issuer ``name``, made on first use: loaded from ``keys_dir`` (or made
        and saved there), with the settings' key files as current keys."""
        ring = self._rings.get(name)
        if ring is not None:
            return ring
        settings = settings or IssuerSettings()
        where = f"auth.issuers.{name}"
        algs: tuple[Alg, ...] = ALGORITHMS
        grace = settings.rotation_grace_s
        path = self._ring_path(name)
        try:
            if path is not None:
                with _locked(path):  # workers of one server start together: one makes the keys
                    ring = KeyRing.load_or_create(path, algs, grace_s=grace, clock=self.clock)
            else:
                ring = KeyRing(algs, grace_s=grace, clock=self.clock)
            for file in settings.keys:
                known = {key.kid for key in ring.published()}
                added = ring.add_pem(file)
                if added.kid in known:
                    continue
                if path is not None:
                    ring.save(path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{where}: keys: {exc}") from None
        self._rings[name] = ring
        return ring

    def provider(self, name: str) -> OAuthProvider:
        """The served provider of issuer ``name`` (KeyError: no such issuer is served)."""
        if self.served is None:
            raise KeyError(name)
        return self.served.providers[name]

    def configured(self, name: str) -> IssuerSettings:
        """Issuer ``name``'s settings as the served config gives them (KeyError: not served)."""
        provider = self.provider(name)
        assert self.served is not None
        return self.served.configured.get(name, provider.settings)

    def rotate(self, name: str, grace_s: float | None = None) -> list[SigningKey]:
        """New signing keys for issuer ``name`` (KeyError when it is not served); the old
        ones stay published for the issuer's grace period (``grace_s`` sets it, until the
        config sets it again). Saved when keys are kept on disk."""
        ring = self.provider(name).ring
        if grace_s is not None:
            ring.grace_s = grace_s
        fresh = ring.rotate()
        if (path := self._ring_path(name)) is not None:
            ring.save(path)
        log.info("auth: rotated the keys of issuer %s (new kids %s)", name, _kids(fresh))
        return fresh

    # --- runtime users and clients ---------------------------------------------------------

    def overrides(self, name: str) -> Overrides:
        """Issuer ``name``'s runtime users and clients (read from ``overrides_dir`` on first
        sight; an unreadable file is logged and ignored)."""
        found = self._overrides.get(name)
        if found is None:
            found = self._load_overrides(name)
            found = self._overrides.setdefault(name, found)
        return found

    def save_overrides(self, name: str, overrides: Overrides) -> None:
        """Write ``overrides`` as ``{overrides_dir}/{name}.json`` atomically (removed when
        empty); nothing without a folder. Blocking: call it off the event loop."""
        path = self._overrides_path(name)
        if path is None:
            return
        if overrides.empty:
            path.unlink(missing_ok=True)
            return
        data = json.dumps(overrides.to_json(), indent=2, ensure_ascii=False).encode() + b"\n"
        write_atomically(path, data)  # mkstemp's mode 0o600 stays: passwords are in there

    def apply_overrides(self, name: str, overrides: Overrides) -> None:
        """Serve ``overrides`` from now on: the served provider of ``name`` is rebuilt on the
        same ring with the same grant state, and every later config gets them too."""
        with self._lock:
            self._overrides[name] = overrides
            served = self.served
            kept = served.providers.get(name) if served is not None else None
            if served is None or kept is None:
                return
            configured = served.configured.get(name, kept.settings)
            provider = self._build(name, overrides.apply(configured), kept)
            served.providers[name] = provider
            self._providers[name] = provider

    def set_overrides(self, name: str, overrides: Overrides) -> None:
        """``save_overrides`` then ``apply_overrides``: nothing is served that is not saved."""
        self.save_overrides(name, overrides)
        self.apply_overrides(name, overrides)

    def _load_overrides(self, name: str) -> Overrides:
        path = self._overrides_path(name)
        if path is None:
            return Overrides()
        try:
            return Overrides.from_json(json.loads(path.read_bytes()), str(path))
        except FileNotFoundError:
            return Overrides()
        except (OSError, ValueError) as exc:
            log.error("auth: runtime users and clients in %s ignored: %s", path, exc)
            return Overrides()

    # --- tokens ----------------------------------------------------------------------------

    def minter(self, name: str, request: Request) -> TokenMinter:
        """Mints tokens as issuer ``name`` would for ``request``'s Host (KeyError: no such
        issuer is served)."""
        provider = self.provider(name)
        return TokenMinter(provider.ring, provider.issuer_url(request), self.clock)

    def issuer_url(self, name: str, base_url: str) -> str:
        """Issuer ``name``'s URL for a client that reached the server at ``base_url``
        (``http://127.0.0.1:8000``), as its provider computes it from a request's Host."""
        base = self.base_url if self.base_url is not None else base_url
        return f"{base.rstrip('/')}/oauth2/{name}"

    def access_claims(
        self,
        name: str,
        sub: str,
        scopes: Iterable[str] = (),
        audience: str | list[str] | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """What an access token of issuer ``name`` for ``sub`` carries: aud (``audience``,
        else the issuer's, else none), scope, then ``claims`` over them."""
        settings = self.provider(name).settings
        found: dict[str, Any] = {"sub": sub}
        aud = audience if audience is not None else settings.audience
        if aud:
            found["aud"] = aud
        if scope := " ".join(dict.fromkeys(scopes)):
            found["scope"] = scope
        found.update(claims or {})
        return found

    def mint(
        self,
        name: str,
        base_url: str,
        claims: Mapping[str, Any],
        kind: TokenKind = "valid",
        expires_in: float | None = None,
        alg: Alg | None = None,
    ) -> str:
        """A token of issuer ``name`` (KeyError: not served) as a client at ``base_url``
        would get it, without a request. ``valid`` is an access token (typ at+jwt, lifetime
        ``expires_in``, else the issuer's); the other kinds break one thing each, as the
        `TokenMinter` helpers of those names do. ``alg`` defaults to the issuer's."""
        provider = self.provider(name)
        minter = TokenMinter(provider.ring, self.issuer_url(name, base_url), self.clock)
        signing: Alg = alg or ("ES256" if provider.settings.signing_alg == "ES256" else "RS256")
        if kind == "valid":
            lifetime = provider.settings.token_lifetime_s if expires_in is None else expires_in
            return minter.mint(claims, expires_in=lifetime, alg=signing, headers={"typ": "at+jwt"})
        if kind == "expired":
            return minter.expired(claims, alg=signing)
        if kind == "not_yet_valid":
            return minter.not_yet_valid(claims, alg=signing)
        if kind == "wrongly_signed":
            return minter.wrongly_signed(claims, alg=signing)
        if kind == "unsigned":
            return minter.unsigned(claims)
        if kind == "hs_confused":
            return minter.hs_confused(claims)
        raise ValueError(f"kind {kind!r} is not one of {list(TOKEN_KINDS)}")

    def _ring_path(self, name: str) -> Path | None:
        return None if self.keys_dir is None else self.keys_dir / f"{name}.json"

    def _overrides_path(self, name: str) -> Path | None:
        return None if self.overrides_dir is None else self.overrides_dir / f"{name}.json"


def _jwks_stamps(requirement: Requirement) -> tuple[tuple[str, int], ...]:
    """(path, mtime) of every JWKS file ``requirement`` reads: an edited file compiles a
    new guard on the next load, instead of the cached one's keys."""
    found: list[tuple[str, int]] = []
    options = requirement.options if isinstance(requirement, AnyOf) else (requirement,)
    for option in options:
        if isinstance(option, AnyOf):
            found.extend(_jwks_stamps(option))
        elif isinstance(option, JwtRequirement) and option.jwks and "://" not in option.jwks:
            try:
                found.append((option.jwks, os.stat(option.jwks).st_mtime_ns))
            except OSError:
                found.append((option.jwks, -1))
    return tuple(found)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` (``{path}.lock``) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _kids(keys: list[SigningKey]) -> str:
    return ", ".join(key.kid for key in keys)
