"""Sandboxed Jinja2 templates for responses, compiled once when the config loads."""

from .compile import (
    RENDER_ERRORS,
    Renderer,
    Template,
    TemplateRenderError,
    compile_template,
    compile_text,
    compile_value,
    is_template,
    render_error,
)
from .environment import TemplateEnvironment
from .jsonbody import JsonBody

__all__ = [
    "RENDER_ERRORS",
    "JsonBody",
    "Renderer",
    "Template",
    "TemplateEnvironment",
    "TemplateRenderError",
    "compile_template",
    "compile_text",
    "compile_value",
    "is_template",
    "render_error",
]
