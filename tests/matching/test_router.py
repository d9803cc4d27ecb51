from collections.abc import Callable
from typing import Any

import pytest

from apidouble.matching.pattern import CompiledPattern
from apidouble.matching.router import Router
from apidouble.model import BodySpec, Request, RequestPattern, ResponseSpec, Stub, ValueSpec

_counter = iter(range(1_000_000))


def stub(
    path: str | None = None,
    methods: tuple[str, ...] = ("GET",),
    *,
    priority: int | None = None,
    order: int | None = None,
    name: str | None = None,
    **pattern: Any,
) -> Stub:
    n = next(_counter)
    return Stub(
        id=f"s{n}",
        pattern=RequestPattern(methods=frozenset(methods), path=path, **pattern),
        responses=(ResponseSpec(),),
        name=name or f"{'|'.join(methods) or 'ANY'} {path or pattern.get('path_regex')}",
        priority=priority,
        order=n if order is None else order,
    )


def req(path: str, method: str = "GET", query: str = "", **kwargs: Any) -> Request:
    return Request(method, path, query, **kwargs)


def winner(stubs: list[Stub], request: Request) -> str | None:
    found = Router(stubs).find(request)
    return found.stub.name if found.stub else None


def test_literal_path_hit() -> None:
    router = Router([stub("/a"), stub("/b", name="b")])
    found = router.find(req("/b"))
    assert found.matched and found.stub is not None and found.stub.name == "b"
    assert found.params == {}
    assert found.near_misses() == []
    assert found.allowed_methods() == frozenset()


def test_template_params() -> None:
    found = Router([stub("/users/{id}/posts/{post}")]).find(req("/users/7/posts/9"))
    assert found.params == {"id": "7", "post": "9"}


def test_literal_stub_beats_template_stub_for_the_same_path() -> None:
    stubs = [stub("/users/{id}", name="template"), stub("/users/me", name="literal")]
    assert winner(stubs, req("/users/me")) == "literal"
    assert winner(stubs, req("/users/42")) == "template"


@pytest.mark.parametrize(
    ("stubs", "path", "expected"),
    [
        # priority first: lower wins, None after any number
        ([stub("/u/me", name="lit"), stub("/u/{id}", priority=5, name="p5")], "/u/me", "p5"),
        ([stub("/u/{id}", priority=1, name="p1"), stub("/u/me", priority=2)], "/u/me", "p1"),
        ([stub("/**", priority=0, name="catch"), stub("/u/me", priority=1)], "/u/me", "catch"),
        ([stub("/u/me", priority=-1, name="neg"), stub("/u/me", priority=0)], "/u/me", "neg"),
        # then specificity
        ([stub("/u/*", name="star"), stub("/u/{id}", name="param")], "/u/1", "param"),
        ([stub("/u/**", name="rest"), stub("/u/*", name="star")], "/u/1", "star"),
        ([stub("/**", name="all"), stub("/u/**", name="u")], "/u/1", "u"),
        ([stub(path_regex="/u/.*", name="re"), stub("/**", name="all")], "/u/1", "all"),
        ([stub(None, name="any"), stub(path_regex="/u/.*", name="re")], "/u/1", "re"),
        ([stub("/a/{x}/c", name="x"), stub("/a/b/{y}", name="y")], "/a/b/c", "y"),
        # then file order
        ([stub("/u/{id}", name="first"), stub("/u/{x}", name="second")], "/u/1", "first"),
        ([stub("/u", order=9, name="late"), stub("/u", order=1, name="early")], "/u", "early"),
        ([stub("/u", priority=3, name="a"), stub("/u", priority=3, name="b")], "/u", "a"),
    ],
)
def test_tie_breaks(stubs: list[Stub], path: str, expected: str) -> None:
    assert winner(stubs, req(path)) == expected


def test_a_failed_condition_falls_through_to_the_next_candidate() -> None:
    stubs = [
        stub("/u/me", name="admin", headers=(("X-Role", ValueSpec("equals", "admin")),)),
        stub("/u/{id}", name="template", query=(("v", ValueSpec("equals", "2")),)),
        stub("/u/me", name="plain"),
    ]
    assert winner(stubs, req("/u/me", headers=(("x-role", "admin"),))) == "admin"
    assert winner(stubs, req("/u/me")) == "plain"
    assert winner(stubs, req("/u/7", query="v=2")) == "template"
    assert winner(stubs, req("/u/7")) is None


def test_any_method_stubs_match_every_method_and_merge_with_named_ones() -> None:
    stubs = [
        stub("/x", methods=(), name="any-late", order=5),
        stub("/x", methods=("POST",), name="post", order=9),
        stub("/x", methods=("GET",), name="get", order=1),
    ]
    assert winner(stubs, req("/x")) == "get"
    assert winner(stubs, req("/x", "POST")) == "any-late"
    assert winner(stubs, req("/x", "PURGE")) == "any-late"
    assert winner(stubs, req("/y", "PURGE")) is None


def test_methods_are_matched_exactly() -> None:
    stubs = [stub("/x", methods=("GET",))]
    assert winner(stubs, req("/x", "HEAD")) is None
    assert winner(stubs, req("/x", "POST")) is None


def test_percent_encoded_paths_hit_the_literal_index() -> None:
    stubs = [stub("/caf%C3%A9", name="cafe"), stub("/a b/{x}", name="space")]
    assert winner(stubs, req("/café")) == "cafe"
    assert winner(stubs, req("/caf%C3%A9")) == "cafe"
    found = Router(stubs).find(req("/a%20b/%7E"))
    assert found.stub is not None and found.params == {"x": "~"}


def test_trailing_slash_is_significant() -> None:
    stubs = [stub("/a", name="a")]
    assert winner(stubs, req("/a/")) is None


def test_stubs_without_literal_first_segment_are_candidates_for_every_group() -> None:
    stubs = [
        stub("/api/{x}", name="api"),
        stub("/{section}/items", name="section"),
        stub(path_regex="/(?P<a>[a-z]+)/z", name="regex"),
    ]
    assert winner(stubs, req("/api/items")) == "api"
    assert winner(stubs, req("/other/items")) == "section"
    assert winner(stubs, req("/api/z")) == "api"
    assert winner(stubs, req("/q/z")) == "regex"
    assert winner(stubs, req("no-slash")) is None


def test_router_keeps_the_stubs_in_given_order() -> None:
    stubs = [stub("/b"), stub("/a", priority=1)]
    assert Router(stubs).stubs == tuple(stubs)


def test_near_misses_are_ordered_by_distance_with_check_texts() -> None:
    stubs = [
        stub("/totally/else", name="far"),
        stub(
            "/api/users/{id}",
            name="auth",
            headers=(("Authorization", ValueSpec("regex", "^Bearer .+")),),
        ),
        stub("/api/users/{id}", methods=("POST",), name="post"),
        stub("/api/user/{id}", name="typo"),
    ]
    found = Router(stubs).find(req("/api/users/42"))
    assert found.stub is None
    misses = found.near_misses()
    assert [m.stub.name for m in misses] == ["auth", "typo", "post"]
    distances = [m.result.distance for m in misses]
    assert distances == sorted(distances)
    assert all(0.0 < d < 1.0 for d in distances)
    (failed,) = misses[0].result.failed
    assert (failed.condition, failed.expected, failed.actual) == (
        "header Authorization regex",
        "^Bearer .+",
        "<absent>",
    )
    assert [c.condition for c in misses[2].result.failed] == ["method"]
    assert [m.stub.name for m in found.near_misses(limit=10)][-1] == "far"
    assert len(found.near_misses(limit=1)) == 1
    assert found.near_misses() is not found.near_misses()  # a fresh list each call


def test_near_misses_are_computed_lazily_and_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_calls(monkeypatch, "explain")
    router = Router([stub("/a"), stub("/b")])
    found = router.find(req("/c"))
    assert calls["explain"] == 0
    found.near_misses()
    found.near_misses(limit=1)
    assert calls["explain"] == 2


def test_near_miss_ties_follow_the_winning_order() -> None:
    stubs = [stub("/a", priority=2, name="second"), stub("/a", priority=1, name="first")]
    misses = Router(stubs).find(req("/a", "POST")).near_misses()
    assert [m.stub.name for m in misses] == ["first", "second"]


def test_allowed_methods_for_405() -> None:
    stubs = [
        stub("/x", methods=("GET", "HEAD")),
        stub("/x/{id}", methods=("PUT",)),
        stub("/x/{id}", methods=("DELETE",), headers=(("X-Admin", ValueSpec("present", True)),)),
        stub("/y", methods=("POST",)),
    ]
    router = Router(stubs)
    assert router.find(req("/x", "POST")).allowed_methods() == {"GET", "HEAD"}
    assert router.find(req("/x/1", "POST")).allowed_methods() == {"PUT"}
    assert router.find(req("/z", "POST")).allowed_methods() == frozenset()


def test_body_conditions_are_only_evaluated_for_path_candidates() -> None:
    stubs = [
        stub("/orders", methods=("POST",), name="big", body=(BodySpec("json", {"size": "L"}),)),
        stub("/orders", methods=("POST",), name="any"),
    ]
    assert winner(stubs, req("/orders", "POST", body=b'{"size": "L"}')) == "big"
    assert winner(stubs, req("/orders", "POST", body=b"junk")) == "any"


def count_calls(monkeypatch: pytest.MonkeyPatch, *names: str) -> dict[str, int]:
    calls = dict.fromkeys(names, 0)
    for name in names:
        original: Callable[..., Any] = getattr(CompiledPattern, name)

        def wrapper(self: Any, *args: Any, _name: str = name, _orig: Any = original) -> Any:
            calls[_name] += 1
            return _orig(self, *args)

        monkeypatch.setattr(CompiledPattern, name, wrapper)
    return calls


def many_stubs(n: int) -> list[Stub]:
    stubs: list[Stub] = []
    for i in range(n):
        stubs.append(stub(f"/api/items/{i}"))
        if i % 10 == 0:
            stubs.append(stub(f"/r{i}/{{id}}/detail"))
    stubs.append(stub("/api/items/{id}/reviews"))
    return stubs


def test_a_thousand_stubs_check_only_the_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    router = Router(many_stubs(1000))
    calls = count_calls(monkeypatch, "test_path", "test_conditions")
    assert router.find(req("/api/items/500")).stub is not None
    assert calls == {"test_path": 0, "test_conditions": 0}
    found = router.find(req("/api/items/500/reviews"))
    assert found.params == {"id": "500"}
    assert calls["test_path"] == 1
    assert router.find(req("/r500/1/detail")).params == {"id": "1"}
    assert calls["test_path"] == 2


def test_a_thousand_templates_under_one_prefix_check_only_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = Router([stub(f"/api/v1/resource{n}/{{id}}") for n in range(1000)])
    calls = count_calls(monkeypatch, "test_path", "test_conditions")
    assert router.find(req("/api/v1/resource999/42")).params == {"id": "42"}
    assert calls["test_path"] == 1
    assert router.find(req("/api/v1/nothing/42")).stub is None
    assert calls["test_path"] == 1


def test_wildcard_matches_its_own_prefix() -> None:
    stubs = [stub("/assets/**", name="assets")]
    assert winner(stubs, req("/assets/css/site.css")) == "assets"
    assert winner(stubs, req("/assetsx/a")) is None
