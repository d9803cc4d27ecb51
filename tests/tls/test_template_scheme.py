"""``request.scheme`` in templates: ``https`` over the HTTPS port, ``http`` beside it, in
both engines; Handlebars' ``baseUrl`` and ``port`` follow the scheme."""

from __future__ import annotations

from pathlib import Path

import httpx

from apidouble import MockServer

from .conftest import trusting

ENDPOINTS = [
    {"path": "/jinja", "response": "{{ request.scheme }}"},
    {
        "path": "/hbs",
        "templating": "handlebars",
        "response": "{{request.scheme}} {{request.port}} {{request.baseUrl}}",
    },
]


def test_templates_see_the_scheme_the_request_came_by(ca_dir: Path) -> None:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir)) as mock:
        secure = httpx.Client(base_url=mock.https_url, verify=trusting(mock.ca_path))
        plain = httpx.Client(base_url=mock.url)
        with secure, plain:
            assert secure.get("/jinja").text == "https"
            assert plain.get("/jinja").text == "http"
            host = f"localhost:{mock.https_port}"
            named = secure.get("/hbs", headers={"host": host}).text
            assert named == f"https {mock.https_port} https://{host}"
            bare = secure.get("/hbs", headers={"host": "api.example.com"}).text
            assert bare == "https 443 https://api.example.com"
            assert plain.get("/hbs", headers={"host": "api.example.com"}).text == (
                "http 80 http://api.example.com"
            )
