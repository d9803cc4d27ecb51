"""The exported JSON Schema: current, valid, and agreeing with the loader on the examples."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from apidouble.config.load import load_data
from apidouble.config.schema import ConfigFile, config_json_schema
from apidouble.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "schema.json"


def export_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "export_schema", ROOT / "scripts/export_schema.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schema_matches_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == export_script().render(), (
        "docs/schema.json is stale: run .venv/bin/python scripts/export_schema.py"
    )


def test_schema_is_valid_and_documented() -> None:
    schema = config_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "apidouble config"
    assert schema["description"]
    endpoint = schema["$defs"]["Endpoint"]["properties"]
    missing = [key for key, spec in endpoint.items() if not spec.get("description")]
    assert missing == []
    assert {"validate", "path_regex", "response_base64", "failure_rate"} <= endpoint.keys()


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (ROOT / "examples").glob("*.*") if p.suffix in {".json", ".yaml"}),
)
def test_examples_are_valid_for_editors_and_loader(name: str) -> None:
    data = yaml.safe_load((ROOT / "examples" / name).read_text())
    assert list(Draft202012Validator(config_json_schema()).iter_errors(data)) == []
    ConfigFile.model_validate(data)


def test_check_mode_reports_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = export_script()
    monkeypatch.setattr(script, "TARGET", tmp_path / "schema.json")
    assert script.main(["--check"]) == 1
    assert script.main([]) == 0
    assert script.main(["--check"]) == 0
    assert json.loads((tmp_path / "schema.json").read_text()) == config_json_schema()


DURATIONS = [
    ("rate_limit", {"requests": 1, "per": 2}),
    ("rate_limit", {"requests": 1, "per": 0.5}),
    ("rate_limit", {"requests": 1, "per": "500ms"}),
    ("outage", {"every": 60, "for": "10s"}),
    ("cache", {"server": {"ttl": 30}}),
    ("cache", {"server": {"ttl": "1.5m"}}),
]


@pytest.mark.parametrize(("key", "value"), DURATIONS)
def test_durations_may_be_numbers_or_text_for_editors_and_loader(key: str, value: Any) -> None:
    data = {"endpoints": [{"path": "/a", key: value}]}
    assert list(Draft202012Validator(config_json_schema()).iter_errors(data)) == []
    behaviours = load_data(data).stubs[0].behaviours
    assert behaviours is not None
    loaded = behaviours.config[key]
    assert _within(value, loaded)  # as written: the behaviour parses it


def _within(given: Any, loaded: Any) -> bool:
    if isinstance(given, dict):
        return all(_within(item, loaded.get(name)) for name, item in given.items())
    return bool(given == loaded and type(given) is type(loaded))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("rate_limit", {"requests": 1, "per": "soon"}, "per must be a duration like"),
        ("rate_limit", {"requests": 1, "per": -1}, "per must be a finite, non-negative"),
        ("rate_limit", {"requests": 1, "per": True}, "per must be a duration like"),
        ("outage", {"every": "1d", "for": "1s"}, "every must be a duration like"),
        ("outage", {"every": "1s", "for": [1]}, "for must be a duration like"),
        ("cache", {"server": {"ttl": "30 sec"}}, "ttl must be a duration like"),
    ],
)
def test_bad_durations_are_refused_by_both(key: str, value: Any, message: str) -> None:
    data = {"endpoints": [{"path": "/a", key: value}]}
    assert list(Draft202012Validator(config_json_schema()).iter_errors(data)) != []
    with pytest.raises(ConfigError, match=message):
        load_data(data)
