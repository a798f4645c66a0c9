"""The pages' own static files (CSS, scripts, icon), public so the sign-in page is styled too."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_from_directory

from service.core.auth import access
from service.web import bp

STATIC_DIR = Path(__file__).parent / "static"
ICON_MAX_AGE = 30 * 24 * 3600  # the icon never changes between releases; browsers ask once a month


@bp.get("/static/web/<path:filename>")
@access(public=True)
def static(filename: str) -> Response:
    """A stylesheet or script of the pages (404 for anything outside the folder)."""
    return send_from_directory(STATIC_DIR, filename, max_age=3600)


@bp.get("/favicon.ico")
@access(public=True)
def favicon() -> Response:
    """The site icon (an SVG), where browsers look for it and where base.html links it."""
    return send_from_directory(STATIC_DIR, "favicon.svg", mimetype="image/svg+xml",
                               max_age=ICON_MAX_AGE)
