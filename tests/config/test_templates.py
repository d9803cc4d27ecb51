"""Templates are checked when the config loads: with every other problem, at their own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from apidouble.compiled import compile_config
from apidouble.config.load import load_config
from apidouble.errors import ConfigError
from apidouble.templating import template_cache

CONFIG = """\
endpoints:
  - name: a
    path: /a
    status: "{{ 201 if }}"
    headers:
      X-Ok: "{{ uuid }}"
      X-A: "{{ 1 + }}"
    response: {list: [0, {deep: "{{ nope }}"}]}
  - name: b
    path: /b
    methd: GET
    responses:
      - response: "text {% if %}"
      - headers: {X-B: "{{ request.params.id ) }}"}
        content_type: "{{ 'x' ~ }}"
    failure_rate: 0.5
    failure: {status: "{{ 500 + }}"}
  - name: c
    path: /c
    response_file: "bodies/{{ request.params.name | }}"
"""


def test_template_errors_come_with_the_others_at_their_own_line(tmp_path: Path) -> None:
    (tmp_path / "bodies").mkdir()
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    found = [(p.line, p.pointer, p.stub, p.message.split(":")[0]) for p in caught.value.problems]
    assert found == [
        (4, "/endpoints/0/status", "a", "template error (template line 1)"),
        (7, "/endpoints/0/headers/X-A", "a", "template error (template line 1)"),
        (8, "/endpoints/0/response/list/1/deep", "a", "unknown template name(s)"),
        (11, "/endpoints/1/methd", "b", "unknown key 'methd' (did you mean 'method'?)"),
        (13, "/endpoints/1/responses/0/response", "b", "template error (template line 1)"),
        (14, "/endpoints/1/responses/1/headers/X-B", "b", "template error (template line 1)"),
        (15, "/endpoints/1/responses/1/content_type", "b", "template error (template line 1)"),
        (17, "/endpoints/1/failure/status", "b", "template error (template line 1)"),
        (20, "/endpoints/2/response_file", "c", "template error (template line 1)"),
    ]


def test_a_multi_line_template_says_which_of_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoints:\n  - path: /a\n    response: |\n      one\n      {{ two + }}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    (problem,) = caught.value.problems
    assert (problem.line, problem.pointer) == (3, "/endpoints/0/response")
    assert problem.message.startswith("template error (template line 2)")


def test_checking_and_compiling_share_one_compile_per_template(tmp_path: Path) -> None:
    marker = str(tmp_path)  # sources no other test compiled, so none is cached yet
    path = tmp_path / "c.yaml"
    path.write_text(
        "endpoints:\n"
        f"  - path: /a\n    status: \"{{{{ 200 if '{marker}' else 201 }}}}\"\n"
        f"    headers: {{X-A: \"{{{{ '{marker}' }}}}\"}}\n"
        f"    response: {{a: \"{{{{ '{marker}' | length }}}}\", b: \"{{{{ '{marker}' }}}}\"}}\n"
        f"  - path: /b\n    headers: {{X-A: \"{{{{ '{marker}' }}}}\"}}\n",
        encoding="utf-8",
    )
    before = template_cache()
    config = load_config(path, environ={})
    loaded = template_cache()
    compile_config(config.stubs)
    compiled = template_cache()
    # status (typed), X-A (text; the same in both endpoints), a and b (typed JSON leaves)
    assert loaded.misses - before.misses == 4
    assert compiled.misses == loaded.misses
    assert compiled.hits - loaded.hits == 5
