"""The SLA clock: per-country targets per severity, the due times they give a report, and
the pause while staff wait for the buyer (the clock stops; the due times move on by it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import CountrySla, DeficiencyReport
from models.deficiencies import OPEN_DEFICIENCY_STATES

SEVERITIES = ("critical", "major", "minor")
TARGET_FIELDS = tuple(f"{s}_{k}" for s in SEVERITIES for k in ("acknowledge_hours", "resolve_days"))


def targets(*, session: Session, country_code: str) -> CountrySla:
    """The country's targets: its row, or (unsaved) the defaults of SPEC §9."""
    return session.get(CountrySla, country_code) or CountrySla(country_code=country_code)


def set_targets(*, session: Session, country_code: str, data: dict[str, Any]) -> CountrySla:
    """Replace the country's targets (fields not given keep their defaults); commits."""
    row = session.get(CountrySla, country_code)
    if row is None:
        row = CountrySla(country_code=country_code)
        session.add(row)
    defaults = CountrySla(country_code=country_code)
    for name in (*TARGET_FIELDS, "availability_target"):
        setattr(row, name, data.get(name, getattr(defaults, name)))
    session.commit()
    return row


def due_times(sla: CountrySla, severity: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When a report of `severity` submitted at `start` is due to be acknowledged and resolved."""
    hours = getattr(sla, f"{severity}_acknowledge_hours")
    days = getattr(sla, f"{severity}_resolve_days")
    return start + dt.timedelta(hours=hours), start + dt.timedelta(days=days)


def change_severity(*, session: Session, report: DeficiencyReport, severity: str) -> None:
    """New targets for a new severity, counted from the submission; the pauses so far kept."""
    sla = targets(session=session, country_code=report.country_code)
    old_ack, old_resolve = due_times(sla, report.severity, report.submitted_at)
    ack, resolve = due_times(sla, severity, report.submitted_at)
    report.acknowledge_due_at += ack - old_ack
    report.resolve_due_at += resolve - old_resolve
    report.severity = severity


def pause(report: DeficiencyReport, now: dt.datetime) -> None:
    report.paused_since = now


def resume(report: DeficiencyReport, now: dt.datetime) -> None:
    """The clock runs again: every due time not yet met moves on by the pause."""
    if report.paused_since is None:
        return
    gap = now - report.paused_since
    report.paused_since = None
    if report.acknowledged_at is None:
        report.acknowledge_due_at += gap
    report.resolve_due_at += gap


def overdue(report: DeficiencyReport, now: dt.datetime) -> bool:
    """Past a due time not met, while the clock runs."""
    if report.status not in OPEN_DEFICIENCY_STATES or report.paused_since is not None:
        return False
    return now > report.resolve_due_at or (report.acknowledged_at is None
                                           and now > report.acknowledge_due_at)


def overdue_clause(now: Any) -> Any:
    """`overdue` as a SQL condition on `deficiency_report` (`now` a value or a bind)."""
    r = DeficiencyReport
    return sa.and_(
        col(r.status).in_(OPEN_DEFICIENCY_STATES),
        col(r.paused_since).is_(None),
        sa.or_(r.resolve_due_at < now,
               sa.and_(col(r.acknowledged_at).is_(None), col(r.acknowledge_due_at) < now)),
    )
