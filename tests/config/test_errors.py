"""Every kind of config error names file, line, JSON pointer and stub; all are reported at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apidouble.config.load import load_config
from apidouble.errors import ConfigError, ConfigProblem

Expected = tuple[int | None, str, str | None, str]
"""line, pointer, stub label, a fragment of the message"""


def problems_of(folder: Path, files: dict[str, str], **env: str) -> list[ConfigProblem]:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(*(folder / name for name in files), environ=env)
    return caught.value.problems


def located(problem: ConfigProblem) -> Expected:
    return (problem.line, problem.pointer, problem.stub, problem.message)


YAML_CASES: list[tuple[str, str, Expected]] = [
    (
        "wrong type",
        "endpoints:\n  - name: a\n    path: /a\n    priority: high\n",
        (4, "/endpoints/0/priority", "a", "valid integer, unable to parse string"),
    ),
    (
        "unknown key with suggestion",
        "endpoints:\n  - path: /a\n    lantency_ms: 5\n",
        (
            3,
            "/endpoints/0/lantency_ms",
            "GET /a",
            "unknown key 'lantency_ms' (did you mean 'latency_ms'?)",
        ),
    ),
    (
        "unknown nested key",
        "endpoints:\n  - path: /a\n    match:\n      headers:\n"
        "        Authorization: {regexp: x}\n",
        (
            5,
            "/endpoints/0/match/headers/Authorization/regexp",
            "GET /a",
            "unknown key 'regexp' (did you mean 'regex'?)",
        ),
    ),
    (
        "unknown key without a close match",
        "endpoints:\n  - path: /a\n    responses:\n      - {status: 201, zzz: 1}\n",
        (4, "/endpoints/0/responses/0/zzz", "GET /a", "expected one of: status, headers"),
    ),
    (
        "unknown top-level key",
        "endpoints: []\nsead: 1\n",
        (2, "/sead", None, "unknown key 'sead' (did you mean 'seed'?)"),
    ),
    (
        "feature not supported yet",
        "endpoints:\n  - path: /a\n    webhooks: [{url: x}]\n",
        (3, "/endpoints/0/webhooks", "GET /a", "'webhooks' is not supported yet"),
    ),
    (
        "auth requirement of the wrong shape",
        "endpoints:\n  - path: /a\n    auth: {jwt: true}\n",
        (3, "/endpoints/0/auth/jwt", "GET /a", "expected a mapping"),
    ),
    (
        "scenario without a name",
        "endpoints:\n  - path: /a\n    scenario: {when: Started}\n",
        (3, "/endpoints/0/scenario", "GET /a", "missing required key 'name'"),
    ),
    (
        "top-level scenario not supported yet",
        "endpoints: []\nscenario: {name: s}\n",
        (2, "/scenario", None, "'scenario' is not supported yet"),
    ),
    (
        "latency parameter misspelt",
        "endpoints:\n  - path: /a\n    latency: {distribution: uniform, min: 1, max_ms: 5}\n",
        (3, "/endpoints/0/latency/min", "GET /a", "unknown key 'min'"),
    ),
    (
        "bad rate-limit key",
        "endpoints:\n  - path: /a\n    rate_limit: {requests: 1, per: 1s, key: bogus}\n",
        (3, "/endpoints/0/rate_limit", "GET /a", "key must be ip"),
    ),
    (
        "uniform latency upside down",
        "endpoints:\n  - path: /a\n    latency: {min_ms: 9, max_ms: 1}\n",
        (3, "/endpoints/0/latency", "GET /a", "above max_ms"),
    ),
    (
        "bad server-wide rate-limit key",
        "rate_limit: {requests: 1, per: 1s, key: bogus}\nendpoints: []\n",
        (1, "/rate_limit", None, "key must be ip"),
    ),
    (
        "unknown failure fault",
        "endpoints:\n  - path: /a\n    failure_rate: 0.5\n    failure: {fault: explode}\n",
        (4, "/endpoints/0/failure/fault", "GET /a", "explode"),
    ),
    (
        "both path and path_regex",
        "endpoints:\n  - name: both\n    path: /a\n    path_regex: ^/a$\n",
        (2, "/endpoints/0", "both", "exactly one of path and path_regex"),
    ),
    (
        "neither path nor path_regex",
        "endpoints:\n  - name: none\n",
        (2, "/endpoints/0", "none", "exactly one of path and path_regex"),
    ),
    (
        "path without a slash",
        "endpoints:\n  - path: api/a\n",
        (2, "/endpoints/0/path", "GET api/a", "path must start with '/'"),
    ),
    (
        "bad method",
        "endpoints:\n  - path: /a\n    method: GTE\n",
        (3, "/endpoints/0/method", "GTE /a", "unknown HTTP method 'GTE' (did you mean GET?)"),
    ),
    (
        "method of the wrong type",
        "endpoints:\n  - path: /a\n    method: 5\n",
        (3, "/endpoints/0/method", "5 /a", "method must be a method name"),
    ),
    (
        "bad status",
        "endpoints:\n  - path: /a\n    status: 99\n",
        (3, "/endpoints/0/status", "GET /a", "between 100 and 599"),
    ),
    (
        "failure_rate out of range",
        "endpoints:\n  - path: /a\n    failure_rate: 1.5\n",
        (3, "/endpoints/0/failure_rate", "GET /a", "less than or equal to 1 (got 1.5)"),
    ),
    (
        "two bodies",
        "endpoints:\n  - path: /a\n    response: x\n    response_base64: aGk=\n",
        (2, "/endpoints/0", "GET /a", "use only one of response, response_file"),
    ),
    (
        "mode without responses",
        "endpoints:\n  - path: /a\n    mode: cycle\n",
        (2, "/endpoints/0", "GET /a", "mode only applies with responses"),
    ),
    (
        "bad mode",
        "endpoints:\n  - path: /a\n    mode: shuffle\n    responses: [{}]\n",
        (3, "/endpoints/0/mode", "GET /a", "'sequence', 'cycle' or 'random'"),
    ),
    (
        "bad base64",
        "endpoints:\n  - path: /a\n    response_base64: 'abc$'\n",
        (3, "/endpoints/0/response_base64", "GET /a", "not valid base64"),
    ),
    (
        "bad validate schema",
        "endpoints:\n  - path: /a\n    validate:\n      schema: {type: 5}\n",
        (4, "/endpoints/0/validate/schema", "GET /a", "not a valid JSON Schema"),
    ),
    (
        "bad body schema",
        "endpoints:\n  - path: /a\n    match:\n      body: {schema: {minLength: -1}}\n",
        (4, "/endpoints/0/match/body/schema", "GET /a", "not a valid JSON Schema"),
    ),
    (
        "bad regex",
        "endpoints:\n  - path: /a\n    match:\n      query:\n        q: {regex: '('}\n",
        (5, "/endpoints/0/match/query/q/regex", "GET /a", "invalid regular expression"),
    ),
    (
        "value matcher with two operators",
        "endpoints:\n  - path: /a\n    match:\n      cookies:\n"
        "        s: {equals: a, contains: b}\n",
        (5, "/endpoints/0/match/cookies/s", "GET /a", "use exactly one of equals"),
    ),
    (
        "null value matcher",
        "endpoints:\n  - path: /a\n    match:\n      headers:\n        X-A: null\n",
        (5, "/endpoints/0/match/headers/X-A", "GET /a", "use {present: false}"),
    ),
    (
        "body op only for jsonpath",
        "endpoints:\n  - path: /a\n    match:\n      body: [{contains: a, not: true}]\n",
        (4, "/endpoints/0/match/body/0", "GET /a", "not only apply with jsonpath"),
    ),
    (
        "missing endpoints",
        "seed: 1\n",
        (1, "", None, "missing required key 'endpoints'"),
    ),
    ("empty file", "# nothing\n", (None, "", None, "the file is empty")),
    (
        "YAML syntax error",
        "endpoints:\n  - path: /a\n    response: {a: 1\n  - path: /b\n",
        (4, "", None, "YAML syntax error"),
    ),
    (
        "YAML tab indentation",
        "endpoints:\n\t- path: /a\n",
        (2, "", None, "YAML syntax error"),
    ),
    (
        "escaping response_file",
        "endpoints:\n  - path: /a\n    response_file: ../secret.json\n",
        (3, "/endpoints/0/response_file", "GET /a", "leads outside the config's folder"),
    ),
    (
        "absolute response_file",
        "endpoints:\n  - path: /a\n    response_file: /etc/hostname\n",
        (3, "/endpoints/0/response_file", "GET /a", "must be relative to"),
    ),
    (
        "missing response_file",
        "endpoints:\n  - path: /a\n    responses:\n      - response_file: nope.json\n",
        (4, "/endpoints/0/responses/0/response_file", "GET /a", "'nope.json' not found"),
    ),
    (
        "templated response_file outside the folder",
        "endpoints:\n  - path: /a\n    response_file: '../{{ request.path }}.json'\n",
        (3, "/endpoints/0/response_file", "GET /a", "leads outside the config's folder"),
    ),
    (
        "unset environment variable",
        "endpoints:\n  - name: env\n    path: /a\n    headers:\n      X-Key: 'k-${API_KEY}'\n",
        (5, "/endpoints/0/headers/X-Key", "env", "environment variable API_KEY is not set"),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(text, expected, id=case) for case, text, expected in YAML_CASES],
)
def test_yaml_error_is_located(tmp_path: Path, text: str, expected: Expected) -> None:
    (problem,) = problems_of(tmp_path, {"c.yaml": text})
    assert problem.file == str(tmp_path / "c.yaml")
    line, pointer, stub, fragment = expected
    assert located(problem)[:3] == (line, pointer, stub)
    assert fragment in problem.message
    where = f"{tmp_path / 'c.yaml'}:{line}" if line else str(tmp_path / "c.yaml")
    assert str(problem).startswith(where)


JSON_CASES: list[tuple[str, str, Expected]] = [
    (
        "JSON syntax error",
        '{\n\t"endpoints": [\n\t\t{"path": "\\/a" "status": 200}\n\t]\n}\n',
        (3, "", None, "JSON syntax error: Expecting ',' delimiter"),
    ),
    (
        "tabs and escapes keep lines right",
        '{\n\t"endpoints": [\n\t\t{"path": "\\/a",\n\t\t "status": "x\\/y"}\n\t]\n}\n',
        (4, "/endpoints/0/status", "GET /a", "status must be an integer"),
    ),
    (
        "escaped key",
        '{"endpoints": [\n  {"path": "/a",\n   "match": {"headers": {"A\\/B": {"regexx": "x"}}}}]}',
        (3, "/endpoints/0/match/headers/A~1B/regexx", "GET /a", "did you mean 'regex'"),
    ),
    (
        "second endpoint",
        '{"endpoints": [\n {"path": "/a"},\n {"path": "/b",\n  "latency_ms": -1}\n]}',
        (4, "/endpoints/1/latency_ms", "GET /b", "greater than or equal to 0"),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(text, expected, id=case) for case, text, expected in JSON_CASES],
)
def test_json_error_is_located(tmp_path: Path, text: str, expected: Expected) -> None:
    (problem,) = problems_of(tmp_path, {"c.json": text})
    line, pointer, stub, fragment = expected
    assert (problem.file, *located(problem)[:3]) == (str(tmp_path / "c.json"), line, pointer, stub)
    assert fragment in problem.message


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    (tmp_path / "conf").mkdir()
    os.symlink(secret, tmp_path / "conf" / "link.json")
    text = "endpoints:\n  - path: /a\n    response_file: link.json\n"
    (problem,) = problems_of(tmp_path / "conf", {"c.yaml": text})
    assert located(problem)[:3] == (3, "/endpoints/0/response_file", "GET /a")
    assert "leads outside" in problem.message


def test_symlink_inside_the_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("{}")
    os.symlink(tmp_path / "real.json", tmp_path / "link.json")
    (tmp_path / "c.yaml").write_text("endpoints: [{path: /a, response_file: link.json}]")
    body = load_config(tmp_path / "c.yaml").stubs[0].responses[0].body
    assert body == str((tmp_path / "real.json").resolve())


def test_all_problems_across_files_at_once(tmp_path: Path) -> None:
    first = (
        "endpoints:\n"
        "  - name: one\n"
        "    path: /a\n"
        "    status: nope\n"
        "  - path: /b\n"
        "    method: [GET, FETCH]\n"
        "  - path: /ok\n"
        "  - path: /c\n"
        "    response_file: missing.txt\n"
    )
    second = '{"seed": 2,\n "endpoints": [\n  {"path": "/d", "bogus": 1}\n ]}'
    problems = problems_of(tmp_path, {"a.yaml": first, "b.json": second})
    assert [(Path(p.file).name, p.line, p.pointer, p.stub) for p in problems] == [
        ("a.yaml", 4, "/endpoints/0/status", "one"),
        ("a.yaml", 6, "/endpoints/1/method", "GET|FETCH /b"),
        ("a.yaml", 9, "/endpoints/3/response_file", "GET /c"),
        ("b.json", 3, "/endpoints/0/bogus", "GET /d"),
    ]


def test_conflicting_seeds(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path, {"a.yaml": "seed: 1\nendpoints: []\n", "b.yaml": "endpoints: []\nseed: 2\n"}
    )
    assert [(Path(p.file).name, p.line, p.pointer) for p in problems] == [("b.yaml", 2, "/seed")]
    assert "conflicts with seed 1" in problems[0].message


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'nope.yaml'}: no such file or directory"
    ]


def test_unset_variable_hides_only_errors_it_causes(tmp_path: Path) -> None:
    text = "endpoints:\n  - path: /a\n    status: '${CODE}'\n    extra: '${CODE}'\n"
    problems = problems_of(tmp_path, {"c.yaml": text})
    assert [(p.line, p.pointer, p.message.split(" (")[0].split(";")[0]) for p in problems] == [
        (3, "/endpoints/0/status", "environment variable CODE is not set"),
        (4, "/endpoints/0/extra", "environment variable CODE is not set"),
        (4, "/endpoints/0/extra", "unknown key 'extra'"),
    ]


def test_message_reads_well(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, {"c.yaml": "endpoints:\n  - path: /a\n    method: GTE\n"})
    assert str(problem) == (
        f"{tmp_path / 'c.yaml'}:3: endpoint 'GTE /a': at /endpoints/0/method: "
        "unknown HTTP method 'GTE' (did you mean GET?)"
    )
