"""A ``RequestPattern`` compiled into matchers: method, path, query, headers, cookies, body.

Three ways to ask, from cheapest to richest:

- ``test_path`` + ``test_conditions``: what the router uses; short-circuits, no reports.
- ``match``: short-circuits too; on failure the result carries the first failed check.
- ``explain``: evaluates every condition, for the near-miss report.

Weights (as WireMock weighs them): the path counts 10, the method 3, every other
condition 1, so a stub with the right path but a wrong header ranks near.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from apidouble.matching.body import BodyMatcher, compile_body
from apidouble.matching.claims import bearer_claims, claim_values
from apidouble.matching.paths import CompiledPath, Params, compile_path, compile_path_regex
from apidouble.matching.result import EXACT, FAILED_FLOOR, Check, MatchResult
from apidouble.matching.values import ValueMatcher, compile_value
from apidouble.model import Request, RequestPattern, ValueSpec

PATH_WEIGHT = 10.0
METHOD_WEIGHT = 3.0
CONDITION_WEIGHT = 1.0

Reads = tuple[str, str, "ValueMatcher | None"]
"""What a condition reads: ``("header", lower-case name, matcher)``, ``("query", name,
matcher)`` or ``("no query", "", None)``."""

_ANY_PATH = (2,)
"""Specificity of a pattern without a path: after every template and regex."""


class Condition:
    """One query, header, cookie or body condition (or one a caller adds, such as a
    scenario gate): a test, an explanation, and a cheap lower bound of the explanation's
    distance (for the near-miss index)."""

    __slots__ = ("test", "explain", "bound", "weight", "reads")

    def __init__(
        self,
        test: Callable[[Request], bool],
        explain: Callable[[Request], MatchResult],
        bound: Callable[[Request], float] | None = None,
        weight: float = 1.0,
        reads: Reads | None = None,
    ) -> None:
        self.test = test
        self.explain = explain
        self.bound = bound or (lambda request: 0.0 if test(request) else FAILED_FLOOR)
        self.weight = weight
        """How much the condition counts in a near-miss distance (``CONDITION_WEIGHT``;
        a URL condition standing in for the path counts as the path does)."""
        self.reads = reads
        """For a condition on one header or query parameter (or on there being no query
        string): what it reads and its matcher, so it can be tested on the request's
        bytes before a ``Request`` is made (``matching.headtest``); None for the rest."""


class CompiledPattern:
    """A compiled ``RequestPattern``; build with ``compile_pattern``."""

    __slots__ = (
        "pattern",
        "methods",
        "path",
        "specificity",
        "has_conditions",
        "condition_count",
        "_conditions",
    )

    def __init__(self, pattern: RequestPattern, extra: Sequence[Condition] = ()) -> None:
        self.pattern = pattern
        self.methods = frozenset(method.upper() for method in pattern.methods)
        if pattern.path is not None and pattern.path_regex is not None:
            raise ValueError("give either path or path_regex, not both")
        self.path: CompiledPath | None = None
        if pattern.path is not None:
            self.path = compile_path(pattern.path)
        elif pattern.path_regex is not None:
            self.path = compile_path_regex(pattern.path_regex)
        self.specificity = _ANY_PATH if self.path is None else self.path.specificity
        conditions = [
            *((_NO_QUERY,) if pattern.no_query else ()),
            *((_url(pattern.url, self.path is None),) if pattern.url is not None else ()),
            *((_host(pattern.host),) if pattern.host is not None else ()),
            *((_port(pattern.port),) if pattern.port is not None else ()),
            *((_scheme(pattern.scheme),) if pattern.scheme is not None else ()),
            *(_param(name, spec, self.path) for name, spec in pattern.params),
            *(_query(name, spec) for name, spec in pattern.query),
            *(_header(name, spec) for name, spec in pattern.headers),
            *(_cookie(name, spec) for name, spec in pattern.cookies),
            *(_body(compile_body(spec)) for spec in pattern.body),
            *(_claim(name, spec) for name, spec in pattern.claims),
            *extra,
        ]
        self._conditions = tuple(conditions)
        self.has_conditions = bool(conditions)
        self.condition_count = len(conditions)

    def test_method(self, method: str) -> bool:
        """Whether the method is allowed (every method is, for ANY)."""
        return not self.methods or method in self.methods

    def answers(self, method: str, head_via_get: bool = False) -> bool:
        """``test_method``, and with ``head_via_get`` a GET stub answers HEAD too."""
        methods = self.methods
        if not methods or method in methods:
            return True
        return head_via_get and method == "HEAD" and "GET" in methods

    def test_path(self, path: str) -> Params | None:
        """The path params when the path matches, else None."""
        return {} if self.path is None else self.path.match(path)

    @property
    def reads(self) -> tuple[Reads, ...] | None:
        """What every condition reads (see ``Condition.reads``), or None when one reads
        something else (a cookie, the body, a template, a gate)."""
        found = [condition.reads for condition in self._conditions]
        return None if None in found else tuple(read for read in found if read is not None)

    def condition_bounds(self, request: Request) -> list[float]:
        """Per condition, a cheap value never above its ``explain`` distance."""
        return [condition.bound(request) for condition in self._conditions]

    @property
    def condition_weights(self) -> tuple[float, ...]:
        """Per condition, its weight in ``explain`` (same order as ``condition_bounds``)."""
        return tuple(condition.weight for condition in self._conditions)

    def test_conditions(self, request: Request) -> bool:
        """Whether every query, header, cookie and body condition holds (short-circuits)."""
        for condition in self._conditions:
            if not condition.test(request):
                return False
        return True

    def match(self, request: Request) -> tuple[MatchResult, Params]:
        """The result and path params; stops at the first failure (distance 1).

        Use ``explain`` for a graded distance with every check.
        """
        if not self.test_method(request.method):
            return MatchResult.of(self._method_check(request)), {}
        params = self.test_path(request.path)
        if params is None:
            assert self.path is not None
            return MatchResult(1.0, self.path.explain(request.path).checks), {}
        for condition in self._conditions:
            if not condition.test(request):
                return MatchResult(1.0, condition.explain(request).checks), {}
        return EXACT, params

    def explain(self, request: Request, head_via_get: bool = False) -> MatchResult:
        """Every condition evaluated, weighted and graded: the near-miss view.

        With ``head_via_get`` (the router answers HEAD with GET stubs) a GET stub's
        method check passes for HEAD.
        """
        weighted: list[tuple[float, MatchResult]] = []
        if self.methods:
            check = self._method_check(request, head_via_get)
            weighted.append((METHOD_WEIGHT, MatchResult.of(check)))
        if self.path is not None:
            weighted.append((PATH_WEIGHT, self.path.explain(request.path)))
        for condition in self._conditions:
            weighted.append((condition.weight, condition.explain(request)))
        return MatchResult.aggregate(weighted) if weighted else EXACT

    def _method_check(self, request: Request, head_via_get: bool = False) -> Check:
        expected = "|".join(sorted(self.methods)) if self.methods else "ANY"
        passed = self.answers(request.method, head_via_get)
        return Check("method", passed, expected, request.method)

    def __repr__(self) -> str:
        methods = "|".join(sorted(self.methods)) or "ANY"
        return f"CompiledPattern({methods} {self.path.source if self.path else '*'})"


def compile_pattern(pattern: RequestPattern, extra: Sequence[Condition] = ()) -> CompiledPattern:
    """Compile a pattern once, at load time; raise ``ValueError`` on an invalid spec.
    ``extra`` conditions are checked after the pattern's own."""
    return CompiledPattern(pattern, extra)


def _values(
    matcher: ValueMatcher,
    get: Callable[[Request], Sequence[str] | None],
    reads: Reads | None = None,
) -> Condition:
    return Condition(
        lambda request: matcher.test(get(request)),
        lambda request: matcher.explain(get(request)),
        lambda request: matcher.bound(get(request)),
        reads=reads,
    )


def _no_query_explained(request: Request) -> MatchResult:
    passed = not request.query_string
    return MatchResult.of(Check("query string", passed, "none", request.query_string or ""))


_NO_QUERY = Condition(
    lambda request: not request.query_string, _no_query_explained, reads=("no query", "", None)
)
"""The request target has no query string: checked before anything else, and the
router's index knows it (``index.Entry.bare``), so a stub with only this condition is
answered as cheaply as one with none."""


def _url(spec: ValueSpec, is_the_path: bool) -> Condition:
    condition = _values(compile_value(spec, "url"), lambda r: (r.url,))
    if is_the_path:  # a URL pattern with no path: it weighs what a path weighs
        condition.weight = PATH_WEIGHT
    return condition


def _authority(request: Request) -> tuple[str, str]:
    """(host, port) the request names in its ``Host`` header (port 80, or 443 over TLS,
    when it names none)."""
    given = request.header("host") or ""
    if given.startswith("["):  # an IPv6 literal
        host, _, port = given.partition("]")
        host, port = host + "]", port.removeprefix(":")
    else:
        host, _, port = given.partition(":")
    return host, port or ("443" if request.scheme == "https" else "80")


def _host(spec: ValueSpec) -> Condition:
    return _values(compile_value(spec, "host"), lambda r: (_authority(r)[0],))


def _port(port: int) -> Condition:
    spec = ValueSpec("equals", str(port))
    return _values(compile_value(spec, "port"), lambda r: (_authority(r)[1],))


def _scheme(scheme: str) -> Condition:
    spec = ValueSpec("equals", scheme, case_insensitive=True)
    return _values(compile_value(spec, "scheme"), lambda r: (r.scheme,))


def _param(name: str, spec: ValueSpec, path: CompiledPath | None) -> Condition:
    if path is None:
        raise ValueError(f"path parameter {name!r} needs a path template")

    def get(request: Request) -> Sequence[str] | None:
        found = path.match(request.path)
        value = None if found is None else found.get(name)
        return None if value is None else (value,)

    return _values(compile_value(spec, f"path parameter {name}"), get)


def _query(name: str, spec: ValueSpec) -> Condition:
    matcher = compile_value(spec, f"query {name}")
    return _values(matcher, lambda r: r.query.get(name), ("query", name, matcher))


def _header(name: str, spec: ValueSpec) -> Condition:
    key = name.lower()
    matcher = compile_value(spec, f"header {name}")
    return _values(matcher, lambda r: r.header_values(key), ("header", key, matcher))


def _cookie(name: str, spec: ValueSpec) -> Condition:
    def get(request: Request) -> Sequence[str] | None:
        value = request.cookies.get(name)
        return None if value is None else (value,)

    return _values(compile_value(spec, f"cookie {name}"), get)


def _claim(name: str, spec: ValueSpec) -> Condition:
    def get(request: Request) -> Sequence[str] | None:
        return claim_values(bearer_claims(request.header("authorization")), name)

    return _values(compile_value(spec, f"claim {name}"), get)


def _body(matcher: BodyMatcher) -> Condition:
    return Condition(matcher.test, matcher.explain)
