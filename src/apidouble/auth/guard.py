"""Serve time for ``auth:``: a compiled `Guard` admits a request or answers it with a refusal.

`compile_guard` (load time) turns a `Requirement` into gates holding everything they need (a
caching `Verifier` per jwt requirement, encoded Basic credentials, API keys); `Guard.admit`
then returns an `Admission` (what templates see as ``auth`` and the journal records) or the
ready `Response`. `Guard.passes` is the same decision as a bool, for the express lane: for a
bearer token already verified it costs a header lookup, a dict hit and a time compare.

The answers, each with a JSON body ``{"error": ..., "error_description": ...}``:

- no credentials of the scheme: 401 ``unauthorized`` / "credentials required", and the bare
  challenge (no ``error=`` attribute, RFC 6750 §3.1);
- a bad bearer token (expired, not yet valid, bad signature, wrong issuer or audience, alg
  none...): 401 ``invalid_token`` with the `Verifier`'s reason, also in the challenge;
- a Bearer header without exactly one token: 400 ``invalid_request``;
- a token without a required scope or claim: 403 ``insufficient_scope``;
- wrong or malformed Basic credentials, an unknown API key: 401 ``invalid_credentials``.

Challenges: ``Bearer realm="apidouble"`` (RFC 6750 §3), ``Basic realm="<realm>",
charset="UTF-8"`` (RFC 7617), ``ApiKey header="X-Api-Key"`` (or ``query=``, ``cookie=``).
``any_of`` answers the first 403 of its options if any, else the first 400, else 401 with
every option's challenge (one header line each) and the body of the first option that saw
credentials. Passwords and keys are compared in constant time, against every configured one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from apidouble.auth.keys import PublishedKey
from apidouble.auth.requirement import (
    ApiKeyRequirement,
    BasicRequirement,
    JwtRequirement,
    Requirement,
    jwks_kind,
)
from apidouble.auth.verify import (
    JwtPolicy,
    KeySource,
    Refusal,
    StaticJwks,
    Verified,
    Verifier,
    claim_scopes,
)
from apidouble.model import Request, line_end
from apidouble.outcome import Response
from apidouble.responses import json_response

__all__ = ["Admission", "Guard", "RemoteJwks", "compile_guard"]

log = logging.getLogger("apidouble.auth")

_UNKNOWN_KID = Refusal(401, "invalid_token", "unknown key id")
_REVOKED = Refusal(401, "invalid_token", "token revoked")
Revoked = Callable[[object], bool]
"""Whether a token id (``jti``) was revoked at its issuer."""
_KEYS_PENDING = Refusal(401, "invalid_token", "signing keys not yet available")
_NO_CREDENTIALS = ("unauthorized", "credentials required")
_BAD_CREDENTIALS = "invalid_credentials"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Admission:
    """Who a request was admitted as: what templates see as ``auth`` and the journal keeps."""

    scheme: str
    """``jwt``, ``basic`` or ``api_key``."""
    subject: str | None
    """The token's ``sub``, the Basic username, or the API key's ``sub`` claim."""
    claims: Mapping[str, Any]
    scopes: frozenset[str]

    def as_dict(self) -> dict[str, Any]:
        """Journal-ready; never holds the password, the key or the token itself."""
        return {
            "scheme": self.scheme,
            "subject": self.subject,
            "claims": dict(self.claims),
            "scopes": sorted(self.scopes),
        }


@dataclass(frozen=True, slots=True)
class _Denial:
    """A refusal before it is encoded (any_of combines several)."""

    status: int
    error: str
    description: str
    challenges: tuple[str, ...]

    @property
    def saw_credentials(self) -> bool:
        return self.error != _NO_CREDENTIALS[0]

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(self.status, body).with_headers(
            ("www-authenticate", challenge) for challenge in self.challenges
        )


def _missing(challenge: str) -> _Denial:
    return _Denial(401, *_NO_CREDENTIALS, (challenge,))


class _Gate(Protocol):
    def check(self, request: Request) -> Admission | _Denial: ...

    def passes(self, request: Request) -> bool: ...


def _authorization(request: Request) -> str | None:
    values = request.header_values("authorization")
    return values[0] if values else None


_BEARER = b"\r\nAuthorization: Bearer "
_ANY_AUTHORIZATION = b"\r\nauthorization:"


def _plain_bearer(request: Request) -> str | None:
    """`bearer_in_head` of a strictly parsed head as received, else None."""
    head = request.head
    if head is None or not request.strict_head:
        return None
    return bearer_in_head(head)


def bearer_in_head(head: bytes) -> str | None:
    """The token of a strict head's first Authorization header when it is spelt as clients
    spell it (``Authorization: Bearer <token>``); None when anything is unusual (no such
    line, an Authorization header in another spelling before it, blanks in the token),
    and then ``_JwtGate.result`` reads the header the long way."""
    found = bearer_bytes(head)
    return None if found is None else token_text(found)


def bearer_bytes(head: bytes) -> bytes | None:
    """The rest of a strict head's first Authorization line after ``Bearer `` when that
    is how it is spelt (``token_text`` makes the token of it); None otherwise. The
    express lane runs this per request: two finds, a lower-case copy of the lines
    before it, one slice."""
    at = head.find(_BEARER)
    if at < 0:
        return None
    if head[:at].lower().find(_ANY_AUTHORIZATION) >= 0:
        return None  # an Authorization header before this one: the first one counts
    begin = at + len(_BEARER)
    return head[begin : line_end(head, begin)]


def token_text(found: bytes) -> str | None:
    """The token in what ``bearer_bytes`` found; None when it is blank or holds blanks."""
    token = found.decode("latin-1").strip(" \t")
    if not token or " " in token or "\t" in token:
        return None
    return token


class _JwtGate:
    __slots__ = ("remote", "revoked", "verifier", "_last")

    def __init__(
        self, verifier: Verifier, remote: RemoteJwks | None, revoked: Revoked | None = None
    ) -> None:
        self.verifier = verifier
        self.remote = remote
        self.revoked = revoked
        """A local issuer's revocation list (``GrantState.is_revoked``, by ``jti``): read
        per request, after the verifier's cache, so a revocation counts at once."""
        self._last: tuple[bytes, str | None] = (b"", None)
        """The bytes ``passes_head`` last found and their token: a client sends the same
        token request after request, and the same ``str`` object (its hash kept) finds
        the verifier's cache entry without decoding and hashing 600 bytes again."""

    def result(self, request: Request) -> Verified | Refusal:
        result = self.verifier.check_authorization(_authorization(request))
        if result == _UNKNOWN_KID and self.remote is not None and not self.remote.ready:
            return _KEYS_PENDING
        if self.revoked is not None and type(result) is Verified:
            if self.revoked(result.claims.get("jti")):
                return _REVOKED
        return result

    def _admits(self, token: str) -> bool:
        result = self.verifier.check(token)
        if type(result) is not Verified:
            return False
        revoked = self.revoked
        return revoked is None or not revoked(result.claims.get("jti"))

    def passes(self, request: Request) -> bool:
        token = _plain_bearer(request)
        if token is not None:  # the usual spelling, found without decoding the head
            return self._admits(token)
        return type(self.result(request)) is Verified

    def passes_head(self, head: bytes) -> bool:
        """True when a strict head as received carries a valid bearer token in the usual
        spelling; False when it does not, or cannot tell (the engine then decides)."""
        found = bearer_bytes(head)
        if found is None:
            return False
        last, token = self._last
        if found != last:
            token = token_text(found)
            self._last = (found, token)
        return token is not None and self._admits(token)

    def check(self, request: Request) -> Admission | _Denial:
        result = self.result(request)
        if isinstance(result, Verified):
            sub = result.claims.get("sub")
            return Admission(
                "jwt", sub if isinstance(sub, str) else None, result.claims, result.scopes
            )
        challenge = result.www_authenticate()
        if not result.error:
            return _missing(challenge)
        return _Denial(result.status, result.error, result.description, (challenge,))


class _BasicGate:
    __slots__ = ("challenge", "users")

    def __init__(self, requirement: BasicRequirement) -> None:
        self.users = tuple(
            (name.encode(), password.encode(), Admission("basic", name, _EMPTY, frozenset()))
            for name, password in requirement.users.items()
        )
        self.challenge = f'Basic realm="{requirement.realm}", charset="UTF-8"'

    def passes(self, request: Request) -> bool:
        return type(self.check(request)) is Admission

    def check(self, request: Request) -> Admission | _Denial:
        header = _authorization(request)
        if header is None:
            return _missing(self.challenge)
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return _missing(self.challenge)
        try:
            decoded = base64.b64decode(rest.strip(), validate=True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII text
            return self._refuse("malformed Basic credentials")
        user, colon, password = decoded.partition(b":")
        if not colon:
            return self._refuse("malformed Basic credentials")
        admitted: Admission | None = None
        for name, secret, admission in self.users:  # every user, so timing tells nothing
            same_name = hmac.compare_digest(user, name)
            if hmac.compare_digest(password, secret) and same_name:
                admitted = admission
        return admitted if admitted is not None else self._refuse("wrong username or password")

    def _refuse(self, description: str) -> _Denial:
        return _Denial(401, _BAD_CREDENTIALS, description, (self.challenge,))


class _ApiKeyGate:
    __slots__ = ("challenge", "keys", "name", "place")

    def __init__(self, requirement: ApiKeyRequirement) -> None:
        self.place, name = requirement.place
        self.name = name.lower() if self.place == "header" else name
        self.keys = tuple(
            (key.encode(), _key_admission(claims)) for key, claims in requirement.values.items()
        )
        self.challenge = f'ApiKey {self.place}="{name}"'

    def passes(self, request: Request) -> bool:
        return type(self.check(request)) is Admission

    def check(self, request: Request) -> Admission | _Denial:
        given = self._given(request)
        if not given:
            return _missing(self.challenge)
        presented = given.encode("utf-8", "surrogateescape")
        admitted: Admission | None = None
        for key, admission in self.keys:  # every key, so timing tells nothing
            if hmac.compare_digest(presented, key):
                admitted = admission
        if admitted is None:
            return _Denial(401, _BAD_CREDENTIALS, "unknown API key", (self.challenge,))
        return admitted

    def _given(self, request: Request) -> str | None:
        if self.place == "header":
            values = request.header_values(self.name)
            return values[0] if values else None
        if self.place == "query":
            found = request.query.get(self.name)
            return found[0] if found else None
        return request.cookies.get(self.name)


def _key_admission(claims: Mapping[str, Any]) -> Admission:
    sub = claims.get("sub")
    frozen = MappingProxyType(dict(claims))
    return Admission("api_key", sub if isinstance(sub, str) else None, frozen, claim_scopes(claims))


class _AnyOfGate:
    __slots__ = ("gates",)

    def __init__(self, gates: tuple[_Gate, ...]) -> None:
        self.gates = gates

    def passes(self, request: Request) -> bool:
        return any(gate.passes(request) for gate in self.gates)

    def check(self, request: Request) -> Admission | _Denial:
        denials: list[_Denial] = []
        for gate in self.gates:
            found = gate.check(request)
            if isinstance(found, Admission):
                return found
            denials.append(found)
        for status in (403, 400):
            for denial in denials:
                if denial.status == status:
                    return denial
        lead = next((d for d in denials if d.saw_credentials), denials[0])
        challenges = tuple(c for denial in denials for c in denial.challenges)
        return _Denial(401, lead.error, lead.description, challenges)


class Guard:
    """One compiled requirement: `admit` at serve time, `passes` on the express lane."""

    __slots__ = ("_gate", "remotes", "requirement")

    def __init__(
        self, requirement: Requirement, gate: _Gate, remotes: tuple[RemoteJwks, ...]
    ) -> None:
        self.requirement = requirement
        self.remotes = remotes
        """The JWKS URLs this guard's keys come from, fetched in the background."""
        self._gate = gate

    def admit(self, request: Request) -> Admission | Response:
        """The admission, or the 400/401/403 answer, ready to send."""
        found = self._gate.check(request)
        return found if isinstance(found, Admission) else found.response()

    def passes(self, request: Request) -> bool:
        """Whether `admit` would admit: the express lane's test for a protected static stub."""
        return self._gate.passes(request)

    @property
    def head_test(self) -> Callable[[bytes], bool] | None:
        """For a bearer JWT requirement, a test of the strict head as received that is True
        only where `admit` would admit (the express lane's table runs it before any
        ``Request`` exists); None for other requirements."""
        gate = self._gate
        return gate.passes_head if isinstance(gate, _JwtGate) else None


class RemoteJwks:
    """A `KeySource` read from a JWKS URL, fetched in a daemon thread so `verification_key`
    never waits on the network (the event loop calls it).

    `start` begins the first fetch; an unknown kid asks for another, at most once per
    ``refetch_interval_s``. `revision` moves when the fetched keys differ from the ones held,
    so verifiers re-examine what they cached. A failed fetch keeps the last good keys.
    """

    def __init__(
        self,
        url: str,
        *,
        refetch_interval_s: float = 10.0,
        timeout_s: float = 5.0,
        max_bytes: int = 1 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.refetch_interval_s = refetch_interval_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.error: str | None = None
        """Why the last fetch failed (None after a good one), for diagnostics."""
        self._clock = clock
        self._keys: StaticJwks | None = None
        self._seen: str | None = None
        self._revision = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._last_start: float | None = None

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def ready(self) -> bool:
        """Some keys have been fetched."""
        return self._keys is not None

    @property
    def started(self) -> bool:
        """A fetch has been asked for (`start`, or an unknown kid)."""
        return self._last_start is not None

    def verification_key(self, kid: str | None) -> PublishedKey | None:
        keys = self._keys
        found = None if keys is None else keys.verification_key(kid)
        if found is None:
            self.fetch_soon()
        return found

    def start(self) -> None:
        """Fetch now (in the background), whenever the last fetch was."""
        self.fetch_soon(force=True)

    def wait(self, timeout: float) -> bool:
        """Block until no fetch is running (tests, startup); False on timeout."""
        return self._idle.wait(timeout)

    def fetch_soon(self, force: bool = False) -> bool:
        """Start a background fetch unless one runs or one started within the interval."""
        with self._lock:
            now = self._clock()
            if not self._idle.is_set():
                return False
            last = self._last_start
            if not force and last is not None and now - last < self.refetch_interval_s:
                return False
            self._last_start = now
            self._idle.clear()
        threading.Thread(target=self._fetch, name=f"jwks {self.url}", daemon=True).start()
        return True

    def _fetch(self) -> None:
        try:
            document = json.loads(self._download())
            keys = StaticJwks.from_json(document)
            seen = json.dumps(document["keys"], sort_keys=True)
            if seen != self._seen:
                self._keys, self._seen = keys, seen
                self._revision += 1  # after the swap: a verifier never pairs new with old
            self.error = None
        except Exception as error:  # a thread's last stop: anything is a failed fetch
            self.error = f"{type(error).__name__}: {error}"
            log.warning("JWKS %s: fetch failed (%s)", self.url, self.error)
        finally:
            self._idle.set()

    def _download(self) -> bytes:
        import httpx  # here: a server with no JWKS URL never imports it

        with (
            httpx.Client(timeout=self.timeout_s, trust_env=False) as client,
            client.stream("GET", self.url, headers={"accept": "application/json"}) as answer,
        ):
            if answer.status_code != 200:
                raise ValueError(f"HTTP {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise ValueError(f"larger than {self.max_bytes} bytes")
        return bytes(body)


def compile_guard(
    requirement: Requirement,
    issuers: Mapping[str, KeySource],
    base_dir: Path | None,
    clock: Callable[[], float] = time.time,
    *,
    remote_jwks: MutableMapping[str, RemoteJwks] | None = None,
    revocations: Mapping[str, Revoked] | None = None,
) -> Guard:
    """The guard for ``requirement``; ``issuers`` maps local issuer names to their key rings.

    JWKS files are read now (relative to ``base_dir``, and never outside it); a JWKS URL starts
    fetching now. ``remote_jwks`` lets several guards (one config generation) share one fetcher
    per URL; ``revocations`` give local issuers' revocation lists by name. Every problem is a
    ValueError starting with the key path (``auth.jwt.issuer: ...``).
    """
    remotes: list[RemoteJwks] = []
    context = _Context(issuers, base_dir, clock, remote_jwks, remotes, revocations or {})
    gate = _compile(requirement, "auth", context)
    return Guard(requirement, gate, tuple(dict.fromkeys(remotes)))


@dataclass(frozen=True, slots=True)
class _Context:
    issuers: Mapping[str, KeySource]
    base_dir: Path | None
    clock: Callable[[], float]
    shared: MutableMapping[str, RemoteJwks] | None
    remotes: list[RemoteJwks]
    revocations: Mapping[str, Revoked]


def _compile(requirement: Requirement, where: str, context: _Context) -> _Gate:
    if isinstance(requirement, JwtRequirement):
        return _jwt_gate(requirement, f"{where}.jwt", context)
    if isinstance(requirement, BasicRequirement):
        if not requirement.users:
            raise ValueError(f"{where}.basic.users: give at least one user")
        return _BasicGate(requirement)
    if isinstance(requirement, ApiKeyRequirement):
        places = [requirement.header, requirement.query, requirement.cookie]
        if sum(place is not None for place in places) != 1:
            raise ValueError(f"{where}.api_key: give exactly one of header, query or cookie")
        if not requirement.values:
            raise ValueError(f"{where}.api_key.values: give at least one key")
        return _ApiKeyGate(requirement)
    if not requirement.options:
        raise ValueError(f"{where}.any_of: give at least one requirement")
    return _AnyOfGate(
        tuple(
            _compile(option, f"{where}.any_of[{index}]", context)
            for index, option in enumerate(requirement.options)
        )
    )


def _jwt_gate(requirement: JwtRequirement, where: str, context: _Context) -> _JwtGate:
    keys: KeySource
    remote: RemoteJwks | None = None
    revoked: Revoked | None = None
    issuer, suffix = requirement.issuer, None
    if requirement.jwks is None:
        if issuer is None:
            raise ValueError(f"{where}: give issuer (a local issuer's name) and/or jwks")
        ring = context.issuers.get(issuer)
        if ring is None:
            configured = ", ".join(sorted(context.issuers)) or "none"
            raise ValueError(f"{where}.issuer: no issuer {issuer!r} (configured: {configured})")
        revoked = context.revocations.get(issuer)
        keys, issuer, suffix = ring, None, f"/oauth2/{issuer}"
    elif jwks_kind(requirement.jwks, f"{where}.jwks") == "url":
        keys = remote = _remote(requirement.jwks, context)
    else:
        path = _inside(context.base_dir, requirement.jwks, f"{where}.jwks")
        try:
            keys = StaticJwks.from_file(path)
        except ValueError as error:
            raise ValueError(f"{where}.jwks: {error}") from None
    try:
        policy = JwtPolicy(
            issuer=issuer,
            issuer_suffix=suffix,
            audience=requirement.audience or None,
            scopes=requirement.scopes,
            claims=requirement.claims,
            leeway_s=requirement.leeway_s,
            algorithms=frozenset(requirement.algorithms),
            token_type="at+jwt" if suffix is not None else None,  # ours: never an ID token
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return _JwtGate(Verifier(keys, policy, context.clock), remote, revoked)


def _remote(url: str, context: _Context) -> RemoteJwks:
    shared = context.shared
    remote = shared.get(url) if shared is not None else None
    if remote is None:
        remote = RemoteJwks(url)
        if shared is not None:
            shared[url] = remote
    if not remote.started:
        remote.start()
    context.remotes.append(remote)
    return remote


def _inside(base_dir: Path | None, name: str, where: str) -> Path:
    """``name`` against ``base_dir``; a path that leaves it (``..``, absolute, a symlink out)
    is refused, so a config can only read keys it ships with."""
    if base_dir is None:
        return Path(name)
    root = base_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{where}: {name!r} is outside the config's folder {root}")
    return path
