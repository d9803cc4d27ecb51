import pytest

from apidouble.behaviours.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1s", 1.0),
        ("500ms", 0.5),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1.5s", 1.5),
        (" 10 s ", 10.0),
        ("30", 30.0),
        (".5s", 0.5),
        (0, 0.0),
        (2, 2.0),
        (0.25, 0.25),
    ],
)
def test_parses(value: object, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1d", "like '500ms'"),
        ("fast", "like '500ms'"),
        ("-1s", "like '500ms'"),
        ("", "like '500ms'"),
        (-3, "non-negative"),
        (float("inf"), "finite"),
        (float("nan"), "finite"),
        (True, "like '500ms'"),
        (None, "got NoneType"),
        ([1], "got list"),
    ],
)
def test_refuses_with_a_clear_message(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_duration(value, "outage.every")
    assert "outage.every" in str(info.value)


@pytest.mark.parametrize(("seconds", "text"), [(0.25, "250ms"), (1.5, "1.5s"), (60, "60s")])
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
