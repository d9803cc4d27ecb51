"""The one exception tree users see: every error they can cause says where and what to do."""

from __future__ import annotations

from dataclasses import dataclass


class ApidoubleError(Exception):
    """Base of every error apidouble raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a config file, located as precisely as the source allows."""

    file: str
    message: str
    line: int | None = None
    pointer: str = ""
    stub: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.stub:
            parts.append(f"endpoint {self.stub!r}")
        if self.pointer:
            parts.append(f"at {self.pointer}")
        return f"{': '.join(parts)}: {self.message}"


class ConfigError(ApidoubleError):
    """A config could not be loaded; ``problems`` lists every error found, not just the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SyntaxProblem(ApidoubleError):
    """A config text is not valid YAML/JSON; ``line`` is 1-based when known.

    The loader turns it into a ``ConfigProblem``; it surfaces on its own only to callers
    of ``config.positions.parse``."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class TemplateRenderError(ApidoubleError):
    """A template failed while rendering; ``sandbox`` marks refused unsafe access.

    The engine answers it with a 500 naming the stub; the server keeps serving."""

    def __init__(self, message: str, sandbox: bool = False) -> None:
        self.sandbox = sandbox
        super().__init__(message)
