"""The web pages for liaisons and staff: Jinja over the same domain functions and scope as the API.

Every page passes the same `authenticate_request` as the API (a signed session cookie from
/login identifies the caller), so a liaison's pages are scoped to their country exactly like
their API calls. Modules: `account` (sign-in/out), `pages` (dashboards), `users` (admin),
`csrf` (the form token), `errors` (HTML error pages, /login redirect), `filters` (Jinja).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__, template_folder="templates", static_folder=None)


def register_web(app: Flask) -> None:
    """Attach the pages (and their static files under /static/web/) to the application."""
    from service.web import account, assets, csrf, errors, filters, pages, users  # noqa: F401 - routes

    app.register_blueprint(bp)
