"""Load time: a config file's ``grpc:`` section -> ``GrpcConfig``, or a ``ConfigError``
listing every problem with file, line and JSON pointer.

``apidouble.grpc.load_grpc_config`` reads one file on its own (YAML or JSON; its other
keys are left alone), listing the section's problems in the order they are found; the
config loader reads the same section with the rest of the file (``Document._read_grpc``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from apidouble.config.grpc import GrpcSection
from apidouble.config.positions import line_of, parse, pointer_along
from apidouble.errors import ConfigError, ConfigProblem, SyntaxProblem
from apidouble.grpc.stubs import GrpcConfig, compile_section


def load_grpc_config(path: str | Path) -> GrpcConfig:
    """Read ``path`` and compile its ``grpc:`` section; ``ConfigError`` on any problem."""
    file = Path(path)
    try:
        parsed = parse(file.read_text(encoding="utf-8"), as_json=file.suffix == ".json")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), f"cannot read: {exc.strerror}")]) from None
    except SyntaxProblem as exc:
        raise ConfigError([ConfigProblem(str(file), exc.message, exc.line)]) from None
    data = parsed.data
    if not isinstance(data, dict) or "grpc" not in data:
        raise ConfigError([ConfigProblem(str(file), "no grpc: section")])
    try:
        section = GrpcSection.model_validate(data["grpc"])
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            ptr = pointer_along(data, ("grpc", *error["loc"]))
            message = error["msg"].removeprefix("Value error, ")
            line = line_of(parsed.lines, ptr)
            problems.append(ConfigProblem(str(file), message, line, ptr, _label(data, ptr)))
        raise ConfigError(problems) from None
    config, found = compile_section(section, file, parsed.lines)
    if config is None:
        raise ConfigError(found)
    return config


def _label(data: dict[str, Any], ptr: str) -> str | None:
    """How a problem inside ``/grpc/stubs/N`` names that stub (name, id or method)."""
    parts = ptr.split("/")
    if len(parts) < 4 or parts[1:3] != ["grpc", "stubs"] or not parts[3].isdigit():
        return None
    stubs = data["grpc"].get("stubs") if isinstance(data["grpc"], dict) else None
    stub = stubs[int(parts[3])] if isinstance(stubs, list) else None
    if not isinstance(stub, dict):
        return None
    label = stub.get("name") or stub.get("id") or stub.get("method")
    return label if isinstance(label, str) else None
