"""Personal iCalendar feeds: revocable per-user tokens and the feed of the holder's visible events.

A token is "<user id>-<32 hex>", the hex being HMAC-SHA256(SECRET_KEY, "<user id>:<feed salt>")
cut to 128 bits; nothing secret is stored. Rotating the user's salt revokes the old feed.
The feed holds the events from 90 days ago to one year ahead (at most MAX_EVENTS), read
through a session scoped exactly like the holder's own API requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import EventStatus, ServiceEvent, User, WeaponSystem, utcnow
from service.core.auth import principal_for_user
from service.core.db import ACTOR_COUNTRY_KEY, ACTOR_KEY, SCOPE_KEY, add_audit_entry

if TYPE_CHECKING:
    import icalendar

PAST = dt.timedelta(days=90)
AHEAD = dt.timedelta(days=365)
MAX_EVENTS = 5000
TOKEN_RE = re.compile(r"^(\d{1,12})-([0-9a-f]{32})$")
ICS_STATUS = {
    EventStatus.planned: "TENTATIVE", EventStatus.postponed: "TENTATIVE",
    EventStatus.confirmed: "CONFIRMED", EventStatus.in_progress: "CONFIRMED",
    EventStatus.completed: "CONFIRMED", EventStatus.cancelled: "CANCELLED",
}
KIND_LABEL = {"joint_training": "Joint training", "tech_education": "Technological education",
              "trial_run": "Trial run"}


def feed_token(secret: str, user_id: int, salt: str) -> str:
    digest = hmac.new(secret.encode(), f"{user_id}:{salt}".encode(), hashlib.sha256).hexdigest()
    return f"{user_id}-{digest[:32]}"


def feed_url(base_url: str, secret: str, user_id: int, salt: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/calendar/{feed_token(secret, user_id, salt)}.ics"


def _set_salt(session: Session, user_id: int, *, only_if_missing: bool) -> str:
    """Store a new salt (without bumping the user's version: web sessions stay signed in)."""
    salt = secrets.token_hex(16)
    stmt = sa.update(User).where(col(User.id) == user_id).values(feed_salt=salt)
    if only_if_missing:
        stmt = stmt.where(col(User.feed_salt).is_(None))
    if session.execute(stmt).rowcount:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        add_audit_entry(session, action="update", entity="app_user", entity_id=str(user_id),
                        changes={"feed_salt": "***", "calendar_feed": "rotated"
                                 if not only_if_missing else "created"})
    session.commit()
    return str(session.scalar(select(User.feed_salt).where(User.id == user_id)))


def url_for_user(*, user: User, salt: str | None = None) -> str:
    """The user's feed URL, from the app's settings; the salt is created on first use.

    The salt is written in a short transaction of its own, so a GET can hand out the URL.
    """
    from flask import current_app

    from service.core.db import get_engine, writer

    if salt is None:
        salt = user.feed_salt
    if salt is None:
        with Session(writer(get_engine(current_app))) as db:
            db.info[ACTOR_KEY], db.info[ACTOR_COUNTRY_KEY] = (user.id, user.email), user.country_code
            salt = ensure_salt(session=db, user_id=user.id or 0)
    config = current_app.config
    return feed_url(config["PUBLIC_BASE_URL"], config["SECRET_KEY"], user.id or 0, salt)


def ensure_salt(*, session: Session, user_id: int) -> str:
    """The user's feed salt, created on first use (two first uses at once agree on one)."""
    return _set_salt(session, user_id, only_if_missing=True)


def rotate(*, session: Session, user_id: int) -> str:
    """A new salt: the old feed URL stops working at once."""
    return _set_salt(session, user_id, only_if_missing=False)


def holder(*, session: Session, token: str, secret: str) -> User | None:
    """The active user a well-formed, current token belongs to; None for anything else."""
    match = TOKEN_RE.match(token)
    if match is None:
        return None
    user = session.get(User, int(match.group(1)))
    if user is None or not user.active or not user.feed_salt:
        return None
    expected = feed_token(secret, user.id or 0, user.feed_salt)
    return user if hmac.compare_digest(expected, token) else None


def build_feed(*, session: Session, user: User, now: dt.datetime | None = None) -> bytes:
    """The holder's visible events as iCalendar; the session is scoped as for their requests."""
    principal = principal_for_user(user)
    session.info[SCOPE_KEY] = principal.scope
    session.info[ACTOR_KEY] = (principal.user_id, principal.email)
    now = now or utcnow()
    rows = session.execute(
        select(ServiceEvent, WeaponSystem.code)
        .join(WeaponSystem, col(WeaponSystem.id) == ServiceEvent.system_id)
        .where(ServiceEvent.ends_at > now - PAST, ServiceEvent.starts_at < now + AHEAD)
        .order_by(col(ServiceEvent.starts_at), col(ServiceEvent.id)).limit(MAX_EVENTS)
    ).all()
    import icalendar  # here, not at the top: a web worker starts without it (bench: worker start)

    cal = icalendar.Calendar()
    cal.add("prodid", "-//K-Sustain//Follow-up services//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "K-Sustain services" + (f" ({principal.scope})" if principal.scope else ""))
    for event, system_code in rows:
        cal.add_component(_vevent(event, system_code, now))
    return cal.to_ical()


def _vevent(event: ServiceEvent, system_code: str, now: dt.datetime) -> icalendar.Event:
    import icalendar  # loaded by feed() already

    item = icalendar.Event()
    item.add("uid", f"event-{event.id}@k-sustain")
    item.add("dtstamp", now.astimezone(dt.UTC))
    item.add("dtstart", event.starts_at.astimezone(dt.UTC))
    item.add("dtend", event.ends_at.astimezone(dt.UTC))
    item.add("summary", f"{KIND_LABEL.get(event.kind, event.kind)}: {event.title}")
    if event.location:
        item.add("location", event.location)
    lines = [f"Country: {event.country_code}", f"System: {system_code}",
             f"Status: {event.status.replace('_', ' ')}"]
    if event.objectives:
        lines.append(f"Objectives: {event.objectives}")
    if event.cancel_reason:
        lines.append(f"Cancelled: {event.cancel_reason}")
    item.add("description", "\n".join(lines))
    item.add("status", ICS_STATUS[EventStatus(event.status)])
    item.add("sequence", max(0, event.version - 1))
    item.add("last-modified", event.updated_at.astimezone(dt.UTC))
    item.add("categories", [event.kind])
    return item
