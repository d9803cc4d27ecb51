"""apidouble against WireMock 3.13: the recorded answers, and a live sample when Java is here.

The agreement figure counts every request except the ones marked expected-different;
the text of WireMock's 404 report is a category of its own, reported beside it. The
table and every disagreement are printed, and the details written to
``.pytest_cache/apidouble-compat/wiremock.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from apidouble import MockServer

from . import peers
from .cases import Case, all_cases, load_case
from .compare import compare
from .harness import (
    REPO,
    CaseResult,
    Recording,
    agreement,
    compare_case,
    load_recording,
    record_wiremock,
    run,
    table,
    write_details,
)

THRESHOLD = 0.95
# One case per area that a stale recording would most likely hide in; all with
# APIDOUBLE_WIREMOCK_LIVE=all.
LIVE_SAMPLE = (
    "corpus-remoteloader",
    "url-forms",
    "body-jsonpath",
    "files-docroot",
    "delays-faults",
    "templating",
    "ties-one-file",
    "malformed",
)
CASES = all_cases()


@pytest.fixture(scope="module")
def results() -> list[CaseResult]:
    return run(CASES)


def test_every_request_has_a_recorded_answer() -> None:
    missing = []
    for case in CASES:
        recording = load_recording(case)
        recorded = {a["name"] for a in recording.answers} if recording else set()
        missing += [f"{case.name}/{p.name}" for p in case.probes if p.name not in recorded]
    assert not missing, "re-record with python -m tests.compat.wiremock.record: " + ", ".join(
        missing
    )


def test_harness_reports_a_refused_root_per_case(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "requests.json").write_text('[{"name": "x", "url": "/x"}]')
    (tmp_path / "bad" / "stubs").mkdir()
    (tmp_path / "bad" / "stubs" / "x.json").write_text("{ not json")
    case = load_case(tmp_path / "bad")
    recording = Recording(None, [{"name": "x", "outcome": "ok", "status": 200}])
    result = compare_case(case, recording, False, tmp_path)
    assert result.apidouble_error and "x.json" in result.apidouble_error
    assert [v.differences[0][:27] for v in result.verdicts] == ["apidouble refused the root:"]


def test_agreement_with_recorded_wiremock(
    results: list[CaseResult], capsys: pytest.CaptureFixture[str]
) -> None:
    ok, n, report_ok, reports = agreement(results)
    path = write_details(results)
    with capsys.disabled():
        print(f"\n\nWireMock 3.13 agreement ({path.relative_to(REPO)}):\n{table(results)}\n")
    assert n > 0 and ok / n >= THRESHOLD, f"{ok}/{n} agree; 404 report text {report_ok}/{reports}"


def _malformed_cases() -> list[Case]:
    return [c for c in CASES if c.malformed]


@pytest.mark.parametrize("case", _malformed_cases(), ids=lambda c: c.name)
def test_malformed_mappings_are_named_and_the_rest_served(case: Case) -> None:
    validate = subprocess.run(
        [sys.executable, "-m", "apidouble", "validate", str(case.source)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    report = validate.stdout + validate.stderr
    assert validate.returncode == 1, report
    for name, pointer in case.malformed.items():
        lines = [line for line in report.splitlines() if name in line]
        assert lines, f"{name} not named:\n{report}"
        assert not pointer or any(pointer in line for line in lines), f"{name} {pointer}\n{report}"
    good = {p.name for p in case.mapping_files()} - set(case.malformed)
    assert not [name for name in good if name in report], report
    with MockServer(case.source):
        pass  # it serves the good files; what they answer is the agreement test's job


def _live_cases() -> list[Case]:
    if os.environ.get("APIDOUBLE_WIREMOCK_LIVE") == "all":
        return CASES
    return [c for c in CASES if c.name in LIVE_SAMPLE]


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wmlive-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def live(scratch: Path) -> dict[str, tuple[Case, Recording]]:
    """WireMock's answers now, for the live sample (cases started in parallel)."""
    if why := peers.available():
        pytest.skip(f"WireMock not here: {why}")
    cases = _live_cases()
    with ThreadPoolExecutor(max_workers=4) as pool:
        recordings = list(pool.map(lambda c: record_wiremock(c, scratch), cases))
    return {c.name: (c, r) for c, r in zip(cases, recordings, strict=True)}


@pytest.mark.parametrize("name", [c.name for c in _live_cases()])
def test_recording_matches_live_wiremock(
    live: dict[str, tuple[Case, Recording]], name: str
) -> None:
    case, now = live[name]
    recorded = load_recording(case)
    assert recorded is not None
    assert bool(now.startup and "refused" in now.startup) == bool(
        recorded.startup and "refused" in recorded.startup
    )
    by_name = {a["name"]: a for a in recorded.answers}
    stale = []
    for probe, answer in zip(case.probes, now.answers, strict=True):
        if probe.expected_different:
            continue  # e.g. a tie between files: the order depends on the file system
        if probe.name not in by_name:
            stale.append(f"{probe.name}: not recorded")
            continue
        want = by_name[probe.name]
        verdict = compare(case.name, probe, want, answer, case.stub_headers(), ("recorded", "live"))
        if not verdict.agrees or verdict.report is False:
            stale.append(f"{probe.name}: {verdict.differences or ['404 report text']}")
    assert not stale, "recording is stale; re-record:\n" + "\n".join(stale)
