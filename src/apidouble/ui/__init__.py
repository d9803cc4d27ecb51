"""The web UI: static pages under ``/__admin/ui/`` and the live stream they read.

The pages hold no data and need no token; every data call goes to the admin API, with
the token when one is set. Nothing here is imported unless a ``Runtime`` is built.
"""

from __future__ import annotations

from .live import LIVE_PATH, LiveRoute, server_closing
from .route import UI_PATH, UiAssets

__all__ = ["LIVE_PATH", "UI_PATH", "LiveRoute", "UiAssets", "server_closing"]
