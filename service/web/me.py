"""The caller's own pages: their messages from the outbox, their calendar feed, their API tokens."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_smorest.pagination import PaginationParameters
from sqlmodel import select

from models import Notification, User, utcnow
from service.core.auth import EVERYONE, access, require_principal
from service.core.db import get_session
from service.core.reads import paginate
from service.domain import calendar, identity
from service.web import bp
from service.web.forms import page_number, paging

PAGE_SIZE = 20


@bp.get("/notifications")
@access(*EVERYONE)
def notifications() -> Any:
    """My messages, newest first, whether or not they were e-mailed (SPEC §5)."""
    principal = require_principal()
    session = get_session()
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    if request.args.get("unsent") == "true":
        stmt = stmt.where(Notification.sent_at.is_(None))  # type: ignore[union-attr]
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, stmt.order_by(Notification.id.desc()), page)  # type: ignore[union-attr]
    return render_template("notifications.html", rows=rows, unsent=request.args.get("unsent") == "true",
                           **paging(page, PAGE_SIZE))


@bp.get("/me")
@access(*EVERYONE)
def me() -> Any:
    """Who I am, the address of my personal calendar feed, and my API tokens."""
    session = get_session()
    user = session.get(User, require_principal().user_id)
    assert user is not None
    return render_template("me.html", user=user, feed_url=calendar.url_for_user(user=user),
                           tokens=identity.tokens_of(session=session, user_id=user.id or 0), now=utcnow())


@bp.post("/me/calendar-feed")
@access(*EVERYONE)
def me_rotate_feed() -> Any:
    """Revoke my calendar feed's address and make a new one."""
    user_id = require_principal().user_id
    calendar.rotate(session=get_session(), user_id=user_id)
    flash("Your calendar feed has a new address; the old one no longer works.", "success")
    return redirect(url_for("web.me"))


@bp.post("/me/tokens/<int:token_id>/revoke")
@access(*EVERYONE)
def me_revoke_token(token_id: int) -> Any:
    """Revoke one of my API tokens."""
    identity.revoke_own_token(session=get_session(), user_id=require_principal().user_id, token_id=token_id)
    flash("The token is revoked; it no longer works.", "success")
    return redirect(url_for("web.me"))
