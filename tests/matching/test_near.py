"""Near misses from a bounded set of candidates agree with explaining every stub."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apidouble.matching import near
from apidouble.matching.paths import path_segments
from apidouble.matching.pattern import CompiledPattern
from apidouble.matching.router import Router
from apidouble.model import Request, RequestPattern, ResponseSpec, Stub, ValueSpec

RESOURCES = ["users", "orders", "products", "invoices", "payments", "carts", "reviews",
             "shipments", "coupons", "accounts", "teams", "projects", "tasks", "comments",
             "files", "folders", "events", "tickets", "messages", "alerts", "devices",
             "sensors", "reports", "plans", "subscriptions", "customers", "vendors", "stores",
             "regions", "tags"]  # fmt: skip
AUTH = (("Authorization", ValueSpec("regex", "Bearer .+")),)
PAGE = (("page", ValueSpec("equals", "1")),)


def stub(n: int, methods: tuple[str, ...], path: str, **pattern: Any) -> Stub:
    return Stub(
        id=f"s{n}",
        pattern=RequestPattern(methods=frozenset(methods), path=path, **pattern),
        responses=(ResponseSpec(),),
        order=n,
    )


def api_stubs() -> list[Stub]:
    """1,000 stubs like a large REST API: versions, resources, methods, conditions."""
    shapes: list[tuple[tuple[str, ...], str, dict[str, Any]]] = [
        (("GET",), "/api/{v}/{r}", {}),
        (("POST",), "/api/{v}/{r}", {"headers": AUTH}),
        (("GET",), "/api/{v}/{r}/{{id}}", {}),
        (("PUT",), "/api/{v}/{r}/{{id}}", {"headers": AUTH}),
        (("DELETE",), "/api/{v}/{r}/{{id}}", {"headers": AUTH}),
        (("GET",), "/api/{v}/{r}/search", {}),
        (("GET",), "/api/{v}/{r}/{{id}}/history", {}),
        (("GET", "HEAD"), "/api/{v}/{r}/{{id}}/items/{{item}}", {}),
        ((), "/api/{v}/{r}/export/**", {}),
    ]
    stubs: list[Stub] = []
    for v in ("v1", "v2", "v3"):
        for r in RESOURCES:
            for methods, path, extra in shapes:
                if path == "/api/{v}/{r}" and methods == ("GET",) and r in ("orders", "tasks"):
                    extra = {"query": PAGE}
                stubs.append(stub(len(stubs), methods, path.format(v=v, r=r), **extra))
    while len(stubs) < 1000:
        stubs.append(stub(len(stubs), ("GET",), f"/static/page{len(stubs)}.html"))
    return stubs


def numbered_stubs() -> list[Stub]:
    """1,000 stubs over numbered resources (as the benchmarks make them)."""
    stubs: list[Stub] = []
    for n in range(1000):
        if n % 2:
            stubs.append(stub(n, ("GET",), f"/api/v1/resource{n}/{{id}}"))
        else:
            key = (("X-Key", ValueSpec("equals", f"k{n}")),) if n % 3 == 0 else ()
            stubs.append(stub(n, ("POST",), f"/api/v1/resource{n}/items", headers=key))
    return stubs


API = Router(api_stubs())
API_HEAD = Router(api_stubs(), head_via_get=True)
NUMBERED = Router(numbered_stubs())
BEARER = (("authorization", "Bearer t"),)

MISSES = [
    # a typo in one segment
    (API, Request("GET", "/api/v1/ordres/42")),
    (API, Request("GET", "/api/v2/users/7/histroy")),
    (API, Request("GET", "/statc/page300.html")),
    (API, Request("GET", "/api/v1/ordrs/search")),
    (NUMBERED, Request("GET", "/api/v1/resuorce5/42")),
    (NUMBERED, Request("POST", "/api/v1/resource8/itmes")),
    # the wrong method
    (API, Request("PATCH", "/api/v1/orders/42")),
    (API, Request("DELETE", "/api/v2/users", headers=BEARER)),
    (API_HEAD, Request("PATCH", "/api/v3/carts/7/items/1")),
    (API_HEAD, Request("HEAD", "/api/v3/cart/7")),
    (NUMBERED, Request("PUT", "/api/v1/resource557/1")),
    # a missing header
    (API, Request("PUT", "/api/v1/users/7")),
    (API, Request("POST", "/api/v2/orders")),
    (NUMBERED, Request("POST", "/api/v1/resource6/items")),
    # a wrong query value
    (API, Request("GET", "/api/v1/orders", "page=2")),
    (API, Request("GET", "/api/v3/tasks", "pgae=1")),
    (NUMBERED, Request("POST", "/api/v1/resource12/items", headers=(("x-key", "k13"),))),
    # an extra trailing segment
    (API, Request("GET", "/api/v1/orders/42/x")),
    (API, Request("GET", "/api/v2/users/7/history/all")),
    (API, Request("GET", "/static/page500.html/x")),
    (NUMBERED, Request("GET", "/api/v1/resource9/1/x")),
    (NUMBERED, Request("GET", "/api/v1/resource9")),
]


def key(router: Router, request: Request, top: list[Any]) -> list[tuple[str, Any]]:
    return [(m.stub.id, m.result) for m in top]


@pytest.mark.parametrize(("router", "request_"), MISSES, ids=lambda v: getattr(v, "url", ""))
def test_the_top_three_are_those_of_explaining_every_stub(
    router: Router, request_: Request
) -> None:
    assert router.find(request_).stub is None
    every = router.explain_all(request_)[:3]
    found = router.find(request_).near_misses(3)
    assert key(router, request_, found) == key(router, request_, every)


def test_a_miss_explains_a_bounded_number_of_stubs(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"explain": 0}
    original = CompiledPattern.explain

    def counting(self: CompiledPattern, *args: Any) -> Any:
        calls["explain"] += 1
        return original(self, *args)

    monkeypatch.setattr(CompiledPattern, "explain", counting)
    for router, request in MISSES:
        calls["explain"] = 0
        assert len(router.find(request).near_misses()) == 3
        assert 3 <= calls["explain"] <= near.EXPLAINED


def test_a_larger_limit_is_computed_again_and_stays_in_order() -> None:
    """Past the first three the order holds among the stubs looked at."""
    found = API.find(Request("GET", "/api/v1/ordres/42"))
    three = found.near_misses()
    ten = found.near_misses(10)
    assert ten[:3] == three and len(ten) == 10
    distances = [m.result.distance for m in ten]
    assert distances == sorted(distances)


def test_a_path_that_shares_nothing_still_gets_near_misses() -> None:
    for path in ("/favicon.ico", "*", "/"):
        misses = API.find(Request("GET", path)).near_misses()
        assert len(misses) == 3


def test_routers_with_few_stubs_explain_them_all() -> None:
    stubs = api_stubs()[: near.EXPLAIN_ALL_UP_TO]
    router = Router(stubs)
    request = Request("GET", "/nothing")
    assert len(router.find(request).near_misses(100)) == len(stubs)


segment = st.sampled_from(["api", "v1", "v2", "orders", "ordres", "users", "7", "", "x",
                           "history", "items", "search", "static", "page300.html"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([API, API_HEAD, NUMBERED]),
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
    st.lists(segment, min_size=0, max_size=6),
    st.sampled_from(["", "page=1", "page=2", "page=11"]),
    st.booleans(),
)
def test_bounds_never_exceed_the_explained_distance(
    router: Router, method: str, parts: list[str], query: str, bearer: bool
) -> None:
    request = Request(method, "/" + "/".join(parts), query, BEARER if bearer else ())
    index = router._near
    values = path_segments(request.path)
    ranks = list(range(len(index._entries)))
    for bound, rank in index._bounds(request, values, 1.0, ranks[::7]):
        entry = index._entries[rank]
        assert bound <= entry.pattern.explain(request, router.head_via_get).distance
