"""KeyRing: public JWKS, rotation with grace, persistence, PEM import."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from apidouble.auth import JwtPolicy, KeyRing, TokenMinter, Verified, Verifier
from tests.auth.doubles import Clock

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def write_pem(path: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_jwks_has_only_public_members() -> None:
    jwks = KeyRing().jwks()
    by_kty = {key["kty"]: key for key in jwks["keys"]}
    assert set(by_kty["RSA"]) == {"kty", "kid", "alg", "use", "n", "e"}
    assert set(by_kty["EC"]) == {"kty", "kid", "alg", "use", "crv", "x", "y"}
    assert [key["alg"] for key in jwks["keys"]] == ["RS256", "ES256"]
    assert all(key["use"] == "sig" for key in jwks["keys"])
    assert not PRIVATE_MEMBERS & {name for key in jwks["keys"] for name in key}


def test_private_jwk_keeps_the_private_key() -> None:
    key = KeyRing(algs=("ES256",)).current("ES256")
    assert "d" in key.private_jwk()
    assert key.private_jwk()["kid"] == key.kid


def test_kid_is_the_rfc7638_thumbprint_prefix() -> None:
    ring = KeyRing()
    for alg, members in (("RS256", ("e", "kty", "n")), ("ES256", ("crv", "kty", "x", "y"))):
        jwk = ring.current(alg).public_jwk()  # type: ignore[arg-type]
        canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).digest()
        thumbprint = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        assert jwk["kid"] == thumbprint[:16]


def test_rotation_keeps_old_key_published_during_grace_then_drops_it() -> None:
    clock = Clock(1_000_000.0)
    ring = KeyRing(algs=("ES256",), grace_s=100.0, clock=clock)
    old = ring.current("ES256")
    clock.now += 5
    (new,) = ring.rotate()
    assert ring.current("ES256") == new != old
    retired = ring.find(old.kid)
    assert retired is not None and retired.retired_at == clock.now
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid, old.kid]

    clock.now += 99.9
    assert ring.find(old.kid) is not None
    clock.now += 0.1
    assert ring.find(old.kid) is None
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid]


def test_rotation_keeps_old_tokens_verifiable_only_during_grace() -> None:
    clock = Clock(1_000_000.0)
    ring = KeyRing(algs=("ES256",), grace_s=600.0, clock=clock)
    minter = TokenMinter(ring, "https://issuer.test", clock=clock)
    verifier = Verifier(ring, JwtPolicy(issuer="https://issuer.test"), clock=clock)
    token = minter.mint({"sub": "alice"}, alg="ES256", expires_in=7200)
    assert isinstance(verifier.check(token), Verified)  # now cached

    ring.rotate()
    clock.now += 599
    assert isinstance(verifier.check(token), Verified)
    clock.now += 1
    refusal = verifier.check(token)
    assert not isinstance(refusal, Verified)
    assert refusal.description == "unknown key id"


def test_rotate_one_alg_leaves_the_other() -> None:
    ring = KeyRing()
    rsa_key, ec_key = ring.current("RS256"), ring.current("ES256")
    (fresh,) = ring.rotate("ES256")
    assert fresh.alg == "ES256" and fresh != ec_key
    assert ring.current("RS256") == rsa_key


def test_save_load_round_trip_keeps_tokens_valid(tmp_path: Path) -> None:
    clock = Clock(1_000_000.0)
    path = tmp_path / "keys.json"
    ring = KeyRing(grace_s=600.0, clock=clock)
    minter = TokenMinter(ring, "https://issuer.test", clock=clock)
    old = ring.current("RS256")
    old_token = minter.mint({"sub": "by-retired-key"})
    ring.rotate("RS256")
    tokens = [minter.mint({"sub": "a"}), minter.mint({"sub": "b"}, alg="ES256"), old_token]
    ring.save(path)

    loaded = KeyRing.load(path, grace_s=600.0, clock=clock)
    assert loaded is not ring
    assert loaded.jwks() == ring.jwks()
    retired = loaded.find(old.kid)
    assert retired is not None and retired.retired_at == clock.now
    assert retired.created_at == old.created_at
    verifier = Verifier(loaded, JwtPolicy(issuer="https://issuer.test"), clock=clock)
    for token in tokens:
        assert isinstance(verifier.check(token), Verified)


def test_save_writes_atomically_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("previous")
    path.chmod(0o644)
    witness = tmp_path / "witness"
    os.link(path, witness)  # an in-place rewrite would show through this hard link

    KeyRing(algs=("ES256",)).save(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert witness.read_text() == "previous"
    assert json.loads(path.read_text())["keys"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "witness"]


def test_load_or_create_creates_once_then_reuses(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    first = KeyRing.load_or_create(path, algs=("ES256",))
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = KeyRing.load_or_create(path, algs=("ES256",))
    assert second.current("ES256").kid == first.current("ES256").kid


def test_load_or_create_saves_a_key_for_a_newly_requested_alg(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    KeyRing.load_or_create(path, algs=("ES256",))
    grown = KeyRing.load_or_create(path, algs=("ES256", "RS256"))
    again = KeyRing.load(path)
    assert again.current("RS256").kid == grown.current("RS256").kid


def test_load_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        KeyRing.load(tmp_path / "absent.json")


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": 1, "algs": ["RS256"], "keys": [{"jwk": {"kty": "EC"}}]}',
        b'{"format": 1, "algs": ["HS256"], "keys": []}',
    ],
)
def test_corrupt_file_is_a_value_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken.json"):
        KeyRing.load(path)


def test_file_with_public_key_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ring = KeyRing(algs=("ES256",))
    ring.save(path)
    data = json.loads(path.read_text())
    del data["keys"][0]["jwk"]["d"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="ring.json"):
        KeyRing.load(path)


def test_add_pem_infers_alg_and_retires_the_previous_key(tmp_path: Path) -> None:
    clock = Clock(1_000_000.0)
    ring = KeyRing(grace_s=60.0, clock=clock)
    before = ring.current("ES256")
    pem = write_pem(tmp_path / "ec.pem", ec.generate_private_key(ec.SECP256R1()))

    added = ring.add_pem(pem)

    assert added.alg == "ES256"
    assert ring.current("ES256") == added
    retired = ring.find(before.kid)
    assert retired is not None and retired.retired_at == clock.now
    rsa_pem = write_pem(tmp_path / "rsa.pem", rsa.generate_private_key(65537, 2048))
    assert ring.add_pem(rsa_pem, alg="RS256", kid="my-kid").kid == "my-kid"
    assert ring.find("my-kid") is not None


def test_pem_loaded_key_signs_tokens_that_verify(tmp_path: Path) -> None:
    ring = KeyRing(algs=("RS256",))
    ring.add_pem(write_pem(tmp_path / "k.pem", rsa.generate_private_key(65537, 2048)))
    token = TokenMinter(ring, "iss").mint({"sub": "x"})
    assert isinstance(Verifier(ring, JwtPolicy(issuer="iss")).check(token), Verified)


def test_add_pem_errors_name_the_file(tmp_path: Path) -> None:
    ring = KeyRing(algs=("ES256",))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(ValueError, match="garbage.pem"):
        ring.add_pem(garbage)

    public = tmp_path / "public.pem"
    public.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="public.pem"):
        ring.add_pem(public)

    p384 = write_pem(tmp_path / "p384.pem", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="p384.pem"):
        ring.add_pem(p384)

    ed = tmp_path / "ed.pem"
    ed.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="ed.pem"):
        ring.add_pem(ed)

    small = write_pem(tmp_path / "small.pem", rsa.generate_private_key(65537, 1024))
    with pytest.raises(ValueError, match="small.pem"):
        ring.add_pem(small)

    ec_pem = write_pem(tmp_path / "ec.pem", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ValueError, match="ec.pem"):
        ring.add_pem(ec_pem, alg="RS256")


def test_ring_refuses_unknown_algorithms() -> None:
    with pytest.raises(ValueError):
        KeyRing(algs=("HS256",))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        KeyRing(algs=("ES256",)).current("RS256")
