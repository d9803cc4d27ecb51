"""Mockoon environments, served as ``mockoon-cli start -d env.json`` serves them.

``is_mockoon_environment`` tells one by its shape; ``convert_environment`` turns it
into a native config document (the loader serves it, ``apidouble import mockoon``
writes it). See ``docs/mockoon.md`` for what maps to what.
"""

from apidouble.importers.mockoon.detect import is_mockoon_environment
from apidouble.importers.mockoon.environment import Conversion, convert_environment
from apidouble.importers.mockoon.imported import import_environment
from apidouble.importers.mockoon.templates import TEMPLATING

__all__ = [
    "TEMPLATING",
    "Conversion",
    "convert_environment",
    "import_environment",
    "is_mockoon_environment",
]
