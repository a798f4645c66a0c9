"""Fleet readiness per country, system and month (SPEC §9), in six statements whatever the
period's length or the history's: availability (operational unit-days / delivered unit-days,
from the status history), MTTR, units down at month end, reports opened / resolved / overdue,
and the on-time shares of acknowledgements and resolutions; flagged under the country's target.

The history is read from each unit's last change before the period (an index seek per unit
on `unit_id, at`) and the changes inside it, never the years before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models import CountrySla, DeficiencyReport, UnitStatusChange, UTCDateTime, WeaponSystem, utcnow
from service.domain import periods
from service.domain.satisfaction import rounded

DEFAULT_TARGET = 85.0
OP = "operational"


class _Sql:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def seconds(self, x: Any) -> Any:
        return sa.func.extract("epoch", x) if self.pg else sa.func.julianday(x) * 86400.0

    def greatest(self, *xs: Any) -> Any:
        return sa.func.greatest(*xs) if self.pg else sa.func.max(*xs)

    def least(self, *xs: Any) -> Any:
        return sa.func.least(*xs) if self.pg else sa.func.min(*xs)


def _months(first: str, last: str) -> Any:
    """The months as rows (period, starts, ends): one SELECT per month, in the one statement."""
    parts = []
    for p in periods.between(first, last):
        start, end = periods.bounds(p)
        parts.append(sa.select(sa.literal(p, sa.String).label("period"),
                               sa.literal(start, UTCDateTime()).label("ms"),
                               sa.literal(end, UTCDateTime()).label("me")))
    return sa.union_all(*parts).cte("months") if len(parts) > 1 else parts[0].cte("months")


def _filters(model: Any, country: str | None, system_id: int | None) -> list[Any]:
    out = []
    if country:
        out.append(model.country_code == country)
    if system_id:
        out.append(model.system_id == system_id)
    return out


def _spans(start: dt.datetime, end: dt.datetime, country: str | None, system_id: int | None) -> Any:
    """Each unit's status spans that touch [start, end): its last change before the period
    (an index seek per unit) and the changes inside it."""
    usc, before = UnitStatusChange, aliased(UnitStatusChange)
    last_before = (sa.select(sa.func.max(before.at))
                   .where(before.unit_id == usc.unit_id, before.at <= start).scalar_subquery())
    return (sa.select(usc.unit_id, usc.country_code, usc.system_id, usc.to_status,
                      col(usc.at).label("since"),
                      sa.func.lead(usc.at).over(partition_by=usc.unit_id,
                                                order_by=(usc.at, usc.id)).label("until"))
            .where(usc.at < end, sa.or_(usc.at >= start, usc.at == last_before),
                   *_filters(usc, country, system_id))
            .cte("spans"))


def _availability(sql: _Sql, spans: Any, months: Any, now: Any, *group: Any) -> Any:
    """(group…, period, delivered seconds, operational seconds, units down at month end)."""
    until = sa.func.coalesce(spans.c.until, now)
    lo = sql.greatest(spans.c.since, months.c.ms)
    hi = sql.least(until, months.c.me, now)
    length = sql.seconds(hi) - sql.seconds(lo)
    month_end = sql.least(months.c.me, now)
    counted = sa.case((length > 0, length), else_=0)
    return (sa.select(*group, months.c.period, sa.func.sum(counted),
                      sa.func.sum(sa.case((spans.c.to_status == OP, counted), else_=0)),
                      sa.func.sum(sa.case((sa.and_(spans.c.to_status != OP, spans.c.since < month_end,
                                                   until >= month_end), 1), else_=0)))
            .select_from(spans.join(months, sa.and_(spans.c.since < months.c.me, until > months.c.ms)))
            .group_by(*group, months.c.period))


def monthly_availability(*, session: Session, country: str, first: str, last: str,
                         now: dt.datetime) -> list[dict[str, Any]]:
    """The country's availability per month over all its systems, in one statement."""
    start, end = periods.bounds(first)[0], periods.bounds(last)[1]
    stmt = _availability(_Sql(session.get_bind().dialect.name), _spans(start, end, country, None),
                         _months(first, last), sa.literal(now, UTCDateTime()))
    return [{"period": period, "availability": round(100.0 * float(up or 0) / float(total), 1)}
            for period, total, up, _down in session.execute(stmt) if total]


def figures(*, session: Session, country: str | None = None, system_id: int | None = None,
            period_from: str | None = None, period_to: str | None = None,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """Readiness rows for the months from `period_from` to `period_to` (default: the last 12)."""
    now = now or utcnow()
    last = period_to or periods.of(now)
    first = period_from or periods.shift(last, -11)
    start, end = periods.bounds(first)[0], periods.bounds(last)[1]
    sql = _Sql(session.get_bind().dialect.name)
    bind_now = sa.literal(now, UTCDateTime())
    months = _months(first, last)
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}

    def row(code: str, system: int, period: str) -> dict[str, Any]:
        return rows.setdefault((code, system, period), {
            "country": code, "system_id": system, "period": period, "availability": None,
            "unit_days": 0.0, "mttr_hours": None, "repairs": 0, "units_down": 0,
            "reports_opened": 0, "reports_resolved": 0, "reports_overdue": 0,
            "reports_acknowledged": 0, "acknowledged_on_time": None, "resolved_on_time": None,
            "bulletin_units_overdue": 0})

    # 1. availability and units down at month end, from the status spans inside the period
    usc = UnitStatusChange
    spans = _spans(start, end, country, system_id)
    for code, system, period, total, up, down in session.execute(
        _availability(sql, spans, months, bind_now, spans.c.country_code, spans.c.system_id)
    ):
        r = row(code, system, period)
        r["unit_days"] = round(float(total or 0) / 86400, 2)
        r["availability"] = round(100.0 * float(up or 0) / float(total), 1) if total else None
        r["units_down"] = int(down or 0)

    # 2. MTTR: returns to operational in the month, each from when the unit last left it
    left = aliased(UnitStatusChange)
    left_at = (sa.select(sa.func.max(left.at))
               .where(left.unit_id == usc.unit_id, left.from_status == OP, left.at < usc.at)
               .scalar_subquery())
    returns = (sa.select(usc.country_code, usc.system_id, usc.at, left_at.label("left_at"))
               .where(usc.to_status == OP, usc.from_status.is_not(None), usc.from_status != OP,  # type: ignore[union-attr]
                      usc.at >= start, usc.at < end, *_filters(usc, country, system_id))
               .cte("returns"))
    for code, system, period, seconds, count in session.execute(
        sa.select(returns.c.country_code, returns.c.system_id, months.c.period,
                  sa.func.avg(sql.seconds(returns.c.at) - sql.seconds(returns.c.left_at)),
                  sa.func.count())
        .select_from(returns.join(months, sa.and_(returns.c.at >= months.c.ms,
                                                  returns.c.at < months.c.me)))
        .where(returns.c.left_at.is_not(None))
        .group_by(returns.c.country_code, returns.c.system_id, months.c.period)
    ):
        r = row(code, system, period)
        r["mttr_hours"], r["repairs"] = round(float(seconds) / 3600, 1), int(count)

    # 3. reports opened, resolved, overdue (their resolution due in the month and missed), on time
    d = DeficiencyReport

    def within(column: Any) -> Any:
        return sa.and_(column >= months.c.ms, column < months.c.me)

    def count_if(*conds: Any) -> Any:
        return sa.func.sum(sa.case((sa.and_(*conds), 1), else_=0))

    resolved_at, acknowledged_at = col(d.resolved_at), col(d.acknowledged_at)
    missed = sa.and_(within(d.resolve_due_at), d.resolve_due_at < bind_now,
                     sa.or_(resolved_at.is_(None), resolved_at > d.resolve_due_at))
    for code, system, period, opened, resolved, overdue, acked, acked_ok, resolved_ok in session.execute(
        sa.select(d.country_code, d.system_id, months.c.period,
                  count_if(within(d.submitted_at)), count_if(within(resolved_at)), count_if(missed),
                  count_if(within(acknowledged_at)),
                  count_if(within(acknowledged_at), acknowledged_at <= d.acknowledge_due_at),
                  count_if(within(resolved_at), resolved_at <= d.resolve_due_at))
        .select_from(d).join(months, sa.or_(within(d.submitted_at), within(resolved_at),
                                            within(acknowledged_at), within(d.resolve_due_at)))
        .where(d.status != "withdrawn", *_filters(d, country, system_id))
        .group_by(d.country_code, d.system_id, months.c.period)
    ):
        r = row(code, system, period)
        # each share with its n beside it (reports_acknowledged, reports_resolved), rounded once
        r.update(reports_opened=int(opened), reports_resolved=int(resolved),
                 reports_overdue=int(overdue), reports_acknowledged=int(acked),
                 acknowledged_on_time=rounded(100 * int(acked_ok), int(acked)),
                 resolved_on_time=rounded(100 * int(resolved_ok), int(resolved)))

    # 3b. service bulletins: concerned units whose compliance fell due in the month, still pending
    from service.domain.bulletins.compliance import overdue_by_month

    for code, system, period, units in session.execute(
            overdue_by_month(months, bind_now, country, system_id)):
        row(code, system, period)["bulletin_units_overdue"] = int(units)

    # 4. the countries' targets, 5. the systems' codes
    targets: dict[str, float] = dict(session.execute(  # type: ignore[arg-type]
        sa.select(CountrySla.country_code, CountrySla.availability_target)).all())
    codes: dict[int, str] = dict(session.execute(  # type: ignore[arg-type]
        sa.select(WeaponSystem.id, WeaponSystem.code)).all())
    out = []
    for key in sorted(rows):
        r = rows[key]
        target = float(targets.get(r["country"], DEFAULT_TARGET))
        r["system_code"] = codes.get(r["system_id"])
        r["availability_target"] = target
        r["under_target"] = r["availability"] is not None and r["availability"] < target
        out.append(r)
    return {"from": first, "to": last, "rows": out}
