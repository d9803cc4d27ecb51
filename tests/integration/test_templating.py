"""Templates over real sockets: typed JSON, escaping, seeds, data files, templated files."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer

Serve = Callable[..., MockServer]
WriteConfig = Callable[..., Path]


def test_typed_json_headers_and_status(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - name: user
            method: POST
            path: /users/{id}
            status: "{{ 200 if request.json.ok else 409 }}"
            headers: {X-User: "u-{{ request.params.id }}", X-Trace: "{{ uuid }}"}
            response:
              id: "{{ request.params.id | int }}"
              self: "/users/{{ request.params.id }}"
              echo: "{{ request.json }}"
              said: "<{{ request.json.text }}>"
              trace: "{{ uuid }}"
              today: "{{ date }}"
              agent: "{{ request.headers['USER-AGENT'] }}"
        """
    )
    text = 'He said "hi"\nthen left\t✓ 😀 \\ end'
    response = httpx.post(
        mock.url + "/users/7", json={"ok": True, "text": text}, headers={"User-Agent": "t/1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == 7 and body["self"] == "/users/7"
    assert body["echo"] == {"ok": True, "text": text}
    assert body["said"] == f"<{text}>"
    assert body["trace"] == response.headers["x-trace"]  # one uuid per response
    assert response.headers["x-user"] == "u-7" and body["agent"] == "t/1"
    conflict = httpx.post(mock.url + "/users/8", json={"ok": False, "text": ""})
    assert conflict.status_code == 409 and conflict.json()["id"] == 8


def sequence(mock: MockServer) -> list[str]:
    with httpx.Client(base_url=mock.url) as client:
        return [client.get(path).text for path in ("/r", "/r", "/pick", "/r", "/pick")]


SEEDED = """
    seed: 42
    endpoints:
      - path: /r
        response:
          id: "{{ uuid }}"
          n: "{{ random_int(1, 1000000) }}"
          f: "{{ random_float() }}"
          s: "{{ random_string(12) }}"
          c: "{{ random_choice(['a', 'b', 'c', 'd']) }}"
          who: "{{ faker.name() }}"
          mail: "{{ faker.email() }}"
      - path: /pick
        mode: random
        responses: [{response: one}, {response: two}, {response: three}]
"""


def test_same_seed_same_requests_same_bodies(serve: Serve, tmp_path: Path) -> None:
    first = sequence(serve(SEEDED))
    other = tmp_path / "other"
    other.mkdir()
    (other / "apidouble.yaml").write_text(SEEDED.replace("    ", "", 1).replace("\n    ", "\n"))
    with MockServer(other / "apidouble.yaml") as again:
        second = sequence(again)
    assert first == second
    assert len({json.loads(b)["id"] for b in first if b.startswith("{")}) == 3
    with MockServer(other / "apidouble.yaml", seed=7) as reseeded:  # --seed wins over seed:
        assert sequence(reseeded) != first


def test_data_files_and_loops(serve: Serve, write_config: WriteConfig) -> None:
    write_config('[{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]', "data/users.json")
    write_config("sku,price\nA1,3\nB2,5\n", "data/prices.csv")
    mock = serve(
        """
        data: {users: data/users.json, prices: data/prices.csv}
        faker: {locale: fr_FR}
        endpoints:
          - path: /users/{id}
            response: >-
              {% set user = data.users | selectattr('id', 'equalto', request.params.id | int)
                 | first %}{{ {'id': user.id, 'name': user.name} | tojson }}
          - path: /users
            response: >-
              [{% for u in data.users %}{"n": {{ loop.index }}, "name": {{ u.name | tojson }}}
              {%- if not loop.last %},{% endif %}{% endfor %}]
          - path: /total
            response: {total: "{{ data.prices | map(attribute='price') | map('int') | sum }}"}
          - path: /pages
            response: "{% for i in range(1, request.query.n | int + 1) %}{{ i }} {% endfor %}"
        """
    )
    assert httpx.get(mock.url + "/users/2").json() == {"id": 2, "name": "Grace"}
    listed = httpx.get(mock.url + "/users")
    assert listed.headers["content-type"] == "application/json"
    assert listed.json() == [{"n": 1, "name": "Ada"}, {"n": 2, "name": "Grace"}]
    assert httpx.get(mock.url + "/total").json() == {"total": 8}
    assert httpx.get(mock.url + "/pages?n=3").text == "1 2 3 "
    missing = httpx.get(mock.url + "/users/9")
    assert missing.status_code == 500 and "UndefinedError" in missing.json()["detail"]


def test_templated_response_file(serve: Serve, write_config: WriteConfig) -> None:
    write_config('{"id": 1}', "bodies/user-1.json")
    write_config("<user id='2'/>", "bodies/user-2.xml")
    write_config("secret", "private.txt")
    mock = serve(
        """
        endpoints:
          - name: by-file
            path: /users/{id}
            response_file: >-
              bodies/user-{{ request.params.id }}.{{ request.query.fmt | default('json') }}
        """
    )
    one = httpx.get(mock.url + "/users/1")
    assert one.json() == {"id": 1} and one.headers["content-type"] == "application/json"
    two = httpx.get(mock.url + "/users/2?fmt=xml")
    assert two.text == "<user id='2'/>" and two.headers["content-type"] == "application/xml"
    for attempt in ("/users/3", "/users/..%2F..%2Fprivate?fmt=txt"):
        refused = httpx.get(mock.url + attempt)
        assert refused.status_code == 500 and refused.json()["stub"] == "by-file"
    escape = httpx.get(mock.url + "/users/x", params={"fmt": "json/../../../private.txt"})
    assert escape.status_code == 500 and "response_file" in escape.json()["detail"]


def test_render_errors_answer_500_and_the_server_keeps_serving(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    mock = serve(
        """
        endpoints:
          - {name: broken, path: /broken, response: {v: "{{ request.json.missing.deeper }}"}}
          - {name: evil, path: /evil, response: "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
          - {name: fine, path: /fine, response: {ok: "{{ 1 == 1 }}"}}
        """
    )
    with caplog.at_level(logging.WARNING, logger="apidouble"):
        broken = httpx.get(mock.url + "/broken")
        evil = httpx.get(mock.url + "/evil")
    assert broken.status_code == 500
    assert broken.json()["stub"] == "broken" and broken.json()["error"] == "template error"
    assert evil.status_code == 500 and "refused by the sandbox" in evil.json()["detail"]
    assert any(
        r.levelno == logging.WARNING and "stub evil" in r.getMessage() for r in caplog.records
    )
    assert httpx.get(mock.url + "/fine").json() == {"ok": True}
