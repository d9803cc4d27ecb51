"""The admin API in schemathesis' stateful mode, over real sockets to a ``MockServer``.

Schemathesis chains calls along the links it infers from the served OpenAPI document
(a created mapping's ``id`` into ``GET``/``PUT``/``DELETE /__admin/mappings/{id}``, an
endpoint's into ``/__admin/endpoints/{id}``, a scenario's name into its ``state``, an
issuer's users and clients into their routes), with valid and invalid inputs. Property:
no answer is a 5xx, each answer's status, content type and body are ones the document
gives, every answer comes within ``CALL_TIMEOUT_S``, and a mutating call the server
refuses (a 4xx to ``POST``, ``PUT``, ``PATCH`` or ``DELETE``) leaves what it serves as
it was: the WireMock and native stub listings, the scenarios, the settings and the
issuers read the same before and after.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apidouble import MockServer
from apidouble.admin.openapi_route import OPENAPI_PATH

from ..admin.conftest import MAPPINGS
from .budget import LONG_RUN, budget

TOKEN = "fuzz-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CALL_TIMEOUT_S = 5.0
"""Far past any admin call's own work: a hang, not a slow machine."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STATE_VIEWS = (
    "/__admin/mappings",
    "/__admin/endpoints",
    "/__admin/scenarios",
    "/__admin/settings",
    "/__admin/auth",
)
"""What a refused call must leave unchanged: the stubs as WireMock and as the native
listing show them, the scenarios with their states, the settings, the issuers (keys,
users, clients)."""
LEFT_OUT = (
    r"^/__admin/shutdown$"  # stops the server under test
    r"|^/__admin/ui"  # static page files, and a live stream that never ends
    r"|^/__admin/recordings/start$"  # would proxy to whatever URL was drawn
)
ALONE_LEFT_OUT = (
    r"^/__admin/(reset|reload|mappings/reset|mappings/save|mcp)$|^/__reload$"
    r"|^/__admin/auth/\{issuer\}/reset$"
)
"""Left out of the one-operation target, which shares one server: these put the state
back as loaded (or drive it through MCP), which would undo what other examples test."""
MUTATIONS = 50
"""One-operation cases in ``make test``."""
SCENARIOS = 8
"""Scenarios in ``make test`` (a long run: ``LONG_RUN`` // ``STEPS``)."""
STEPS = 10
"""Most steps in one scenario."""
CONFIG = """\
endpoints:
  - id: hello
    path: /hello
    response: {message: hi}
  - id: pay-1
    path: /pay
    scenario: {name: checkout, when: Started, then: paid}
    response: unpaid
  - id: pay-2
    path: /pay
    scenario: {name: checkout, when: paid}
    response: paid
auth:
  issuers:
    default:
      users:
        - {username: ada, password: pw, claims: {role: admin}}
      clients:
        - {client_id: svc, client_secret: s3cret}
"""


def served_root(root: Path) -> MockServer:
    """Native endpoints with a scenario, an issuer, and a WireMock root with mappings,
    written to ``root``: a server not started yet."""
    (root / "mock.yaml").write_text(CONFIG)
    (root / "mappings").mkdir()
    (root / "mappings" / "all.json").write_text(json.dumps({"mappings": MAPPINGS}))
    return MockServer(root / "mock.yaml", root / "mappings", admin_token=TOKEN)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    with served_root(tmp_path_factory.mktemp("admin-fuzz")) as mock:
        yield mock


def state_of(url: str) -> dict[str, Any]:
    """Every state view, as JSON."""
    views: dict[str, Any] = {}
    with httpx.Client(base_url=url, headers=AUTH, timeout=CALL_TIMEOUT_S) as client:
        for path in STATE_VIEWS:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text)
            views[path] = answer.json()
    return views


def changed_views(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [path for path in STATE_VIEWS if before[path] != after[path]]


def aim_at_the_issuer(case: schemathesis.Case[Any]) -> None:
    """No link names the issuer, so a drawn ``{issuer}`` is almost never ``default``:
    half the drawn names (those of even length) become it, the rest stay unknown."""
    drawn = (case.path_parameters or {}).get("issuer")
    if isinstance(drawn, str) and len(drawn) % 2 == 0:
        case.path_parameters["issuer"] = "default"


def admin_schema(url: str) -> schemathesis.BaseSchema:
    """The document the server serves, less the operations left out, aimed at ``url``."""
    answer = httpx.get(url + OPENAPI_PATH, headers=AUTH, timeout=CALL_TIMEOUT_S)
    assert answer.status_code == 200, answer.text
    schema = schemathesis.openapi.from_dict(answer.json()).exclude(path_regex=LEFT_OUT)
    schema.config.update(base_url=url)
    return schema


def admin_machine(document_from: str) -> type[Any]:
    """The state machine over the document the server serves. Each scenario runs against
    a fresh server on a fresh root (it starts in about 50 ms), so a scenario's answers
    depend on its own steps alone, as Hypothesis needs to replay and shrink it."""
    machine: type[Any] = admin_schema(document_from).as_state_machine()

    class AdminAPI(machine):  # type: ignore[misc]
        """Checks every answer; snapshots the state around each mutating call."""

        mock: MockServer
        folder: tempfile.TemporaryDirectory[str]
        before: dict[str, Any] | None = None

        def setup(self) -> None:
            self.folder = tempfile.TemporaryDirectory(prefix="admin-fuzz-")
            self.mock = served_root(Path(self.folder.name)).start()

        def teardown(self) -> None:
            self.mock.stop()
            self.folder.cleanup()

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"base_url": self.mock.url, "headers": AUTH, "timeout": CALL_TIMEOUT_S}

        def before_call(self, case: schemathesis.Case[Any]) -> None:
            aim_at_the_issuer(case)
            mutating = case.method.upper() in MUTATING
            self.before = state_of(self.mock.url) if mutating else None

        def validate_response(
            self,
            response: Response,
            case: schemathesis.Case[Any],
            additional_checks: list[Any] | None = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(
                response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder
            )
            if self.before is not None:
                check_refusal(self.mock.url, self.before, case, response)

    return AdminAPI


def stateful_settings() -> settings:
    """``budget``'s settings, with scenarios and steps for a state machine: a long run's
    ``APIDOUBLE_FUZZ_EXAMPLES`` is the number of steps in all."""
    scenarios = max(1, LONG_RUN // STEPS) if LONG_RUN else SCENARIOS
    return settings(budget(scenarios), max_examples=scenarios, stateful_step_count=STEPS)


def test_the_admin_api_statefully(server: MockServer) -> None:
    admin_machine(server.url).run(settings=stateful_settings())
    state_of(server.url)  # still answering, every view


def check_refusal(
    url: str, before: dict[str, Any], case: schemathesis.Case[Any], answer: Any
) -> None:
    if 400 <= answer.status_code < 500:
        changed = changed_views(before, state_of(url))
        assert not changed, (
            f"{case.method} {case.formatted_path} was refused with "
            f"{answer.status_code} ({answer.text[:300]}) yet changed {changed}"
        )


def mutating_cases(url: str) -> st.SearchStrategy[schemathesis.Case[Any]]:
    """A case for any mutating operation, the stateful machine's roots or not, valid or
    not (half each)."""
    schema = admin_schema(url).exclude(path_regex=ALONE_LEFT_OUT)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok) and result.ok().method.upper() in MUTATING
    ]
    return st.one_of(
        [
            operation.as_strategy(generation_mode=mode)
            for operation in operations
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )


def test_every_mutating_operation_alone(server: MockServer) -> None:
    """Each mutating operation on its own (the machine starts only from the linked
    ones): the same checks, and a refusal leaves the state as it was."""

    @budget(MUTATIONS)
    @given(case=mutating_cases(server.url))
    def run(case: schemathesis.Case[Any]) -> None:
        aim_at_the_issuer(case)
        before = state_of(server.url)
        answer = case.call(headers=AUTH, timeout=CALL_TIMEOUT_S)
        case.validate_response(answer, checks=CHECKS)
        check_refusal(server.url, before, case, answer)

    run()
    state_of(server.url)


def test_a_refused_call_is_checked_against_the_state(server: MockServer) -> None:
    """The state check sees a change: a created mapping shows in the WireMock and the
    native listings, and nowhere else; deleting it restores the views."""
    before = state_of(server.url)
    created = httpx.post(
        server.url + "/__admin/mappings",
        json={"request": {"url": "/state-check"}, "response": {"status": 204}},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    after = state_of(server.url)
    assert changed_views(before, after) == ["/__admin/mappings", "/__admin/endpoints"]
    gone = httpx.delete(server.url + f"/__admin/mappings/{created.json()['id']}", headers=AUTH)
    assert gone.status_code == 200
    assert changed_views(before, state_of(server.url)) == []


def test_refused_mutations_by_name(server: MockServer) -> None:
    """Refusals a generator may rarely draw, each leaving the state as it was."""
    calls: list[tuple[str, str, Any]] = [
        ("POST", "/__admin/mappings", {"request": {"cookies": {"k": {"equalToJson": "{"}}}}),
        ("POST", "/__admin/mappings/import", {"mappings": [{"request": {}}, {"request": 5}]}),
        ("PUT", "/__admin/mappings/11111111-1111-1111-1111-111111111111", {"request": 5}),
        ("PUT", "/__admin/scenarios/checkout/state", {"state": "nowhere"}),
        ("PUT", "/__admin/scenarios/nope/state", {"state": "Started"}),
        ("PUT", "/__admin/settings", {"delayDistribution": {"type": "uniform", "lower": -5}}),
        ("POST", "/__admin/endpoints", {"path": 5}),
        ("PUT", "/__admin/endpoints/hello", {"path": 5}),
        ("POST", "/__admin/auth/default/users", {"username": 5}),
        ("PUT", "/__admin/auth/default/clients", [{"client_id": 5}]),
        ("POST", "/__admin/auth/default/rotate", {"alg": "none"}),
    ]
    for method, path, body in calls:
        before = state_of(server.url)
        answer = httpx.request(
            method, server.url + path, content=json.dumps(body), headers=AUTH, timeout=5
        )
        assert 400 <= answer.status_code < 500, (method, path, answer.status_code, answer.text)
        assert changed_views(before, state_of(server.url)) == [], (method, path, answer.text)


def test_the_document_links_what_the_machine_needs(server: MockServer) -> None:
    """The inferred links reach the stateful routes: without them the machine would only
    call each operation alone."""
    transitions = admin_machine(server.url)._transitions.operations
    linked = {link.target.label for ops in transitions.values() for link in ops.outgoing}
    for target in (
        "GET /__admin/mappings/{id}",
        "DELETE /__admin/mappings/{id}",
        "PUT /__admin/endpoints/{id}",
        "PUT /__admin/scenarios/{name}/state",
        "PUT /__admin/auth/{issuer}/users/{key}",
    ):
        assert target in linked, target


@pytest.mark.parametrize("mapping", [{}, {"request": None}, {"response": {"status": 204}}])
def test_near_misses_with_a_mapping_without_a_request(tmp_path: Path, mapping: Any) -> None:
    """Found by a 1,000-example run of the one-operation target: a mapping made with no
    ``request`` (WireMock's "any request"), then ``POST /__admin/near-misses/request``
    with ``{}``: ``KeyError: 'request'`` in ``admin/wiremock.py`` ``for_event``, a 500."""
    with served_root(tmp_path) as mock:
        made = httpx.post(mock.url + "/__admin/mappings", json=mapping, headers=AUTH)
        assert made.status_code == 201, made.text
        answer = httpx.post(mock.url + "/__admin/near-misses/request", json={}, headers=AUTH)
        assert answer.status_code == 200, answer.text
        assert isinstance(answer.json()["nearMisses"], list)


def test_a_header_sent_more_than_once_is_listed_as_the_document_says(tmp_path: Path) -> None:
    """Found by a 10-minute stateful run: a mapping whose response header has a list of
    values (WireMock's form for a header sent more than once) is listed with that list,
    which the shipped document (WireMock's own) allowed only as a string."""
    mapping = {"request": {"urlPath": "/twice"}, "response": {"headers": {"X-Two": ["a", "b"]}}}
    with served_root(tmp_path) as mock:
        made = httpx.post(mock.url + "/__admin/mappings", json=mapping, headers=AUTH)
        assert made.status_code == 201, made.text
        listed = httpx.get(mock.url + "/__admin/mappings", headers=AUTH)
        operation = admin_schema(mock.url)["/__admin/mappings"]["GET"]
        operation.validate_response(listed)  # raises when the listing breaks the document
        served = httpx.get(mock.url + "/twice")
    ours = [m for m in listed.json()["mappings"] if m["request"].get("urlPath") == "/twice"]
    assert ours[0]["response"]["headers"] == {"X-Two": ["a", "b"]}
    assert served.headers.get_list("x-two") == ["a", "b"]
