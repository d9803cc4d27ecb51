"""Router decisions about methods: HEAD through GET, every candidate in order, the 405
``Allow`` set and the methods of a path, all through the index."""

from typing import Any

import pytest

from apidouble.matching.pattern import CompiledPattern
from apidouble.matching.router import Router
from apidouble.model import Request, RequestPattern, ResponseSpec, Stub, ValueSpec

_counter = iter(range(1_000_000))
ADMIN = (("X-Admin", ValueSpec("present", True)),)


def stub(
    path: str,
    methods: tuple[str, ...] = ("GET",),
    *,
    name: str = "",
    priority: int | None = None,
    **kw: Any,
) -> Stub:
    n = next(_counter)
    return Stub(
        id=f"s{n}",
        pattern=RequestPattern(methods=frozenset(methods), path=path, **kw),
        responses=(ResponseSpec(),),
        name=name or f"{'|'.join(methods) or 'ANY'} {path}",
        priority=priority,
        order=n,
    )


def req(path: str, method: str = "GET", **kw: Any) -> Request:
    return Request(method, path, **kw)


def names(router: Router, request: Request) -> list[tuple[str | None, bool]]:
    return [(m.stub.name if m.stub else None, m.via_get) for m in router.candidates(request)]


@pytest.mark.parametrize(
    ("stubs", "expected"),
    [
        ([stub("/x", name="get")], ("get", True)),
        ([stub("/x", name="get"), stub("/x", ("HEAD",), name="head")], ("head", False)),
        ([stub("/x", ("GET", "HEAD"), name="both")], ("both", False)),
        ([stub("/x", name="get", priority=1), stub("/x", (), name="any")], ("any", False)),
        ([stub("/x", ("POST",))], (None, False)),
        # an explicit HEAD stub that does not fully match leaves the request to GET
        ([stub("/x", ("HEAD",), headers=ADMIN), stub("/x", name="get")], ("get", True)),
    ],
)
def test_head_takes_an_explicit_stub_first_then_the_get_one(
    stubs: list[Stub], expected: tuple[str | None, bool]
) -> None:
    found = Router(stubs, head_via_get=True).find(req("/x", "HEAD"))
    assert (found.stub.name if found.stub else None, found.via_get) == expected


def test_head_through_get_keeps_the_params_and_conditions() -> None:
    router = Router([stub("/u/{id}", headers=ADMIN, name="admin")], head_via_get=True)
    found = router.find(req("/u/7", "HEAD", headers=(("x-admin", "1"),)))
    assert found.stub is not None and found.params == {"id": "7"} and found.via_get
    assert "via_get=True" in repr(found)
    assert router.find(req("/u/7", "HEAD")).stub is None
    assert not router.find(req("/u/7", "GET", headers=(("x-admin", "1"),))).via_get


def test_head_is_exact_without_head_via_get() -> None:
    router = Router([stub("/x")])
    assert router.find(req("/x", "HEAD")).stub is None
    assert names(router, req("/x", "HEAD")) == []
    assert router.allowed_methods(req("/x", "POST")) == {"GET"}


def test_near_misses_of_head_do_not_blame_the_method_of_a_get_stub() -> None:
    router = Router([stub("/x", headers=ADMIN)], head_via_get=True)
    (miss,) = router.find(req("/x", "HEAD")).near_misses()
    assert [c.condition for c in miss.result.failed] == ["header X-Admin present"]


def test_candidates_yield_every_full_match_in_the_winning_order() -> None:
    stubs = [
        stub("/u/{id}", name="template"),
        stub("/u/me", name="admin", headers=ADMIN),
        stub("/u/me", name="literal"),
        stub("/u/me", ("POST",), name="post"),
        stub("/u/{id}", (), name="any", priority=9),
    ]
    router = Router(stubs)
    admin = req("/u/me", headers=(("x-admin", "1"),))
    assert names(router, admin) == [
        ("any", False), ("admin", False), ("literal", False), ("template", False)
    ]  # fmt: skip
    assert names(router, req("/u/me")) == [("any", False), ("literal", False), ("template", False)]
    first = next(router.candidates(admin))
    assert first.stub == router.find(admin).stub
    assert [m.params for m in router.candidates(req("/u/7"))] == [{"id": "7"}, {"id": "7"}]
    assert names(router, req("/nothing")) == []


def test_candidates_for_head_list_explicit_stubs_then_get_ones_once() -> None:
    stubs = [
        stub("/x", name="get"),
        stub("/x", ("GET", "HEAD"), name="both"),
        stub("/x", (), name="any"),
        stub("/x", ("HEAD",), name="head"),
    ]
    router = Router(stubs, head_via_get=True)
    assert names(router, req("/x", "HEAD")) == [
        ("both", False), ("any", False), ("head", False), ("get", True)
    ]  # fmt: skip


def test_candidates_are_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    router = Router([stub(f"/u/{{a{n}}}") for n in range(5)])
    calls = []
    original = CompiledPattern.test_path

    def counting(self: CompiledPattern, path: str) -> Any:
        calls.append(path)
        return original(self, path)

    monkeypatch.setattr(CompiledPattern, "test_path", counting)
    found = router.candidates(req("/u/1"))
    assert calls == []
    next(found)
    assert len(calls) == 1


def test_allowed_methods_lists_the_methods_that_would_match() -> None:
    stubs = [
        stub("/x", ("GET",)),
        stub("/x", ("PUT", "PATCH")),
        stub("/x/{id}", ("DELETE",), headers=ADMIN),
        stub("/x/{id}", ("POST",)),
        stub("/y", ("POST",)),
    ]
    router = Router(stubs)
    assert router.find(req("/x", "POST")).allowed_methods() == {"GET", "PUT", "PATCH"}
    assert router.find(req("/x/1", "PUT")).allowed_methods() == {"POST"}
    admin = (("x-admin", "yes"),)
    assert router.find(req("/x/1", "PUT", headers=admin)).allowed_methods() == {"POST", "DELETE"}
    assert router.find(req("/nowhere", "GET")).allowed_methods() == frozenset()


def test_allowed_methods_adds_head_where_get_is_with_head_via_get() -> None:
    router = Router([stub("/x", ("GET",)), stub("/z", ("POST",))], head_via_get=True)
    assert router.find(req("/x", "DELETE")).allowed_methods() == {"GET", "HEAD"}
    assert router.find(req("/z", "GET")).allowed_methods() == {"POST"}


def test_any_stubs_never_give_a_405() -> None:
    router = Router([stub("/x", ()), stub("/x", ("PUT",)), stub("/y", (), headers=ADMIN)])
    found = router.find(req("/x", "POST"))
    assert found.matched and found.allowed_methods() == frozenset()
    # an ANY stub that fails a condition adds no method either
    assert router.find(req("/y", "POST")).allowed_methods() == frozenset()


def test_methods_for_path_ignore_conditions_and_keep_the_winning_order() -> None:
    stubs = [
        stub("/x/{id}", ("DELETE",), headers=ADMIN),
        stub("/x/me", ("GET",)),
        stub("/x/{id}", ()),
        stub("/y", ("POST",)),
    ]
    found = Router(stubs).methods_for_path("/x/me")
    assert [(s.id, sorted(m)) for s, m in found] == [
        (stubs[1].id, ["GET"]), (stubs[0].id, ["DELETE"]), (stubs[2].id, [])
    ]  # fmt: skip
    assert Router(stubs).methods_for_path("/x/m%65") == found
    assert Router(stubs).methods_for_path("/nowhere") == []


def many(n: int) -> list[Stub]:
    return [stub(f"/api/r{i}/{{id}}", ("GET", "PUT")[i % 2 :][:1]) for i in range(n)]


def test_allowed_methods_and_methods_for_path_look_only_at_the_path_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = Router(many(1000))
    calls: list[str] = []
    original = CompiledPattern.test_path

    def counting(self: CompiledPattern, path: str) -> Any:
        calls.append(path)
        return original(self, path)

    monkeypatch.setattr(CompiledPattern, "test_path", counting)
    assert router.allowed_methods(req("/api/r7/1", "POST")) == {"PUT"}
    assert [sorted(m) for _, m in router.methods_for_path("/api/r8/1")] == [["GET"]]
    assert len(calls) == 2
