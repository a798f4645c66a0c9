"""Swagger UI's own files for /api/v1/docs, served from the installed swagger-ui-bundle package.

The service runs on networks without the internet: the docs page loads nothing from a CDN.
flask-smorest renders the page (OPENAPI_SWAGGER_UI_URL points here); this blueprint only
serves the pinned Swagger UI release's files, public and identical for everyone.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from service.core.auth import access

ASSETS_URL = "/api/v1/docs/assets/"
ASSETS_MAX_AGE = 7 * 24 * 3600  # one pinned release: its files change only with an upgrade

# Named under flask-smorest's "api-docs" so that tooling treats it as part of the docs page.
bp = Blueprint("api-docs-assets", __name__)


@bp.get(f"{ASSETS_URL}<path:filename>")
@access(public=True)
def asset(filename: str) -> Response:
    """A file of the Swagger UI release (404 for anything outside its folder)."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=ASSETS_MAX_AGE)
