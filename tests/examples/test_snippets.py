"""Every config block of README.md and docs/*.md loads; every Python block runs.

Blocks that show an answer rather than a config (a 404 report, a journal entry) are
checked by the test that serves their config, and must be claimed by one (see
``claims``), so no block is skipped without a test saying what it shows.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from apidouble import ConfigError

from . import claims
from .configs import config_texts, is_config, load_block, write_workspace
from .markdown import DOCS, REPO, Block, all_blocks, blocks

CONFIGS = [b for b in all_blocks("yaml", "json") if is_config(b)]
SHOWN = [b for b in all_blocks("yaml", "json") if not is_config(b)]


@pytest.mark.parametrize("block", CONFIGS, ids=str)
def test_config_block_loads(block: Block, tmp_path: Path) -> None:
    for index in range(len(config_texts(block))):
        if block.marker == "error":
            with pytest.raises(ConfigError):
                load_block(block, tmp_path, index)
        else:
            load_block(block, tmp_path, index)


def test_the_harness_sees_every_page_and_kind_of_block() -> None:
    assert {d.name for d in DOCS} >= {"README.md", "trouble.md", "config.md", "templating.md"}
    assert len(CONFIGS) > 20
    assert {b.lang for b in all_blocks()} >= {"yaml", "json", "sh", "python"}


@pytest.mark.parametrize("block", SHOWN, ids=str)
def test_every_shown_answer_is_checked_by_a_test(block: Block) -> None:
    assert block.where in claims.claimed(), (
        f"{block.where} shows something that is not a config: claim it with "
        "claims.answer(...) in the test that serves and checks it"
    )


def test_every_flag_the_docs_name_exists() -> None:
    # the CLI's commands, and the runners the docs hand flags to (`make soak ARGS=...`)
    commands = [
        ["-m", "apidouble", name] for name in ("run", "record", "import", "export", "validate")
    ]
    commands.append([str(REPO / "bench" / "soak.py")])
    commands.append(["-m", "tests.fuzz.coverage_guided"])  # make fuzz ARGS=--atheris
    help_text = "".join(
        subprocess.run(
            [sys.executable, *command, "--help"],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        for command in commands
    )
    # the make targets' scripts say what ARGS they take in their opening comments
    help_text += "".join(
        line for script in sorted((REPO / "scripts").glob("*.sh"))
        for line in script.read_text().splitlines(keepends=True) if line.startswith("#")
    )  # fmt: skip
    flags = {
        flag
        for doc in DOCS
        if doc.name != "benchmarks.md"
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", doc.read_text())
    }
    flags -= {"--strict", "--timeout"}  # mypy's (README's Develop), pytest-timeout's
    assert flags, "no flag found: the pattern is broken"
    assert sorted(f for f in flags if f not in help_text) == []


# --- Python blocks -------------------------------------------------------------------

PYTHON = all_blocks("python")
TESTS = [b for b in PYTHON if re.search(r"^def test_\w+\(apidouble\)", b.text, re.M)]
SCRIPTS = [b for b in PYTHON if b not in TESTS]


def _api_yaml(folder: Path) -> None:
    """getting-started's "Create api.yaml", which its Python block then serves."""
    doc = next(d for d in DOCS if d.name == "getting-started.md")
    text = next(b.text for b in blocks(doc) if b.lang == "yaml" and "get-user" in b.text)
    (folder / "api.yaml").write_text(text)


@pytest.mark.parametrize("block", SCRIPTS, ids=str)
def test_python_block_runs_as_written(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # run where a reader would: the repository (for examples/) with the page's api.yaml
    monkeypatch.chdir(REPO if "examples/" in block.text else write_workspace(tmp_path))
    _api_yaml(tmp_path)
    exec(compile(block.text, block.where, "exec"), {"__name__": "__doc_example__"})


@pytest.mark.parametrize("block", TESTS, ids=str)
def test_pytest_block_passes_with_the_plugin(block: Block, tmp_path: Path) -> None:
    (tmp_path / "test_doc_example.py").write_text(block.text)
    settings = "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    (tmp_path / "pytest.ini").write_text(settings)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    tests = len(re.findall(r"^def test_", block.text, re.M))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout


def test_claims_point_at_blocks_that_exist() -> None:
    found = {b.where for b in all_blocks()}
    assert sorted(claims.claimed() - found) == []
    assert json.dumps(sorted(claims.claimed()))  # plain data
