"""Mockoon's helper set (``templating: mockoon``): what a Mockoon 9 template may call.

Request, value, text/array, number/logic, date, ``faker``, server-state, response and
system helpers (``getEnvVar``, the JWT ones), each kind in its own ``helpers_mockoon_*``
module; see
``docs/mockoon-templating.md`` for what differs from Mockoon and what is not there yet.
"""

from __future__ import annotations

from .helpers_mockoon_buckets import BUCKET_HELPERS
from .helpers_mockoon_counts import COUNT_HELPERS
from .helpers_mockoon_dates import DATE_HELPERS
from .helpers_mockoon_faker import FAKER_HELPERS, check_faker_names
from .helpers_mockoon_logic import LOGIC_HELPERS
from .helpers_mockoon_repeat import REPEAT_HELPERS
from .helpers_mockoon_request import REQUEST_HELPERS
from .helpers_mockoon_response import RESPONSE_HELPERS
from .helpers_mockoon_state import GLOBAL_HELPERS
from .helpers_mockoon_system import SYSTEM_HELPERS
from .helpers_mockoon_text import TEXT_HELPERS
from .helpers_mockoon_values import VALUE_HELPERS
from .registry import HelperSet, prints_as_javascript

__all__ = ["MOCKOON_HELPERS", "check_faker_names"]

MOCKOON_HELPERS: HelperSet = {
    **REQUEST_HELPERS,
    **VALUE_HELPERS,
    **TEXT_HELPERS,
    **LOGIC_HELPERS,
    **DATE_HELPERS,
    **FAKER_HELPERS,
    **GLOBAL_HELPERS,
    **BUCKET_HELPERS,
    **REPEAT_HELPERS,
    **RESPONSE_HELPERS,
    **SYSTEM_HELPERS,
    **COUNT_HELPERS,
}
prints_as_javascript(MOCKOON_HELPERS)
