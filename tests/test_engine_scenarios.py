"""Native ``scenario: {name, when, then}``: a stub matches only in its state, and serving
it moves the scenario on; the same mechanism WireMock's ``scenarioName`` uses."""

from __future__ import annotations

import httpx

from apidouble.config.load import load_data
from apidouble.testing import MockServer

CHECKOUT = [
    {
        "path": "/cart",
        "response": {"state": "empty"},
        "scenario": {"name": "shop", "when": "Started"},
    },
    {
        "path": "/cart",
        "method": "POST",
        "status": 201,
        "scenario": {"name": "shop", "then": "full"},
    },
    {"path": "/cart", "response": {"state": "full"}, "scenario": {"name": "shop", "when": "full"}},
    {
        "path": "/pay",
        "method": "POST",
        "scenario": {"name": "shop", "when": "full", "then": "paid"},
    },
]


def test_a_native_scenario_gates_and_moves() -> None:
    with MockServer(endpoints=CHECKOUT) as mock, httpx.Client(base_url=mock.url) as http:
        assert http.post("/pay").status_code == 404  # not in state "full" yet
        assert http.get("/cart").json() == {"state": "empty"}
        assert http.post("/cart").status_code == 201
        assert http.get("/cart").json() == {"state": "full"}
        assert http.post("/pay").status_code == 200
        missed = http.get("/cart")  # "paid": no GET stub for it; POST (any state) would do
        assert (missed.status_code, missed.headers["allow"]) == (405, "POST")
        assert http.post("/pay").status_code == 404
        assert "scenario shop" in http.post("/pay").text


def test_a_scenario_round_trips_through_the_native_config() -> None:
    stubs = load_data({"endpoints": CHECKOUT}).stubs
    assert [stub.to_config().get("scenario") for stub in stubs] == [e["scenario"] for e in CHECKOUT]
