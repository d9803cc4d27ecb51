"""matching.

Importing the package registers every operator, native and WireMock's, once: the
registry is read while stubs compile, so a stub that uses none of them pays nothing.
"""

from apidouble.matching import (  # noqa: F401  (registration on import)
    binary,
    bodylogic,
    bodytext,
    datetimes,
    jsonequal,
    jsonselect,
    logic,
    multipart,
    xml,
)
