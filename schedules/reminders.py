"""Daily job: reminders for services starting in 7 days and in 1 day.

Each reminder goes to the country's liaisons and to the assigned staff who have an e-mail,
once: its outbox key (`reminder-7d:event:<id>:user:<uid>`, `...:staff:<sid>`) is inserted with
ON CONFLICT DO NOTHING, and on PostgreSQL the job also holds a transaction-level advisory
lock, so running it twice, or in two processes at once, writes each reminder once.

A service is reminded of "7 days ahead" the first time the job sees it starting within
(1 day, 7 days], and "1 day ahead" within (now, 1 day]: a missed run is caught up the next
day instead of being lost. Cancelled, completed and postponed services are not reminded of.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, col, select

from models import EventStaff, EventStatus, Role, ServiceEvent, StaffMember, User, WeaponSystem, utcnow
from service.core.db import get_engine, session_scope
from service.domain import mail, outbox

log = logging.getLogger(__name__)
DUE = {EventStatus.planned.value, EventStatus.confirmed.value}
WINDOWS = (("7d", dt.timedelta(days=1), dt.timedelta(days=7)),
           ("1d", dt.timedelta(0), dt.timedelta(days=1)))


def send_service_reminders(app: Flask, *, now: dt.datetime | None = None) -> int:
    """Write the due reminders to the outbox; returns how many were new."""
    now = now or utcnow()
    created = 0
    with session_scope(get_engine(app), actor=(None, "scheduler")) as session:
        outbox.job_lock(session, "services:remind")
        for label, after, until in WINDOWS:
            created += outbox.notify(session=session,
                                     messages=_reminders(session, label, now + after, now + until))
    log.info("service reminders: %d new", created)
    return created


def _reminders(session: Session, label: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Rows for the events starting in (start, end]: three queries, whatever the number of events."""
    events = session.execute(
        select(ServiceEvent, WeaponSystem.code)
        .join(WeaponSystem, col(WeaponSystem.id) == ServiceEvent.system_id)
        .where(ServiceEvent.starts_at > start, ServiceEvent.starts_at <= end,
               col(ServiceEvent.status).in_(DUE))
    ).all()
    if not events:
        return []
    countries = {e.country_code for e, _ in events}
    liaisons: dict[str, list[User]] = {}
    for user in session.exec(select(User).where(User.role == Role.liaison.value, col(User.active).is_(True),
                                                col(User.country_code).in_(countries))):
        liaisons.setdefault(user.country_code or "", []).append(user)
    staff: dict[int, list[StaffMember]] = {}
    for event_id, member in session.execute(
        select(EventStaff.event_id, StaffMember).join(StaffMember, col(StaffMember.id) == EventStaff.staff_id)
        .where(col(EventStaff.event_id).in_([e.id for e, _ in events]), col(StaffMember.email).is_not(None),
               col(StaffMember.active).is_(True))
    ):
        staff.setdefault(event_id, []).append(member)
    accounts = {email: (uid, language) for email, uid, language in session.execute(
        select(sa.func.lower(User.email), User.id, User.language))} if staff else {}
    rows = []
    for event, system_code in events:
        text = {"event": event, "system_code": system_code, "label": label}  # mail/service_reminder.txt
        base = {"kind": f"reminder_{label}", "country_code": event.country_code,
                "data": {"event_id": event.id, "starts_at": event.starts_at.isoformat()}}
        for user in liaisons.get(event.country_code, []):
            rows.append({**base, "key": f"reminder-{label}:event:{event.id}:user:{user.id}",
                         "user_id": user.id, "recipient": user.email,
                         **mail.render_to(session, user, "service_reminder", **text)})
        for member in staff.get(event.id or 0, []):
            email = member.email or ""
            uid, language = accounts.get(email.lower(), (None, None))  # staff read Korean unless set
            rows.append({**base, "key": f"reminder-{label}:event:{event.id}:staff:{member.id}",
                         "user_id": uid, "recipient": email,
                         **mail.render("service_reminder", language=language or mail.STAFF_DEFAULT, **text)})
    return rows


def run(app: Flask, *, deliver: bool = True) -> int:
    """The scheduled entry point: reminders, then send what SMTP can."""
    from service.domain.outbox import deliver_pending

    created = send_service_reminders(app)
    if deliver:
        deliver_pending(app)
    return created
