"""Mockoon's ``getEnvVar``, ``jwtHeader``, ``jwtPayload`` and ``jmesPath`` in served
responses, and the same requests sent to mockoon-cli 9.9 when it is installed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_serving import environment, response, route, serving, write


def _part(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


TOKEN = ".".join([_part({"alg": "HS256", "typ": "JWT"}), _part({"sub": "u1", "n": 3}), "sig"])
TEMPLATES = {
    "env": "{{getEnvVar 'GREETING'}}|{{getEnvVar 'MOCKOON_GREETING'}}|{{getEnvVar 'NOPE' 'dflt'}}"
    "|{{getEnvVar 'PATH'}}|{{getEnvVar 'NOPE'}}",
    "jwt": "{{jwtPayload (header 'Authorization') 'sub'}}|{{jwtHeader (header 'Authorization')"
    " 'alg'}}|{{add (jwtPayload (header 'Authorization') 'n') 1}}|{{jwtPayload (header 'X')}}"
    "|{{jwtPayload (header 'Authorization') 'none'}}"
    "|{{#each (jwtPayload (header 'Authorization'))}}{{@key}}={{this}};{{/each}}",
    "jmes": "{{jmesPath (jwtPayload (header 'Authorization')) 'sub'}}"
    '|{{jmesPath (jsonParse \'{"p":[{"n":"a","age":30},{"n":"b","age":9}]}\')'
    " 'p[?age > `20`].n | [0]'}}|{{jmesPath (jsonParse '{\"a\":1}') 'missing' 'dflt'}}"
    "|{{jmesPath 'text' 'a'}}|{{jmesPath (jsonParse '{\"a\":1}') '[['}}"
    '|{{jmesPath (jsonParse \'{"a":{"b":[1,2]},"z":0}\') \'a.b[1]\'}}',
}
ASKS = [
    ("/env", {}),
    ("/jwt", {"Authorization": f"Bearer {TOKEN}", "X": "not.a-token"}),
    ("/jwt", {"Authorization": TOKEN}),
    ("/jwt", {"Authorization": "Bearer e30"}),
    ("/jmes", {"Authorization": f"Bearer {TOKEN}"}),
]
WANT = ["hello|hello|dflt||", "u1|HS256|4|||sub=u1;n=3;", "u1|HS256|4|||sub=u1;n=3;"]
WANT += ["||NaN|||", "u1|a|dflt|text||2"]


def helpers_env() -> dict[str, Any]:
    return environment(*[route(name, response(text)) for name, text in TEMPLATES.items()])


def asked(client: httpx.Client) -> list[str]:
    return [client.get(path, headers=headers).text for path, headers in ASKS]


@pytest.fixture(autouse=True)
def greeting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKOON_GREETING", "hello")


def test_env_vars_and_tokens(tmp_path: Path) -> None:
    with serving(tmp_path, helpers_env()) as client:
        assert asked(client) == WANT


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_answers_as_mockoon_cli(tmp_path: Path) -> None:
    with serving(tmp_path, helpers_env()) as client:
        ours = asked(client)
    with mockoon(write(tmp_path, helpers_env(), "peer.json")) as url:
        with httpx.Client(base_url=url) as client:
            theirs = asked(client)
    assert ours == theirs
