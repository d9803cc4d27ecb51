"""Signing keys: which key signs now, which keys are still published, and how they persist.

A `KeyRing` holds one current key per algorithm plus recently retired keys. A retired key stays
in the JWKS for a grace period so tokens it signed keep verifying while they age out; after that
it is gone (`find` and `jwks` forget it). The ring persists as a JSON file of private JWKs so
tokens minted before a restart still verify after it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, Key, RSAKey

from apidouble.atomic import write_atomically

__all__ = [
    "ALGORITHMS",
    "Alg",
    "KeyRing",
    "PrivateKey",
    "PublishedKey",
    "SigningKey",
    "generate_private_key",
    "key_id",
]

Alg = Literal["RS256", "ES256"]
ALGORITHMS: tuple[Alg, ...] = get_args(Alg)
PrivateKey = RSAKey | ECKey

_KTY: dict[str, str] = {"RS256": "RSA", "ES256": "EC"}
# Whitelist rather than strip: a JWKS must never leak a private member, whatever joserfc adds.
_PUBLIC_MEMBERS: dict[str, tuple[str, ...]] = {"RSA": ("n", "e"), "EC": ("crv", "x", "y")}
_FILE_FORMAT = 1
_KID_LENGTH = 16
_MIN_RSA_BITS = 2048


def key_id(key: Key) -> str:
    """A stable short kid: the RFC 7638 thumbprint (base64url SHA-256), first 16 characters."""
    return key.thumbprint()[:_KID_LENGTH]


def generate_private_key(alg: Alg) -> PrivateKey:
    """A fresh key for `alg`: RSA 2048 for RS256, P-256 for ES256."""
    if alg == "RS256":
        return RSAKey.generate_key(2048)
    return ECKey.generate_key("P-256")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One private key with its identity and lifetime (retired_at None means it is current)."""

    kid: str
    alg: Alg
    key: PrivateKey
    created_at: float
    retired_at: float | None = None

    def public_jwk(self) -> dict[str, Any]:
        """The JWKS entry: only the public members, so it is safe to publish."""
        members = self.key.as_dict(private=False)
        kty = str(members["kty"])
        jwk: dict[str, Any] = {"kty": kty, "kid": self.kid, "alg": self.alg, "use": "sig"}
        for name in _PUBLIC_MEMBERS[kty]:
            jwk[name] = members[name]
        return jwk

    def private_jwk(self) -> dict[str, Any]:
        """The full key, for persistence only."""
        jwk: dict[str, Any] = dict(self.key.as_dict(private=True))
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """A verification key as a key source hands it out.

    `until` is when the source stops publishing it (inf while current), so a verifier caching a
    token's result knows when that result must be re-examined.
    """

    kid: str | None
    alg: str | None
    key: Key
    until: float = math.inf


class KeyRing:
    """Current signing key per algorithm plus retired keys still inside their grace period."""

    def __init__(
        self,
        algs: Iterable[Alg] = ALGORITHMS,
        grace_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.algs: tuple[Alg, ...] = tuple(dict.fromkeys(algs))
        if not self.algs:
            raise ValueError("a key ring needs at least one algorithm")
        for alg in self.algs:
            _check_alg(alg)
        if grace_s < 0:
            raise ValueError(f"grace_s must be >= 0, got {grace_s}")
        self.grace_s = grace_s
        self._clock = clock
        self._current: dict[Alg, SigningKey] = {}
        self._retired: list[SigningKey] = []  # newest first
        self._revision = 0

    @property
    def revision(self) -> int:
        """Bumped whenever the set of keys changes by an event (rotation, import, generation)."""
        return self._revision

    def current(self, alg: Alg = "RS256") -> SigningKey:
        """The key that signs new tokens for `alg`, generated on first need."""
        key = self._current.get(alg)
        if key is None:
            _check_alg(alg)
            if alg not in self.algs:
                raise ValueError(f"algorithm {alg} is not in this ring's algs {list(self.algs)}")
            key = self._new_key(generate_private_key(alg), alg, None)
            self._current[alg] = key
            self._revision += 1
        return key

    def published(self) -> list[SigningKey]:
        """Every key a verifier may use now: current keys first, then retired ones, newest first."""
        current = [self.current(alg) for alg in self.algs]
        current += [k for alg, k in self._current.items() if alg not in self.algs]
        return current + self._live_retired(self._clock())

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set to serve at the jwks_uri."""
        return {"keys": [key.public_jwk() for key in self.published()]}

    def find(self, kid: str | None) -> SigningKey | None:
        """The published key with this kid; None once a retired key's grace has ended."""
        if kid is None:
            return None
        for key in self._current.values():
            if key.kid == kid:
                return key
        for key in self._live_retired(self._clock()):
            if key.kid == kid:
                return key
        return None

    def published_until(self, key: SigningKey) -> float:
        """When this ring stops publishing `key` (inf while it is current)."""
        if key.retired_at is None:
            return math.inf
        return key.retired_at + self.grace_s

    def verification_key(self, kid: str | None) -> PublishedKey | None:
        """The `KeySource` view of `find`, for a verifier."""
        key = self.find(kid)
        if key is None:
            return None
        return PublishedKey(key.kid, key.alg, key.key, self.published_until(key))

    def rotate(self, alg: Alg | None = None) -> list[SigningKey]:
        """New current key(s); the old ones retire now and stay published for grace_s."""
        algs = self.algs if alg is None else (alg,)
        fresh: list[SigningKey] = []
        for name in algs:
            _check_alg(name)
            fresh.append(self._install(self._new_key(generate_private_key(name), name, None)))
        return fresh

    def add_pem(
        self, path: Path | str, alg: Alg | None = None, kid: str | None = None
    ) -> SigningKey:
        """Make the private key in a PEM file the current key for its algorithm.

        The algorithm follows from the key type (RSA -> RS256, P-256 -> ES256); the previous
        current key retires as in `rotate`.
        """
        path = Path(path)
        key, inferred = _read_pem(path)
        if alg is not None and alg != inferred:
            raise ValueError(f"{path}: key is for {inferred}, not {alg}")
        if inferred not in self.algs:
            self.algs = (*self.algs, inferred)
        return self._install(self._new_key(key, inferred, kid))

    def save(self, path: Path | str) -> None:
        """Write the ring atomically (temp file in the same directory, then rename), mode 0o600."""
        path = Path(path)
        for alg in self.algs:
            self.current(alg)
        now = self._clock()
        entries = [_entry(key) for key in self._current.values()]
        entries += [_entry(key) for key in self._live_retired(now)]
        data = {"format": _FILE_FORMAT, "algs": list(self.algs), "keys": entries}
        write_atomically(path, json.dumps(data, indent=2).encode())

    @classmethod
    def load(
        cls,
        path: Path | str,
        algs: Iterable[Alg] | None = None,
        grace_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> KeyRing:
        """Read a ring written by `save`. A missing file raises FileNotFoundError; a corrupt one
        raises ValueError naming the file."""
        path = Path(path)
        raw = path.read_bytes()
        try:
            data = json.loads(raw)
            stored_algs, keys = _parse(data)
        except (ValueError, TypeError, KeyError, JoseError) as error:
            raise ValueError(f"{path}: not a valid key ring file ({error!r})") from error
        ring = cls(stored_algs if algs is None else algs, grace_s=grace_s, clock=clock)
        for key in keys:
            if key.retired_at is None:
                if key.alg in ring._current:
                    raise ValueError(f"{path}: two current keys for {key.alg}")
                ring._current[key.alg] = key
            else:
                ring._retired.append(key)
        ring._retired.sort(key=lambda k: k.retired_at or 0.0, reverse=True)
        ring._revision += 1
        return ring

    @classmethod
    def load_or_create(
        cls,
        path: Path | str,
        algs: Iterable[Alg] | None = None,
        grace_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> KeyRing:
        """Load the ring at `path`, or create and save one there (also saved when a requested
        algorithm had no key yet, so the new key survives the next restart too)."""
        path = Path(path)
        try:
            ring = cls.load(path, algs, grace_s=grace_s, clock=clock)
        except FileNotFoundError:
            ring = cls(ALGORITHMS if algs is None else algs, grace_s=grace_s, clock=clock)
            ring.save(path)
            return ring
        if any(alg not in ring._current for alg in ring.algs):
            ring.save(path)
        return ring

    def _new_key(self, key: PrivateKey, alg: Alg, kid: str | None) -> SigningKey:
        return SigningKey(kid or key_id(key), alg, key, self._clock())

    def _install(self, key: SigningKey) -> SigningKey:
        old = self._current.get(key.alg)
        if old is not None and old.kid != key.kid:
            self._retired.insert(0, dataclasses.replace(old, retired_at=self._clock()))
        self._retired = [k for k in self._retired if k.kid != key.kid]
        self._current[key.alg] = key
        self._revision += 1
        return key

    def _live_retired(self, now: float) -> list[SigningKey]:
        """Retired keys still in grace; forgets the rest for good."""
        live = [k for k in self._retired if now < self.published_until(k)]
        if len(live) != len(self._retired):
            self._retired = live
        return live


def _check_alg(alg: str) -> None:
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}; use one of {list(ALGORITHMS)}")


def _entry(key: SigningKey) -> dict[str, Any]:
    return {"jwk": key.private_jwk(), "created_at": key.created_at, "retired_at": key.retired_at}


def _parse(data: Any) -> tuple[list[Alg], list[SigningKey]]:
    if not isinstance(data, dict) or data.get("format") != _FILE_FORMAT:
        raise ValueError("unknown format")
    algs = data["algs"]
    if not isinstance(algs, list):
        raise ValueError("algs is not a list")
    for alg in algs:
        _check_alg(alg)
    keys = [_parse_key(entry) for entry in data["keys"]]
    return algs, keys


def _parse_key(entry: Mapping[str, Any]) -> SigningKey:
    jwk = entry["jwk"]
    if not isinstance(jwk, dict):
        raise ValueError("jwk is not an object")
    alg = jwk.get("alg")
    kid = jwk.get("kid")
    if alg not in ALGORITHMS or not isinstance(kid, str) or not kid:
        raise ValueError(f"key {kid!r} has no usable kid/alg")
    key = JWKRegistry.import_key(jwk, _KTY[alg])
    if not isinstance(key, RSAKey | ECKey) or not key.is_private:
        raise ValueError(f"key {kid} is not a private {_KTY[alg]} key")
    created_at = _number(entry["created_at"], "created_at")
    retired = entry.get("retired_at")
    retired_at = None if retired is None else _number(retired, "retired_at")
    return SigningKey(kid, alg, key, created_at, retired_at)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} is not a number")
    return float(value)


def _read_pem(path: Path) -> tuple[PrivateKey, Alg]:
    try:
        native = load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: not an unencrypted PEM private key ({error})") from error
    if isinstance(native, rsa.RSAPrivateKey):
        if native.key_size < _MIN_RSA_BITS:
            raise ValueError(f"{path}: RSA key has {native.key_size} bits; need >= {_MIN_RSA_BITS}")
        return RSAKey.import_key(native), "RS256"
    if isinstance(native, ec.EllipticCurvePrivateKey) and isinstance(native.curve, ec.SECP256R1):
        return ECKey.import_key(native), "ES256"
    kind = type(native).__name__
    raise ValueError(f"{path}: unsupported key type {kind}; need an RSA or EC P-256 private key")
