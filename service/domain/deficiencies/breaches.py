"""Breaches of the SLA clock: each due time missed is told once, to staff and the country's
liaisons, through the outbox; an overdue critical report opens a corrective action.

Told by the daily job, and the moment a report past a due time is read (`tell_seen`, from
the reads of the API and the pages): both stamp the breach on the report under a row lock
(`SELECT … FOR UPDATE`, which PostgreSQL re-checks once the lock is granted; SQLite's writers
queue on `BEGIN IMMEDIATE`) and key each message, so a read racing the job, or the job run
twice, tells each breach once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models import CorrectiveAction, DeficiencyReport, utcnow
from models.deficiencies import OPEN_DEFICIENCY_STATES
from service.core.db import get_engine, session_scope
from service.domain import actions, outbox
from service.domain.deficiencies import mail

KINDS = (("acknowledge", "acknowledge_due_at", "acknowledge_breached_at"),
         ("resolve", "resolve_due_at", "resolve_breached_at"))


def _newly_breached(now: dt.datetime,
                    report_ids: Sequence[int] | None = None) -> SelectOfScalar[DeficiencyReport]:
    r = DeficiencyReport
    only = [col(r.id).in_(report_ids)] if report_ids is not None else []
    return (select(r).where(*only,
        col(r.status).in_(OPEN_DEFICIENCY_STATES), col(r.paused_since).is_(None),
        sa.or_(sa.and_(col(r.acknowledged_at).is_(None), col(r.acknowledge_due_at) < now,
                       col(r.acknowledge_breached_at).is_(None)),
               sa.and_(col(r.resolve_due_at) < now, col(r.resolve_breached_at).is_(None))))
        .order_by(col(r.id)).with_for_update())


def untold(report: DeficiencyReport, now: dt.datetime) -> bool:
    """Whether `report` is past a due time whose breach has not been told yet (no query)."""
    if report.status not in OPEN_DEFICIENCY_STATES or report.paused_since is not None:
        return False
    return ((report.acknowledged_at is None and report.acknowledge_due_at < now
             and report.acknowledge_breached_at is None)
            or (report.resolve_due_at < now and report.resolve_breached_at is None))


def tell_seen(*, reports: Sequence[DeficiencyReport], now: dt.datetime) -> int:
    """The breaches of `reports` (just read by their reader, so within their scope) not told
    yet are told now, in a transaction of their own; nothing is written when none is."""
    ids = [r.id for r in reports if r.id is not None and untold(r, now)]
    if not ids:
        return 0
    with session_scope(get_engine(current_app), actor=(None, "system")) as session:
        return notify_breaches(session=session, now=now, report_ids=ids)


def notify_breaches(*, session: Session, now: dt.datetime | None = None,
                    report_ids: Sequence[int] | None = None) -> int:
    """Stamp and tell every breach not told yet (of `report_ids`, when given); returns how many
    breaches; no commit."""
    now = now or utcnow()
    reports = session.exec(_newly_breached(now, report_ids)).all()
    if not reports:
        return 0
    staff = outbox.staff_and_admins(session=session)
    count = 0
    for report in reports:
        for kind, due, stamp in KINDS:
            if getattr(report, stamp) is not None or getattr(report, due) >= now:
                continue
            if kind == "acknowledge" and report.acknowledged_at is not None:
                continue
            setattr(report, stamp, now)
            count += 1
            to = staff + outbox.liaisons_of(session=session, country_code=report.country_code)
            outbox.notify(session=session, messages=[{
                "key": f"deficiency-breach:{report.id}:{kind}:user:{u.id}", "kind": "deficiency_overdue",
                "user_id": u.id, "recipient": u.email, "country_code": report.country_code,
                **mail.render_to(session, u, "deficiency_overdue", report=report, kind=kind,
                                 due=getattr(report, due)),
                "data": {"deficiency_id": report.id, "breach": kind},
            } for u in to])
        if report.severity == "critical":
            _open_action(session, report, now)
    return count


def _open_action(session: Session, report: DeficiencyReport, now: dt.datetime) -> None:
    """One corrective action per overdue critical report (the unique deficiency_id holds it)."""
    exists = session.scalar(select(CorrectiveAction.id).where(CorrectiveAction.deficiency_id == report.id))
    if exists is not None:
        return
    session.add(CorrectiveAction(
        country_code=report.country_code, deficiency_id=report.id,
        source=f"deficiency report {report.number}",
        title=actions.written("overdue_title", number=report.number, title=report.title)[:300],
        reasons=[actions.written("overdue_reason")],
        due_on=(now + dt.timedelta(days=7)).date(), opened_at=now))
