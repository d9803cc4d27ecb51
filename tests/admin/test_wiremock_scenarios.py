"""``/__admin/scenarios``: list, reset, and set one scenario's state."""

from __future__ import annotations

import httpx

from apidouble import MockServer

FLOW = "/__admin/scenarios/My%20Flow/state"


def _flow(client: httpx.Client) -> dict[str, object]:
    (scenario,) = client.get("/__admin/scenarios").json()["scenarios"]
    assert isinstance(scenario, dict)
    return scenario


def test_lists_scenarios_with_state_and_possible_states(client: httpx.Client) -> None:
    scenario = _flow(client)
    assert {k: scenario[k] for k in ("id", "name", "state", "possibleStates")} == {
        "id": "My Flow",
        "name": "My Flow",
        "state": "Started",
        "possibleStates": ["Started", "Second", "Third"],
    }
    assert [m["response"]["body"] for m in scenario["mappings"]] == ["one", "two"]  # type: ignore[attr-defined]
    client.get("/flow")
    assert _flow(client)["state"] == "Second"


def test_sets_a_state_and_serving_follows(client: httpx.Client) -> None:
    answer = client.put(FLOW, json={"state": "Second"})
    assert (answer.status_code, answer.json()) == (200, {})
    assert _flow(client)["state"] == "Second"
    assert client.get("/flow").text == "two"


def test_no_body_puts_it_back_to_started(client: httpx.Client) -> None:
    client.get("/flow")
    assert client.put(FLOW).status_code == 200
    assert _flow(client)["state"] == "Started"


def test_reset_puts_every_scenario_back(client: httpx.Client) -> None:
    client.get("/flow")
    answer = client.post("/__admin/scenarios/reset")
    assert (answer.status_code, answer.json()) == (200, {})
    assert _flow(client)["state"] == "Started"
    assert client.get("/flow").text == "one"


def test_unknown_scenario_and_state(client: httpx.Client) -> None:
    unknown = client.put("/__admin/scenarios/Nope/state", json={"state": "Second"})
    assert unknown.status_code == 404
    assert unknown.json() == {"errors": [{"code": 404, "title": "Scenario Nope does not exist"}]}
    state = client.put(FLOW, json={"state": "Nope"})
    assert state.status_code == 422
    title = "Scenario My Flow does not support state Nope"
    assert state.json() == {"errors": [{"code": 11, "title": title}]}
    missing = client.put(FLOW, json={})
    assert missing.json()["errors"][0]["title"].endswith("state null")
    bad = client.put(FLOW, content=b"{bad")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["title"] == "Error parsing JSON"
    assert _flow(client)["state"] == "Started"


def test_possible_states_are_the_ones_the_stubs_name(
    mock: MockServer, client: httpx.Client
) -> None:
    mock.add_endpoints(
        [{"path": "/s", "response": "s", "scenario": {"name": "S", "when": "A", "then": "B"}}]
    )
    scenarios = {s["name"]: s for s in client.get("/__admin/scenarios").json()["scenarios"]}
    assert scenarios["S"]["possibleStates"] == ["A", "B"]  # as WireMock 3.13 lists them
    assert scenarios["S"]["state"] == "Started"
    assert client.put("/__admin/scenarios/S/state", json={"state": "A"}).status_code == 200
    assert client.get("/s").text == "s"
    assert client.put("/__admin/scenarios/S/state").status_code == 200
    listed = client.get("/__admin/scenarios").json()["scenarios"]
    assert {s["name"]: s["state"] for s in listed} == {"My Flow": "Started", "S": "Started"}
