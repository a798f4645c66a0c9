"""Cross-site request forgery: what a browser sends on its own must never change anything.

Two rules, applied to every route through hooks:

1. The pages: every form sends back the session's token (a hidden field) on POST, and a
   write whose `Origin` is another site's (or whose `Sec-Fetch-Site` says `cross-site`) is
   refused, whatever it carries.
2. The API: a write is authorised only by a bearer token (`Authorization: Bearer …`), never
   by the session cookie. No page calls the API (the pages are forms, no script), so a
   cookie-authorised API write has no legitimate sender: only a forged one. A browser never
   adds an `Authorization` header by itself, so refusing the cookie there ends the whole class
   instead of handing out a second token. API reads with the cookie stay (links to PDFs).

The token lives in the signed session cookie (SameSite=Lax already stops most cross-site
posts; the token and the origin check stop the rest). No extension needed.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from flask_smorest import abort
from werkzeug.exceptions import Forbidden

from service.core.auth import record_denied
from service.web import bp

FIELD = "csrf_token"
SESSION_KEY = "csrf"
CHECKED_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(Forbidden):
    description = ("This form has expired or was not sent from this site. "
                   "Go back, reload the page and try again.")


CROSS_SITE = "A request sent from another site may not change anything here."
COOKIE_WRITE = ("API writes need a bearer token (Authorization: Bearer …); "
                "the session cookie authorises only reads.")


def csrf_token() -> str:
    """The session's token, created on first use (after sign-in the session starts afresh)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return str(token)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def is_cross_site() -> bool:
    """Whether the browser says this request comes from another site: `Sec-Fetch-Site` other
    than `same-origin` (or `none`: typed by the user), or an `Origin` that is neither this
    host nor PUBLIC_BASE_URL's.

    `Origin: null` decides nothing: browsers send it for the pages' own forms, because every
    answer says `Referrer-Policy: no-referrer`; `Sec-Fetch-Site` (or, without it, the form
    token) still tells."""
    if request.headers.get("Sec-Fetch-Site", "same-origin").lower() not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return False  # older browsers and non-browser clients; the token still applies
    ours = {_origin(request.host_url), _origin(current_app.config.get("PUBLIC_BASE_URL", ""))}
    return _origin(origin) not in ours


def check_cookie_writes() -> None:
    """Before every request (after the caller is known): refuse a cross-site write that a
    browser could have sent with the cookie, and an API write authorised by the cookie."""
    if request.method not in CHECKED_METHODS:
        return
    by_cookie = g.get("principal") is not None and "Authorization" not in request.headers
    pages = request.blueprint == bp.name
    if (pages or by_cookie) and is_cross_site():
        record_denied(reason="cross-site write", status=403)
        abort(403, message=CROSS_SITE)
    if by_cookie and not pages:
        record_denied(reason="API write authorised by the session cookie", status=403)
        abort(403, message=COOKIE_WRITE)


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


def init_app(app: Flask) -> None:
    """Run `check_cookie_writes` on every request; call after `service.core.auth.init_app`."""
    app.before_request(check_cookie_writes)
