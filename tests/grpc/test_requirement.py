"""Without the grpc extra, a config with grpc: says which extra to install (runs without grpcio)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from apidouble.errors import ConfigError
from apidouble.grpc import load_grpc_config


@pytest.mark.parametrize("module", ["grpc", "grpc_tools"])
def test_without_grpcio_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text("grpc:\n  protos: [protos/]\n")
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ConfigError) as failed:
        load_grpc_config(config)
    message = str(failed.value)
    assert message.startswith(f"{config}: at /grpc: the grpc: section needs grpcio (")
    assert module in message.split("(")[1].split(" not installed")[0].split(", ")
    assert message.endswith('not installed): pip install "apidouble[grpc]"')
