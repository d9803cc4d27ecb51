"""Bearer JWT verification: whether a token is accepted, and if not, the RFC 6750 answer.

Checks run in a fixed order and the first failure is the reason given: parse, algorithm (decided by
the policy before any key is touched, so alg none and HMAC never reach a key: that is what defeats
key confusion), kid lookup, signature, exp/nbf with leeway, iss, aud, then scopes and claims.

The outcome of everything but the time checks is cached per token string, because this runs on
every request to a protected stub; exp/nbf (and the key still being published) are re-evaluated
on each call, so a cached token still expires.
"""

from __future__ import annotations

import base64
import json
import math
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from joserfc import jws
from joserfc.errors import (
    BadSignatureError,
    InvalidKeyCurveError,
    InvalidKeyTypeError,
    JoseError,
    KeyParameterError,
    SecurityWarning,
)
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry

from apidouble.auth.keys import PublishedKey

__all__ = [
    "DEFAULT_ALGORITHMS",
    "MISSING_TOKEN",
    "JwtPolicy",
    "KeySource",
    "Refusal",
    "StaticJwks",
    "Verified",
    "Verifier",
    "bearer_token",
]

DEFAULT_ALGORITHMS: frozenset[str] = frozenset(
    {"RS256", "ES256", "RS384", "ES384", "PS256", "EdDSA"}
)
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_SHOWN_CHARS = 80


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is turned away, in RFC 6750 terms.

    An empty `error` means no credentials were presented: the challenge then carries no error
    attribute (RFC 6750 §3.1). `scope` lists the scopes needed, for insufficient_scope.
    """

    status: int
    error: str
    description: str
    scope: str = ""

    def www_authenticate(self, realm: str = "apidouble") -> str:
        """The WWW-Authenticate header value (RFC 6750 §3)."""
        parts = [f'Bearer realm="{_quotable(realm)}"']
        if self.error:
            parts.append(f'error="{self.error}"')
            if self.description:
                parts.append(f'error_description="{_quotable(self.description)}"')
            if self.scope:
                parts.append(f'scope="{_quotable(self.scope)}"')
        return ", ".join(parts)


MISSING_TOKEN = Refusal(401, "", "")
_MALFORMED = Refusal(401, "invalid_token", "malformed token")
_EXPIRED = Refusal(401, "invalid_token", "token expired")
_NOT_YET_VALID = Refusal(401, "invalid_token", "token not yet valid")
_BAD_SIGNATURE = Refusal(401, "invalid_token", "bad signature")
_UNKNOWN_KID = Refusal(401, "invalid_token", "unknown key id")
_ALG_NONE = Refusal(401, "invalid_token", "alg none refused")
_WRONG_AUDIENCE = Refusal(401, "invalid_token", "wrong audience")
_NOT_ACCESS = Refusal(401, "invalid_token", "not an access token")
# RFC 6750 §3.1: invalid_request SHOULD be answered with 400.
_BAD_HEADER = Refusal(400, "invalid_request", "malformed Authorization header")


def _invalid(description: str) -> Refusal:
    return Refusal(401, "invalid_token", description)


def _quotable(text: str) -> str:
    """Text safe inside a quoted-string: RFC 6750 allows no quote, backslash or control char.

    Descriptions can quote token content (an issuer), so this also stops header injection.
    """
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


def _shown(value: Any) -> str:
    text = "nothing" if value is None else str(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


@dataclass(frozen=True, slots=True)
class Verified:
    """An accepted token: its claims (read-only), scopes and the key that signed it."""

    claims: Mapping[str, Any]
    scopes: frozenset[str]
    kid: str | None
    alg: str
    expires_at: float | None


class KeySource(Protocol):
    """Where a verifier finds public keys by kid.

    `revision` must change whenever keys are added, rotated or removed by an event, so cached
    results are re-examined; a key that lapses with time says so through `PublishedKey.until`.
    """

    @property
    def revision(self) -> int: ...

    def verification_key(self, kid: str | None) -> PublishedKey | None: ...


class StaticJwks:
    """The public keys of an external issuer, from its JWKS document."""

    def __init__(self, keys: Iterable[PublishedKey]) -> None:
        self._keys = list(keys)
        self._by_kid: dict[str, PublishedKey] = {}
        for key in self._keys:
            if key.kid is not None:
                self._by_kid.setdefault(key.kid, key)

    @property
    def revision(self) -> int:
        return 0

    def verification_key(self, kid: str | None) -> PublishedKey | None:
        """The key with this kid; a token without kid only matches a single-key set."""
        if kid is None:
            return self._keys[0] if len(self._keys) == 1 else None
        return self._by_kid.get(kid)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StaticJwks:
        """Public signing keys from a JWK Set. Keys of unknown type or for encryption are skipped
        (RFC 7517 §5), symmetric keys refused; private members, if any, are dropped."""
        entries = obj.get("keys") if isinstance(obj, Mapping) else None
        if not isinstance(entries, list):
            raise ValueError("a JWKS needs a 'keys' list")
        keys: list[PublishedKey] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ValueError(f"JWKS key #{index} is not an object")
            if entry.get("use", "sig") != "sig" or entry.get("kty") == "oct":
                continue
            try:
                key = JWKRegistry.import_key(entry)
                public = JWKRegistry.import_key(key.as_dict(private=False))
            except InvalidKeyTypeError:
                continue
            except (JoseError, ValueError, TypeError) as error:
                raise ValueError(f"JWKS key #{index} is not a valid JWK ({error!r})") from error
            kid, alg = entry.get("kid"), entry.get("alg")
            keys.append(
                PublishedKey(
                    kid if isinstance(kid, str) else None,
                    alg if isinstance(alg, str) else None,
                    public,
                )
            )
        if not keys:
            raise ValueError("the JWKS holds no usable signing key")
        return cls(keys)

    @classmethod
    def from_file(cls, path: Path | str) -> StaticJwks:
        """`from_json` on a file; any problem is a ValueError naming the file."""
        path = Path(path)
        try:
            return cls.from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: cannot use as a JWKS ({error})") from error


@dataclass(frozen=True, slots=True)
class JwtPolicy:
    """What a protected endpoint demands of a token.

    `audience` passes when the token's aud names any of them; `claims` are exact values, and a
    list claim passes when it contains the wanted value. `algorithms` can never include "none" or
    an HMAC algorithm: a shared-secret token cannot come from an asymmetric issuer.

    `issuer_suffix` (instead of `issuer`) accepts any http(s) URL ending in it: a local issuer's
    URL follows the Host a client used (``{base}/oauth2/{name}``), and its signature proves it.
    """

    issuer: str | None = None
    audience: str | Sequence[str] | None = None
    scopes: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)
    leeway_s: float = 30
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS
    token_type: str | None = None
    """The JOSE ``typ`` a token must carry (``at+jwt``: an access token, RFC 9068 §4, so an
    ID token is not taken for one); None accepts any."""
    issuer_suffix: str | None = None
    _audiences: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        algorithms = frozenset(self.algorithms)
        for alg in algorithms:
            if alg.lower() == "none" or alg.upper().startswith("HS"):
                raise ValueError(f"algorithm {alg} cannot be allowed for bearer JWTs")
            if alg not in JWSRegistry.algorithms:
                raise ValueError(f"unknown JWS algorithm {alg!r}")
        if not algorithms:
            raise ValueError("a policy needs at least one algorithm")
        if self.leeway_s < 0:
            raise ValueError(f"leeway_s must be >= 0, got {self.leeway_s}")
        if self.issuer is not None and self.issuer_suffix is not None:
            raise ValueError("give issuer or issuer_suffix, not both")
        if self.issuer_suffix == "":
            raise ValueError("issuer_suffix must not be empty")
        scopes = self.scopes
        scopes = tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes)
        audience = self.audience
        audiences = frozenset([audience] if isinstance(audience, str) else audience or ())
        object.__setattr__(self, "algorithms", algorithms)
        object.__setattr__(self, "scopes", scopes)
        object.__setattr__(self, "_audiences", audiences)


class _Entry:
    """A cached verdict: the static result plus the times and key revision it depends on."""

    __slots__ = ("exp_until", "key_until", "ok_from", "ok_until", "result", "revision")

    def __init__(
        self,
        result: Verified | Refusal,
        ok_from: float,
        exp_until: float,
        key_until: float,
        revision: int,
    ) -> None:
        self.result = result
        self.ok_from = ok_from
        self.exp_until = exp_until
        self.key_until = key_until
        self.ok_until = min(exp_until, key_until)
        self.revision = revision


class Verifier:
    """Checks bearer JWTs against a policy, with keys from a `KeySource` (e.g. a `KeyRing`)."""

    def __init__(
        self,
        keys: KeySource,
        policy: JwtPolicy,
        clock: Callable[[], float] = time.time,
        cache_size: int = 10_000,
    ) -> None:
        self.keys = keys
        self.policy = policy
        self._clock = clock
        self._cache_size = cache_size
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._recent: tuple[str | None, _Entry | None] = (None, None)
        """The token object last found in the cache and its entry: the express lane hands
        the same ``str`` object request after request (``_JwtGate.passes_head``), and
        this finds it by identity, without the cache's lookup and reordering."""
        self._registries = {
            alg: JWSRegistry(algorithms=[alg], strict_check_header=False)
            for alg in policy.algorithms
        }

    def check(self, token: str) -> Verified | Refusal:
        """Verified when the token passes every check, else the first Refusal."""
        recent, entry = self._recent
        if recent is not token or entry is None:
            entry = self._cache.get(token)
        if entry is not None:
            now = self._clock()
            if entry.ok_from <= now < entry.ok_until and entry.revision == self.keys.revision:
                if recent is not token:
                    self._cache.move_to_end(token)
                    self._recent = (token, entry)
                return entry.result
            if now < entry.key_until and entry.revision == self.keys.revision:
                return _timed(entry, now)
            self._cache.pop(token, None)
            self._recent = (None, None)
        return self._verify(token)

    def check_authorization(self, header: str | None) -> Verified | Refusal:
        """`check` on an Authorization header value: no Bearer credentials is MISSING_TOKEN,
        a Bearer header without a single token in it is invalid_request."""
        if header is None:
            return MISSING_TOKEN
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return MISSING_TOKEN
        token = rest.strip()
        if not token or any(c.isspace() for c in token):
            return _BAD_HEADER
        return self.check(token)

    def _verify(self, token: str) -> Verified | Refusal:
        parsed = _parse(token)
        if parsed is None:
            return _MALFORMED
        header, claims = parsed
        alg = header.get("alg")
        if not isinstance(alg, str):
            return _MALFORMED
        if alg.lower() == "none":
            return _ALG_NONE
        if alg not in self.policy.algorithms:
            return _invalid(f"algorithm {_shown(alg)} not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            return _MALFORMED
        revision = self.keys.revision
        found = self.keys.verification_key(kid)
        if found is None:
            return _UNKNOWN_KID
        refused = self._signature(token, alg, found)
        if refused is not None:
            return refused
        times = _times(claims, self.policy.leeway_s)
        if times is None:
            return _MALFORMED
        ok_from, exp_until, exp = times
        result = self._static(claims, kid, alg, exp)
        if isinstance(result, Verified) and not self._typed(header):
            result = _NOT_ACCESS
        entry = _Entry(result, ok_from, exp_until, found.until, revision)
        if self._cache_size > 0:
            self._cache[token] = entry
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return _timed(entry, self._clock())

    def _typed(self, header: Mapping[str, Any]) -> bool:
        wanted = self.policy.token_type
        if wanted is None:
            return True
        typ = header.get("typ")
        return isinstance(typ, str) and typ.lower() in (wanted, f"application/{wanted}")

    def _signature(self, token: str, alg: str, found: PublishedKey) -> Refusal | None:
        if not _fits(found, alg):
            return _invalid(f"algorithm {alg} does not match key")
        registry = self._registries[alg]
        try:
            if alg == "EdDSA":
                # joserfc flags "EdDSA" as superseded by RFC 9864; the policy chose to allow it.
                # (Only here: catch_warnings swaps process-wide state.)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SecurityWarning)
                    jws.deserialize_compact(token, found.key, registry=registry)
            else:
                jws.deserialize_compact(token, found.key, registry=registry)
        except BadSignatureError:
            return _BAD_SIGNATURE
        except (InvalidKeyTypeError, InvalidKeyCurveError, KeyParameterError):
            return _invalid(f"algorithm {alg} does not match key")
        except JoseError:
            return _MALFORMED
        except (ValueError, TypeError):
            return _BAD_SIGNATURE
        return None

    def _static(
        self, claims: dict[str, Any], kid: str | None, alg: str, exp: float | None
    ) -> Verified | Refusal:
        policy = self.policy
        if policy.issuer is not None and claims.get("iss") != policy.issuer:
            iss = _shown(claims.get("iss"))
            return _invalid(f"wrong issuer: expected {_shown(policy.issuer)}, got {iss}")
        suffix = policy.issuer_suffix
        if suffix is not None and not _issued_under(claims.get("iss"), suffix):
            iss = _shown(claims.get("iss"))
            return _invalid(f"wrong issuer: expected a URL ending in {suffix}, got {iss}")
        aud = claims.get("aud")
        auds = frozenset([aud]) if isinstance(aud, str) else _strings(aud)
        if policy._audiences and not policy._audiences & auds:
            return _WRONG_AUDIENCE
        scopes = claim_scopes(claims)
        missing = [scope for scope in policy.scopes if scope not in scopes]
        if missing:
            return Refusal(
                403,
                "insufficient_scope",
                f"missing scope {' '.join(missing)}",
                " ".join(policy.scopes),
            )
        for name, wanted in policy.claims.items():
            value = claims.get(name)
            if value != wanted and not (isinstance(value, list) and wanted in value):
                return Refusal(403, "insufficient_scope", f"claim {name}: expected {wanted}")
        return Verified(MappingProxyType(claims), frozenset(scopes), kid, alg, exp)


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of a `Bearer <token>` header (scheme case-insensitive), else None."""
    if authorization_header is None:
        return None
    scheme, _, rest = authorization_header.strip().partition(" ")
    token = rest.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        return None
    return token


def _issued_under(iss: Any, suffix: str) -> bool:
    """`iss` is an http(s) URL with a host, ending in `suffix`."""
    if not isinstance(iss, str) or not iss.endswith(suffix):
        return False
    scheme, sep, rest = iss[: len(iss) - len(suffix)].partition("://")
    return bool(sep) and scheme in ("http", "https") and rest[:1] not in ("", "/")


def _timed(entry: _Entry, now: float) -> Verified | Refusal:
    if now >= entry.exp_until:
        return _EXPIRED
    if now < entry.ok_from:
        return _NOT_YET_VALID
    return entry.result


def _fits(found: PublishedKey, alg: str) -> bool:
    """The key may sign with `alg`: its declared alg (if any) and its type agree."""
    if found.alg is not None and found.alg != alg:
        return False
    wanted = "OKP" if alg == "EdDSA" else _KEY_TYPES.get(alg[:2])
    return found.key.key_type == wanted


def _parse(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Header and claims of a compact JWS, or None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def _b64decode(segment: str) -> bytes:
    data = segment.encode("ascii")
    return base64.b64decode(data + b"=" * (-len(data) % 4), altchars=b"-_", validate=True)


def _times(claims: Mapping[str, Any], leeway: float) -> tuple[float, float, float | None] | None:
    """(valid from, valid until, exp) with leeway applied; None when exp/nbf is not a number."""
    exp, nbf = claims.get("exp"), claims.get("nbf")
    for value in (exp, nbf):
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return None
    exp_until = math.inf if exp is None else float(exp) + leeway
    ok_from = -math.inf if nbf is None else float(nbf) - leeway
    return ok_from, exp_until, None if exp is None else float(exp)


def claim_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The scopes a token's claims grant: ``scope`` (space-separated, RFC 8693) and ``scp``
    (a list, as some issuers write it)."""
    return _strings(claims.get("scope")) | _strings(claims.get("scp"))


def _strings(value: Any) -> frozenset[str]:
    """A space-separated string or a list of strings, as a set (other shapes count as empty)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()
