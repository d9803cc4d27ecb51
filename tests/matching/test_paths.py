from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apidouble.matching.paths import compile_path, compile_path_regex


@pytest.mark.parametrize(
    ("template", "path", "params"),
    [
        ("/api/users", "/api/users", {}),
        ("/api/users", "/api/users/", None),
        ("/api/users/", "/api/users", None),
        ("/api/users/", "/api/users/", {}),
        ("/", "/", {}),
        ("/", "", None),
        ("/api/users", "/api/Users", None),
        ("/caf%C3%A9", "/café", {}),
        ("/café", "/caf%C3%A9", {}),
        ("/api/users/{id}", "/api/users/42", {"id": "42"}),
        ("/api/users/{id}", "/api/users/", None),
        ("/api/users/{id}", "/api/users", None),
        ("/api/users/{id}", "/api/users/42/x", None),
        ("/api/users/{id}", "/api/users/a%20b", {"id": "a b"}),
        ("/api/users/{id}", "/api/users/a%2Fb", {"id": "a/b"}),
        ("/{a}/{b}", "/x/y", {"a": "x", "b": "y"}),
        ("/api/*/items", "/api/v1/items", {}),
        ("/api/*/items", "/api//items", None),
        ("/api/*/items", "/api/v1/v2/items", None),
        ("/api/*", "/api/", None),
        ("/api/**", "/api", {}),
        ("/api/**", "/api/", {}),
        ("/api/**", "/api/a/b/c", {}),
        ("/api/**", "/apix", None),
        ("/**", "/", {}),
        ("/**", "/anything/at/all", {}),
        ("/api/{v}/**", "/api/v2/x/y", {"v": "v2"}),
        ("/files/{name}.{ext}", "/files/report.pdf", {"name": "report", "ext": "pdf"}),
        ("/files/{name}.{ext}", "/files/report", None),
        ("/v{major}/ping", "/v3/ping", {"major": "3"}),
        ("/v{major}/ping", "/v/ping", None),
        ("/api/users/{id}", "api/users/1", None),
    ],
)
def test_template_table(template: str, path: str, params: dict[str, str] | None) -> None:
    assert compile_path(template).match(path) == params


@pytest.mark.parametrize(
    ("pattern", "path", "params"),
    [
        (r"/api/users/\d+", "/api/users/42", {}),
        (r"/api/users/\d+", "/api/users/42/x", None),
        (r"/api/users/(?P<id>\d+)", "/api/users/42", {"id": "42"}),
        (r"/f/(?P<name>.+)", "/f/a%20b", {"name": "a b"}),
        (r"/f/(?P<a>x)?(?P<b>y)", "/f/y", {"b": "y"}),
        (r"/api", "/api/x", None),
    ],
)
def test_regex_table(pattern: str, path: str, params: dict[str, str] | None) -> None:
    assert compile_path_regex(pattern).match(path) == params


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("api/users", "must start with '/'"),
        ("/a/**/b", "only be the last"),
        ("/a/{}", "invalid parameter name"),
        ("/a/{1x}", "invalid parameter name"),
        ("/a/{id}/{id}", "appears twice"),
        ("/a/{id", "unbalanced"),
        ("/a/id}", "unbalanced"),
        ("/a/{x}.{y", "unbalanced"),
    ],
)
def test_malformed_templates_raise(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_path(template)


def test_invalid_regex_raises() -> None:
    with pytest.raises(ValueError, match="invalid path_regex"):
        compile_path_regex("/a/(")


def test_index_properties() -> None:
    literal = compile_path("/api/users")
    assert literal.literal == "/api/users"
    assert literal.literal_prefix == "/api/users"
    template = compile_path("/api/users/{id}/posts")
    assert template.literal is None
    assert template.literal_prefix == "/api/users"
    assert compile_path("/{x}/a").literal_prefix == ""
    assert compile_path("/files/{name}.{ext}").literal_prefix == "/files"
    assert compile_path("/assets/**").literal_prefix == "/assets"
    assert compile_path_regex("/api/.*").is_regex


def test_specificity_orders_literal_param_star_rest_then_regex() -> None:
    ordered = [
        "/api/users/me",
        "/api/users/{id}.json",
        "/api/users/{id}",
        "/api/users/*",
        "/api/users/**",
        "/api/{section}/me",
        "/**",
    ]
    keys = [compile_path(t).specificity for t in ordered]
    assert keys == sorted(keys)
    assert compile_path("/**").specificity < compile_path_regex("/api/users/me").specificity


def test_more_literal_segments_are_more_specific() -> None:
    assert compile_path("/a/b/**").specificity < compile_path("/a/{x}").specificity
    assert compile_path("/a/b/{c}").specificity < compile_path("/a/{b}/c").specificity


def test_explain_grades_near_paths() -> None:
    path = compile_path("/api/users/{id}")
    assert path.explain("/api/users/1").matched
    near = path.explain("/api/user/1")
    far = path.explain("/totally/different")
    assert not near.matched
    assert 0.0 < near.distance < far.distance <= 1.0
    assert near.checks[0].condition == "path"
    assert near.checks[0].expected == "/api/users/{id}"
    assert near.checks[0].actual == "/api/user/1"
    regex = compile_path_regex("/x/.*").explain("/y")
    assert regex.checks[0].condition == "path regex"
    assert regex.distance == 1.0


# Hypothesis: build a template and a path that must match it, then check the params.

_SAFE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/{}%*"), min_size=1, max_size=8
)
_VALUE = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8)
_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)


@st.composite
def template_and_path(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    kinds = draw(st.lists(st.sampled_from(["literal", "param", "star"]), max_size=6))
    names = iter(draw(st.lists(_NAME, min_size=len(kinds), max_size=len(kinds), unique=True)))
    template: list[str] = []
    path: list[str] = []
    params: dict[str, str] = {}
    for kind in kinds:
        if kind == "literal":
            text = draw(_SAFE)
            template.append(text)
            path.append(quote(text, safe="") if draw(st.booleans()) else text)
        elif kind == "param":
            name, value = next(names), draw(_VALUE)
            template.append("{" + name + "}")
            path.append(quote(value, safe=""))
            params[name] = value
        else:
            template.append("*")
            path.append(quote(draw(_VALUE), safe=""))
    if draw(st.booleans()):
        template.append("**")
        path.extend(quote(v, safe="") for v in draw(st.lists(_VALUE, max_size=3)))
    return "/" + "/".join(template), "/" + "/".join(path), params


@given(template_and_path())
def test_generated_paths_match_their_template(case: tuple[str, str, dict[str, str]]) -> None:
    template, path, params = case
    compiled = compile_path(template)
    assert compiled.match(path) == params


@given(template_and_path(), _SAFE)
def test_an_extra_segment_never_matches_without_rest(
    case: tuple[str, str, dict[str, str]], extra: str
) -> None:
    template, path, _ = case
    compiled = compile_path(template)
    assert (compiled.match(path + "/" + quote(extra, safe="")) is not None) is template.endswith(
        "**"
    )


@given(st.lists(_SAFE, max_size=5), st.lists(_SAFE, max_size=5))
def test_literal_templates_match_only_themselves(a: list[str], b: list[str]) -> None:
    template, path = "/" + "/".join(a), "/" + "/".join(b)
    compiled = compile_path(template)
    assert compiled.literal == template
    assert (compiled.match(path) is not None) is (template == path)


def _force_slow(path: str) -> str | None:
    """The same path with one ASCII character percent-encoded: takes the per-segment route."""
    for index, char in enumerate(path):
        if char != "/" and ord(char) < 128:
            return f"{path[:index]}%{ord(char):02X}{path[index + 1 :]}"
    return None


_TEMPLATE_PART = st.sampled_from(["a", "b", "ab", "{x}", "{y}.b", "a{z}", "*", "", "."])
_PATH = st.lists(st.sampled_from(["a", "b", "ab", "a.b", ".", "", "aab"]), max_size=5).map(
    lambda parts: "/" + "/".join(parts)
)


@given(st.lists(_TEMPLATE_PART, max_size=4), st.booleans(), _PATH)
def test_the_regex_fast_path_agrees_with_the_segment_path(
    parts: list[str], rest: bool, path: str
) -> None:
    unique: list[str] = []
    for part in parts:  # parameter names must be unique
        if "{" not in part or part not in unique:
            unique.append(part)
    template = "/" + "/".join(unique + (["**"] if rest else []))
    compiled = compile_path(template)
    slow = _force_slow(path)
    if slow is not None:
        assert compiled.match(path) == compiled.match(slow)


@pytest.mark.parametrize(
    ("template", "near", "far"),
    [
        ("/api/users/{id}", "/api/users", "/"),
        ("/api/users/{id}", "/api/users/1/x", "/x/y/z/w"),
        ("/api/users", "/api/user", "/api/orders"),
        ("/api/*/x", "/api/x", "/x"),
    ],
)
def test_path_grading(template: str, near: str, far: str) -> None:
    compiled = compile_path(template)
    near_distance = compiled.explain(near).distance
    far_distance = compiled.explain(far).distance
    assert 0.0 < near_distance < far_distance <= 1.0
    assert compiled.explain("no-slash").distance == 1.0
