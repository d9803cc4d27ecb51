"""Mapping writes through WireMock's admin API: served at once, persisted, nothing lost.

Status codes and shapes are WireMock 3.13's (checked against the jar): 201 with the
mapping on create, 200 with it on replace, 200 ``{}`` on delete, an empty 404 for an
unknown mapping, 422 ``code 109`` for a taken id.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer

from .conftest import HELLO_ID

NEW_ID = "22222222-2222-2222-2222-222222222222"


def mapping(url: str, status: int = 200, **extra: Any) -> dict[str, Any]:
    return {"request": {"method": "GET", "url": url}, "response": {"status": status}, **extra}


def persisted(root: Path) -> list[str]:
    folder = root / "mappings" / ".apidouble" / "mappings"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def test_a_created_mapping_is_served_listed_and_persisted(
    root: Path, mock: MockServer, client: httpx.Client
) -> None:
    answer = client.post("/__admin/mappings", json={"id": NEW_ID, **mapping("/new", 202)})
    assert answer.status_code == 201
    assert answer.json()["id"] == NEW_ID and answer.json()["request"]["url"] == "/new"
    assert client.get("/new").status_code == 202
    assert client.get(f"/__admin/mappings/{NEW_ID}").json()["response"]["status"] == 202
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 5
    assert persisted(root) == [NEW_ID]
    saved = json.loads((root / "mappings/.apidouble/mappings" / f"{NEW_ID}.json").read_text())
    assert saved["request"] == {"method": "GET", "url": "/new"}


def test_a_mapping_without_id_gets_a_uuid(client: httpx.Client) -> None:
    created = client.post("/__admin/mappings", json=mapping("/anon")).json()
    assert len(created["id"]) == 36 and created["uuid"] == created["id"]
    assert client.get(f"/__admin/mappings/{created['id']}").status_code == 200


def test_persisted_mappings_are_served_after_a_restart(root: Path) -> None:
    with MockServer(root / "mappings") as first:
        httpx.post(first.url + "/__admin/mappings", json={"id": NEW_ID, **mapping("/kept", 203)})
    with MockServer(root / "mappings") as second:
        assert httpx.get(second.url + "/kept").status_code == 203
        assert httpx.get(second.url + "/hello").text == "hi"  # the files still serve


def test_a_non_persistent_mapping_is_not_written_until_saved(
    root: Path, client: httpx.Client
) -> None:
    body = {"id": NEW_ID, **mapping("/tmp"), "persistent": False}
    assert client.post("/__admin/mappings", json=body).status_code == 201
    assert client.get("/tmp").status_code == 200
    assert persisted(root) == []
    assert client.post("/__admin/mappings/save").status_code == 200
    assert persisted(root) == [NEW_ID]


def test_replacing_a_file_mapping_never_touches_the_users_file(
    root: Path, client: httpx.Client
) -> None:
    before = (root / "mappings" / "all.json").read_text()
    answer = client.put(f"/__admin/mappings/{HELLO_ID}", json=mapping("/hello", 418))
    assert answer.status_code == 200 and answer.json()["id"] == HELLO_ID
    assert client.get("/hello").status_code == 418
    assert (root / "mappings" / "all.json").read_text() == before
    assert persisted(root) == [HELLO_ID]
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 4


def test_unknown_and_malformed_ids(client: httpx.Client) -> None:
    unknown = "99999999-9999-9999-9999-999999999999"
    missing = client.put(f"/__admin/mappings/{unknown}", json=mapping("/x"))
    assert (missing.status_code, missing.content) == (404, b"")
    gone = client.delete(f"/__admin/mappings/{unknown}")
    assert (gone.status_code, gone.content) == (404, b"")
    assert client.delete("/__admin/mappings/not-a-uuid").status_code == 400


def test_deleting_a_mapping_removes_it_and_its_file(root: Path, client: httpx.Client) -> None:
    client.post("/__admin/mappings", json={"id": NEW_ID, **mapping("/doomed")})
    answer = client.delete(f"/__admin/mappings/{NEW_ID}")
    assert (answer.status_code, answer.json()) == (200, {})
    assert client.get("/doomed").status_code == 404
    assert persisted(root) == []
    assert client.delete(f"/__admin/mappings/{HELLO_ID}").status_code == 200
    assert client.get("/hello").status_code == 404  # a file stub: hidden, the file kept
    assert client.post("/__admin/mappings/reset").status_code == 200
    assert client.get("/hello").text == "hi"


def test_a_taken_id_is_refused_and_changes_nothing(root: Path, client: httpx.Client) -> None:
    answer = client.post("/__admin/mappings", json={"id": HELLO_ID, **mapping("/hello", 500)})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["code"] == 109
    assert client.get("/hello").text == "hi"
    assert persisted(root) == []


def test_a_bad_mapping_is_refused_with_its_pointer(root: Path, client: httpx.Client) -> None:
    answer = client.post("/__admin/mappings", json={"request": {"urlz": "/a"}, "response": {}})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["source"]["pointer"] == "/request/urlz"
    broken = client.post("/__admin/mappings", content=b'{"request":{"url":"/a"},"respo')
    assert broken.status_code == 422
    assert client.post("/__admin/mappings", json=[1, 2]).status_code == 422
    bad_id = client.post("/__admin/mappings", json={"id": "../../etc/x", **mapping("/a")})
    assert bad_id.status_code == 422
    assert bad_id.json()["errors"][0]["source"]["pointer"] == "/id"
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 4
    assert persisted(root) == []


@pytest.mark.parametrize(
    ("key", "value"), [("postServeActions", -4.9e16), ("metadata", [1]), ("persistent", "yes")]
)
def test_a_kept_key_of_the_wrong_type_is_refused(
    client: httpx.Client, key: str, value: Any
) -> None:
    """Found by schemathesis: such a mapping was stored and shown back as given."""
    answer = client.post("/__admin/mappings", json={**mapping("/typed"), key: value})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["source"]["pointer"] == f"/{key}"
    older = {"webhook": {"url": "http://127.0.0.1:9/"}}  # WireMock 2's map of actions
    kept = client.post("/__admin/mappings", json={**mapping("/typed"), "postServeActions": older})
    assert kept.status_code == 201


def test_a_listener_with_an_unknown_phase_is_refused(client: httpx.Client) -> None:
    """Found by schemathesis: a non-webhook listener was kept with any requestPhases."""
    listener = {"name": "other", "requestPhases": ["AFTER_MATCH", "__not_a_phase__"]}
    answer = client.post(
        "/__admin/mappings", json={**mapping("/phases"), "serveEventListeners": [listener]}
    )
    assert answer.status_code == 422
    assert "requestPhases" in json.dumps(answer.json())
    fine = {"name": "other", "requestPhases": ["BEFORE_MATCH", "AFTER_COMPLETE"]}
    kept = client.post(
        "/__admin/mappings", json={**mapping("/phases"), "serveEventListeners": [fine]}
    )
    assert kept.status_code == 201


def test_delete_all_then_reset(root: Path, client: httpx.Client) -> None:
    client.post("/__admin/mappings", json={"id": NEW_ID, **mapping("/new")})
    assert client.delete("/__admin/mappings").json() == {}
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 0
    assert persisted(root) == []
    client.post("/__admin/mappings/reset")
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 4
    assert client.get("/new").status_code == 404


def test_import_overwrites_or_ignores_and_may_delete_the_rest(client: httpx.Client) -> None:
    changed = {"id": HELLO_ID, **mapping("/hello", 201)}
    extra = {"id": NEW_ID, **mapping("/extra", 202)}
    ignore = {"mappings": [changed, extra], "importOptions": {"duplicatePolicy": "IGNORE"}}
    assert client.post("/__admin/mappings/import", json=ignore).status_code == 200
    assert client.get("/hello").status_code == 200 and client.get("/extra").status_code == 202
    overwrite = {"mappings": [changed], "importOptions": {"deleteAllNotInImport": True}}
    assert client.post("/__admin/mappings/import", json=overwrite).status_code == 200
    assert client.get("/hello").status_code == 201
    assert client.get("/extra").status_code == 404
    assert client.get("/__admin/mappings").json()["meta"]["total"] == 1
    bad = {"mappings": [extra, {"request": {"urlz": "/"}}]}
    answer = client.post("/__admin/mappings/import", json=bad)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["source"]["pointer"].startswith("/mappings/1")
    assert client.get("/extra").status_code == 404  # one bad mapping: none imported


def test_find_and_remove_by_metadata(client: httpx.Client) -> None:
    client.post(
        "/__admin/mappings", json={"id": NEW_ID, **mapping("/m"), "metadata": {"team": "b"}}
    )
    pattern = {"matchesJsonPath": {"expression": "$.team", "equalTo": "b"}}
    found = client.post("/__admin/mappings/find-by-metadata", json=pattern).json()
    assert [m["id"] for m in found["mappings"]] == [NEW_ID] and found["meta"]["total"] == 1
    assert client.post("/__admin/mappings/remove-by-metadata", json=pattern).json() == {}
    assert client.get("/m").status_code == 404


def test_unmatched_mappings_are_those_never_served(client: httpx.Client) -> None:
    client.get("/hello")
    unmatched = client.get("/__admin/mappings/unmatched").json()
    ids = {m["id"] for m in unmatched["mappings"]}
    assert HELLO_ID not in ids and len(ids) == 3 == unmatched["meta"]["total"]
    assert client.delete("/__admin/mappings/unmatched").status_code == 200
    assert [m["id"] for m in client.get("/__admin/mappings").json()["mappings"]] == [HELLO_ID]


def test_runtime_mappings_survive_a_file_reload(root: Path, mock: MockServer) -> None:
    httpx.post(mock.url + "/__admin/mappings", json={"id": NEW_ID, **mapping("/new", 202)})
    (root / "mappings" / "more.json").write_text(json.dumps(mapping("/more", 204)))
    mock.reload()
    assert httpx.get(mock.url + "/more").status_code == 204
    assert httpx.get(mock.url + "/new").status_code == 202


def test_fifty_concurrent_creates_are_all_kept(root: Path) -> None:
    ids = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(50)]
    with MockServer(root / "mappings") as mock:

        def create(mapping_id: str) -> int:
            body = {"id": mapping_id, **mapping(f"/c/{mapping_id}")}
            return httpx.post(mock.url + "/__admin/mappings", json=body).status_code

        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(create, ids)) == [201] * 50
    assert persisted(root) == sorted(ids)
    with MockServer(root / "mappings") as again:
        listed = httpx.get(again.url + "/__admin/mappings").json()["meta"]["total"]
        assert listed == 54
        assert all(httpx.get(f"{again.url}/c/{i}").status_code == 200 for i in ids)


def test_the_admin_token_guards_writes(root: Path) -> None:
    with MockServer(root / "mappings", admin_token="s3cret") as mock:
        refused = httpx.post(mock.url + "/__admin/mappings", json=mapping("/x"))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(mock.url + "/x").status_code == 404
        health = httpx.get(mock.url + "/__admin/health").json()
        assert health == {"status": "healthy"}
        bearer = {"Authorization": "Bearer s3cret"}
        assert httpx.get(mock.url + "/__admin/health", headers=bearer).json()["stubs"] == 4
        wrong = {"Authorization": "Bearer s3cre"}
        assert httpx.get(mock.url + "/__admin/mappings", headers=wrong).status_code == 401
        made = httpx.post(mock.url + "/__admin/mappings", json=mapping("/x"), headers=bearer)
        assert made.status_code == 201
        assert httpx.get(mock.url + "/x").status_code == 200


def test_an_oversized_admin_body_is_refused_before_it_is_read(root: Path) -> None:
    """Admin bodies share the server's body cap (``--max-body-bytes``, 10 MiB by default)."""
    huge = b'{"request": {"url": "/big"}, "response": {"body": "' + b"x" * 300_000 + b'"}}'
    with MockServer(root / "mappings", max_body_bytes=100_000) as mock:
        answer = httpx.post(mock.url + "/__admin/mappings", content=huge)
        assert answer.status_code == 413
        assert httpx.get(mock.url + "/__admin/mappings").json()["meta"]["total"] == 4
    assert persisted(root) == []


def test_concurrent_creates_of_one_id_let_one_through(
    client: httpx.Client, mock: MockServer
) -> None:
    def create(url: str) -> int:
        body = {"id": NEW_ID, **mapping(url)}
        return httpx.post(mock.url + "/__admin/mappings", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(create, [f"/same/{n}" for n in range(8)]))
    assert statuses == [201] + [422] * 7


def test_a_mappings_list_is_not_one_mapping(client: httpx.Client) -> None:
    for body in ({"mappings": []}, {"mappings": 5}, {"mappings": [mapping("/x")]}):
        answer = client.post("/__admin/mappings", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["source"]["pointer"] == "/mappings"


def test_replacing_a_native_stubs_mapping_replaces_the_stub(tmp_path: Path) -> None:
    (tmp_path / "apidouble.yaml").write_text("endpoints:\n  - {name: users, path: /users}\n")
    with MockServer(tmp_path / "apidouble.yaml") as mock, httpx.Client(base_url=mock.url) as c:
        mapping_id = c.get("/__admin/mappings").json()["mappings"][0]["id"]
        assert (
            c.put(f"/__admin/mappings/{mapping_id}", json=mapping("/people", 201)).status_code
            == 200
        )
        assert c.get("/people").status_code == 201
        assert c.get("/users").status_code == 404
        assert c.get("/__admin/mappings").json()["meta"]["total"] == 1


def test_a_stub_changing_kind_keeps_one_file(tmp_path: Path) -> None:
    (tmp_path / "apidouble.yaml").write_text("endpoints: []\n")
    folder = tmp_path / ".apidouble"
    with MockServer(tmp_path / "apidouble.yaml") as mock, httpx.Client(base_url=mock.url) as c:
        assert c.post("/__admin/mappings", json={"id": NEW_ID, **mapping("/wm")}).status_code == 201
        native = {"path": "/native", "response": "n"}
        assert c.put(f"/__admin/endpoints/{NEW_ID}", json=native).status_code == 200
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json")) == [
            f"endpoints/{NEW_ID}.json"
        ]
        assert c.delete(f"/__admin/endpoints/{NEW_ID}").status_code == 200
        assert list(folder.rglob("*.json")) == []
    with MockServer(tmp_path / "apidouble.yaml") as mock:
        assert httpx.get(mock.url + "/wm").status_code == 404


def test_persisted_writes_do_not_trigger_reloads(root: Path, mock: MockServer) -> None:
    reloader = mock._runtime.reloader
    assert reloader is not None
    from watchfiles import Change

    persisted_file = root / "mappings" / ".apidouble" / "mappings" / f"{NEW_ID}.json"
    assert not reloader._relevant(Change.added, str(persisted_file))
    assert reloader._relevant(Change.added, str(root / "mappings" / "more.json"))


def test_a_replaced_mapping_keeps_its_precedence_across_a_restart(root: Path) -> None:
    first, second = NEW_ID, "33333333-3333-3333-3333-333333333333"
    with MockServer(root / "mappings") as mock, httpx.Client(base_url=mock.url) as c:
        c.post("/__admin/mappings", json={"id": first, **mapping("/x", 200)})
        c.post("/__admin/mappings", json={"id": second, **mapping("/x", 201)})
        c.put(f"/__admin/mappings/{first}", json=mapping("/x", 202))
        assert c.get("/x").status_code == 201  # the newest mapping wins; a replace keeps rank
    with MockServer(root / "mappings") as mock:
        assert httpx.get(mock.url + "/x").status_code == 201


def test_a_write_that_fails_part_way_leaves_the_files_as_they_were(root: Path) -> None:
    first, second = NEW_ID, "33333333-3333-3333-3333-333333333333"
    blocked = root / "mappings" / ".apidouble" / "mappings" / f"{second}.json"
    blocked.mkdir(parents=True)  # a folder where the second file must go: that write fails
    with MockServer(root / "mappings") as mock, httpx.Client(base_url=mock.url) as c:
        body = {"mappings": [{"id": first, **mapping("/i1")}, {"id": second, **mapping("/i2")}]}
        assert c.post("/__admin/mappings/import", json=body).status_code == 500
        assert c.get("/i1").status_code == 404
    assert [p.name for p in blocked.parent.iterdir() if p.is_file()] == []
    with MockServer(root / "mappings") as mock:
        assert httpx.get(mock.url + "/i1").status_code == 404
