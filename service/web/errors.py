"""Errors on the pages answer HTML, and an anonymous visitor is sent to /login?next=…

The API keeps its JSON answers (service.core.errors); these handlers apply only to routes of
the `web` blueprint, including refusals raised by `authenticate_request` before the view.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from service.core.auth import record_refusal
from service.core.errors import database_failure
from service.core.statuses import status_of
from service.web import bp
from service.web.account import safe_next
from service.web.csrf import CsrfFailed

log = logging.getLogger(__name__)

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    409: _l("That conflicts with an existing record"),
    412: _l("Someone changed this record first"),
    413: _l("What you sent is too large"),
    422: _l("Some values are not valid"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is busy"),
    507: _l("The database's storage is full"),
}
MESSAGES = {
    403: _l("Your account does not give access to this page."),
    404: _l("There is nothing here, or it is not visible to your account."),
    412: _l("Reload the page to see the latest version, then try again."),
    429: _l("Wait a moment before trying again."),
    500: _l("The error was logged. Try again, or go back to the home page."),
    503: _l("The database is busy or unavailable; retry in a few seconds."),
    507: _l("Nothing was saved. An operator has to free space; then try again."),
}


def _retry_after(exc: Exception) -> str | None:
    """The seconds a refusal asks to wait (`Retry-After`, as the sign-in limit sends it)."""
    headers = (getattr(exc, "data", None) or {}).get("headers") or {}
    value = headers.get("Retry-After") if isinstance(headers, dict) else None
    return str(value) if value is not None and str(value).isdigit() else None


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


@bp.errorhandler(401)
def to_login(_exc: HTTPException) -> Any:
    """Not signed in (or the session is stale): off to the sign-in page, coming back after."""
    _rollback()
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("web.login", next=safe_next(target)))


@bp.errorhandler(Exception)
def error_page(exc: Exception) -> Any:
    """Any other failure as an HTML page with its status; details go to the log, not the page."""
    _rollback()
    if isinstance(exc, CsrfFailed) and request.endpoint == "web.login":
        flash(gettext("Your sign-in form had expired; please sign in again."), "error")
        return redirect(url_for("web.login", next=safe_next(request.form.get("next"))))
    status = status_of(exc)  # the API's own map
    record_refusal(exc)
    if isinstance(exc, OperationalError):
        status = database_failure(exc)[0]  # 503, or 507 for a full disk: one log line, no traceback
    elif status == 500:
        log.exception("unhandled error on a page")
    message = exc.description if isinstance(exc, CsrfFailed) else str(MESSAGES.get(status, ""))
    title = str(TITLES.get(status, _l("Something went wrong")))
    wait = _retry_after(exc) if status == 429 else None
    if wait is not None:
        message = gettext("Too many attempts in a short time: wait %(seconds)s seconds, then try again.",
                          seconds=wait)
    response = render_template("error.html", status=status, title=title, message=message)
    headers = exc.get_headers() if isinstance(exc, HTTPException) and status == 405 else []
    kept = [(k, v) for k, v in headers if k.lower() == "allow"] + ([("Retry-After", wait)] if wait else [])
    return response, status, kept
