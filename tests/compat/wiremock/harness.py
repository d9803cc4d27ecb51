"""Send each case's requests to apidouble (and, live, to WireMock) and compare the answers.

``python -m tests.compat.wiremock.harness [--live] [case...]`` prints the agreement
table and every disagreement; without ``--live`` WireMock's side is the recording in
``answers/`` (see ``record.py``), so no Java is needed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from apidouble import MockServer

from . import peers
from .cases import Case, all_cases
from .compare import Verdict, compare
from .wire import send

REPO = Path(__file__).resolve().parents[3]
DETAILS = REPO / ".pytest_cache" / "apidouble-compat" / "wiremock.json"
WORKERS = 4
UNSTABLE = frozenset({"date", "matched-stub-id"})


@dataclass
class Recording:
    """WireMock's side of a case: whether it started on the full root, and its answers."""

    startup: dict[str, str] | None
    answers: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"wiremock": peers.VERSION, "startup": self.startup, "answers": self.answers}


@dataclass
class CaseResult:
    """One case compared: a verdict per request, and what stopped a side from serving."""

    case: str
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wiremock_startup: dict[str, str] | None = None
    apidouble_error: str = ""

    def counted(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.expected_different]


def load_recording(case: Case) -> Recording | None:
    if not case.answers_path.exists():
        return None
    data = json.loads(case.answers_path.read_text())
    return Recording(data.get("startup"), data["answers"])


def record_wiremock(case: Case, scratch: Path) -> Recording:
    """Run WireMock on the case and collect its answers (needs Java and the jar)."""
    startup = None
    if case.malformed:
        root = case.wiremock_root(scratch)
        with peers.wiremock(root, case.wiremock_flags) as started:
            reason = started.refused.replace(str(root), "<root>")
            startup = {"refused": reason} if reason else {"started": "yes"}
    root = case.wiremock_root(scratch, without_malformed=True)
    with peers.wiremock(root, case.wiremock_flags) as started:
        if started.refused:
            return Recording({"refused": started.refused.replace(str(root), "<root>")}, [])
        answers = []
        for probe in case.probes:
            answer = {"name": probe.name, **send("127.0.0.1", started.port, probe)}
            if probe.min_elapsed_ms is None:
                del answer["elapsed_ms"]  # varies run to run: kept only where compared
            if "headers" in answer:  # nor random ids and clock times, which are never compared
                answer["headers"] = [h for h in answer["headers"] if h[0].lower() not in UNSTABLE]
            answers.append(answer)
    return Recording(startup, answers)


def apidouble_answers(case: Case) -> tuple[list[dict[str, Any]], str]:
    """apidouble's answers, or an error saying why it would not serve the case."""
    try:
        server = MockServer(case.source, **case.apidouble_options).start()
    except Exception as exc:  # a refusal is a result to report, not a crash
        lines = str(exc).splitlines() or [type(exc).__name__]
        more = f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
        return [], f"{type(exc).__name__}: {lines[0]}{more}"
    try:
        return [{"name": p.name, **send("127.0.0.1", server.port, p)} for p in case.probes], ""
    finally:
        server.stop()


def compare_case(case: Case, recording: Recording | None, live: bool, scratch: Path) -> CaseResult:
    result = CaseResult(case.name)
    if live:
        recording = record_wiremock(case, scratch)
    if recording is None:
        result.notes.append("no recording: run python -m tests.compat.wiremock.record " + case.name)
        return result
    result.wiremock_startup = recording.startup
    if not recording.answers:
        result.notes.append(f"wiremock refused the root: {recording.startup}")
        return result
    actual, error = apidouble_answers(case)
    result.apidouble_error = error
    if error:
        result.notes.append("apidouble refused the root: " + error)
        actual = [{"name": p.name, "refused": error} for p in case.probes]
    by_name = {a["name"]: a for a in recording.answers}
    stub_headers = case.stub_headers()
    for probe, got in zip(case.probes, actual, strict=True):
        want = by_name.get(probe.name)
        if want is None:
            result.verdicts.append(Verdict(case.name, probe.name, ["not recorded: re-record"]))
            continue
        result.verdicts.append(compare(case.name, probe, want, got, stub_headers))
    return result


def run(cases: list[Case], live: bool = False, workers: int = WORKERS) -> list[CaseResult]:
    """Compare every case; cases run in parallel, each case's requests in order."""
    with ExitStack() as stack:
        if any(c.upstream for c in cases):
            stack.enter_context(peers.upstream())
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wmcompat-")))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(compare_case, c, None if live else load_recording(c), live, scratch)
                for c in cases
            ]
            return [f.result() for f in futures]


def agreement(results: list[CaseResult]) -> tuple[int, int, int, int]:
    """(agreeing, compared, reports agreeing, reports compared) over every counted request."""
    counted = [v for r in results for v in r.counted()]
    reports = [v for v in counted if v.report is not None]
    return (
        sum(v.agrees for v in counted),
        len(counted),
        sum(bool(v.report) for v in reports),
        len(reports),
    )


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   - "


def _row(name: str, counts: tuple[int, int, int, int], note: str) -> str:
    ok, n, rok, rn = counts
    return f"{name:34} {n:5} {ok:6} {_percent(ok, n)} {rok:4}/{rn:<3} {_percent(rok, rn)}  {note}"


def table(results: list[CaseResult]) -> str:
    """Agreement per case, the totals, then every disagreement."""
    lines = [f"{'case':34} {'reqs':>5} {'agree':>6} {'':>6} {'404 report':>11}  note"]
    for r in results:
        ok, n, rok, rn = agreement([r])
        lines.append(_row(r.case, agreement([r]), "; ".join(r.notes)[:90]))
    lines.append(_row("TOTAL", agreement(results), ""))
    different = [v for r in results for v in r.verdicts if v.expected_different]
    if different:
        lines.append(f"\nexpected different (not counted): {len(different)}")
        lines += [f"  {v.case}/{v.name}: {v.expected_different}" for v in different]
    lines.append("\ndisagreements:")
    for r in results:
        if r.apidouble_error:
            lines.append(f"  {r.case}: all {len(r.verdicts)} requests: {r.notes[-1]}")
            continue
        for v in r.counted():
            if not v.agrees:
                lines.append(f"  {v.case}/{v.name}: " + " | ".join(v.differences))
    return "\n".join(lines)


def write_details(results: list[CaseResult], path: Path = DETAILS) -> Path:
    """Every verdict as JSON, for the docs and for diffing two runs."""
    ok, n, rok, rn = agreement(results)
    data = {
        "agreement": {"agree": ok, "compared": n, "report_agree": rok, "reports": rn},
        "cases": [asdict(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat.wiremock.harness")
    parser.add_argument("--live", action="store_true", help="run WireMock now, not the recordings")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args(argv)
    if args.live and (why := peers.available()):
        parser.error(why)
    results = run(all_cases(args.cases), live=args.live, workers=args.workers)
    print(table(results))
    print(f"\ndetails: {write_details(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
