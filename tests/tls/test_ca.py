"""The local CA: made once, private, reused by every later run; broken ones refused."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from apidouble import MockServer
from apidouble.tls import TlsError, default_ca_dir, load_or_create

from .conftest import PING, trusting


def test_the_ca_is_made_once_with_a_private_key(ca_dir: Path) -> None:
    ca = load_or_create(ca_dir)
    assert ca.cert_path == ca_dir / "ca.pem"
    assert stat.S_IMODE((ca_dir / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(ca_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(ca.cert_path.stat().st_mode) == 0o644
    certificate = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is True
    again = load_or_create(ca_dir)
    assert again.fingerprint == ca.fingerprint
    assert again.cert_path.read_bytes() == ca.cert_path.read_bytes()


def test_the_ca_is_reused_across_server_restarts(ca_dir: Path) -> None:
    seen = []
    for _ in range(2):
        with MockServer(endpoints=PING, https=True, ca_dir=str(ca_dir)) as mock:
            assert mock.ca_path == ca_dir / "ca.pem"
            seen.append((mock.ca_path.read_bytes(), load_or_create(ca_dir).fingerprint))
            answer = httpx.get(mock.https_url + "/ping", verify=trusting(mock.ca_path))
            assert answer.json() == {"ok": True}
    assert seen[0] == seen[1]


def test_processes_starting_together_end_up_with_one_ca(ca_dir: Path) -> None:
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(load_or_create(ca_dir).fingerprint))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 6
    assert len(set(found)) == 1


def test_the_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_ca_dir() == tmp_path / "data" / "apidouble" / "ca"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_ca_dir() == tmp_path / "home" / ".local" / "share" / "apidouble" / "ca"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_ca_dir() == tmp_path / "home" / ".local" / "share" / "apidouble" / "ca"
    made = load_or_create()
    assert made.cert_path == default_ca_dir() / "ca.pem"


def test_a_broken_ca_is_refused_saying_what_to_do(ca_dir: Path) -> None:
    load_or_create(ca_dir)
    (ca_dir / "ca-key.pem").write_text("not a key")
    with pytest.raises(TlsError, match="remove ca.pem and ca-key.pem"):
        load_or_create(ca_dir)


def test_a_key_of_another_ca_is_refused(tmp_path: Path) -> None:
    first, second = load_or_create(tmp_path / "a"), load_or_create(tmp_path / "b")
    assert first.fingerprint != second.fingerprint
    (tmp_path / "a" / "ca-key.pem").write_bytes((tmp_path / "b" / "ca-key.pem").read_bytes())
    with pytest.raises(TlsError, match="do not belong together"):
        load_or_create(tmp_path / "a")


def test_an_unusable_folder_is_a_tls_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(TlsError, match="cannot use the CA folder"):
        load_or_create(blocker / "ca")
