"""Sandboxed Jinja2 templates for responses, compiled once when the config loads."""

from .compile import (
    RENDER_ERRORS,
    Renderer,
    Template,
    TemplateRenderError,
    check_template,
    compile_template,
    compile_text,
    compile_value,
    is_template,
    render_error,
    template_cache,
)
from .environment import Missing, TemplateEnvironment
from .helpers import (
    register_template_filter,
    register_template_global,
    unregister_template_filter,
    unregister_template_global,
)
from .jsonbody import JsonBody

__all__ = [
    "RENDER_ERRORS",
    "JsonBody",
    "Missing",
    "Renderer",
    "Template",
    "TemplateEnvironment",
    "TemplateRenderError",
    "check_template",
    "compile_template",
    "compile_text",
    "compile_value",
    "is_template",
    "register_template_filter",
    "register_template_global",
    "render_error",
    "template_cache",
    "unregister_template_filter",
    "unregister_template_global",
]
