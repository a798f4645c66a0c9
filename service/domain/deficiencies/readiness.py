"""Fleet readiness per country, system and month (SPEC §9), in six statements whatever the
period's length or the history's: availability (operational unit-days / delivered unit-days,
from the status history), MTTR, units down at month end, reports opened / resolved / overdue,
and the on-time shares of acknowledgements and resolutions; flagged under the country's target.

The history is read from each unit's last change before the period (an index seek per unit
on `unit_id, at`) and the changes inside it (a range on that index), never the years before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models import CountrySla, DeficiencyReport, Unit, UnitStatusChange, UTCDateTime, WeaponSystem, utcnow
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

    def period(self, x: Any) -> Any:
        """The UTC month `YYYY-MM` of a timestamp (the months of `periods`)."""
        if self.pg:
            return sa.func.to_char(sa.func.timezone("UTC", x), "YYYY-MM")
        return sa.func.strftime("%Y-%m", x)


def _months(sql: _Sql, rows: list[tuple[Any, Any, Any]], now: Any) -> Any:
    """The months as rows: period, start, end, month end (its end, or `now` in the current
    month), and start and month end in seconds; one SELECT per month, in the one statement."""
    parts = []
    for period, start, end in rows:
        until = sql.least(end, now)
        parts.append(sa.select(period.label("period"), start.label("ms"), end.label("me"),
                               until.label("mend"), sql.seconds(start).label("ms_s"),
                               sql.seconds(until).label("mend_s")))
    return sa.union_all(*parts).cte("months") if len(parts) > 1 else parts[0].cte("months")


def _literal_months(first: str, last: str) -> list[tuple[Any, Any, Any]]:
    out = []
    for p in periods.between(first, last):
        start, end = periods.bounds(p)
        out.append((sa.literal(p, sa.String), sa.literal(start, UTCDateTime()),
                    sa.literal(end, UTCDateTime())))
    return out


def _filters(model: Any, country: Any, system_id: int | None) -> list[Any]:
    out = []
    if isinstance(country, sa.BindParameter) or country:
        out.append(model.country_code == country)
    if system_id:
        out.append(model.system_id == system_id)
    return out


def _spans(sql: _Sql, start: Any, end: Any, now: Any, country: Any, system_id: int | None) -> Any:
    """Each unit's status spans that touch [start, end): from the unit's last change at or
    before `start` (an index seek per unit on `unit_id, at`) through the changes up to `end`
    (a range on the same index), so the years before the period are never read. Each span's
    ends also in seconds, computed once per span rather than once per span and month."""
    usc, before = UnitStatusChange, aliased(UnitStatusChange)
    last_before = (sa.select(col(before.at)).where(col(before.unit_id) == Unit.id, col(before.at) <= start)
                   .order_by(col(before.at).desc()).limit(1).scalar_subquery())
    units = (sa.select(col(Unit.id).label("id"), sa.func.coalesce(last_before, start).label("begins"))
             .where(*_filters(Unit, country, system_id))
             .cte("units").prefix_with("MATERIALIZED"))  # once per unit (PostgreSQL would inline it)
    inside = sa.and_(col(usc.unit_id) == units.c.id, col(usc.at) >= units.c.begins, col(usc.at) < end,
                     *_filters(usc, country, system_id))
    nxt = sa.func.lead(usc.at).over(partition_by=col(usc.unit_id), order_by=(col(usc.at), col(usc.id)))
    cols: tuple[Any, ...] = (usc.unit_id, usc.country_code, usc.system_id, usc.to_status,
                             col(usc.at).label("since"), nxt.label("next_at"))
    if sql.pg:  # a range scan per unit (LATERAL): joined, PostgreSQL hashed the country's whole history
        per_unit = sa.select(*cols).where(inside).lateral("changes")
        rows = sa.select(per_unit).select_from(units).join(per_unit, sa.true()).subquery("changes_found")
    else:  # SQLite seeks each unit's range by itself
        rows = sa.select(*cols).select_from(units).join(usc, inside).subquery("changes_found")
    until = sa.func.coalesce(rows.c.next_at, now)
    return (sa.select(rows.c.unit_id, rows.c.country_code, rows.c.system_id, rows.c.to_status,
                      rows.c.since, until.label("until"),
                      sql.seconds(rows.c.since).label("since_s"), sql.seconds(until).label("until_s"))
            .cte("spans").prefix_with("MATERIALIZED"))


def _availability(sql: _Sql, spans: Any, months: Any, *group: Any) -> Any:
    """(group…, period, delivered seconds, operational seconds, units down at month end).

    Most units keep one status through the whole period: their spans ("whole": they begin
    before the first month and last past every month's end) give each month its full length
    and count down at its end when not operational, so they are counted per group first and
    then spread over the months; only the other spans are joined to the months one by one."""
    bounds = sa.select(sa.func.min(months.c.ms).label("first_ms"), sa.func.max(months.c.ms).label("last_ms"),
                       sa.func.min(months.c.mend).label("first_mend"),
                       sa.func.max(months.c.mend).label("last_mend")).subquery("bounds")
    whole = sa.and_(spans.c.since <= bounds.c.first_ms, spans.c.since < bounds.c.first_mend,
                    spans.c.until > bounds.c.last_ms, spans.c.until >= bounds.c.last_mend)
    names = [g.name for g in group]
    groups = (sa.select(*group, sa.func.count().label("n"),
                        sa.func.sum(sa.case((spans.c.to_status == OP, 1), else_=0)).label("n_up"))
              .select_from(spans.join(bounds, sa.true())).where(whole).group_by(*group).subquery("whole"))
    month = sql.greatest(months.c.mend_s - months.c.ms_s, 0)
    spread = (sa.select(*(groups.c[n] for n in names), months.c.period.label("period"),
                        (groups.c.n * month).label("total"), (groups.c.n_up * month).label("up"),
                        (groups.c.n - groups.c.n_up).label("down"))
              .select_from(groups.join(months, sa.true())))
    length = sql.least(spans.c.until_s, months.c.mend_s) - sql.greatest(spans.c.since_s, months.c.ms_s)
    counted = sql.greatest(length, 0)
    down_at_end = sa.and_(spans.c.to_status != OP, spans.c.since < months.c.mend,
                          spans.c.until >= months.c.mend)
    one_by_one = (sa.select(*group, months.c.period.label("period"), counted.label("total"),
                            sa.case((spans.c.to_status == OP, counted), else_=0).label("up"),
                            sa.case((down_at_end, 1), else_=0).label("down"))
                  .select_from(spans.join(bounds, sa.true()).join(
                      months, sa.and_(spans.c.since < months.c.me, spans.c.until > months.c.ms)))
                  .where(sa.not_(whole)))
    both = sa.union_all(spread, one_by_one).subquery("spans_by_month")
    keys = [both.c[n] for n in names]
    return (sa.select(*keys, both.c.period, sa.func.sum(both.c.total).label("total"),
                      sa.func.sum(both.c.up).label("up"), sa.func.sum(both.c.down).label("down"))
            .group_by(*keys, both.c.period))


TREND_MONTHS = 12
_TREND: dict[str, Any] = {}


def availability_select(*, dialect: str) -> Any:
    """(period, delivered seconds, operational seconds, units down at month end) of a country
    over all its systems in TREND_MONTHS months, a row per month with a unit in service: the
    statement of `monthly_availability`, and a branch of the dashboard's deficiency statement.
    Built once per dialect, bound by `availability_params`."""
    stmt = _TREND.get(dialect)
    if stmt is None:
        sql, now = _Sql(dialect), sa.bindparam("av_now", type_=UTCDateTime())
        rows = [(sa.bindparam(f"av_p{i}", type_=sa.String), sa.bindparam(f"av_ms{i}", type_=UTCDateTime()),
                 sa.bindparam(f"av_me{i}", type_=UTCDateTime())) for i in range(TREND_MONTHS)]
        spans = _spans(sql, sa.bindparam("av_start", type_=UTCDateTime()),
                       sa.bindparam("av_end", type_=UTCDateTime()), now, sa.bindparam("av_country"), None)
        stmt = _TREND[dialect] = _availability(sql, spans, _months(sql, rows, now))
    return stmt


def availability_params(*, country: str, last: str, now: dt.datetime) -> dict[str, Any]:
    """The values of `availability_select` for the TREND_MONTHS months up to `last`."""
    months = periods.between(periods.shift(last, 1 - TREND_MONTHS), last)
    params: dict[str, Any] = {"av_now": now, "av_country": country, "av_start": periods.bounds(months[0])[0],
                              "av_end": periods.bounds(months[-1])[1]}
    for i, p in enumerate(months):
        params[f"av_p{i}"], (params[f"av_ms{i}"], params[f"av_me{i}"]) = p, periods.bounds(p)
    return params


def availability_percent(total: Any, up: Any) -> float:
    return round(100.0 * float(up or 0) / float(total), 1)


def monthly_availability(*, session: Session, country: str, first: str, last: str,
                         now: dt.datetime) -> list[dict[str, Any]]:
    """The country's availability per month over all its systems, in one statement (built
    once when the range is the dashboard's TREND_MONTHS)."""
    dialect = session.get_bind().dialect.name
    if periods.shift(last, 1 - TREND_MONTHS) == first:
        stmt, params = availability_select(dialect=dialect), availability_params(country=country, last=last,
                                                                                 now=now)
    else:
        sql, at = _Sql(dialect), sa.literal(now, UTCDateTime())
        start, end = sa.literal(periods.bounds(first)[0], UTCDateTime()), sa.literal(periods.bounds(last)[1],
                                                                                     UTCDateTime())
        spans = _spans(sql, start, end, at, country, None)
        stmt, params = _availability(sql, spans, _months(sql, _literal_months(first, last), at)), {}
    return [{"period": period, "availability": availability_percent(total, up)}
            for period, total, up, _down in sorted(session.execute(stmt, params)) if total]


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
    months = _months(sql, _literal_months(first, last), bind_now)
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    raw: dict[tuple[str, int, str], dict[str, float]] = {}  # the unrounded sums, for `countries`

    def row(code: str, system: int, period: str) -> dict[str, Any]:
        return rows.setdefault((code, system, period), {
            "country": code, "system_id": system, "period": period, "availability": None,
            "unit_days": 0.0, "mttr_hours": None, "repairs": 0, "units_down": 0,
            "reports_opened": 0, "reports_resolved": 0, "reports_overdue": 0,
            "reports_acknowledged": 0, "acknowledged_on_time": None, "resolved_on_time": None,
            "bulletin_units_overdue": 0})

    # 1. availability and units down at month end, from the status spans inside the period
    usc = UnitStatusChange
    spans = _spans(sql, sa.literal(start, UTCDateTime()), sa.literal(end, UTCDateTime()), bind_now,
                   country, system_id)
    for code, system, period, total, up, down in session.execute(
        _availability(sql, spans, months, spans.c.country_code, spans.c.system_id)
    ):
        r = row(code, system, period)
        raw.setdefault((code, system, period), {}).update(total=float(total or 0), up=float(up or 0))
        r["unit_days"] = round(float(total or 0) / 86400, 2)
        r["availability"] = round(100.0 * float(up or 0) / float(total), 1) if total else None
        r["units_down"] = int(down or 0)

    # 2. MTTR: returns to operational in the month, each from when the unit last left it
    # the latest departure before the return: a backward seek on (unit_id, at) that stops at
    # the first row leaving operational, never the unit's whole earlier history (as max() would)
    left = aliased(UnitStatusChange)
    left_at = (sa.select(col(left.at))
               .where(col(left.unit_id) == usc.unit_id, col(left.from_status) == OP, col(left.at) < usc.at)
               .order_by(col(left.at).desc()).limit(1).scalar_subquery())
    returns = (sa.select(col(usc.country_code), col(usc.system_id), col(usc.at), left_at.label("left_at"))
               .where(col(usc.to_status) == OP, col(usc.from_status).is_not(None), col(usc.from_status) != OP,
                      col(usc.at) >= start, col(usc.at) < end, *_filters(usc, country, system_id))
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
        raw.setdefault((code, system, period), {})["repair_seconds"] = float(seconds) * int(count)
        r["mttr_hours"], r["repairs"] = round(float(seconds) / 3600, 1), int(count)

    # 3. reports opened, resolved, overdue (their resolution due in the month and missed), on time
    d = DeficiencyReport

    # One branch per date, each one range on its own (country, date) index bounded by the period,
    # never the country's years of reports, the month read from the date itself: (opened,
    # resolved, overdue, acknowledged, acknowledged on time, resolved on time) per report and
    # month, summed per group.
    resolved_at, acknowledged_at = col(d.resolved_at), col(d.acknowledged_at)
    one, zero = sa.literal_column("1", sa.Integer), sa.literal_column("0", sa.Integer)

    names = ("opened", "resolved", "overdue", "acked", "acked_ok", "resolved_ok")

    def branch(column: Any, *figures: Any) -> Any:
        return (sa.select(col(d.country_code), col(d.system_id), sql.period(column).label("period"),
                          *(f.label(n) for f, n in zip(figures, names, strict=True)))
                .where(column >= start, column < end, col(d.status) != "withdrawn",
                       *_filters(d, country, system_id)))

    def on_time(cond: Any) -> Any:  # 1 when the report is on time (or, for overdue, missed)
        return sa.case((cond, 1), else_=0)

    counts = sa.union_all(
        branch(col(d.submitted_at), one, zero, zero, zero, zero, zero),
        branch(resolved_at, zero, one, zero, zero, zero, on_time(resolved_at <= d.resolve_due_at)),
        branch(col(d.resolve_due_at), zero, zero,
               on_time(sa.and_(d.resolve_due_at < bind_now,
                               sa.or_(resolved_at.is_(None), resolved_at > d.resolve_due_at))),
               zero, zero, zero),
        branch(acknowledged_at, zero, zero, zero, one, on_time(acknowledged_at <= d.acknowledge_due_at),
               zero),
    ).subquery("counts")
    c = counts.c
    figures_of = [sa.func.sum(c[n]) for n in names]
    for code, system, period, opened, resolved, overdue, acked, acked_ok, resolved_ok in session.execute(
        sa.select(c[0], c[1], c[2], *figures_of).group_by(c[0], c[1], c[2])
    ):
        r = row(code, system, period)
        raw.setdefault((code, system, period), {}).update(acked_ok=int(acked_ok),
                                                          resolved_ok=int(resolved_ok))
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
    targets: dict[str, float] = dict(session.execute(
        sa.select(col(CountrySla.country_code), col(CountrySla.availability_target))).all())
    codes: dict[int, str] = dict(session.execute(
        sa.select(col(WeaponSystem.id), col(WeaponSystem.code))).all())
    out = []
    for key in sorted(rows):
        r = rows[key]
        target = float(targets.get(r["country"], DEFAULT_TARGET))
        r["system_code"] = codes.get(r["system_id"])
        r["availability_target"] = target
        r["under_target"] = r["availability"] is not None and r["availability"] < target
        out.append(r)
    return {"from": first, "to": last, "rows": out, "countries": _per_country(out, raw)}


def _per_country(rows: list[dict[str, Any]],
                 raw: dict[tuple[str, int, str], dict[str, float]]) -> list[dict[str, Any]]:
    """The rows summed over the systems, per country and month, from the unrounded sums (no
    statement more): what the monthly reports and the dashboard show for a country."""
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        k = raw.get((r["country"], r["system_id"], r["period"]), {})
        s = sums.setdefault((r["country"], r["period"]), {
            "country": r["country"], "period": r["period"],
            "availability_target": r["availability_target"], "total": 0.0, "up": 0.0,
            "repair_seconds": 0.0, "repairs": 0, "units_down": 0, "reports_opened": 0,
            "reports_resolved": 0, "reports_overdue": 0, "reports_acknowledged": 0,
            "bulletin_units_overdue": 0, "acked_ok": 0, "resolved_ok": 0})
        s["total"] += k.get("total", 0.0)
        s["up"] += k.get("up", 0.0)
        s["repair_seconds"] += k.get("repair_seconds", 0.0)
        s["acked_ok"] += int(k.get("acked_ok", 0))
        s["resolved_ok"] += int(k.get("resolved_ok", 0))
        for name in ("repairs", "units_down", "reports_opened", "reports_resolved",
                     "reports_overdue", "reports_acknowledged", "bulletin_units_overdue"):
            s[name] += r[name]
    out = []
    for key in sorted(sums):
        s = sums[key]
        total, up = s.pop("total"), s.pop("up")
        repair_seconds = s.pop("repair_seconds")
        acked_ok, resolved_ok = s.pop("acked_ok"), s.pop("resolved_ok")
        s["unit_days"] = round(total / 86400, 2)
        s["availability"] = round(100.0 * up / total, 1) if total else None
        s["under_target"] = s["availability"] is not None and s["availability"] < s["availability_target"]
        s["mttr_hours"] = round(repair_seconds / s["repairs"] / 3600, 1) if s["repairs"] else None
        s["acknowledged_on_time"] = rounded(100 * acked_ok, s["reports_acknowledged"])
        s["resolved_on_time"] = rounded(100 * resolved_ok, s["reports_resolved"])
        out.append(s)
    return out
