"""WireMock-flavoured Handlebars templates, compiled at load time onto our Jinja2 sandbox.

``compile_handlebars(env, source)`` returns the same ``Template`` as ``compile_template``
(so responses render it unchanged); ``WIREMOCK_HELPERS`` is the helper set, and another
dialect passes its own ``helpers=`` (``MOCKOON_HELPERS``, for ``templating: mockoon``).
See ``docs/handlebars.md``.
"""

from .compiler import check_handlebars, compile_handlebars, handlebars_cache, is_handlebars
from .helpers import WIREMOCK_HELPERS, Helper, HelperSet
from .helpers_mockoon import MOCKOON_HELPERS, check_faker_names
from .parser import HandlebarsSyntaxError

__all__ = [
    "MOCKOON_HELPERS",
    "WIREMOCK_HELPERS",
    "HandlebarsSyntaxError",
    "Helper",
    "HelperSet",
    "check_faker_names",
    "check_handlebars",
    "compile_handlebars",
    "handlebars_cache",
    "is_handlebars",
]
