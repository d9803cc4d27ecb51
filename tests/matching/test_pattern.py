import pytest

from apidouble.matching.pattern import compile_pattern
from apidouble.model import BodySpec, Request, RequestPattern, ValueSpec

AUTH = ValueSpec("regex", "Bearer .+")


def pattern(**kwargs: object) -> RequestPattern:
    kwargs.setdefault("methods", frozenset({"GET"}))
    kwargs.setdefault("path", "/api/users/{id}")
    return RequestPattern(**kwargs)  # type: ignore[arg-type]


def get(path: str = "/api/users/1", query: str = "", headers: tuple[tuple[str, str], ...] = (),
        method: str = "GET", body: bytes = b"") -> Request:  # fmt: skip
    return Request(method, path, query, headers, body)


FULL = pattern(
    query=(("expand", ValueSpec("equals", "true")), ("tag", ValueSpec("equals", "b"))),
    headers=(("Authorization", AUTH),),
    cookies=(("session", ValueSpec("present", True)),),
    body=(BodySpec("json", {"name": "Ada"}),),
)
GOOD = get(
    query="expand=true&tag=a&tag=b",
    headers=(("authorization", "Bearer x"), ("Cookie", "session=s1")),
    body=b'{"name": "Ada"}',
)


def test_full_match_returns_params_and_an_exact_result() -> None:
    compiled = compile_pattern(FULL)
    result, params = compiled.match(GOOD)
    assert result.matched and result.distance == 0.0
    assert params == {"id": "1"}
    assert compiled.explain(GOOD).distance == 0.0
    assert all(check.passed for check in compiled.explain(GOOD).checks)


@pytest.mark.parametrize(
    ("request_", "failed"),
    [
        (get(method="POST"), "method"),
        (get("/api/user/1"), "path"),
        (get(query="expand=false"), "query expand equals"),
        (get(query="expand=true&tag=a"), "query tag equals"),
        (get(query="expand=true&tag=b"), "header Authorization regex"),
        (
            get(query="expand=true&tag=b", headers=(("AUTHORIZATION", "Bearer x"),)),
            "cookie session present",
        ),
        (
            get(
                query="expand=true&tag=b",
                headers=(("Authorization", "Bearer x"), ("cookie", "session=1")),
                body=b"{}",
            ),
            "body json",
        ),
    ],
)
def test_match_stops_at_the_first_failure(request_: Request, failed: str) -> None:
    result, params = compile_pattern(FULL).match(request_)
    assert not result.matched
    assert result.distance == 1.0
    assert params == {}
    assert [check.condition for check in result.checks] == [failed]


def test_explain_evaluates_everything() -> None:
    result = compile_pattern(FULL).explain(get("/api/users/1", method="POST"))
    conditions = [check.condition for check in result.checks]
    assert conditions == [
        "method",
        "path",
        "query expand equals",
        "query tag equals",
        "header Authorization regex",
        "cookie session present",
        "body json",
    ]
    assert [check.passed for check in result.checks] == [False, True] + [False] * 5
    assert 0.0 < result.distance < 1.0


def test_the_path_weighs_more_than_a_header() -> None:
    compiled = compile_pattern(pattern(headers=(("Authorization", AUTH),)))
    wrong_header = compiled.explain(get("/api/users/1"))
    wrong_path = compiled.explain(get("/other", headers=(("Authorization", "Bearer x"),)))
    assert wrong_header.distance < wrong_path.distance


def test_header_names_match_in_any_case() -> None:
    compiled = compile_pattern(pattern(headers=(("X-Api-Key", ValueSpec("equals", "k")),)))
    for name in ("x-api-key", "X-API-KEY", "X-Api-Key"):
        assert compiled.match(get(headers=((name, "k"),)))[0].matched


def test_query_names_are_case_sensitive() -> None:
    compiled = compile_pattern(pattern(query=(("q", ValueSpec("equals", "1")),)))
    assert compiled.match(get(query="q=1"))[0].matched
    assert not compiled.match(get(query="Q=1"))[0].matched


def test_any_method_and_any_path() -> None:
    compiled = compile_pattern(RequestPattern())
    assert compiled.test_method("PATCH")
    result, params = compiled.match(get("/whatever", method="DELETE"))
    assert result.matched and params == {}
    assert compiled.explain(get()).checks == ()


def test_methods_are_normalized_to_upper_case() -> None:
    compiled = compile_pattern(pattern(methods=frozenset({"get", "Head"})))
    assert compiled.methods == frozenset({"GET", "HEAD"})
    check = compiled.explain(get(method="POST")).checks[0]
    assert (check.expected, check.actual) == ("GET|HEAD", "POST")


def test_path_regex_params() -> None:
    compiled = compile_pattern(pattern(path=None, path_regex=r"/api/users/(?P<id>\d+)"))
    assert compiled.match(get("/api/users/42"))[1] == {"id": "42"}
    assert not compiled.match(get("/api/users/x"))[0].matched


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (pattern(path_regex="/x"), "either path or path_regex"),
        (pattern(path="no-slash"), "must start with"),
        (pattern(path=None, path_regex="("), "invalid path_regex"),
        (pattern(headers=(("X", ValueSpec("regex", "(")),)), "header X: invalid regex"),
        (pattern(query=(("q", ValueSpec("one_of", "x")),)), "query q one_of"),
        (pattern(body=(BodySpec("schema", {"type": 5}),)), "invalid schema"),
    ],
)
def test_invalid_patterns_raise_value_error(bad: RequestPattern, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_pattern(bad)


def test_repr_names_the_pattern() -> None:
    assert repr(compile_pattern(FULL)) == "CompiledPattern(GET /api/users/{id})"
    assert repr(compile_pattern(RequestPattern())) == "CompiledPattern(ANY *)"
