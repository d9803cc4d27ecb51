from datetime import UTC, datetime, timedelta, timezone

import pytest

from apidouble.behaviours.caching import (
    CachePolicy,
    ResponseCache,
    compile_cache_key,
    etag_for,
    http_date,
    not_modified,
    parse_last_modified,
)

from .factories import req

BODY = b'{"id": 1}'
TAG = etag_for(BODY)
MODIFIED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SAME = "Wed, 01 May 2024 12:00:00 GMT"
LATER = "Wed, 01 May 2024 13:00:00 GMT"
EARLIER = "Wed, 01 May 2024 11:00:00 GMT"


def test_etag_is_strong_quoted_and_follows_the_body() -> None:
    assert TAG.startswith('"') and TAG.endswith('"') and not TAG.startswith("W/")
    assert etag_for(BODY) == TAG and etag_for(b"other") != TAG


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", {}, False),
        ("GET", {"If-None-Match": TAG}, True),
        ("HEAD", {"If-None-Match": TAG}, True),
        ("GET", {"If-None-Match": f"W/{TAG}"}, True),  # weak comparison
        ("GET", {"If-None-Match": f'"nope", {TAG}'}, True),
        ("GET", {"If-None-Match": '"a,b", ' + TAG}, True),  # commas inside a tag
        ("GET", {"If-None-Match": '"nope"'}, False),
        ("GET", {"If-None-Match": "*"}, True),
        ("GET", {"If-None-Match": "garbage"}, False),
        ("GET", {"If-None-Match": TAG[1:-1]}, False),  # unquoted is malformed
        ("POST", {"If-None-Match": TAG}, False),  # only GET/HEAD get a 304
        ("PUT", {"If-Modified-Since": LATER}, False),
        ("GET", {"If-Modified-Since": SAME}, True),
        ("GET", {"If-Modified-Since": LATER}, True),
        ("GET", {"If-Modified-Since": EARLIER}, False),
        ("GET", {"If-Modified-Since": "yesterday"}, False),  # invalid date: ignored
        # If-None-Match wins: If-Modified-Since is not even looked at
        ("GET", {"If-None-Match": '"nope"', "If-Modified-Since": LATER}, False),
        ("GET", {"If-None-Match": TAG, "If-Modified-Since": EARLIER}, True),
    ],
)
def test_rfc9110_precedence(method: str, headers: dict[str, str], expected: bool) -> None:
    assert not_modified(req(method, headers=headers), TAG, MODIFIED) is expected


def test_conditions_without_validators() -> None:
    assert not not_modified(req(headers={"If-None-Match": TAG}), None, MODIFIED)
    assert not not_modified(req(headers={"If-Modified-Since": LATER}), TAG, None)
    many = req(headers={}).__class__(
        "GET", "/", "", (("If-None-Match", '"x"'), ("If-None-Match", TAG)), b"", None
    )
    assert not_modified(many, TAG, None)  # several header lines form one list


def test_policy_headers() -> None:
    policy = CachePolicy.build(
        max_age=60, last_modified="2024-05-01T12:00:00Z", vary=["Accept", "Accept-Encoding"]
    )
    assert policy.headers_for(BODY) == [
        ("ETag", TAG),
        ("Last-Modified", SAME),
        ("Cache-Control", "max-age=60"),
        ("Vary", "Accept, Accept-Encoding"),
    ]
    assert policy.not_modified(req(headers={"If-Modified-Since": SAME}), None)


@pytest.mark.parametrize(
    ("kwargs", "control"),
    [
        ({}, None),
        ({"max_age": 0}, "no-cache"),
        ({"max_age": 30, "private": True}, "private, max-age=30"),
        ({"private": True}, "private"),
    ],
)
def test_cache_control(kwargs: dict[str, object], control: str | None) -> None:
    headers = dict(CachePolicy.build(etag=False, **kwargs).headers_for(b""))  # type: ignore[arg-type]
    assert headers.get("Cache-Control") == control
    assert "ETag" not in headers


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00Z",
        "2024-05-01T14:00:00+02:00",
        SAME,
        datetime(2024, 5, 1, 12, 0, 0, 123456),
        datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_last_modified_forms(value: str | datetime) -> None:
    assert parse_last_modified(value) == MODIFIED
    assert http_date(parse_last_modified(value)) == SAME


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"last_modified": "last tuesday"}, "ISO 8601"), ({"max_age": -1}, "max_age")],
)
def test_policy_refuses(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CachePolicy.build(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parts", "a", "b", "same"),
    [
        (["path", "query"], req(query="a=1&b=2"), req(query="b=2&a=1"), True),
        (["path", "query"], req(query="a=1"), req(query="a=2"), False),
        (["path"], req(query="a=1"), req(query="a=2"), True),
        (["path"], req(path="/a"), req(path="/b"), False),
        (["method", "path"], req("GET"), req("HEAD"), False),
        (["header:Accept"], req(headers={"accept": "x"}), req(headers={"Accept": "x"}), True),
        (["headers:Accept"], req(headers={"accept": "x"}), req(headers={"Accept": "y"}), False),
        (["body"], req(), req(), True),
    ],
)
def test_server_cache_keys(parts: list[str], a: object, b: object, same: bool) -> None:
    key = compile_cache_key(parts)
    assert (key(a) == key(b)) is same  # type: ignore[arg-type]


@pytest.mark.parametrize("part", ["cookies", "header:", "ip"])
def test_server_cache_key_refuses(part: str) -> None:
    with pytest.raises(ValueError, match="cache.server.key"):
        compile_cache_key([part])


def test_response_cache_ttl_and_bound() -> None:
    cache: ResponseCache[bytes] = ResponseCache(30.0, max_entries=2)
    key = cache.key_for(req(path="/a"))
    assert cache.get(key, 0.0) is None
    cache.put(key, b"A", 0.0)
    assert cache.get(key, 29.9) == b"A"
    assert cache.get(key, 30.0) is None and len(cache) == 0  # expired and dropped
    for n, path in enumerate(["/a", "/b", "/c"]):
        cache.put(cache.key_for(req(path=path)), path.encode(), float(n))
    assert len(cache) == 2 and cache.get(cache.key_for(req(path="/a")), 3.0) is None
    assert (cache.hits, cache.misses) == (1, 3)
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        ResponseCache(0)
