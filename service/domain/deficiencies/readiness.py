"""Fleet readiness per country, system and month (SPEC §9), in six statements whatever the
period's length or the history's: availability (operational unit-days / delivered unit-days,
from the status history), MTTR, units down at month end, reports opened / resolved / overdue,
and the on-time shares of acknowledgements and resolutions; flagged under the country's target.

The history is read as the spans that touch the period (each change keeps when the unit's next
change ended it): one range on an index of those ends, never the years before; the spans' ends
are summed per system and month in SQL, and the months assembled from those sums (`_spread`).
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

    def origin(self, moment: dt.datetime) -> float:
        """`seconds` of a moment, computed here (julianday's epoch is 4713 BC)."""
        return moment.timestamp() + (0.0 if self.pg else 2440587.5 * 86400.0)

    def period(self, x: Any) -> Any:
        """The UTC month `YYYY-MM` of a timestamp (the months of `periods`)."""
        if self.pg:
            return sa.func.to_char(sa.func.timezone("UTC", x), "YYYY-MM")
        return sa.func.substr(x, 1, 7)  # SQLite keeps UTC text, `YYYY-MM-DD HH:MM:SS…` (UTCDateTime)


def _months(rows: list[tuple[Any, Any, Any]]) -> Any:
    """The months as rows (period, start, end), one SELECT per month in the one statement."""
    parts = [sa.select(period.label("period"), start.label("ms"), end.label("me"))
             for period, start, end in rows]
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


def _points(sql: _Sql, start: Any, end: Any, now: Any, origin: Any, country: Any,
            system_id: int | None) -> Any:
    """The units' status spans that touch [start, end), as the points where they begin and end:
    (country, system, operational 1/0, bucket, weight, weighted seconds) summed per bucket.

    A span begins with weight -1 and ends with weight +1; its point falls in the month of its
    time (bucket `YYYY-MM`, seconds from `origin`), before the period (bucket ""), or after it
    or after `now` (bucket "~"; a span not ended yet ends there). A month's unit-seconds are
    then each point's time clipped to the month, summed (`_spread`): a few rows per system and
    month however many units and years, the months assembled from running sums. The spans
    that hold through the whole period (begun before it, not ended: most of a fleet) come
    counted per system and status (bucket none), from the span index in its order.

    Every span is read by its ends on the span index (`ended_at`), never the history before."""
    usc = UnitStatusChange
    at, ended, status = col(usc.at), col(usc.ended_at), col(usc.to_status)
    keys, where = (col(usc.country_code), col(usc.system_id)), _filters(usc, country, system_id)
    up = sa.case((status == OP, 1), else_=0).label("up")
    steady = (sa.select(*keys, up, sa.null().label("bucket"), sa.func.count().label("weight"),
                        sa.literal(0.0).label("seconds"))
              .where(ended.is_(None), at <= start, *where).group_by(*keys, status))
    begins = sa.case((at < start, ""), (at > now, "~"), else_=sql.period(at))
    ends = sa.case((sa.or_(ended.is_(None), ended >= end, ended > now), "~"), else_=sql.period(ended))
    changing = sa.and_(at < end, sa.or_(sa.and_(ended.is_(None), at > start), ended > start), *where)
    points = sa.union_all(
        sa.select(*keys, up, begins.label("bucket"), sa.literal(-1).label("weight"),
                  (origin - sql.seconds(at)).label("seconds")).where(changing),
        sa.select(*keys, up, ends, sa.literal(1), sql.seconds(ended) - origin).where(changing),
    ).subquery("points")
    p = points.c
    group = (p.country_code, p.system_id, p.up, p.bucket)
    moving = (sa.select(*group, sa.func.sum(p.weight).label("weight"),
                        sa.func.sum(p.seconds).label("seconds")).group_by(*group))
    return moving.union_all(steady)


Month = tuple[str, float, float]  # period, start and end (or now) in seconds from the first month's start


def _month_spans(first: str, last: str, now: dt.datetime) -> list[Month]:
    """The months from `first` to `last` begun by `now`, their ends in seconds from the first's
    start; the current month ends now."""
    origin = periods.bounds(first)[0].timestamp()
    out = []
    for period in periods.between(first, last):
        start, end = periods.bounds(period)
        if start < now:
            out.append((period, start.timestamp() - origin, min(end, now).timestamp() - origin))
    return out


def _spread(points: Any, months: list[Month]) -> dict[Any, list[tuple[str, float, float, int]]]:
    """Per key, (period, delivered seconds, operational seconds, units down at its end) for each
    month with a unit in service, from the points of `_points` as (key, up, bucket, weight,
    seconds): a point before a month counts from the month's start, one after it to its end,
    one inside it at its own time."""
    index = {period: i for i, (period, _ms, _me) in enumerate(months, start=1)}
    after = len(months) + 1
    index[""], index["~"] = 0, after
    sums: dict[Any, tuple[list[int], list[float]]] = {}  # per (key, up): weights and seconds per bucket
    for key, up, bucket, weight, seconds in points:
        entry = sums.get((key, up))
        if entry is None:
            entry = sums[key, up] = ([0] * (after + 1), [0.0] * (after + 1))
        w, x = entry
        if bucket is None:  # through the whole period
            w[0] -= weight
            w[after] += weight
        else:
            i = index[bucket]
            w[i] += weight
            if seconds:
                x[i] += seconds
    by_key: dict[Any, list[list[float]]] = {}
    for (key, up), (w, x) in sums.items():
        acc = by_key.get(key)
        if acc is None:
            acc = by_key[key] = [[0.0, 0.0, 0.0] for _ in months]
        before = w[0]
        for i, (_period, ms, mend) in enumerate(months, start=1):
            later = -(before + w[i])  # every span ends once it began: the weights sum to 0
            seconds = before * ms + x[i] + later * mend
            month = acc[i - 1]
            month[0] += seconds
            if up:
                month[1] += seconds
            else:
                month[2] += later  # begun by the month's end, not ended by it: down then
            before += w[i]
    return {key: [(period, total, up_s, int(down))
                  for (period, _ms, _me), (total, up_s, down) in zip(months, acc, strict=True) if total > 0]
            for key, acc in by_key.items()}


TREND_MONTHS = 12
_TREND: dict[str, Any] = {}


def availability_select(*, dialect: str) -> Any:
    """The points (`_points`) of a country's spans over TREND_MONTHS months, a branch of the
    dashboard's deficiency statement: built once per dialect, bound by `availability_params`,
    turned into months by `trend`."""
    stmt = _TREND.get(dialect)
    if stmt is None:
        sql = _Sql(dialect)
        stmt = _TREND[dialect] = _points(
            sql, sa.bindparam("av_start", type_=UTCDateTime()), sa.bindparam("av_end", type_=UTCDateTime()),
            sa.bindparam("av_now", type_=UTCDateTime()), sa.bindparam("av_origin", type_=sa.Float()),
            sa.bindparam("av_country"), None)
    return stmt


def _window(last: str) -> tuple[str, str]:
    return periods.shift(last, 1 - TREND_MONTHS), last


def availability_params(*, country: str, last: str, now: dt.datetime, dialect: str) -> dict[str, Any]:
    """The values of `availability_select` for the TREND_MONTHS months up to `last`."""
    first, last = _window(last)
    start = periods.bounds(first)[0]
    return {"av_now": now, "av_country": country, "av_start": start, "av_end": periods.bounds(last)[1],
            "av_origin": _Sql(dialect).origin(start)}


def trend(points: Any, *, last: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The country's availability per month over all its systems, from its points as (up,
    bucket, weight, seconds)."""
    months = _spread(((None, *point) for point in points), _month_spans(*_window(last), now))
    return [{"period": period, "availability": availability_percent(total, up)}
            for period, total, up, _down in months.get(None, [])]


def availability_percent(total: Any, up: Any) -> float:
    return round(100.0 * float(up or 0) / float(total), 1)


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
    months = _months(_literal_months(first, last))
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    # the unrounded sums, for `countries`: delivered and operational seconds, repair seconds,
    # acknowledgements and resolutions on time
    raw: dict[tuple[str, int, str], list[float]] = {}

    def row(code: str, system: int, period: str) -> dict[str, Any]:
        r = rows.get((code, system, period))
        if r is None:
            r = rows[code, system, period] = {
                "country": code, "system_id": system, "period": period, "availability": None,
                "unit_days": 0.0, "mttr_hours": None, "repairs": 0, "units_down": 0,
                "reports_opened": 0, "reports_resolved": 0, "reports_overdue": 0,
                "reports_acknowledged": 0, "acknowledged_on_time": None, "resolved_on_time": None,
                "bulletin_units_overdue": 0}
        return r

    def sums(code: str, system: int, period: str) -> list[float]:
        k = raw.get((code, system, period))
        if k is None:
            k = raw[code, system, period] = [0.0, 0.0, 0.0, 0, 0]
        return k

    # 1. availability and units down at month end, from the points of the spans touching the period
    usc = UnitStatusChange
    points = _points(sql, sa.literal(start, UTCDateTime()), sa.literal(end, UTCDateTime()), bind_now,
                     sa.literal(sql.origin(start)), country, system_id)
    spread = _spread((((code, system), up, bucket, weight, seconds)
                      for code, system, up, bucket, weight, seconds in session.execute(points)),
                     _month_spans(first, last, now))
    for (code, system), months_of in spread.items():
        for period, total, up, down in months_of:
            r = row(code, system, period)
            sums(code, system, period)[0:2] = total, up
            r["unit_days"] = round(total / 86400, 2)
            r["availability"] = availability_percent(total, up)
            r["units_down"] = down

    # 2. MTTR: returns to operational in the month, each from when the unit last left it:
    # the latest departure before the return, one seek on (unit_id, from_status, at), never the
    # unit's earlier history; the returns read from (to_status, at), the month from their time
    left = aliased(UnitStatusChange)
    left_at = (sa.select(col(left.at))
               .where(col(left.unit_id) == usc.unit_id, col(left.from_status) == OP, col(left.at) < usc.at)
               .order_by(col(left.at).desc()).limit(1).scalar_subquery())
    returns = (sa.select(col(usc.country_code), col(usc.system_id), sql.period(usc.at).label("period"),
                         (sql.seconds(usc.at) - sql.seconds(left_at)).label("repair"))
               .where(col(usc.to_status) == OP, col(usc.from_status).is_not(None), col(usc.from_status) != OP,
                      col(usc.at) >= start, col(usc.at) < end, *_filters(usc, country, system_id))
               .cte("returns").prefix_with("MATERIALIZED"))  # each departure sought once
    t = returns.c
    for code, system, period, seconds, count in session.execute(
        sa.select(t.country_code, t.system_id, t.period, sa.func.avg(t.repair), sa.func.count(t.repair))
        .where(t.repair.is_not(None)).group_by(t.country_code, t.system_id, t.period)
    ):
        r = row(code, system, period)
        sums(code, system, period)[2] = float(seconds) * int(count)
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
        sums(code, system, period)[3:5] = int(acked_ok), int(resolved_ok)
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


_ADDED = ("repairs", "units_down", "reports_opened", "reports_resolved", "reports_overdue",
          "reports_acknowledged", "bulletin_units_overdue")


def _per_country(rows: list[dict[str, Any]],
                 raw: dict[tuple[str, int, str], list[float]]) -> list[dict[str, Any]]:
    """The rows summed over the systems, per country and month, from the unrounded sums (no
    statement more): what the monthly reports and the dashboard show for a country."""
    sums: dict[tuple[str, str], tuple[dict[str, Any], list[float]]] = {}
    nothing = [0.0, 0.0, 0.0, 0, 0]
    for r in rows:
        key = (r["country"], r["period"])
        entry = sums.get(key)
        if entry is None:
            first = {"country": r["country"], "period": r["period"],
                     "availability_target": r["availability_target"], **dict.fromkeys(_ADDED, 0)}
            entry = sums[key] = (first, [0.0, 0.0, 0.0, 0, 0])
        s, unrounded = entry
        for i, value in enumerate(raw.get((r["country"], r["system_id"], r["period"]), nothing)):
            unrounded[i] += value
        for name in _ADDED:
            s[name] += r[name]
    out = []
    for key in sorted(sums):
        s, (total, up, repair_seconds, acked_ok, resolved_ok) = sums[key]
        s["unit_days"] = round(total / 86400, 2)
        s["availability"] = availability_percent(total, up) if total else None
        s["under_target"] = s["availability"] is not None and s["availability"] < s["availability_target"]
        s["mttr_hours"] = round(repair_seconds / s["repairs"] / 3600, 1) if s["repairs"] else None
        s["acknowledged_on_time"] = rounded(100 * int(acked_ok), s["reports_acknowledged"])
        s["resolved_on_time"] = rounded(100 * int(resolved_ok), s["reports_resolved"])
        out.append(s)
    return out
