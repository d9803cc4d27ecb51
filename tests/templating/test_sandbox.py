"""Known sandbox-escape payloads: every one refused (at load or at render), never run,
and a render-time refusal is logged at warning level with the stub's name."""

from __future__ import annotations

import json
import logging

import pytest

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.errors import ConfigError
from apidouble.model import Request
from apidouble.outcome import Respond

PAYLOADS = [
    "{{ request.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ request.headers.__init__.__globals__ }}",
    "{{ request.__init__.__globals__['__builtins__'] }}",
    "{{ random_int.__globals__ }}",
    "{{ random_int.__self__ }}",
    "{{ jsonpath.__globals__['__builtins__']['__import__']('os') }}",
    "{{ range.__self__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ config }}",
    "{{ __builtins__ }}",
    "{{ __import__('os') }}",
    "{{ '{0.__class__}'.format(request) }}",
    "{{ '{0.__init__.__globals__}'.format(random_int) }}",
    "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    "{{ request | attr('__class__') }}",
    "{{ (request | attr('__init__') | attr('__globals__')) }}",
    "{{ request.json.update({'a': 1}) }}",
    "{{ request.query_all.clear() }}",
    "{{ data.__class__ }}",
    "{{ now.__class__.__init__.__globals__ }}",
    "{{ now._moment }}",
    "{{ faker._faker }}",
    "{{ faker.seed_instance(1) }}",
    "{{ 'x' * 100000000 }}",
    "{{ [0] * 100000000 }}",
    "{{ 99 ** 99999 }}",
    "{% for x in range(10**9) %}{% endfor %}",
]


def serve_one(template: str) -> Engine:
    endpoint = {"name": "evil", "method": "POST", "path": "/x", "response": {"v": template}}
    loaded = load_data({"endpoints": [endpoint]})
    return Engine(compile_config(loaded.stubs, seed=1))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_refused(payload: str, caplog: pytest.LogCaptureFixture) -> None:
    try:
        engine = serve_one(payload)
    except ConfigError as exc:  # refused at load time: an unknown name or bad syntax
        assert "evil" in str(exc)
        return
    request = Request("POST", "/x", body=b'{"a": 0}')
    with caplog.at_level(logging.WARNING, logger="apidouble"):
        outcome = engine.handle(request)
    assert isinstance(outcome, Respond)
    assert outcome.response.status == 500
    report = json.loads(outcome.response.body)
    assert report["stub"] == "evil" and report["error"] == "template error"
    assert request.json == {"a": 0}  # nothing was mutated
    refusals = [r for r in caplog.records if r.levelno == logging.WARNING]
    if "sandbox" in report["detail"]:
        assert any("evil" in r.getMessage() and "sandbox" in r.getMessage() for r in refusals)
    else:  # not a sandbox matter: an undefined attribute or a failed call, still a 500
        assert "Undefined" in report["detail"] or "Error" in report["detail"]


def test_the_classic_payloads_are_sandbox_refusals(caplog: pytest.LogCaptureFixture) -> None:
    for payload in (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ '{0.__class__}'.format(request) }}",
        "{{ 'x' * 100000000 }}",
    ):
        engine = serve_one(payload)
        with caplog.at_level(logging.WARNING, logger="apidouble"):
            outcome = engine.handle(Request("POST", "/x"))
        assert isinstance(outcome, Respond)
        assert "refused by the sandbox" in json.loads(outcome.response.body)["detail"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert all("stub evil" in r.getMessage() for r in warnings)


def test_the_server_keeps_serving_after_a_refusal() -> None:
    engine = serve_one("{{ request.__class__ }}")
    for _ in range(3):
        outcome = engine.handle(Request("POST", "/x"))
        assert isinstance(outcome, Respond) and outcome.response.status == 500
