"""Debian's Chromium driven by Playwright, for the tests that need a real browser.

``launched_chromium`` yields a headless browser, or skips the test when there is no
chromium binary (``scripts/peers/chromium.sh`` installs Debian's): Playwright never
downloads one here. ``WATCH_CSP`` is an init script that records every CSP violation in
``window.__violations``, so a test can fail on a page that broke its own policy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
"""Installed before any page script runs (Playwright injects it outside the page's CSP)."""


def launched_chromium() -> Iterator[Any]:
    """A headless Chromium for the whole module (use it as a module-scoped fixture body)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no chromium binary at {CHROMIUM}: install Debian's (scripts/peers/chromium.sh);"
            " these tests never download a browser"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True, timeout=30_000
        )
        yield launched
        launched.close()
