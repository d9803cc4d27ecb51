"""apidouble: a fast, Python-native HTTP API mock server."""

from .config.load import load_config
from .errors import ApidoubleError, ConfigError
from .model import Stub
from .testing import MockServer

__version__ = "0.1.0"

__all__ = [
    "ApidoubleError",
    "ConfigError",
    "MockServer",
    "Stub",
    "__version__",
    "load_config",
]
