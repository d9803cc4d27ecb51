"""Names templates use: now, clock caching, uuid, random helpers, jsonpath."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from random import Random
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.templating import TemplateEnvironment, compile_text
from apidouble.templating.names import Clock, Now, Randoms, jsonpath

MOMENT = datetime(2026, 3, 1, 12, 30, 45, 123000, tzinfo=UTC)  # a Sunday
EPOCH = MOMENT.timestamp()
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def render(source: str, seed: int | None = 1, typed: bool = True) -> Any:
    env = TemplateEnvironment(seed, clock=lambda: EPOCH)
    return compile_text(env, source, typed)(Request("GET", "/"), {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ now.iso }}", "2026-03-01T12:30:45.123+00:00"),
        ("{{ now | string }}", "2026-03-01T12:30:45.123+00:00"),
        ("{{ now.epoch }}", 1772368245),
        ("{{ now.epoch_ms }}", 1772368245123),
        ("{{ now.format('%d/%m/%Y') }}", "01/03/2026"),
        ("{{ now.shift(days=3).format('%Y-%m-%d') }}", "2026-03-04"),
        ("{{ now.shift(days=-1, hours=2).format('%d %H') }}", "28 14"),
        ("{{ now.shift(weeks=1, minutes=30, seconds=15).format('%d %H:%M:%S') }}", "08 13:01:00"),
        ("{{ now.shift(milliseconds=877).iso }}", "2026-03-01T12:30:46.000+00:00"),
        ("{{ now.tz('Europe/Paris').iso }}", "2026-03-01T13:30:45.123+01:00"),
        ("{{ now.tz('America/New_York').format('%H:%M %Z') }}", "07:30 EST"),
        ("{{ now.date }} {{ now.time }}", "2026-03-01 12:30:45"),
        ("{{ [now.year, now.month, now.day] }}", [2026, 3, 1]),
        ("{{ [now.hour, now.minute, now.second] }}", [12, 30, 45]),
        ("{{ now.weekday }}", 6),
        ("{{ now.shift(days=1) > now }}", True),
        ("{{ date }}", "2026-03-01"),
        ("{{ time }}", "12:30:45"),
        ("{{ timestamp }}", "2026-03-01T12:30:45.123+00:00"),
    ],
)
def test_clock_names(source: str, expected: Any) -> None:
    assert render(source) == expected


def test_now_in_a_typed_json_slot_is_its_iso_string() -> None:
    from apidouble.templating import compile_value

    env = TemplateEnvironment(clock=lambda: EPOCH)
    renderer = compile_value(env, {"at": "{{ now }}", "later": "{{ now.shift(hours=1) }}"})
    assert renderer is not None
    assert renderer(None, {}) == {
        "at": "2026-03-01T12:30:45.123+00:00",
        "later": "2026-03-01T13:30:45.123+00:00",
    }


def test_unknown_time_zone_is_a_compile_error_when_literal() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        compile_text(TemplateEnvironment(), "{{ now.tz('Mars/Base') }}")


def test_unknown_time_zone_from_data_is_a_render_error() -> None:
    from apidouble.templating import TemplateRenderError

    renderer = compile_text(TemplateEnvironment(), "{{ now.tz(request.query.tz) }}")
    with pytest.raises(TemplateRenderError, match="unknown time zone"):
        renderer(Request("GET", "/", "tz=Nowhere/Land"), {})


def test_date_and_time_are_formatted_once_per_second() -> None:
    ticks = iter([10.2, 10.7, 11.1])
    clock = Clock(lambda: next(ticks))
    first = clock.date()
    assert clock._second == 10
    assert clock.date() is first  # same second: the cached string
    clock.date()
    assert clock._second == 11


def test_now_equality_and_repr() -> None:
    assert Now(MOMENT) == Now(MOMENT) and hash(Now(MOMENT)) == hash(Now(MOMENT))
    assert Now(MOMENT) != MOMENT
    assert repr(Now(MOMENT)) == "Now(2026-03-01T12:30:45.123+00:00)"


def test_uuid_is_version_4_and_seeded() -> None:
    values = [Randoms(Random(7)).uuid() for _ in range(2)]
    assert values[0] == values[1]
    for _ in range(200):
        made = Randoms(Random()).uuid()
        assert UUID4.match(made) and uuid.UUID(made).version == 4


def test_uuid_is_one_per_response_and_random_uuid_is_fresh() -> None:
    assert render("{{ uuid == uuid }}") is True
    fresh = render("{{ [random_uuid(), random_uuid()] }}")
    assert fresh[0] != fresh[1] and all(UUID4.match(u) for u in fresh)


@pytest.mark.parametrize(
    ("source", "check"),
    [
        ("{{ random_int(3, 5) }}", lambda v: v in (3, 4, 5)),
        ("{{ random_int() }}", lambda v: 0 <= v <= 100),
        ("{{ random_float() }}", lambda v: isinstance(v, float) and 0 <= v <= 1),
        ("{{ random_float(10, 20) }}", lambda v: 10 <= v <= 20),
        ("{{ random_choice(['a', 'b']) }}", lambda v: v in ("a", "b")),
        ("{{ random_choice('xyz') }}", lambda v: v in "xyz"),
        ("{{ random_choice(range(3)) }}", lambda v: v in (0, 1, 2)),
        ("{{ random_choice({'k': 1}) }}", lambda v: v == "k"),
        ("{{ random_string() }}", lambda v: re.fullmatch(r"[A-Za-z0-9]{16}", v)),
        ("{{ random_string(5, 'ab') }}", lambda v: re.fullmatch(r"[ab]{5}", v)),
        ("{{ random_string(0) }}", lambda v: v == ""),
    ],
)
def test_random_helpers(source: str, check: Any) -> None:
    for seed in range(20):
        assert check(render(source, seed=seed))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ random_choice([]) }}", "non-empty list"),
        ("{{ random_string(-1) }}", "length must be"),
        ("{{ random_string(10000000) }}", "length must be"),
        ("{{ random_string(3, '') }}", "non-empty alphabet"),
        ("{{ random_int(5, 1) }}", "range"),
    ],
)
def test_random_helper_errors(source: str, message: str) -> None:
    from apidouble.templating import TemplateRenderError

    with pytest.raises(TemplateRenderError, match=message):
        render(source)


def test_random_helpers_repeat_with_a_seed() -> None:
    source = "{{ [random_int(0, 10**6), random_float(), random_string(8), random_uuid(), uuid] }}"
    assert render(source, seed=3) == render(source, seed=3)
    assert render(source, seed=3) != render(source, seed=4)


DOC = {"users": [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}], "total": 2}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$.total", 2),
        ("$.users[0].name", "Ada"),
        ("$.users[*].name", ["Ada", "Grace"]),
        ("$.users[?@.id == 2].name", "Grace"),
        ("$.missing", None),
    ],
)
def test_jsonpath(expression: str, expected: Any) -> None:
    assert jsonpath(DOC, expression) == expected


def test_jsonpath_in_templates_and_its_errors() -> None:
    from apidouble.templating import TemplateRenderError

    request = Request("POST", "/", body=b'{"items": [{"sku": "a"}, {"sku": "b"}]}')
    env = TemplateEnvironment()
    assert compile_text(env, "{{ jsonpath(request.json, '$.items[*].sku') }}", True)(
        request, {}
    ) == ["a", "b"]
    with pytest.raises(TemplateRenderError, match="jsonpath"):
        compile_text(env, "{{ jsonpath(request.json, '$[') }}")(request, {})
