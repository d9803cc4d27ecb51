"""WireMock's helper set: every helper a WireMock 3.13 template may call, by name."""

from __future__ import annotations

from .helpers_data import DATA_HELPERS
from .helpers_dates import DATE_HELPERS
from .helpers_logic import LOGIC_HELPERS
from .helpers_text import TEXT_HELPERS
from .registry import Helper, HelperSet

__all__ = ["BUILT_IN_BLOCKS", "WIREMOCK_HELPERS", "Helper", "HelperSet"]

BUILT_IN_BLOCKS = frozenset({"if", "unless", "each", "with"})
"""Handlebars' own block helpers, compiled to Jinja control flow rather than called."""

WIREMOCK_HELPERS: HelperSet = {**TEXT_HELPERS, **LOGIC_HELPERS, **DATA_HELPERS, **DATE_HELPERS}
