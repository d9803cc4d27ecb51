"""WireMock stub mappings: read folders of them as they are, and answer as WireMock does."""

from apidouble.importers.wiremock.mapping import (
    DEFAULT_PRIORITY,
    MappingDocument,
    files_folder,
    in_mappings_folder,
    is_wiremock,
)
from apidouble.importers.wiremock.problems import MappingError

__all__ = [
    "DEFAULT_PRIORITY",
    "MappingDocument",
    "MappingError",
    "files_folder",
    "in_mappings_folder",
    "is_wiremock",
]
