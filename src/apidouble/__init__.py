"""apidouble: a fast, Python-native HTTP API mock server."""

from ._version import VERSION as __version__
from .config.load import load_config
from .errors import ApidoubleError, ConfigError
from .model import Stub
from .testing import MockServer

__all__ = [
    "ApidoubleError",
    "ConfigError",
    "MockServer",
    "Stub",
    "__version__",
    "load_config",
]
