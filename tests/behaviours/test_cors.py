import pytest

from apidouble.behaviours.cors import CorsPolicy

from .factories import req

ORIGIN = "https://app.example.com"


def preflight(origin: str | None = ORIGIN, method: str = "PUT", **extra: str) -> object:
    headers = {"Access-Control-Request-Method": method, **extra}
    if origin is not None:
        headers["Origin"] = origin
    return req("OPTIONS", headers=headers)


def policy(config: object) -> CorsPolicy:
    found = CorsPolicy.from_config(config)  # type: ignore[arg-type]
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("config", "request_", "expected"),
    [
        # not a preflight: None, so routing goes on
        (True, req("OPTIONS", headers={"Origin": ORIGIN}), None),
        (True, preflight(origin=None), None),
        (
            True,
            req("PUT", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}),
            None,
        ),
        (
            True,
            preflight(**{"Access-Control-Request-Headers": "content-type, x-token"}),
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, PUT",
                "Access-Control-Allow-Headers": "content-type, x-token",
            },
        ),
        (
            {"origins": [ORIGIN], "credentials": True, "max_age": 600, "headers": ["X-A"]},
            preflight(),
            {
                "Access-Control-Allow-Origin": ORIGIN,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": "GET, PUT",
                "Access-Control-Allow-Headers": "X-A",
                "Access-Control-Max-Age": "600",
            },
        ),
        (
            {"origins": ["https://*.example.com"], "methods": ["get", "delete"]},
            preflight(),
            {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "GET, DELETE"},
        ),
        ({"origins": ["https://other.example"]}, preflight(), {}),  # refused: no ACAO
        ({"origins": ["https://*.example.com"]}, preflight("https://example.com.evil.io"), {}),
        (
            {"headers": []},
            preflight(**{"Access-Control-Request-Headers": "x"}),
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, PUT",
            },
        ),  # fmt: skip
    ],
)
def test_preflight(config: object, request_: object, expected: dict[str, str] | None) -> None:
    found = policy(config).preflight(request_, ["GET", "PUT"])  # type: ignore[arg-type]
    if expected is None:
        assert found is None
        return
    assert found is not None
    access = {k: v for k, v in found if k.startswith("Access-Control-")}
    assert access == expected
    assert ("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers") in found


def test_preflight_without_known_methods_reflects_the_asked_one() -> None:
    found = dict(policy(True).preflight(preflight(method="patch"), []) or [])  # type: ignore[arg-type]
    assert found["Access-Control-Allow-Methods"] == "PATCH"


@pytest.mark.parametrize(
    ("config", "headers", "expected"),
    [
        (True, {}, []),
        (True, {"Origin": ORIGIN}, [("Access-Control-Allow-Origin", "*")]),
        (
            {"expose_headers": ["X-Total"]},
            {"Origin": ORIGIN},
            [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "X-Total")],
        ),
        # credentials: reflect, never "*", and say the answer varies by Origin
        (
            {"credentials": True},
            {"Origin": ORIGIN},
            [
                ("Access-Control-Allow-Origin", ORIGIN),
                ("Vary", "Origin"),
                ("Access-Control-Allow-Credentials", "true"),
            ],
        ),
        ({"credentials": True}, {}, [("Vary", "Origin")]),
        (
            {"origins": [ORIGIN.upper()]},
            {"Origin": ORIGIN},
            [("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")],
        ),
        (
            {"origins": ["https://b.example"], "expose_headers": ["X"]},
            {"Origin": ORIGIN},
            [("Vary", "Origin")],
        ),
        (
            {"origins": "https://app.example.com/"},
            {"Origin": ORIGIN},
            [("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")],
        ),
    ],
)
def test_response_headers(
    config: object, headers: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert policy(config).response_headers(req(headers=headers)) == expected


def test_off() -> None:
    assert CorsPolicy.from_config(False) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("yes", "true, false or a policy"),
        ({"origin": "*"}, "unknown cors key"),
        ({"credentials": "yes"}, "credentials must be true or false"),
        ({"max_age": -1}, "max_age"),
        ({"max_age": True}, "max_age"),
        ({"methods": [1]}, "cors.methods must be a string or a list"),
    ],
)
def test_refuses(config: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CorsPolicy.from_config(config)  # type: ignore[arg-type]
