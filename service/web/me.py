"""The caller's own pages: their messages from the outbox, their calendar feed, their API tokens."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import force_locale, gettext
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import col, select

from models import Notification, User, utcnow
from service.core import i18n
from service.core.auth import EVERYONE, access, require_principal
from service.core.db import get_session
from service.core.reads import paginate
from service.domain import calendar, identity
from service.schemas.identity import MeUpdateSchema
from service.web import bp
from service.web.account import safe_next
from service.web.forms import flat_errors, page_number, paging
from service.web.services import time_zones

PAGE_SIZE = 20


@bp.get("/notifications")
@access(*EVERYONE)
def notifications() -> Any:
    """My messages, newest first, whether or not they were e-mailed (SPEC §5)."""
    principal = require_principal()
    session = get_session()
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    if request.args.get("unsent") == "true":
        stmt = stmt.where(col(Notification.sent_at).is_(None))
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, stmt.order_by(col(Notification.id).desc()), page)
    return render_template("notifications.html", rows=rows, unsent=request.args.get("unsent") == "true",
                           zones=time_zones(session), record_url=record_url, **paging(page, PAGE_SIZE))


# The page of the record a message is about, by the ids it carries (the most particular first);
# each page checks its reader's access itself.
RECORD_PAGES = (("deficiency_id", "web.deficiency_page"), ("action_id", "web.action_page"),
                ("bulletin_id", "web.bulletin_page"), ("request_id", "web.request_page"),
                ("event_id", "web.service_page"))


def record_url(data: dict[str, Any] | None) -> str | None:
    """Where a message's "Open" link goes (None: no page of its own)."""
    if data and require_principal().is_liaison and data.get("survey_id"):
        return url_for("web.survey_page", survey_id=data["survey_id"])
    for key, endpoint in RECORD_PAGES:
        if data and isinstance(data.get(key), int):
            return url_for(endpoint, **{key: data[key]})
    return None


@bp.get("/me")
@access(*EVERYONE)
def me() -> Any:
    """Who I am, the address of my personal calendar feed, and my API tokens."""
    session = get_session()
    user = session.get(User, require_principal().user_id)
    assert user is not None
    return render_template("me.html", user=user, feed_url=calendar.url_for_user(user=user),
                           tokens=identity.tokens_of(session=session, user_id=user.id or 0), now=utcnow())


@bp.post("/me/language")
@access(*EVERYONE)
def me_language() -> Any:
    """Choose my language (checked by the API's own schema); empty: follow my country or browser.
    From the header's switch, back to the page it was on (`next`); from /me, to /me."""
    try:
        data = MeUpdateSchema().load({"language": request.form.get("language") or None})
    except ValidationError as err:
        flash(" ".join(flat_errors(err.messages_dict).get("language", [])), "error")
        return redirect(url_for("web.me"), 303)
    session = get_session()
    user = session.get(User, require_principal().user_id)
    assert user is not None
    identity.set_language(session=session, user=user, language=data["language"])
    with force_locale(data["language"] or i18n.choose_language()):
        flash(gettext("Your language is saved."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("web.me"), 303)


@bp.get("/language/<lang>")
@access(public=True)
def switch_language(lang: str) -> Any:
    """The language switch of the pages seen before signing in (kept in the session)."""
    if lang in i18n.LANGUAGES:
        flask_session[i18n.SESSION_KEY] = lang
    return redirect(safe_next(request.args.get("next")) or url_for("web.login"), 303)


@bp.post("/me/calendar-feed")
@access(*EVERYONE)
def me_rotate_feed() -> Any:
    """Revoke my calendar feed's address and make a new one."""
    user_id = require_principal().user_id
    calendar.rotate(session=get_session(), user_id=user_id)
    flash(gettext("Your calendar feed has a new address; the old one no longer works."), "success")
    return redirect(url_for("web.me"))


@bp.post("/me/tokens/<int:token_id>/revoke")
@access(*EVERYONE)
def me_revoke_token(token_id: int) -> Any:
    """Revoke one of my API tokens."""
    identity.revoke_own_token(session=get_session(), user_id=require_principal().user_id, token_id=token_id)
    flash(gettext("The token is revoked; it no longer works."), "success")
    return redirect(url_for("web.me"))
