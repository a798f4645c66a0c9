"""Certificates running out: the country's liaisons are told at 90 and at 30 days, once each.

Each message is keyed by certificate, threshold and liaison in the outbox, so a second run (or
a run in two processes) tells nobody twice; a run missed on the day tells on the next one.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Certificate, Country, Role, Trainee, User
from service.domain import mail, outbox

THRESHOLDS = (90, 30)


def notify_expiring(*, session: Session, today: dt.date) -> int:
    """Tell the liaisons about every certificate within a threshold and not yet expired; returns
    how many messages were new. One statement per threshold, joined to the country's liaisons."""
    made = 0
    for n, days in enumerate(THRESHOLDS):
        upper = today + dt.timedelta(days=days)
        lower = today + dt.timedelta(days=THRESHOLDS[n + 1]) if n + 1 < len(THRESHOLDS) else today
        rows = session.execute(
            sa.select(col(Certificate.id), col(Certificate.number), col(Certificate.course),
                      col(Certificate.valid_until), col(Certificate.country_code), col(Trainee.name),
                      col(User.id).label("user_id"), col(User.email),
                      sa.func.coalesce(col(User.language), col(Country.report_language)).label("language"))
            .join(Trainee, col(Trainee.id) == Certificate.trainee_id)
            .join(Country, col(Country.code) == Certificate.country_code)
            .join(User, sa.and_(col(User.country_code) == Certificate.country_code,
                                col(User.role) == Role.liaison, col(User.active).is_(True)))
            .where(col(Certificate.valid_until) <= upper, col(Certificate.valid_until) > lower)
            .order_by(col(Certificate.id), col(User.id)))
        made += outbox.notify(session=session, messages=[{
            "key": f"certificate-{days}d:cert:{r.id}:user:{r.user_id}", "kind": "certificate_expiring",
            "user_id": r.user_id, "recipient": r.email, "country_code": r.country_code,
            **mail.render("certificate_expiring", language=r.language, certificate=r, days=days),
            "data": {"certificate_id": r.id, "days": days},
        } for r in rows])
    return made
