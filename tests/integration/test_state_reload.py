"""State lives outside compiled objects: a reload keeps the state of unchanged stubs."""

from __future__ import annotations

from pathlib import Path

import httpx

from apidouble import MockServer

_STUB = """\
endpoints:
  - name: stub-{n}
    path: /s/{n}
    responses: [{{response: "{n}-first"}}, {{response: "{n}-second"}}, {{response: "{n}-third"}}]
    rate_limit: {{requests: 2, per: 60s}}
"""


def _write(folder: Path, n: int, text: str | None = None) -> None:
    (folder / f"stub-{n:03}.yaml").write_text(text or _STUB.format(n=n))


def test_editing_one_stub_of_a_hundred_keeps_the_others_state(tmp_path: Path) -> None:
    for n in range(100):
        _write(tmp_path, n)
    with MockServer(tmp_path) as mock, httpx.Client(base_url=mock.url) as client:
        for n in range(100):
            assert client.get(f"/s/{n}").text == f"{n}-first"
        edited = _STUB.format(n=7).replace("7-first", "7-changed")
        _write(tmp_path, 7, edited)
        mock.reload()
        assert client.get("/s/7").text in ("7-changed", "7-second")
        for n in (n for n in range(100) if n != 7):
            second = client.get(f"/s/{n}")
            assert second.text == f"{n}-second", f"stub {n} lost its place in the sequence"
            third = client.get(f"/s/{n}")
            assert third.status_code == 429, f"stub {n} lost its rate-limit window"


def test_a_changed_limit_starts_a_fresh_window(tmp_path: Path) -> None:
    _write(tmp_path, 1)
    with MockServer(tmp_path) as mock, httpx.Client(base_url=mock.url) as client:
        assert [client.get("/s/1").status_code for _ in range(3)] == [200, 200, 429]
        _write(tmp_path, 1, _STUB.format(n=1).replace("requests: 2", "requests: 3"))
        mock.reload()
        assert client.get("/s/1").status_code == 200  # new settings, new window


def test_add_endpoints_keeps_the_served_stubs_state() -> None:
    seq = [{"response": "a"}, {"response": "b"}, {"response": "c"}]
    with MockServer(endpoints=[{"path": "/seq", "responses": seq}]) as mock:
        assert httpx.get(mock.url + "/seq").text == "a"
        mock.add_endpoints([{"path": "/other", "response": "o"}])
        assert httpx.get(mock.url + "/seq").text == "b"
        mock.reset()
        assert httpx.get(mock.url + "/seq").text == "a"  # a reset starts every stub over


def test_the_shared_fixture_is_emptied_between_tests(apidouble_shared: MockServer) -> None:
    assert len(apidouble_shared.requests) == 0
    assert apidouble_shared.admin.endpoints() == []
    apidouble_shared.set_endpoints([{"path": "/ping", "response": "pong"}])
    assert httpx.get(apidouble_shared.url + "/ping").text == "pong"


def test_the_shared_fixture_again_sees_nothing_of_the_last_test(
    apidouble_shared: MockServer,
) -> None:
    assert len(apidouble_shared.requests) == 0
    assert httpx.get(apidouble_shared.url + "/ping").status_code == 404
