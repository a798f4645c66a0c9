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


def country_summary(*, session: Session, country_code: str, now: dt.datetime) -> dict[str, Any]:
    r = DeficiencyReport
    at = sa.literal(now, UTCDateTime())
    due = sa.case((col(r.acknowledged_at).is_(None), col(r.acknowledge_due_at)), else_=col(r.resolve_due_at))
    target = (sa.select(CountrySla.availability_target)
              .where(CountrySla.country_code == country_code).scalar_subquery())
    last = periods.of(now)
    availability = readiness.availability_select(
        dialect=session.get_bind().dialect.name, country=country_code, first=periods.shift(last, -11),
        last=last, now=now).subquery()
    rows = session.execute(  # each row says what it is: 1 open reports, 0 the target, 2 a month
        sa.select(sa.literal(1), r.severity, sa.func.count(),
                  sa.func.sum(sa.case((sla.overdue_clause(at), 1), else_=0)),
                  sa.func.min(sa.case((sa.and_(col(r.paused_since).is_(None), due > at), due))),
                  target)
        .select_from(r)
        .where(r.country_code == country_code, col(r.status).in_(OPEN_DEFICIENCY_STATES))
        .group_by(r.severity)
        # one row even without an open report, for the target
        .union_all(sa.select(sa.literal(0), sa.null(), sa.literal(0), sa.literal(0), sa.null(), target),
                   sa.select(sa.literal(2), availability.c.period, availability.c.total, availability.c.up,
                             sa.null(), sa.null()))
    ).all()
    by_severity = {"critical": 0, "major": 0, "minor": 0}
    overdue, next_due, goal = 0, None, None
    months = []
    for kind, key, count, late, soonest, goal_value in rows:
        if kind == 2:
            if count:
                months.append({"period": key, "availability": readiness.availability_percent(count, late)})
            continue
        goal = goal_value if goal_value is not None else goal
        if not kind:
            continue
        by_severity[key] = int(count)
        overdue += int(late or 0)
        next_due = soonest if next_due is None or (soonest and soonest < next_due) else next_due
    trend = sorted(months, key=lambda m: m["period"])
    return {"open_by_severity": by_severity, "open": sum(by_severity.values()), "overdue": overdue,
            "next_due_at": next_due,
            "availability_target": float(goal) if goal is not None else readiness.DEFAULT_TARGET,
            "availability_now": trend[-1]["availability"] if trend and trend[-1]["period"] == last else None,
            "availability_trend": trend}
