"""The path index's template lookup against its plain definition, on generated paths."""

from hypothesis import given, settings
from hypothesis import strategies as st

from apidouble.matching.index import Entry, Table, _prefixes, merge
from apidouble.matching.pattern import CompiledPattern
from apidouble.model import RequestPattern, ResponseSpec, Stub

SEGMENTS = st.sampled_from(["a", "b", "api", "v1", "{id}", "{x}", "**", ""])
PATHS = st.lists(SEGMENTS, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))


def table_of(paths: list[str]) -> Table:
    entries = []
    for rank, path in enumerate(paths):
        stub = Stub(
            id=f"s{rank}",
            pattern=RequestPattern(methods=frozenset({"GET"}), path=path),
            responses=(ResponseSpec(),),
            name=path,
            order=rank,
        )
        try:
            pattern = CompiledPattern(stub.pattern)
        except ValueError:  # "**" not last, a name twice: not a path a config can hold
            continue
        entries.append(Entry(stub, pattern, rank))
    return Table(entries)


def by_definition(table: Table, path: str) -> tuple[Entry, ...]:
    """Every bucket under a segment-aligned prefix of ``path``, merged in rank order."""
    buckets = [bucket for key in _prefixes(path) if (bucket := table.prefixed.get(key))]
    return buckets[0] if len(buckets) == 1 else merge(buckets)


@settings(max_examples=300, deadline=None)
@given(st.lists(PATHS.filter(lambda p: "{" in p or "*" in p), max_size=8), PATHS)
def test_templates_are_the_merged_buckets_of_every_prefix(stubs: list[str], path: str) -> None:
    table = table_of(stubs)
    request_path = path.replace("{id}", "42").replace("{x}", "7").replace("**", "deep/er")
    assert table.templates(request_path) == by_definition(table, request_path)


def test_templates_cover_the_root_and_nested_prefixes() -> None:
    table = table_of(["/{id}", "/api/{id}", "/api/v1/{id}", "/other/{id}"])
    names = [entry.stub.name for entry in table.templates("/api/v1/9")]
    assert names == ["/{id}", "/api/{id}", "/api/v1/{id}"]
    assert table.templates("/nothing") == by_definition(table, "/nothing")
