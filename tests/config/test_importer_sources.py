"""Reload sees the other files an importer read (``Importer.sources``): the Postman
environment beside a collection, or chosen for the run, and any plugin's own, over a
real server."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from apidouble.config.cache import DocumentCache
from apidouble.config.load import load_config
from apidouble.errors import ConfigError
from apidouble.importers.postman import ENVIRONMENT_VARIABLE
from apidouble.plugins import IMPORTERS, unload_plugins
from tests.test_plugins import Site
from tests.waiting import wait_for

DATA = Path(__file__).resolve().parent.parent / "importers" / "data_postman"
SHOP = DATA / "shop.postman_collection.json"
ENVIRONMENT = DATA / "shop.postman_environment.json"


def _tenant(url: str) -> str:
    return httpx.get(url + "/v2/products/42").headers["x-tenant"]


def _environment(path: Path, tenant: str) -> None:
    data = json.loads(ENVIRONMENT.read_text(encoding="utf-8-sig"))
    for value in data["values"]:
        if value["key"] == "tenant":
            value["value"] = tenant
    path.write_text(json.dumps(data))


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    shutil.copy(SHOP, folder / SHOP.name)
    shutil.copy(ENVIRONMENT, folder / ENVIRONMENT.name)
    return folder / SHOP.name


def test_editing_the_environment_beside_a_collection_changes_the_answer_on_reload(
    shop: Path,
) -> None:
    with MockServer(shop) as mock:
        assert _tenant(mock.url) == "acme"
        _environment(shop.with_name(ENVIRONMENT.name), "initech")
        assert httpx.post(mock.url + "/__reload").status_code == 200
        assert _tenant(mock.url) == "initech"


def test_an_environment_created_after_the_first_load_is_read_on_reload(shop: Path) -> None:
    beside = shop.with_name(ENVIRONMENT.name)
    beside.unlink()
    with MockServer(shop) as mock:
        assert _tenant(mock.url) == "collection-tenant"
        _environment(beside, "umbrella")
        httpx.post(mock.url + "/__reload")
        assert _tenant(mock.url) == "umbrella"


def test_hot_reload_watches_an_environment_chosen_in_another_folder(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "envs" / "staging.json"
    elsewhere.parent.mkdir()
    _environment(elsewhere, "staging-tenant")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(elsewhere))  # what run --postman-env sets
    with MockServer(shop, watch=True) as mock:
        assert _tenant(mock.url) == "staging-tenant"
        _environment(elsewhere, "edited-tenant")
        assert wait_for(lambda: _tenant(mock.url) == "edited-tenant")


def test_an_unchanged_collection_and_environment_come_from_the_cache(shop: Path) -> None:
    cache = DocumentCache()
    first = load_config(shop, cache=cache)
    again = load_config(shop, cache=cache)
    assert again.stubs[0] is first.stubs[0]  # nothing changed: not converted again
    assert shop.with_name(ENVIRONMENT.name).absolute() in again.data_files
    _environment(shop.with_name(ENVIRONMENT.name), "initech")
    assert load_config(shop, cache=cache).stubs[0] is not first.stubs[0]


def test_a_missing_environment_is_stamped_so_the_collection_stays_cached(shop: Path) -> None:
    beside = shop.with_name(ENVIRONMENT.name)
    beside.unlink()
    cache = DocumentCache()
    first = load_config(shop, cache=cache)
    assert load_config(shop, cache=cache).stubs[0] is first.stubs[0]
    _environment(beside, "umbrella")
    assert load_config(shop, cache=cache).stubs[0] is not first.stubs[0]


# --- a plugin importer's own sources ------------------------------------------------

IMPORTER = """
import json
from pathlib import Path

def detect(data, path):
    return isinstance(data, dict) and "greeting_from" in data

def convert(data, path):
    text = (path.parent / data["greeting_from"]).read_text().strip()
    return {"endpoints": [{"path": "/hello", "response": text}]}

def sources(data, path):
    if data.get("broken_sources"):
        raise RuntimeError("no idea")
    return [data["greeting_from"]]  # relative to the document's folder
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    folder = tmp_path / "site"
    folder.mkdir()
    unload_plugins()
    monkeypatch.syspath_prepend(str(folder))
    installed = Site(folder)
    installed.install(
        "greetings", {IMPORTERS: {"greeting": "greeting_importer"}}, {"greeting_importer": IMPORTER}
    )
    yield installed
    unload_plugins()


def test_a_plugins_sources_are_read_again_on_reload(site: Site, tmp_path: Path) -> None:
    config = tmp_path / "greeting.json"
    config.write_text(json.dumps({"greeting_from": "words/hello.txt"}))
    words = tmp_path / "words" / "hello.txt"
    words.parent.mkdir()
    words.write_text("hello")
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/hello").text == "hello"
        words.write_text("bonjour")
        httpx.post(mock.url + "/__reload")
        assert httpx.get(mock.url + "/hello").text == "bonjour"


def test_sources_that_fail_are_a_problem_of_the_file_naming_the_importer(
    site: Site, tmp_path: Path
) -> None:
    config = tmp_path / "greeting.json"
    config.write_text(json.dumps({"greeting_from": "hello.txt", "broken_sources": True}))
    (tmp_path / "hello.txt").write_text("hello")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (problem,) = caught.value.problems
    assert problem.file == str(config)
    assert "importer 'greeting'" in problem.message and "RuntimeError: no idea" in problem.message


def test_the_watch_widens_to_a_folder_a_reload_started_reading(site: Site, tmp_path: Path) -> None:
    config = tmp_path / "conf" / "greeting.json"
    config.parent.mkdir()
    (tmp_path / "conf" / "hello.txt").write_text("hello")
    config.write_text(json.dumps({"greeting_from": "hello.txt"}))
    later = tmp_path / "elsewhere" / "hi.txt"
    later.parent.mkdir()
    later.write_text("hi")
    with MockServer(config, watch=True) as mock:
        assert httpx.get(mock.url + "/hello").text == "hello"
        config.write_text(json.dumps({"greeting_from": str(later)}))
        assert wait_for(lambda: httpx.get(mock.url + "/hello").text == "hi")
        later.write_text("hi again")  # a folder no file of the first load was in
        assert wait_for(lambda: httpx.get(mock.url + "/hello").text == "hi again")
