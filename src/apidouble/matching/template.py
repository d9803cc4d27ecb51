"""A condition on a template rendered for the request (``match.template``).

The template is compiled once, at load time, with the engine its ``templating`` names,
and rendered per request with the same context a response gets (request, path params,
the server's state helpers); its text is then compared like any value. Only stubs that
have such a condition pay for it: the others never see this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from apidouble.matching.pattern import Condition
from apidouble.matching.result import Check, MatchResult, shown
from apidouble.matching.values import compile_value
from apidouble.model import Request, ValueSpec

if TYPE_CHECKING:
    from apidouble.matching.paths import CompiledPath
    from apidouble.templating.compile import Template
    from apidouble.templating.environment import TemplateEnvironment

TemplateEngine = Literal["jinja", "handlebars", "mockoon"]


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A template to render for the request, and what its text must satisfy."""

    source: str
    value: ValueSpec
    templating: TemplateEngine = "jinja"


def _compiled(env: TemplateEnvironment, spec: TemplateSpec) -> Template:
    """The template, compiled by its engine (imported only when a stub has one)."""
    if spec.templating == "jinja":
        from apidouble.templating.compile import compile_template

        return compile_template(env, spec.source)
    from apidouble.templating.handlebars import (
        MOCKOON_HELPERS,
        WIREMOCK_HELPERS,
        check_faker_names,
        compile_handlebars,
    )

    if spec.templating == "mockoon":
        check_faker_names(spec.source)
    helpers = MOCKOON_HELPERS if spec.templating == "mockoon" else WIREMOCK_HELPERS
    template = compile_handlebars(env, spec.source, helpers)
    if "faker" in template.names:
        env.faker()  # imported and seeded now, at load time
    return template


def template_condition(
    env: TemplateEnvironment, spec: TemplateSpec, path: CompiledPath | None
) -> Condition:
    """The spec as one more condition of a stub's pattern; ``path`` gives the request's
    path parameters to the template. ValueError when the template does not compile."""
    from apidouble.templating.compile import RENDER_ERRORS

    template = _compiled(env, spec)
    context = env.context_maker(template.names)
    label = f"template {shown(spec.source)}"
    matcher = compile_value(spec.value, label)

    def render(request: Request) -> str | None:
        """The template's text for the request; None when it fails to render (the
        condition then never holds)."""
        params = (path.match(request.path) if path is not None else None) or {}
        try:
            return str(template.run(context(request, params)))
        except RENDER_ERRORS:
            return None

    def test(request: Request) -> bool:
        text = render(request)
        return text is not None and matcher.test((text,))

    def explain(request: Request) -> MatchResult:
        text = render(request)
        if text is None:
            return MatchResult.of(Check(label, False, _expected(spec.value), "<render error>"))
        return matcher.explain((text,))

    return Condition(test, explain)


def _expected(spec: ValueSpec) -> str:
    negated = "not " if spec.negate else ""
    return f"{negated}{spec.op} {spec.expected!r}"
