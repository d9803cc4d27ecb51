"""The 404 report and its log lines read the same near misses."""

from apidouble.matching.router import Router
from apidouble.model import Request, RequestPattern, ResponseSpec, Source, Stub, ValueSpec
from apidouble.nearmiss import near_miss_report, near_miss_text

AUTH = (("Authorization", ValueSpec("regex", "Bearer .+")),)


def make(n: int, path: str, **pattern: object) -> Stub:
    return Stub(
        id=f"s{n}",
        pattern=RequestPattern(methods=frozenset({"GET"}), path=path, **pattern),  # type: ignore[arg-type]
        responses=(ResponseSpec(),),
        source=Source("stubs.yaml", line=10 + n),
        order=n,
    )


def test_the_report_names_the_closest_stubs_and_their_checks() -> None:
    stubs = [make(0, "/api/users/{id}", headers=AUTH), make(1, "/elsewhere")]
    request = Request("GET", "/api/users/7", "x=1")
    near = Router(stubs).find(request).near_misses()
    report = near_miss_report(request, near)
    assert report["request"] == {"method": "GET", "path": "/api/users/7", "query": "x=1"}
    first = report["near_misses"][0]
    assert (first["stub"], first["id"], first["source"]) == ("GET /api/users/{id}", "s0",
                                                              "stubs.yaml:10")  # fmt: skip
    assert 0 < first["distance"] < report["near_misses"][1]["distance"]
    failed = [c for c in first["checks"] if not c["passed"]]
    assert failed == [{"condition": "header Authorization regex", "passed": False,
                       "expected": "Bearer .+", "actual": "<absent>"}]  # fmt: skip


def test_the_log_lines_list_only_failed_checks() -> None:
    stubs = [make(0, "/api/users/{id}", headers=AUTH)]
    request = Request("GET", "/api/users/7")
    text = near_miss_text(request, Router(stubs).find(request).near_misses())
    assert text.splitlines() == [
        "no stub matched GET /api/users/7",
        "  closest: GET /api/users/{id} (stubs.yaml:10)",
        "    - header Authorization regex: expected Bearer .+, got <absent>",
    ]


def test_no_stubs_says_so() -> None:
    request = Request("GET", "/x")
    assert near_miss_text(request, []).splitlines()[1] == "  (no stubs are loaded)"
    assert near_miss_report(request, [])["near_misses"] == []


def test_a_stub_without_a_line_shows_its_file() -> None:
    stub = Stub(id="m", pattern=RequestPattern(path="/a"), responses=(ResponseSpec(),))
    request = Request("GET", "/b")
    report = near_miss_report(request, Router([stub]).find(request).near_misses())
    assert report["near_misses"][0]["source"] == "<memory>"
