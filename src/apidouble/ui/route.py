"""The UI's files, read once from ``assets/`` and served from memory.

Each file is an exact, open route (the page must load before anyone typed a token); a
name that is not one of them reaches the ``{file}`` template, which is behind the token
like every other admin route and answers 404. Nothing is looked up on disk per request,
so no path can reach outside the folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING

from ..model import Request
from ..outcome import Outcome, Respond, Response
from ..responses import json_response

if TYPE_CHECKING:
    from ..admin.routes import AdminRoutes

UI_PATH = "/__admin/ui"
ASSET_TEMPLATE = UI_PATH + "/{file}"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
_READ = ("GET", "HEAD")


@dataclass(frozen=True, slots=True)
class Asset:
    """One file, ready: its 200 answer and its validator."""

    etag: str
    ok: Response
    not_modified: Response


def _asset(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind(".") :] if "." in name else ""
    kind = _TYPES.get(suffix, "application/octet-stream")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    common = [("etag", etag), ("cache-control", "no-cache"), *SECURITY_HEADERS]
    ok = Response.build(200, [("content-type", kind), *common], body)
    return Asset(etag, ok, Response.build(304, common, b""))


def read_assets() -> dict[str, Asset]:
    """Every file of ``assets/`` (flat: the UI has no sub-folders)."""
    folder = files(__package__).joinpath("assets")
    found: dict[str, Asset] = {}
    for entry in folder.iterdir():
        if entry.is_file() and not entry.name.startswith("."):
            found[entry.name] = _asset(entry.name, entry.read_bytes())
    return found


def _fresh(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    given = request.header("if-none-match")
    if given is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return "*" in tags or etag in tags


_REDIRECT = Respond(Response.build(308, [("location", UI_PATH + "/"), *SECURITY_HEADERS], b""))
_NOT_FOUND = Respond(json_response(404, {"error": "no such UI file"}))


class UiAssets:
    """``/__admin/ui`` (a redirect to the slash), ``/__admin/ui/`` and its files."""

    def __init__(self, assets: Mapping[str, Asset] | None = None) -> None:
        self.assets = dict(read_assets() if assets is None else assets)
        if "index.html" not in self.assets:
            raise RuntimeError("the UI's index.html is missing from the package")

    def register(self, routes: AdminRoutes) -> None:
        """The exact routes, open, then the guarded template for anything else."""
        routes.add(_READ, UI_PATH, self.root, open_=True)
        for name in sorted(self.assets):
            routes.add(_READ, f"{UI_PATH}/{name}", self.file, open_=True)
        routes.add_template(_READ, ASSET_TEMPLATE, self.unknown)

    def root(self, request: Request) -> Outcome:
        # the route table strips a trailing slash: tell the two apart by the request's path
        if not request.path.endswith("/"):
            return _REDIRECT
        return self._serve(request, self.assets["index.html"])

    def file(self, request: Request) -> Outcome:
        asset = self.assets.get(request.path.rsplit("/", 1)[-1])
        if asset is None:  # registered paths only reach here
            return _NOT_FOUND
        return self._serve(request, asset)

    def unknown(self, request: Request, params: Mapping[str, str]) -> Outcome:
        return _NOT_FOUND

    def _serve(self, request: Request, asset: Asset) -> Outcome:
        if _fresh(request, asset.etag):
            return Respond(asset.not_modified)
        return Respond(asset.ok)
