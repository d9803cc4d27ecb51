"""``--proxy-pass-through``: what no stub answers goes on to the host the client named (a
second server here plays the real host), is recorded with ``--record-to``, and never
loops back into the mock."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import certifi
import httpx
import pytest
import yaml

from apidouble import MockServer

REAL = [{"path": "/hello", "response": {"from": "{{ request.headers.via }}"}}]
LOCAL = [{"path": "/local", "response": "stubbed"}]


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The "real" host, on HTTP and HTTPS; the proxy's upstream client trusts its CA (as a
    real host's would be trusted through the system roots)."""
    with MockServer(endpoints=REAL, https=True, ca_dir=str(tmp_path / "ca")) as server:
        assert server.ca_path is not None
        bundle = tmp_path / "roots.pem"
        bundle.write_bytes(Path(certifi.where()).read_bytes() + server.ca_path.read_bytes())
        monkeypatch.setattr(certifi, "where", lambda: str(bundle))
        yield server


def proxy(tmp_path: Path, **options: object) -> MockServer:
    return MockServer(
        endpoints=LOCAL,
        proxy_mode=True,
        proxy_pass_through=True,
        ca_dir=str(tmp_path / "ca"),
        **options,
    )


def test_unmatched_requests_go_to_the_host_they_name_and_are_recorded(
    tmp_path: Path, real: MockServer
) -> None:
    recording = tmp_path / "recorded.yaml"
    with proxy(tmp_path, record_to=str(recording)) as mock:
        assert mock.ca_path is not None
        trust = ssl.create_default_context(cafile=str(mock.ca_path))
        with httpx.Client(proxy=mock.url, verify=trust) as client:
            tunneled = client.get(f"https://127.0.0.1:{real.https_port}/hello")
            plain = client.get(f"http://127.0.0.1:{real.port}/hello")
            local = client.get(f"https://127.0.0.1:{real.https_port}/local")
        assert tunneled.status_code == plain.status_code == 200
        assert tunneled.json()["from"].startswith("1.1 apidouble-")  # our Via
        assert local.text == "stubbed"  # a stub answers first
        assert real.requests.count(path="/hello") == 2
        assert real.requests.count(path="/local") == 0
        proxied = {note for e in mock.requests.find(path="/hello") for note in e["notes"]}
        assert f"proxied to https://127.0.0.1:{real.https_port}" in proxied
        assert f"proxied to http://127.0.0.1:{real.port}" in proxied
    document = yaml.safe_load(recording.read_text())
    assert [e["path"] for e in document["endpoints"]] == ["/hello"]


def test_a_request_to_the_mock_itself_is_not_passed_through(
    tmp_path: Path, real: MockServer
) -> None:
    with proxy(tmp_path) as mock:
        direct = httpx.get(mock.url + "/hello")  # Host: 127.0.0.1:PORT, the mock's own
        assert direct.status_code == 404
        assert mock.requests.count(path="/hello") == 1


def test_a_host_that_leads_back_to_the_mock_stops_after_one_round(
    tmp_path: Path, real: MockServer
) -> None:
    with proxy(tmp_path) as mock, httpx.Client(proxy=mock.url) as client:
        # the real host sends /back to the mock again, still naming the real host
        back = {"to": mock.url, "add_headers": {"Host": f"127.0.0.1:{real.port}"}}
        real.add_endpoints([{"path": "/back", "proxy": back}])
        answer = client.get(f"http://127.0.0.1:{real.port}/back")
        assert answer.status_code == 404  # the mock's second round answered, by its Via
        assert mock.requests.count(path="/back") == 2
        assert real.requests.count(path="/back") == 1


def test_pass_through_needs_proxy_mode() -> None:
    with pytest.raises(ValueError, match="--proxy-mode"):
        MockServer(endpoints=LOCAL, proxy_pass_through=True)


def test_without_pass_through_nothing_leaves(tmp_path: Path, real: MockServer) -> None:
    with (
        MockServer(endpoints=LOCAL, proxy_mode=True, ca_dir=str(tmp_path / "ca")) as mock,
        httpx.Client(proxy=mock.url) as client,
    ):
        assert client.get(f"http://127.0.0.1:{real.port}/hello").status_code == 404
    assert real.requests.count(path="/hello") == 0
