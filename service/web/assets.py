"""The pages' own static files (CSS, scripts), public so the sign-in page is styled too."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_from_directory

from service.auth import access
from service.web import bp

STATIC_DIR = Path(__file__).parent / "static"


@bp.get("/static/web/<path:filename>")
@access(public=True)
def static(filename: str) -> Response:
    """A stylesheet or script of the pages (404 for anything outside the folder)."""
    return send_from_directory(STATIC_DIR, filename, max_age=3600)
