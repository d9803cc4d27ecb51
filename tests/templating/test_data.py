"""``data:`` files: parsed at load time, confined to the config's folder, read as data.NAME."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apidouble.compiled import compile_config
from apidouble.config.load import load_config
from apidouble.engine import Engine
from apidouble.errors import ConfigError
from apidouble.model import Request
from apidouble.outcome import Respond
from apidouble.templating.data import parse_data


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        ('[{"id": 1}]', ".json", [{"id": 1}]),
        ("- id: 1\n  name: Ada\n", ".yaml", [{"id": 1, "name": "Ada"}]),
        ("a: {b: [1, 2]}\n", ".yml", {"a": {"b": [1, 2]}}),
        (
            'id,name\n1,Ada\n2,"Lovelace, A."\n',
            ".csv",
            [{"id": "1", "name": "Ada"}, {"id": "2", "name": "Lovelace, A."}],
        ),
        ("id,name\n", ".CSV", []),
    ],
)
def test_parse_data(text: str, suffix: str, expected: Any) -> None:
    assert parse_data(text, suffix) == expected


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        ('{"a": 1,\n "b": }', ".json", "invalid JSON at line 2"),
        ("a: [1,\nb: 2\n", ".yaml", "invalid YAML at line"),
        ("", ".csv", "needs a header line"),
        ("a,b\n1,2,3\n", ".csv", "more values than the header"),
    ],
)
def test_parse_errors(text: str, suffix: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_data(text, suffix)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "apidouble.yaml"


CONFIG = """\
data:
  users: data/users.json
  plans: data/plans.csv
endpoints:
  - path: /users/{id}
    response: >-
      {{ data.users | selectattr('id', 'equalto', request.params.id | int) | first | tojson }}
  - path: /plans
    response:
      names: "{% for p in data.plans %}{{ p.name }}{% if not loop.last %},{% endif %}{% endfor %}"
      first: "{{ data.plans[0] }}"
      count: "{{ data.plans | length }}"
"""


def test_data_files_are_loaded_and_usable(tmp_path: Path) -> None:
    config_path = write(
        tmp_path,
        {
            "apidouble.yaml": CONFIG,
            "data/users.json": json.dumps([{"id": 1, "name": "Ada"}, {"id": 2, "name": "Alan"}]),
            "data/plans.csv": "name,price\nfree,0\npro,9\n",
        },
    )
    config = load_config(config_path)
    assert config.data["plans"][1] == {"name": "pro", "price": "9"}
    assert [p.name for p in config.data_files] == ["users.json", "plans.csv"]
    engine = Engine(compile_config(config.stubs, data=config.data))

    def get(path: str) -> Any:
        outcome = engine.handle(Request("GET", path))
        assert isinstance(outcome, Respond)
        return json.loads(outcome.response.body)

    assert get("/users/2") == {"id": 2, "name": "Alan"}
    assert get("/plans") == {
        "names": "free,pro",
        "first": {"name": "free", "price": "0"},
        "count": 2,
    }


@pytest.mark.parametrize(
    ("files", "fragment", "line"),
    [
        ({}, "data file 'd.json' not found", 2),
        ({"d.json": "{oops"}, "data file 'd.json': invalid JSON at line 1", 2),
        ({"../outside.json": "[]"}, "leads outside the config's folder", 2),
        ({"d.txt": "x"}, "must be one of", 2),
    ],
)
def test_bad_data_files_are_config_problems(
    tmp_path: Path, files: dict[str, str], fragment: str, line: int
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    name = next(iter(files), "d.json")
    for file, text in files.items():
        (folder / file).write_text(text)
    config_path = write(folder, {"apidouble.yaml": f"data:\n  things: {name}\nendpoints: []\n"})
    with pytest.raises(ConfigError) as caught:
        load_config(config_path)
    (problem,) = caught.value.problems
    assert fragment in problem.message
    assert problem.line == line and problem.pointer == "/data/things"


def test_the_same_data_name_in_two_files_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text("[]")
    write(tmp_path, {"a.yaml": "data: {d: d.json}\nendpoints: []\n"})
    write(tmp_path, {"b.yaml": "data: {d: d.json}\nendpoints: []\n"})
    with pytest.raises(ConfigError, match="data 'd' is also defined in"):
        load_config(tmp_path)


def test_data_in_memory_configs_resolves_against_base_dir(tmp_path: Path) -> None:
    from apidouble.config.load import load_data

    (tmp_path / "d.yaml").write_text("answer: 42\n")
    loaded = load_data({"data": {"d": "d.yaml"}, "endpoints": []}, base_dir=tmp_path)
    assert loaded.data == {"d": {"answer": 42}}
