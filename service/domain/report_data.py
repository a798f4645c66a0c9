"""The figures of the monthly reports, as plain dicts for the PDF templates.

Every query is a GROUP BY or one bounded list, whatever the history's size. Satisfaction
comes from `satisfaction.figures` / `by_country` and the fleet from `registry.fleet`, the same
functions the API answers with, so a report and the API never disagree. A period is a UTC
month (as everywhere in the service); times are shown in the country's timezone.

The words a report shows beside its figures (labels, reasons, chart titles) are written here in
the report's language (`pdf.words`): a country's report in its `report_language`, the HQ report
in the language its caller gives (HQ_REPORT_LANGUAGE). The figures do not depend on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    CorrectiveAction,
    Country,
    CountrySla,
    DeficiencyReport,
    EventStatus,
    ServiceEvent,
    ServiceKind,
    SurveyResponse,
    UTCDateTime,
    WeaponSystem,
)
from service.core.i18n import strftime_zoned
from service.domain import periods, registry, satisfaction
from service.domain.charts import trend_chart_svg
from service.domain.deficiencies import readiness
from service.domain.deficiencies import sla as deficiency_sla
from service.domain.pdf import Words, words


def N_(message: str) -> str:
    """Marks `message` for the catalogue; it is translated where it is shown."""
    return message


UPCOMING_DAYS = 60
LIST_LIMIT = 60  # services listed per section; the count says how many more there are
COMMENTS = 8
ATTENTION_CSAT = 80.0  # below this CSAT (%), or NPS below 0, or any overdue action
KIND_LABELS = {ServiceKind.joint_training.value: N_("Joint training"),
               ServiceKind.tech_education.value: N_("Technological education"),
               ServiceKind.trial_run.value: N_("Trial run")}
STATUS_LABELS = {EventStatus.planned.value: N_("planned"), EventStatus.confirmed.value: N_("confirmed"),
                 EventStatus.in_progress.value: N_("in progress"),
                 EventStatus.postponed.value: N_("postponed"),
                 EventStatus.completed.value: N_("completed"), EventStatus.cancelled.value: N_("cancelled")}
DIMENSION_LABELS = {"instructors": N_("Instructors"), "timeliness": N_("Timeliness"),
                    "documentation": N_("Documentation"), "equipment": N_("Equipment")}
SERIES_LABELS = {"csat": N_("CSAT %"), "nps": N_("NPS"), "response_rate": N_("Response rate %"),
                 "availability": N_("Availability %")}
OPEN_STATES = [EventStatus.planned.value, EventStatus.confirmed.value,
               EventStatus.in_progress.value, EventStatus.postponed.value]


def _count_if(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _local(moment: dt.datetime, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    return strftime_zoned(moment.astimezone(tz), fmt)


def _last_day(as_of: dt.datetime) -> dt.date:
    """The last day `as_of` covers: the period's last day when it is the period's end."""
    return (as_of - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()


def month_label(period: str, language: str = "en") -> str:
    """The month's name in `language`: "October 2026", "2026년 10월"."""
    periods.parse(period)
    return words(language).month(period)


def _chart_words(tr: Words, metrics: tuple[str, ...]) -> dict[str, Any]:
    """A trend chart's legend, in the report's language."""
    return {"labels": {m: tr.gettext(SERIES_LABELS[m]) for m in metrics}}


def status_then(at: dt.datetime) -> Any:
    """A service's state as it stood at `at`: completed or cancelled by then (by when it was
    completed or cancelled; a row without the time, by its end or last change), else open then:
    its state now if it is open still, otherwise (completed or cancelled since) in progress if it
    had begun, planned if not."""
    E = ServiceEvent
    then = sa.literal(at, UTCDateTime())
    return sa.case(
        (sa.and_(col(E.status) == EventStatus.completed.value,
                 sa.func.coalesce(col(E.completed_at), col(E.ends_at)) < then),
         EventStatus.completed.value),
        (sa.and_(col(E.status) == EventStatus.cancelled.value,
                 sa.func.coalesce(col(E.cancelled_at), col(E.updated_at)) < then),
         EventStatus.cancelled.value),
        (col(E.status).in_(OPEN_STATES), col(E.status)),
        (col(E.starts_at) < then, EventStatus.in_progress.value),
        else_=EventStatus.planned.value)


def _service_counts(session: Session, start: dt.datetime, end: dt.datetime,
                    country: str | None, as_of: dt.datetime) -> dict[str, dict[str, int]]:
    """Per country: completed / cancelled / trainees and completed per kind as of `as_of`, one
    GROUP BY."""
    E = ServiceEvent
    state = status_then(as_of)
    completed = state == EventStatus.completed.value
    stmt = (sa.select(col(E.country_code), col(E.kind), _count_if(completed),
                      _count_if(state == EventStatus.cancelled.value),
                      sa.func.coalesce(sa.func.sum(sa.case((completed, col(E.participants_actual)),
                                                           else_=0)), 0))
            .where(col(E.starts_at) >= start, col(E.starts_at) < end)
            .group_by(col(E.country_code), col(E.kind)))
    if country:
        stmt = stmt.where(col(E.country_code) == country)
    out: dict[str, dict[str, int]] = {}
    for code, kind, done, cancelled, trainees in session.execute(stmt):
        row = out.setdefault(code, {"completed": 0, "cancelled": 0, "trainees": 0,
                                    **{k: 0 for k in KIND_LABELS}})
        row["completed"] += int(done)
        row["cancelled"] += int(cancelled)
        row["trainees"] += int(trainees)
        row[kind] = row.get(kind, 0) + int(done)
    return out


def open_at(moment: dt.datetime) -> Any:
    """An action open at `moment`, from its open and close times (a closed action keeps its
    `closed_at`; one reopened since has none, so it counts as open throughout)."""
    A = CorrectiveAction
    return sa.and_(col(A.opened_at) < moment, sa.or_(col(A.closed_at).is_(None), col(A.closed_at) >= moment))


def _overdue(session: Session, as_of: dt.datetime, country: str | None) -> dict[str, int]:
    A = CorrectiveAction
    stmt = (sa.select(col(A.country_code), sa.func.count())
            .where(open_at(as_of), col(A.due_on) < _last_day(as_of)).group_by(col(A.country_code)))
    if country:
        stmt = stmt.where(col(A.country_code) == country)
    return {code: int(n) for code, n in session.execute(stmt)}


def _services(session: Session, country: str, start: dt.datetime, end: dt.datetime,
              tz: ZoneInfo, tr: Words, *, as_of: dt.datetime, open_only: bool) -> dict[str, Any]:
    """The services starting in [start, end), each in its state as of `as_of`; `open_only`:
    those still ahead then, as planned by then (created before it, not completed or cancelled)."""
    E = ServiceEvent
    state = status_then(as_of)
    where: list[Any] = [col(E.country_code) == country, col(E.starts_at) >= start, col(E.starts_at) < end]
    if open_only:
        where += [state.in_(OPEN_STATES), col(E.created_at) < sa.literal(as_of, UTCDateTime())]
    total = int(session.scalar(sa.select(sa.func.count()).select_from(E).where(*where)) or 0)
    rows = session.execute(
        sa.select(col(E.starts_at), col(E.ends_at), col(E.kind), col(E.title), state, col(E.location),
                  col(E.participants_planned),
                  sa.case((state == EventStatus.completed.value, col(E.participants_actual))),  # then
                  col(WeaponSystem.code))
        .join(WeaponSystem, col(WeaponSystem.id) == E.system_id)
        .where(*where).order_by(col(E.starts_at), col(E.id)).limit(LIST_LIMIT)
    ).all()
    items = [{
        "when": tr.day(r[0].astimezone(tz).date()), "kind": _label(tr, KIND_LABELS, r[2]),
        "title": r[3], "status": _label(tr, STATUS_LABELS, r[4]), "location": r[5] or "",
        "system": r[8],
        "participants": r[7] if r[7] is not None else r[6],
    } for r in rows]
    return {"total": total, "rows": items, "more": max(0, total - len(items))}


def _label(tr: Words, labels: dict[str, str], key: str) -> str:
    return tr.gettext(labels[key]) if key in labels else key.replace("_", " ")


def _comments(session: Session, country: str, period: str, tz: ZoneInfo,
              tr: Words) -> list[dict[str, Any]]:
    R = SurveyResponse
    rows = session.execute(
        sa.select(col(R.answered_at), col(R.kind), col(R.overall), col(R.recommend), col(R.comment),
                  col(WeaponSystem.code))
        .join(WeaponSystem, col(WeaponSystem.id) == R.system_id)
        .where(col(R.country_code) == country, col(R.period) == period, col(R.comment).is_not(None),
               col(R.comment) != "", col(R.deficiency_id).is_(None))  # the services' comments
        .order_by(col(R.answered_at).desc(), col(R.id).desc()).limit(COMMENTS)
    ).all()
    return [{"when": tr.day(r[0].astimezone(tz).date()), "kind": _label(tr, KIND_LABELS, r[1]),
             "overall": r[2], "recommend": r[3], "comment": r[4], "system": r[5]} for r in rows]


def _actions(session: Session, country: str, start: dt.datetime, end: dt.datetime,
             as_of: dt.datetime) -> dict[str, Any]:
    """Opened and closed in the period; open and overdue as of `as_of` (the period's end): on
    its last day, as `GET /actions?overdue=true` answers that day (due before it; days late to it)."""
    A = CorrectiveAction
    today = _last_day(as_of)
    overdue_cond = sa.and_(open_at(as_of), col(A.due_on) < today)

    def count(*where: Any) -> int:  # each on its own index: none reads the closed history
        return int(session.scalar(sa.select(sa.func.count()).select_from(A)
                                  .where(col(A.country_code) == country, *where)) or 0)

    opened = count(A.opened_at >= start, A.opened_at < end)
    closed = count(col(A.closed_at) >= start, col(A.closed_at) < end)
    still_open, overdue = session.execute(
        sa.select(sa.func.count(), _count_if(A.due_on < today))
        .where(col(A.country_code) == country, open_at(as_of))).one()
    rows = session.execute(
        sa.select(col(A.title), col(A.due_on)).where(col(A.country_code) == country, overdue_cond)
        .order_by(col(A.due_on), col(A.id)).limit(20)
    ).all()
    return {"opened": int(opened), "closed": int(closed), "overdue": int(overdue),
            "open": int(still_open),
            "overdue_items": [{"title": t, "due_on": d.isoformat(), "days_late": (today - d).days}
                              for t, d in rows]}


READINESS_FIGURES = ("availability", "unit_days", "units_down", "mttr_hours", "repairs",
                     "reports_opened", "reports_resolved", "reports_overdue", "reports_acknowledged",
                     "acknowledged_on_time", "resolved_on_time", "under_target")


def _readiness_month(row: dict[str, Any] | None, period: str, target: float) -> dict[str, Any]:
    """A country's readiness month as `GET /readiness` answers it in `countries` (a month
    without a delivered unit or a report has no row there: nothing to count)."""
    empty = {"availability": None, "unit_days": 0.0, "units_down": 0, "mttr_hours": None,
             "repairs": 0, "reports_opened": 0, "reports_resolved": 0, "reports_overdue": 0,
             "reports_acknowledged": 0, "acknowledged_on_time": None, "resolved_on_time": None,
             "under_target": False}
    values = {k: row[k] for k in READINESS_FIGURES} if row else empty
    return {"period": period, "availability_target": target, **values}


def critical_overdue_at(moment: dt.datetime) -> Any:
    """A critical report overdue at `moment`: filed before it, not withdrawn, not resolved by
    then, its clock running (not paused at that moment), and past a due time it had not met.
    For `moment` = now this is `GET /deficiencies?severity=critical&overdue=true`."""
    r = DeficiencyReport
    acked, resolved, paused = col(r.acknowledged_at), col(r.resolved_at), col(r.paused_since)
    return sa.and_(
        col(r.severity) == "critical", col(r.status) != "withdrawn", col(r.submitted_at) < moment,
        sa.or_(resolved.is_(None), resolved >= moment),
        sa.or_(paused.is_(None), paused >= moment),
        sa.or_(col(r.resolve_due_at) < moment,
               sa.and_(col(r.acknowledge_due_at) < moment, sa.or_(acked.is_(None), acked >= moment))))


def _critical_overdue(session: Session, as_of: dt.datetime, country: str | None) -> dict[str, int]:
    r = DeficiencyReport
    stmt = (sa.select(col(r.country_code), sa.func.count()).where(critical_overdue_at(as_of))
            .group_by(col(r.country_code)))
    if country:
        stmt = stmt.where(col(r.country_code) == country)
    return {code: int(n) for code, n in session.execute(stmt)}


def _readiness(session: Session, country: Country, period: str, as_of: dt.datetime,
               tr: Words) -> dict[str, Any]:
    """The readiness section: the 12 months to the period's end from `readiness.figures` (the
    `countries` rows of `GET /readiness?country=&from=&to=`), computed as of the period's end."""
    first = periods.shift(period, -11)
    target = float(deficiency_sla.targets(session=session, country_code=country.code).availability_target)
    fig = readiness.figures(session=session, country=country.code, period_from=first,
                            period_to=period, now=as_of)
    by_period = {r["period"]: r for r in fig["countries"]}
    months = [_readiness_month(by_period.get(p), p, target) for p in periods.between(first, period)]
    return {
        "from": first, "to": period, "target": target, "month": months[-1], "by_month": months,
        "critical_overdue": _critical_overdue(session, as_of, country.code).get(country.code, 0),
        "trend_svg": trend_chart_svg(
            months, metrics=("availability",), scale=(0.0, 100.0), ticks=(0, 25, 50, 75, 100),
            target=target, note=tr.gettext("months without a delivered unit are left blank"),
            target_label=tr.gettext("target %(target)s%%", target=tr.number(target, 0)),
            title=tr.gettext("%(country)s: fleet availability, 12 months to %(period)s",
                             country=country.name, period=period),
            **_chart_words(tr, ("availability",))),
    }


def _handling(year: dict[str, Any]) -> dict[str, Any]:
    """The handling surveys' figures of the month (the last of `year`) and of the 12 months."""
    keys = ("responses", "surveys_sent", "response_rate", "csat", "nps")
    return {"month": {k: year["by_month"][-1][k] for k in keys}, "year": {k: year[k] for k in keys},
            "from": year["from"], "to": year["to"]}


def _metric_pairs(month: dict[str, Any], previous: dict[str, Any], tr: Words) -> list[dict[str, Any]]:
    return [{"key": key, "label": label, "value": month[key], "previous": previous[key],
             "change": satisfaction.change(month, previous, key), "unit": unit,
             "responses": month["responses"], "surveys_sent": month["surveys_sent"]}
            for key, label, unit in (("csat", tr.gettext("CSAT"), "%"), ("nps", tr.gettext("NPS"), ""),
                                     ("response_rate", tr.gettext("Response rate"), "%"))]


def country_monthly(*, session: Session, country_code: str, period: str, now: dt.datetime,
                    revision: int, marking: str, language: str | None = None) -> dict[str, Any]:
    """Everything the country's monthly report shows, for `period` (SPEC §6), in `language`
    (default: the country's report language)."""
    country = session.get(Country, country_code)
    if country is None:
        raise LookupError(country_code)
    tr = words(language or country.report_language)
    tz = ZoneInfo(country.timezone)
    start, end = periods.bounds(period)
    as_of = min(end, now)  # the period's end (or now, for a month not over yet)
    counts = _service_counts(session, start, end, country_code, as_of).get(country_code, {})
    upcoming = _services(session, country_code, end, end + dt.timedelta(days=UPCOMING_DAYS), tz,
                         tr, as_of=as_of, open_only=True)
    trend = satisfaction.figures(session=session, country=country_code,
                                 period_from=periods.shift(period, -11), period_to=period)
    month = satisfaction.figures(session=session, country=country_code, period_from=period,
                                 period_to=period)
    previous = trend["by_month"][-2]
    return {
        "kind": "country_monthly", "marking": marking, "revision": revision,
        "language": tr.language, "period": period, "period_label": tr.month(period),
        "country": {"code": country.code, "name": country.name, "timezone": country.timezone},
        "generated_at": _local(now, tz), "generated_at_utc": now.astimezone(dt.UTC).isoformat(),
        "summary": {
            "completed": counts.get("completed", 0), "cancelled": counts.get("cancelled", 0),
            "upcoming": upcoming["total"], "trainees": counts.get("trainees", 0),
            "upcoming_days": UPCOMING_DAYS,
            "by_kind": [{"label": tr.gettext(label), "completed": counts.get(kind, 0)}
                        for kind, label in KIND_LABELS.items()],
        },
        "satisfaction": {
            "month": {k: month[k] for k in ("responses", "surveys_sent", "response_rate", "csat", "nps")},
            "previous_period": previous["period"],
            "metrics": _metric_pairs(month, previous, tr),
            "dimensions": [{"name": tr.gettext(DIMENSION_LABELS[d]), "month": month["dimensions"][d],
                            "month_n": month["dimensions_n"][d], "year": trend["dimensions"][d],
                            "year_n": trend["dimensions_n"][d]} for d in satisfaction.DIMENSIONS],
            "trend_svg": trend_chart_svg(
                trend["by_month"], metrics=("csat", "nps", "response_rate"),
                title=tr.gettext("%(country)s: satisfaction, 12 months to %(period)s",
                                 country=country.name, period=period),
                note=tr.gettext("months without answers are left blank"), counts="responses",
                **_chart_words(tr, ("csat", "nps", "response_rate"))),
            "by_month": trend["by_month"],
            "comments": _comments(session, country_code, period, tz, tr),
            # the surveys on closed deficiency reports, apart (GET /satisfaction's block)
            "deficiency_handling": _handling(satisfaction.figures(
                session=session, country=country_code, period_from=periods.shift(period, -11),
                period_to=period, handling=True)),
        },
        "fleet": registry.fleet(session=session, country_code=country_code, today=_last_day(as_of),
                                delivered_by=_last_day(as_of)),
        "as_of": _last_day(as_of).isoformat(),
        "services_month": _services(session, country_code, start, end, tz, tr, as_of=as_of,
                                    open_only=False),
        "services_next": upcoming,
        "actions": _actions(session, country_code, start, end, as_of),
        "training": _training_country(session, country_code, _last_day(as_of)),
        "readiness": _readiness(session, country, period, as_of, tr),
        "bulletins": bulletin_figures(session, country_code, as_of),
    }


def _training_country(session: Session, country_code: str, as_of: dt.date) -> dict[str, Any]:
    from service.domain.training import report

    return report.country_section(session=session, country_code=country_code, as_of=as_of)


def _attention(row: dict[str, Any], tr: Words) -> list[str]:
    reasons = []
    if row["overdue"]:
        reasons.append(tr.ngettext("%(num)d overdue corrective action",
                                   "%(num)d overdue corrective actions", row["overdue"]))
    if row["csat"] is not None and row["csat"] < ATTENTION_CSAT:
        reasons.append(tr.gettext("CSAT %(csat)s%% below %(limit)s%%", csat=tr.number(row["csat"]),
                                  limit=tr.number(ATTENTION_CSAT, 0)))
    if row["nps"] is not None and row["nps"] < 0:
        reasons.append(tr.gettext("NPS %(nps)s below 0", nps=tr.number(row["nps"])))
    ready = row["readiness"]
    if ready["under_target"]:
        reasons.append(tr.gettext("availability %(availability)s%% below its %(target)s%% target",
                                  availability=tr.number(ready["availability"]),
                                  target=f"{ready['availability_target']:g}"))
    if row["critical_overdue"]:
        reasons.append(tr.ngettext("%(num)d overdue critical deficiency report",
                                   "%(num)d overdue critical deficiency reports",
                                   row["critical_overdue"]))
    return reasons


def attention_order(row: dict[str, Any]) -> tuple[Any, ...]:
    """Countries needing attention first: most overdue actions, then lowest CSAT, then code."""
    csat = row["csat"] if row["csat"] is not None else 101.0  # no answers: no signal, last
    return (not row["attention"], -row["overdue"], -row.get("critical_overdue", 0), csat, row["code"])


def hq_monthly(*, session: Session, period: str, now: dt.datetime, revision: int, marking: str,
               timezone: str, language: str = "en") -> dict[str, Any]:
    """Every active country side by side for `period`, those needing attention first, in
    `language`."""
    tr = words(language)
    tz = ZoneInfo(timezone)
    start, end = periods.bounds(period)
    as_of = min(end, now)
    countries = session.execute(
        select(Country.code, Country.name).where(col(Country.active).is_(True)).order_by(Country.code)
    ).all()
    codes = [c for c, _ in countries]
    bulletins = bulletin_figures(session, None, as_of)
    listed = {r["country"] for r in bulletins["rows"]}
    bulletins["none_released"] = [c for c in codes if c not in listed]  # said, not left to guess
    counts = _service_counts(session, start, end, None, as_of)
    figures = satisfaction.by_country(session=session, period_from=period, period_to=period,
                                      countries=codes)
    before = periods.shift(period, -1)
    previous = satisfaction.by_country(session=session, period_from=before, period_to=before,
                                       countries=codes)
    handling = satisfaction.by_country(session=session, period_from=period, period_to=period,
                                       countries=codes, handling=True)
    overdue = _overdue(session, as_of, None)
    ready = {r["country"]: r for r in readiness.figures(
        session=session, period_from=period, period_to=period, now=as_of)["countries"]}
    targets: dict[str, float] = dict(session.execute(sa.select(col(CountrySla.country_code),
                                             col(CountrySla.availability_target))).all())
    critical = _critical_overdue(session, as_of, None)
    rows = []
    for code, name in countries:
        c = counts.get(code, {})
        row = {"code": code, "name": name, "completed": c.get("completed", 0),
               "cancelled": c.get("cancelled", 0), "trainees": c.get("trainees", 0),
               "by_kind": [c.get(kind, 0) for kind in KIND_LABELS],
               "responses": figures[code]["responses"], "surveys_sent": figures[code]["surveys_sent"],
               "csat": figures[code]["csat"], "nps": figures[code]["nps"],
               "response_rate": figures[code]["response_rate"], "overdue": overdue.get(code, 0),
               "change": {key: satisfaction.change(figures[code], previous[code], key)
                          for key in ("csat", "nps", "response_rate")},
               "readiness": _readiness_month(ready.get(code), period,
                                             float(targets.get(code, readiness.DEFAULT_TARGET))),
               "critical_overdue": critical.get(code, 0), "deficiency_handling": handling[code]}
        row["reasons"] = _attention(row, tr)
        row["attention"] = bool(row["reasons"])
        rows.append(row)
    rows.sort(key=attention_order)
    trend = satisfaction.figures(session=session, period_from=periods.shift(period, -11),
                                 period_to=period)
    total = trend["by_month"][-1]
    return {
        "kind": "hq_monthly", "marking": marking, "revision": revision, "period": period,
        "language": tr.language,
        "previous_period": before, "as_of": _last_day(as_of).isoformat(),
        "period_label": tr.month(period), "generated_at": _local(now, tz),
        "generated_at_utc": now.astimezone(dt.UTC).isoformat(), "timezone": timezone,
        "kinds": [tr.gettext("Joint training"), tr.gettext("Tech. education"),
                  tr.gettext("Trial runs")], "countries": rows,
        "attention": [r for r in rows if r["attention"]],
        "attention_rule": tr.gettext(
            "a country needs attention when it has an overdue corrective action, a CSAT below "
            "%(limit)s%%, a negative NPS, a fleet availability below its target in the month, or "
            "a critical deficiency report overdue at the month's end; countries are ordered by "
            "overdue actions (most first), then overdue critical reports, then CSAT (lowest first)",
            limit=tr.number(ATTENTION_CSAT, 0)),
        "totals": {"completed": sum(r["completed"] for r in rows),
                   "trainees": sum(r["trainees"] for r in rows),
                   "by_kind": [sum(r["by_kind"][i] for r in rows) for i in range(len(KIND_LABELS))],
                   "overdue": sum(r["overdue"] for r in rows),
                   "critical_overdue": sum(r["critical_overdue"] for r in rows),
                   **{k: sum(r["readiness"][k] for r in rows)
                      for k in ("units_down", "reports_opened", "reports_resolved", "reports_overdue")},
                   "csat": total["csat"], "nps": total["nps"], "response_rate": total["response_rate"],
                   "responses": total["responses"], "surveys_sent": total["surveys_sent"]},
        "trend_svg": trend_chart_svg(
            trend["by_month"], metrics=("csat", "nps", "response_rate"),
            title=tr.gettext("All countries: satisfaction, 12 months to %(period)s", period=period),
            note=tr.gettext("months without answers are left blank"), counts="responses",
            **_chart_words(tr, ("csat", "nps", "response_rate"))),
        "training": _training_hq(session, _last_day(as_of), codes),
        "bulletins": bulletins,
    }


def _training_hq(session: Session, as_of: dt.date, codes: list[str]) -> dict[str, Any]:
    from service.domain.training import report

    return report.hq_section(session=session, as_of=as_of, codes=codes)


def bulletin_figures(session: Session, country_code: str | None, as_of: dt.datetime) -> dict[str, Any]:
    """Service bulletins' acknowledgement and compliance per country as they stood at `as_of`
    (the period's end): the rows `GET /bulletins/figures?country=&as_of=` answers, and their total."""
    from service.domain.bulletins import compliance

    rows = compliance.figures(session=session, country=country_code, as_of=as_of)
    keys = ("released", "acknowledged", "units", "done", "not_applicable", "pending", "overdue")
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["complied_share"] = satisfaction.rounded(100 * (total["done"] + total["not_applicable"]),
                                                   total["units"])
    total["acknowledged_share"] = satisfaction.rounded(100 * total["acknowledged"], total["released"])
    return {"rows": rows, "total": total, "as_of": _last_day(as_of).isoformat(),
            "as_of_utc": as_of.astimezone(dt.UTC).isoformat()}
