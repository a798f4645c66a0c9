"""A country's deficiency figures for its dashboard, in one statement: open reports by
severity, how many are overdue, when the clock next changes that, the availability target,
and availability this month and over the last twelve (`readiness.availability_select`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import CountrySla, DeficiencyReport, UTCDateTime
from models.deficiencies import OPEN_DEFICIENCY_STATES
from service.domain import periods
from service.domain.deficiencies import readiness, sla

_STATEMENTS: dict[str, Any] = {}


def _statement(dialect: str) -> Any:
    """The one statement, built once per dialect; bound with `code`, `now` and the months'
    values (`readiness.availability_params`). Each row says what it is: 1 the open reports of
    a severity, 0 the target (a row even without an open report), 2 and 3 the points of the
    availability trend, non-operational and operational (`readiness.trend`)."""
    stmt = _STATEMENTS.get(dialect)
    if stmt is not None:
        return stmt
    r, at = DeficiencyReport, sa.bindparam("now", type_=UTCDateTime())
    code: sa.BindParameter[str] = sa.bindparam("code")
    due = sa.case((col(r.acknowledged_at).is_(None), col(r.acknowledge_due_at)), else_=col(r.resolve_due_at))
    target = (sa.select(col(CountrySla.availability_target)).where(col(CountrySla.country_code) == code)
              .scalar_subquery())
    availability = readiness.availability_select(dialect=dialect).subquery()
    stmt = _STATEMENTS[dialect] = (
        sa.select(sa.literal(1), col(r.severity), sa.func.count(),
                  sa.func.sum(sa.case((sla.overdue_clause(at), 1), else_=0)),
                  sa.func.min(sa.case((sa.and_(col(r.paused_since).is_(None), due > at), due))),
                  target)
        .select_from(r)
        .where(col(r.country_code) == code, col(r.status).in_(OPEN_DEFICIENCY_STATES))
        .group_by(r.severity)
        .union_all(sa.select(sa.literal(0), sa.null(), sa.literal(0), sa.literal(0), sa.null(), target),
                   sa.select(2 + availability.c.up, availability.c.bucket, availability.c.weight,
                             availability.c.seconds, sa.null(), sa.null()))
    )
    return stmt


def country_summary(*, session: Session, country_code: str, now: dt.datetime) -> dict[str, Any]:
    last = periods.of(now)
    dialect = session.get_bind().dialect.name
    params = {"code": country_code, "now": now,
              **readiness.availability_params(country=country_code, last=last, now=now, dialect=dialect)}
    rows = session.execute(_statement(dialect), params).all()
    by_severity = {"critical": 0, "major": 0, "minor": 0}
    overdue, next_due, goal = 0, None, None
    points = []
    for kind, key, count, late, soonest, goal_value in rows:
        if kind >= 2:
            points.append((kind - 2, key, count, late))
            continue
        goal = goal_value if goal_value is not None else goal
        if not kind:
            continue
        by_severity[key] = int(count)
        overdue += int(late or 0)
        next_due = soonest if next_due is None or (soonest and soonest < next_due) else next_due
    trend = readiness.trend(points, last=last, now=now)
    return {"open_by_severity": by_severity, "open": sum(by_severity.values()), "overdue": overdue,
            "next_due_at": next_due,
            "availability_target": float(goal) if goal is not None else readiness.DEFAULT_TARGET,
            "availability_now": trend[-1]["availability"] if trend and trend[-1]["period"] == last else None,
            "availability_trend": trend}
