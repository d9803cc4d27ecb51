"""The reload cache: unchanged files are not loaded again, and anything they read counts."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from apidouble.compiled import CompiledConfig
from apidouble.config.cache import DocumentCache
from apidouble.config.load import load_config
from apidouble.errors import ConfigError
from apidouble.state.memory import MemoryStore
from apidouble.watch import Reloader


def _write(path: Path, endpoints: list[dict[str, object]], **top: object) -> None:
    path.write_text(json.dumps({"endpoints": endpoints, **top}))


def test_an_unchanged_file_gives_the_same_stubs_and_an_edited_one_new_ones(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "a.json", [{"name": "a", "path": "/a", "response": "a"}])
    _write(tmp_path / "b.json", [{"name": "b", "path": "/b", "response": "b"}])
    cache = DocumentCache()
    first = load_config(tmp_path, cache=cache)
    _write(tmp_path / "b.json", [{"name": "b", "path": "/b", "response": "B"}])
    second = load_config(tmp_path, cache=cache)
    assert second.stubs[0] is first.stubs[0]  # a.json came from the cache
    assert second.stubs[1].responses[0].body == "B"


def test_a_changed_environment_variable_reloads_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("endpoints: [{path: /a, response: '${WHO}'}]")
    cache = DocumentCache()
    first = load_config(tmp_path, environ={"WHO": "ada"}, cache=cache)
    second = load_config(tmp_path, environ={"WHO": "grace"}, cache=cache)
    assert first.stubs[0].responses[0].body == "ada"
    assert second.stubs[0].responses[0].body == "grace"


def test_a_changed_data_file_reloads_the_file(tmp_path: Path) -> None:
    data = tmp_path / "users.json"
    data.write_text('[{"id": 1}]')
    _write(tmp_path / "a.json", [{"path": "/a", "response": "x"}], data={"users": "users.json"})
    cache = DocumentCache()
    assert load_config(tmp_path / "a.json", cache=cache).data["users"] == [{"id": 1}]
    data.write_text('[{"id": 2}]')
    os.utime(data, ns=(1, 2))  # a different stamp, however coarse the file system clock
    assert load_config(tmp_path / "a.json", cache=cache).data["users"] == [{"id": 2}]


def test_a_name_taken_by_another_file_is_still_reported_with_a_cache(tmp_path: Path) -> None:
    _write(tmp_path / "b.json", [{"name": "same", "path": "/b"}])
    cache = DocumentCache()
    load_config(tmp_path, cache=cache)
    _write(tmp_path / "a.json", [{"name": "same", "path": "/a"}])  # sorts before b.json
    with pytest.raises(ConfigError, match="name 'same' is also the name"):
        load_config(tmp_path, cache=cache)


def test_a_reload_recompiles_only_the_edited_stubs(tmp_path: Path) -> None:
    for n in range(5):
        _write(tmp_path / f"s{n}.json", [{"name": f"s{n}", "path": f"/s{n}", "response": n}])
    (tmp_path / "body.txt").write_text("one")
    _write(tmp_path / "z.json", [{"name": "file", "path": "/f", "response_file": "body.txt"}])
    installed: list[CompiledConfig] = []
    reloader = Reloader([tmp_path], installed.append, lambda error: None, store=MemoryStore())
    before = reloader.load_now()
    _write(tmp_path / "s2.json", [{"name": "s2", "path": "/s2", "response": "edited"}])
    assert asyncio.run(reloader.reload()) is None
    after = installed[-1]
    kept = {sid for sid, c in after.stubs.items() if before.stubs.get(sid) is c}
    names = {after.stubs[sid].stub.name for sid in kept}
    assert names == {"s0", "s1", "s3", "s4"}  # not s2 (edited), not file (reads a file)
