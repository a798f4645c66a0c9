"""The web pages for liaisons and staff: Jinja over the same domain functions and scope as the API.

Every page passes the same `authenticate_request` as the API (a signed session cookie from
/login identifies the caller), so a liaison's pages are scoped to their country exactly like
their API calls. Modules: `account` (sign-in/out), `pages` (dashboards), `users` (admin),
`csrf` (the form token), `errors` (HTML error pages, /login redirect), `filters` (Jinja),
`services` and `service_forms` (services, calendar, scheduling), `requests`, `surveys` (also the
public form behind the e-mailed link), `actions`, `reports`, `me` (messages, calendar feed),
`forms` (form values to the API's JSON shape; errors back per field).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__, template_folder="templates", static_folder=None)


def register_web(app: Flask) -> None:
    """Attach the pages (and their static files under /static/web/) to the application."""
    from service.web import (  # noqa: F401 - routes  # noqa: F401
        account,
        actions,
        assets,
        bulletins,
        country_settings,
        csrf,
        deficiencies,
        errors,
        filters,
        me,
        pages,
        planning,
        planning_staff,
        reports,
        requests,
        service_forms,
        services,
        surveys,
        training,
        users,
    )

    app.register_blueprint(bp)
