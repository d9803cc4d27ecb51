"""Sandboxed Jinja2 templates for responses, compiled once when the config loads."""

from .compile import Renderer, TemplateRenderError, compile_text, compile_value, is_template
from .environment import TemplateEnvironment

__all__ = [
    "Renderer",
    "TemplateEnvironment",
    "TemplateRenderError",
    "compile_text",
    "compile_value",
    "is_template",
]
