"""A per-session CSRF token: a hidden field every form of the pages sends back on POST.

The token lives in the signed session cookie (SameSite=Lax already stops most cross-site
posts; the token stops the rest). No extension needed: one secret, one comparison.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session
from werkzeug.exceptions import Forbidden

from service.web import bp

FIELD = "csrf_token"
SESSION_KEY = "csrf"
CHECKED_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(Forbidden):
    description = ("This form has expired or was not sent from this site. "
                   "Go back, reload the page and try again.")


def csrf_token() -> str:
    """The session's token, created on first use (after sign-in the session starts afresh)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return str(token)


@bp.before_request
def check_csrf() -> None:
    """Refuse a state-changing request of the pages without the session's token (403)."""
    if request.method not in CHECKED_METHODS:
        return
    expected = session.get(SESSION_KEY, "")
    sent = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise CsrfFailed()


@bp.context_processor
def _template_globals() -> dict[str, object]:
    return {"csrf_token": csrf_token, "csrf_field": FIELD}
