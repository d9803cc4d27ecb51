"""Postman collections (v1, v2.0, v2.1) served and imported through the ``postman``
importer: saved examples become stubs, served over a real socket.

``data_postman/newman/`` is newman's own collections (Apache-2.0, Postdot Technologies:
see ``data_postman/README.md``); the others were written for these tests.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from apidouble import MockServer
from apidouble.cli import main
from apidouble.config.load import load_config
from apidouble.errors import ConfigError
from apidouble.importers import postman

DATA = Path(__file__).resolve().parent / "data_postman"
NEWMAN = DATA / "newman"
SHOP = DATA / "shop.postman_collection.json"
ECHO = NEWMAN / "echo-v2.postman_collection.json"

NOTHING_TO_SERVE = {
    "bom-in-collection-file.postman_collection.json": "A simple GET request",
    "custom-http-method.postman_collection.json": "form-data",
    "helper.postman_collection.json": "OAuth",
    "inherited-entities.postman_collection.json": "Collection level stuff / Variables",
    "multi-level-folders-v1.postman_collection.json": "F1 / F1.R1",
    "multi-level-folders-v2.postman_collection.json": "F1 / F1.R1",
    "protocol-profile-behavior.postman_collection.json": "followRedirects / followRedirects",
    "request-body-with-get.postman_collection.json": "default",
    "sample-collection.json": "A simple GET request",
    "v1.postman_collection.json": "A simple GET request",
}
"""newman's collections without one saved example, and the first request named."""


@pytest.fixture(scope="module")
def echo() -> Iterator[httpx.Client]:
    with MockServer(ECHO) as mock, httpx.Client(base_url=mock.url) as http:
        yield http


@pytest.fixture(scope="module")
def shop() -> Iterator[httpx.Client]:
    with MockServer(SHOP) as mock, httpx.Client(base_url=mock.url) as http:
        yield http


def _newman() -> list[Path]:
    return sorted(p for p in NEWMAN.glob("*.json"))


def test_the_copied_corpus_is_every_newman_collection() -> None:
    names = {p.name for p in _newman()}
    expected = {*NOTHING_TO_SERVE, ECHO.name, "inherited-entities.postman_environment.json"}
    assert names == expected
    assert (NEWMAN / "LICENSE.md").read_text().lstrip().startswith("Apache License")


@pytest.mark.parametrize("path", _newman(), ids=lambda p: p.name)
def test_every_newman_collection_imports_or_is_refused_naming_the_file(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    assert postman.detect(data, path)
    if path.name in NOTHING_TO_SERVE:
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        (problem,) = caught.value.problems
        assert problem.file == str(path)
        assert "nothing to serve" in problem.message
        assert f"({NOTHING_TO_SERVE[path.name]}" in problem.message
        assert "no saved example" in problem.message
    elif path.name.endswith("environment.json"):
        assert load_config(path).stubs == ()
    else:
        assert len(load_config(path).stubs) == 13


def test_the_bom_file_parses_and_is_a_v20_collection() -> None:
    path = NEWMAN / "bom-in-collection-file.postman_collection.json"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(ConfigError, match="nothing to serve"):
        load_config(path)


def test_a_collection_with_a_bom_serves(tmp_path: Path) -> None:
    bommed = tmp_path / "bom.postman_collection.json"
    bommed.write_bytes(b"\xef\xbb\xbf" + SHOP.read_bytes())
    with MockServer(bommed) as mock:
        assert httpx.get(f"{mock.url}/v2/products", params={"q": "shoes", "page": 1}).is_success


# --- echo-v2 (v2.0): the saved examples of the Postman Echo collection ---------------


def test_echo_serves_its_saved_examples(echo: httpx.Client) -> None:
    digest = echo.get("/digest-auth")
    assert (digest.status_code, digest.json()) == (200, {"authenticated": True})
    assert digest.headers["content-type"] == "application/json; charset=utf-8"
    assert digest.headers["server"] == "nginx/1.6.2"
    assert "content-encoding" not in digest.headers  # the saved body is not gzipped
    cookies = echo.get("/cookies")
    assert cookies.json() == {"cookies": {"foo2": "bar"}}
    user = echo.get("/oauth2/user/info")
    assert user.json() == {"user_id": 1, "name": "postman"}
    token = echo.post("/oauth2/token")
    assert token.json()["token_type"] == "Bearer"


def test_echo_requests_without_examples_are_not_served(echo: httpx.Client) -> None:
    assert echo.get("/get", params={"test": "123"}).status_code == 404
    assert echo.get("/headers").status_code == 404


def test_the_query_of_an_example_is_matched(echo: httpx.Client) -> None:
    hit = echo.get("/cookies/set", params={"foo1": "bar1", "foo2": "bar2"})
    assert hit.json() == {"cookies": {"foo1": "bar", "foo2": "bar"}}
    assert echo.get("/cookies/set", params={"foo1": "bar1", "foo2": "other"}).status_code == 404
    assert echo.get("/cookies/delete?foo1&foo2").status_code == 200  # names without values
    assert echo.get("/cookies/delete?foo1=a&foo2=b").status_code == 200  # any value
    assert echo.get("/cookies/delete?foo1").status_code == 404


def test_a_2xx_example_answers_by_default_and_headers_pick_the_others(
    echo: httpx.Client,
) -> None:
    assert echo.get("/basic-auth").json() == {"authenticated": True}  # the 401 comes first
    by_code = echo.get("/basic-auth", headers={"x-mock-response-code": "401"})
    assert (by_code.status_code, by_code.text) == (401, "Unauthorized")
    assert by_code.headers["www-authenticate"] == 'Basic realm="Users"'
    by_name = echo.get("/basic-auth", headers={"x-mock-response-name": "401"})
    assert by_name.status_code == 401
    assert echo.get("/basic-auth", headers={"x-mock-response-code": "200"}).status_code == 200


# --- variables, folders, query and body (v2.1) ----------------------------------------


def test_collection_variables_resolve_and_unknown_ones_are_path_parameters(
    shop: httpx.Client,
) -> None:
    found = shop.get("/v2/products/42")  # {{apiVersion}} is v2, {{productId}} unknown
    assert found.status_code == 200
    assert shop.get("/v2/products/7").status_code == 200
    assert shop.get("/%7B%7BapiVersion%7D%7D/products/42").status_code == 404
    order = shop.get("/users/3/orders/99")  # :userId and {{orderId}}
    assert order.json() == {"order": True}


def test_the_environment_beside_the_collection_wins_over_its_variables(
    shop: httpx.Client,
) -> None:
    found = shop.get("/v2/products/42")
    assert found.headers["x-tenant"] == "acme"  # the environment's, not the collection's
    made = shop.post("/v2/orders", json={"sku": "ABC-1", "qty": 2})
    assert made.json() == {"id": 1, "tenant": "acme"}
    assert made.headers["location"] == "/v2/orders/1"  # disabled env value: the collection's


def test_without_the_environment_the_collections_variables_hold(tmp_path: Path) -> None:
    alone = tmp_path / SHOP.name
    shutil.copy(SHOP, alone)
    with MockServer(alone) as mock:
        found = httpx.get(f"{mock.url}/v2/products/42")
        assert found.headers["x-tenant"] == "collection-tenant"


def test_dynamic_variables_are_drawn_and_unknown_ones_stay_literal(shop: httpx.Client) -> None:
    first, second = shop.get("/v2/products/42"), shop.get("/v2/products/42")
    body = first.json()
    assert uuid.UUID(body["id"]).version == 4
    assert uuid.UUID(first.headers["x-request-id"]).version == 4
    assert body["id"] != second.json()["id"]
    assert isinstance(body["at"], int) and body["at"] > 1_700_000_000
    assert 0 <= body["stock"] <= 1000
    assert body["note"] == "{{unknownVar}} {% raw %}"
    assert body["secret"] == "{{secret}}"  # a disabled variable is not resolved
    assert "content-encoding" not in first.headers and "x-old" not in first.headers


def test_enabled_query_parameters_match_and_disabled_ones_are_ignored(
    shop: httpx.Client,
) -> None:
    hit = shop.get("/v2/products", params={"q": "shoes", "page": "3"})
    assert hit.json() == [{"sku": "ABC-1", "name": "Runner"}]
    assert shop.get("/v2/products", params={"q": "boots", "page": "3"}).status_code == 404
    assert shop.get("/v2/products", params={"q": "shoes"}).status_code == 404  # {{page}}: any
    assert shop.get("/v2/products", params={"q": "shoes", "page": "1", "debug": "0"}).is_success


def test_a_raw_json_body_is_matched(shop: httpx.Client) -> None:
    assert shop.post("/v2/orders", json={"qty": 2, "sku": "ABC-1"}).status_code == 201
    assert shop.post("/v2/orders", json={"sku": "XYZ", "qty": 2}).status_code == 404
    picked = shop.post(
        "/v2/orders", json={"sku": "ABC-1", "qty": 2}, headers={"x-mock-response-code": "409"}
    )
    assert picked.json() == {"error": "out of stock"}
    declined = shop.post(
        "/v2/orders", json={"sku": "ABC-1", "qty": 2}, headers={"x-mock-response-name": "Rejected"}
    )
    assert (declined.status_code, declined.reason_phrase) == (402, "Payment Declined")
    assert declined.headers["content-type"].startswith("text/plain")


def test_requests_without_examples_and_custom_methods_are_skipped(shop: httpx.Client) -> None:
    assert shop.get("/health").status_code == 404
    names = [s.name for s in load_config(SHOP).stubs]
    assert not any("Health" in str(n) or "Purge" in str(n) for n in names)


def test_what_is_not_served_is_logged_with_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="apidouble.importers.postman"):
        load_config(SHOP)
    (record,) = caplog.records
    assert record.getMessage() == (
        f"{SHOP}: 2 request(s) not served: Orders / Health: no saved example;"
        " Orders / Purge orders / Purged: method PURGEALL is not one apidouble serves"
    )


def test_nested_folders_keep_the_collections_order_and_name_the_stubs() -> None:
    names = [s.name for s in load_config(SHOP).stubs]
    assert names == [
        "Shop / Catalog / Products / Details / Get product / Found",
        "Shop / Catalog / Products / Search products / Shoes",
        "Shop / Orders / Create order / Out of stock (x-mock-response-name: Out of stock)",
        "Shop / Orders / Create order / Out of stock (x-mock-response-code: 409)",
        "Shop / Orders / Create order / Created",
        "Shop / Orders / Create order / Rejected (x-mock-response-name: Rejected)",
        "Shop / Orders / Create order / Rejected (x-mock-response-code: 402)",
        "Shop / Orders / Get user order / An order",
    ]


# --- v2.0 string forms and v1 ---------------------------------------------------------


def test_v20_string_urls_and_headers(tmp_path: Path) -> None:
    with MockServer(DATA / "forms-v20.postman_collection.json") as mock:
        pong = httpx.get(f"{mock.url}/ping?verbose")
        assert pong.text == "pong {{notAVariable}}"  # no template: sent as saved
        assert pong.headers["x-kind"] == "v20"
        assert pong.headers.get_list("set-cookie") == ["a=1", "b=2"]
        assert pong.headers["content-type"].startswith("text/plain")
        assert httpx.get(f"{mock.url}/ping").status_code == 404
        script = httpx.get(f"{mock.url}/script.js")  # no header: the preview language's type
        assert script.headers["content-type"].startswith("application/javascript")


def test_a_v1_collection_serves_its_saved_responses_folders_first() -> None:
    path = DATA / "legacy-v1.postman_collection.json"
    names = [s.name for s in load_config(path).stubs]
    assert names == ["Legacy / Outer / Inner / Inner request / Made", "Legacy / Root / Thing"]
    with MockServer(path) as mock:
        made = httpx.post(f"{mock.url}/things", json={"name": "new"})
        assert (made.status_code, made.text) == (201, "made")
        assert httpx.post(f"{mock.url}/things", json={"name": "old"}).status_code == 404
        assert httpx.get(f"{mock.url}/things/1").json() == {"thing": "root"}
        assert httpx.get(f"{mock.url}/outer").status_code == 404


def test_a_folder_with_a_collection_and_its_environment_loads(tmp_path: Path) -> None:
    for name in (SHOP.name, "shop.postman_environment.json"):
        shutil.copy(DATA / name, tmp_path / name)
    with MockServer(tmp_path) as mock:
        assert httpx.get(f"{mock.url}/v2/products/1").headers["x-tenant"] == "acme"


# --- detection and the CLI ------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"log": {"entries": []}},
        {"item": [{"id": 1}], "name": "rows"},
        {"values": [{"key": "a", "value": 1}]},
        {"requests": [{"id": 1}]},
        [1, 2],
    ],
    ids=["har", "json-server-rows", "values-without-environment-name", "requests-only", "list"],
)
def test_other_documents_are_not_claimed(data: object) -> None:
    assert not postman.detect(data, Path("data.json"))


def test_a_v21_collection_without_info_is_claimed_by_shape() -> None:
    data = {"name": "x", "item": [{"name": "r", "request": "https://a.example/b"}]}
    assert postman.detect(data, Path("x.json"))


def test_apidouble_import_postman_writes_yaml_that_serves(tmp_path: Path) -> None:
    out = tmp_path / "echo.yaml"
    assert main(["import", "postman", str(ECHO), "-o", str(out)]) == 0
    text = out.read_text()
    assert "&id" not in text and "*id" not in text  # no YAML aliases
    document = yaml.safe_load(text)
    assert len(document["endpoints"]) == 13
    with MockServer(out) as mock:
        assert httpx.get(f"{mock.url}/digest-auth").json() == {"authenticated": True}


def test_apidouble_import_postman_refuses_a_collection_without_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = NEWMAN / "sample-collection.json"
    assert main(["import", "postman", str(path)]) == 1
    error = capsys.readouterr().err
    assert re.search(r"cannot convert .*sample-collection\.json: .*nothing to serve", error)


def _other_environment(path: Path, tenant: str) -> Path:
    data = json.loads((DATA / "shop.postman_environment.json").read_text(encoding="utf-8-sig"))
    for value in data["values"]:
        if value["key"] == "tenant":
            value["value"] = tenant
    path.write_text(json.dumps(data))
    return path


def test_import_postman_env_chooses_the_environment(tmp_path: Path) -> None:
    chosen = _other_environment(tmp_path / "staging.json", "globex")
    out = tmp_path / "shop.yaml"
    assert main(["import", "postman", str(SHOP), "--env", str(chosen), "-o", str(out)]) == 0
    with MockServer(out) as mock:
        assert httpx.get(f"{mock.url}/v2/products/42").headers["x-tenant"] == "globex"


def test_import_env_is_for_postman_and_must_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "wiremock", str(tmp_path), "--env", str(tmp_path / "e.json")]) == 2
    assert "--env is for postman" in capsys.readouterr().err
    assert main(["import", "postman", str(SHOP), "--env", str(tmp_path / "none.json")]) == 1
    assert "no environment file" in capsys.readouterr().err


def test_run_postman_env_serves_every_collection_with_the_chosen_environment(
    tmp_path: Path,
) -> None:
    chosen = _other_environment(tmp_path / "staging.json", "globex")
    command = [sys.executable, "-m", "apidouble", "run", str(SHOP), "--postman-env", str(chosen)]
    command += ["--port", "0", "--no-watch"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip().rsplit(" ", 1)[1]
            assert httpx.get(f"{url}/v2/products/42").headers["x-tenant"] == "globex"
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=30) == 0
        finally:
            server.kill()
    missing = subprocess.run(
        [*command[:5], "--postman-env", str(tmp_path / "none.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no Postman environment" in missing.stderr
