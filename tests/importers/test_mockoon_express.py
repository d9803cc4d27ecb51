"""Content types and bodies as Express 4 leaves them, found by the differential harness
(tests/compat/mockoon): ``res.send`` sends a 204 or 304 with no body and no
Content-Type (spotify's 204s were typed ``application/json``), and ``res.set`` alone (a
CORS preflight, a streamed file) adds a charset to text and JSON types only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from apidouble.importers.mockoon import convert_environment
from apidouble.testing import MockServer
from tests.importers.test_mockoon_serving import environment, response, route, write

_JSON = [{"key": "Content-Type", "value": "application/json"}]


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses_drop_the_body_and_its_type(tmp_path: Path, status: int) -> None:
    env = environment(route("gone", response('{"a": 1}', status, headers=_JSON), method="delete"))
    document = convert_environment(env, tmp_path / "env.json").document
    (endpoint,) = document["endpoints"]
    assert endpoint["status"] == status
    assert endpoint["response"] == ""
    assert "Content-Type" not in endpoint.get("headers", {})


@pytest.mark.parametrize("status", [200, 404])
def test_other_statuses_keep_them(tmp_path: Path, status: int) -> None:
    env = environment(route("kept", response('{"a": 1}', status, headers=_JSON)))
    (endpoint,) = convert_environment(env, tmp_path / "env.json").document["endpoints"]
    assert endpoint["response"] == '{"a": 1}'
    assert endpoint["headers"]["Content-Type"] == "application/json; charset=utf-8"


def test_a_204_is_served_empty(tmp_path: Path) -> None:
    env = environment(route("gone", response('{"a": 1}', 204, headers=_JSON), method="delete"))
    with MockServer(write(tmp_path, env)) as mock:
        answer = httpx.delete(mock.url + "/gone")
    assert answer.status_code == 204
    assert answer.content == b""
    assert "application/json" not in answer.headers.get("content-type", "")


def _cors_env(content_type: str) -> dict[str, object]:
    headers = [{"key": "Content-Type", "value": content_type}]
    return environment(route("things"), cors=True, headers=headers)


@pytest.mark.parametrize(
    ("declared", "sent"),
    [
        ("application/json", "application/json; charset=utf-8"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("application/xml", "application/xml"),
        ("application/json; charset=latin1", "application/json; charset=latin1"),
    ],
)
def test_a_preflight_is_typed_as_res_set_types_it(tmp_path: Path, declared: str, sent: str) -> None:
    with MockServer(write(tmp_path, _cors_env(declared))) as mock:
        answer = httpx.options(mock.url + "/things")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == sent


@pytest.mark.parametrize(
    ("name", "templating", "sent"),
    [
        ("data.json", False, "application/json; charset=utf-8"),  # streamed: res.set
        ("logo.png", True, "image/png"),  # not a type Mockoon templates: streamed
        ("page.xml", True, "application/xml; charset=utf-8"),  # templated: res.send
    ],
)
def test_a_file_is_typed_as_express_sends_it(
    tmp_path: Path, name: str, templating: bool, sent: str
) -> None:
    (tmp_path / name).write_bytes(b"<a/>" if name.endswith(".xml") else b"{}")
    body = response(bodyType="FILE", filePath=name, sendFileAsBody=True)
    body["disableTemplating"] = not templating
    with MockServer(write(tmp_path, environment(route("f", body)))) as mock:
        answer = httpx.get(mock.url + "/f")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == sent


EXPRESS_404 = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    "</head>\n<body>\n<pre>Cannot DELETE /things</pre>\n</body>\n</html>\n"
)


def test_what_no_route_takes_gets_expresss_404_never_a_405(tmp_path: Path) -> None:
    """mockoon-cli answers an unknown path, and a route's path with another method, with
    Express's 404 page (checked against mockoon-cli 9.9.0 by the differential harness)."""
    with MockServer(write(tmp_path, environment(route("things")))) as mock:
        other_method = httpx.delete(mock.url + "/things")
        unknown = httpx.get(mock.url + "/nothing/here", params={"q": "1"})
        served = httpx.get(mock.url + "/things")
    assert other_method.status_code == 404
    assert other_method.text == EXPRESS_404
    assert other_method.headers["content-type"] == "text/html; charset=utf-8"
    assert other_method.headers["content-security-policy"] == "default-src 'none'"
    assert unknown.status_code == 404 and "<pre>Cannot GET /nothing/here</pre>" in unknown.text
    assert served.status_code == 200


def test_with_cors_a_preflight_on_any_path_is_answered(tmp_path: Path) -> None:
    preflight = {"Origin": "http://example.com", "Access-Control-Request-Method": "GET"}
    with MockServer(write(tmp_path, _cors_env("application/json"))) as mock:
        unknown = httpx.options(mock.url + "/nothing/here", headers=preflight)
        known = httpx.options(mock.url + "/things", headers=preflight)
    for answer in (unknown, known):
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"


def test_a_native_config_says_compat_mockoon(tmp_path: Path) -> None:
    config = tmp_path / "api.yaml"
    config.write_text("compat: mockoon\nendpoints:\n  - {path: /things, response: ok}\n")
    with MockServer(config) as mock:
        answer = httpx.delete(mock.url + "/things")
    assert answer.status_code == 404 and answer.text == EXPRESS_404
    assert convert_environment(environment(), tmp_path / "e.json").document["compat"] == "mockoon"
