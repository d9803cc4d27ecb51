"""``faker``: imported only when a template uses it, seeded, locale configurable."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.templating import TemplateEnvironment, TemplateRenderError, compile_value


def render(value: Any, **options: Any) -> Any:
    renderer = compile_value(TemplateEnvironment(**options), value)
    assert renderer is not None
    return renderer(Request("GET", "/"), {})


BODY = {
    "name": "{{ faker.name() }}",
    "email": "{{ faker.unique.email() }}",
    "n": "{{ faker.pyint() }}",
}


def test_faker_values_repeat_with_a_seed() -> None:
    first = [render(BODY, seed=5) for _ in range(2)]
    assert first[0] == first[1]
    assert isinstance(first[0]["n"], int) and "@" in first[0]["email"]
    assert render(BODY, seed=6) != first[0]


def test_faker_seed_overrides_the_config_seed() -> None:
    assert render(BODY, seed=1, faker_seed=9) == render(BODY, seed=2, faker_seed=9)


def test_faker_locale() -> None:
    city = "{{ faker.city() }}"
    assert render(city, seed=1, faker_locale="de_DE") != render(city, seed=1, faker_locale="en_US")
    with pytest.raises(ValueError, match="unknown faker locale 'xx_YY'"):
        render(city, faker_locale="xx_YY")


def test_faker_values_serialize_to_json() -> None:
    out = render({"d": "{{ faker.date_object() }}", "p": "{{ faker.pydecimal(2, 2) }}"}, seed=1)
    assert len(out["d"]) == 10 and isinstance(out["p"], float)


@pytest.mark.parametrize("hidden", ["seed_instance", "random", "add_provider", "_faker"])
def test_faker_controls_are_hidden(hidden: str) -> None:
    with pytest.raises(TemplateRenderError):
        render({"v": f"{{{{ faker.{hidden} }}}}"}, seed=1)


def test_faker_is_imported_only_when_a_template_uses_it() -> None:
    script = textwrap.dedent(
        """
        import sys
        from apidouble.compiled import compile_config
        from apidouble.config.load import load_data
        plain = load_data({"endpoints": [{"path": "/a", "response": {"d": "{{ date }}"}}]})
        compile_config(plain.stubs)
        print("faker" in sys.modules)
        fake = load_data({"endpoints": [{"path": "/a", "response": "{{ faker.name() }}"}]})
        compile_config(fake.stubs)
        print("faker" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
