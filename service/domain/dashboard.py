"""What a country's dashboard shows, and every country side by side: plain data for pages and API.

Read-only queries over the caller's session, so a liaison's scope applies to each of them.
The number of queries is fixed: it grows with neither the history nor the number of countries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    CorrectiveAction,
    Country,
    EventStatus,
    Report,
    ReportStatus,
    RequestStatus,
    ServiceEvent,
    ServiceRequest,
    Survey,
    SurveyStatus,
    Unit,
    WeaponSystem,
)
from models.surveys import OPEN_ACTION_STATES
from service.domain import periods, registry, satisfaction

UPCOMING = (EventStatus.planned.value, EventStatus.confirmed.value)
LIST_LIMIT = 5
REPORT_LIMIT = 6
GLANCE_SORTS = ("name", "next_service", "csat", "nps", "overdue_actions", "fleet")


def last_twelve_months(now: dt.datetime) -> tuple[str, str]:
    """The period range of the dashboards: the current month and the eleven before it."""
    last = periods.of(now.astimezone(dt.UTC))
    return periods.shift(last, -11), last


def _events(session: Session, code: str, *where: Any, order: Any, limit: int) -> list[dict[str, Any]]:
    E = ServiceEvent  # the columns shown, not the long texts (objectives, outcome)
    rows = session.execute(
        select(E.id, E.title, E.kind, WeaponSystem.code.label("system_code"), E.starts_at,  # type: ignore[attr-defined]
               E.ends_at, E.timezone, E.location, E.status, E.participants_actual)
        .join(WeaponSystem, WeaponSystem.id == E.system_id)
        .where(E.country_code == code, *where)
        .order_by(order, E.id).limit(limit)
    ).all()
    return [row._asdict() for row in rows]


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(sa.func.count()).select_from(model).where(*where)) or 0)


def country_overview(*, session: Session, country_code: str, now: dt.datetime) -> dict[str, Any]:
    """A country's fleet, satisfaction, services, requests, actions, reports and waiting surveys."""
    country = session.exec(select(Country).where(Country.code == country_code)).one()
    code = country.code
    today = now.astimezone(dt.UTC).date()
    first, last = last_twelve_months(now)

    requests = session.execute(
        select(ServiceRequest, WeaponSystem.code)
        .join(WeaponSystem, WeaponSystem.id == ServiceRequest.system_id)
        .where(ServiceRequest.country_code == code, ServiceRequest.status == RequestStatus.pending.value)
        .order_by(ServiceRequest.created_at, ServiceRequest.id).limit(LIST_LIMIT)
    ).all()
    open_action = (CorrectiveAction.country_code == code,
                   col(CorrectiveAction.status).in_(OPEN_ACTION_STATES))
    actions = session.exec(
        select(CorrectiveAction).where(*open_action)
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id).limit(LIST_LIMIT)
    ).all()
    waiting = (Survey.country_code == code, Survey.status == SurveyStatus.sent.value)
    surveys = session.execute(
        select(Survey, ServiceEvent.title)
        .join(ServiceEvent, ServiceEvent.id == Survey.event_id)
        .where(*waiting).order_by(Survey.expires_at, Survey.id).limit(LIST_LIMIT)
    ).all()
    reports = session.exec(
        select(Report)
        .where(Report.country_code == code, Report.status == ReportStatus.ready.value)
        .order_by(Report.period.desc(), Report.id.desc()).limit(REPORT_LIMIT)  # type: ignore[attr-defined]
    ).all()

    from service.domain.deficiencies.summary import country_summary

    return {
        "deficiencies": country_summary(session=session, country_code=code, now=now),
        "country": {"code": code, "name": country.name, "timezone": country.timezone,
                    "active": country.active},
        "generated_at": now,
        "fleet": registry.fleet(session=session, country_code=code, today=today),
        "satisfaction": satisfaction.figures(session=session, country=code,
                                             period_from=first, period_to=last),
        "next_services": _events(
            session, code, ServiceEvent.starts_at >= now, ServiceEvent.status.in_(UPCOMING),  # type: ignore[attr-defined]
            order=ServiceEvent.starts_at, limit=LIST_LIMIT),
        "completed_services": _events(
            session, code, ServiceEvent.status == EventStatus.completed.value,
            order=ServiceEvent.ends_at.desc(), limit=LIST_LIMIT),  # type: ignore[attr-defined]
        "open_requests": {
            "total": _count(session, ServiceRequest, ServiceRequest.country_code == code,
                            ServiceRequest.status == RequestStatus.pending.value),
            "items": [
                {"id": r.id, "kind": r.kind, "system_code": system_code, "wished_from": r.wished_from,
                 "wished_to": r.wished_to, "status": r.status, "created_at": r.created_at}
                for r, system_code in requests
            ],
        },
        "open_actions": {
            "total": _count(session, CorrectiveAction, *open_action),
            "overdue": _count(session, CorrectiveAction, *open_action, CorrectiveAction.due_on < today),
            # Never internal_notes: liaisons read this.
            "items": [
                {"id": a.id, "title": a.title, "status": a.status, "due_on": a.due_on,
                 "overdue": a.due_on < today}
                for a in actions
            ],
        },
        "surveys_waiting": {
            "total": _count(session, Survey, *waiting),
            "items": [
                {"id": s.id, "event_id": s.event_id, "event_title": title, "kind": s.kind,
                 "sent_at": s.sent_at, "expires_at": s.expires_at}
                for s, title in surveys
            ],
        },
        "reports": [
            {"id": r.id, "kind": r.kind, "period": r.period, "revision": r.revision,
             "generated_at": r.generated_at, "pages": r.pages, "size": r.size}
            for r in reports
        ],
    }


def unchanged_until(overview: dict[str, Any]) -> dt.datetime:
    """When the clock alone changes `overview`: the next service starts (it leaves "next"), a
    deficiency report falls overdue, or the UTC day ends (overdue actions, warranties, the
    twelve months of satisfaction)."""
    now = overview["generated_at"].astimezone(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    starts = [e["starts_at"] for e in overview["next_services"]]
    due = overview["deficiencies"]["next_due_at"]  # a report falls overdue
    return min([midnight, *starts, *([due] if due else [])])


def countries_at_a_glance(*, session: Session, now: dt.datetime,
                          sort: str = "name") -> list[dict[str, Any]]:
    """One row per visible country: next service, CSAT, NPS, overdue actions, fleet size.

    `sort` is one of GLANCE_SORTS, optionally prefixed with "-" for descending; countries
    without a figure sort last either way.
    """
    today = now.astimezone(dt.UTC).date()
    first, last = last_twelve_months(now)
    countries = session.exec(select(Country).order_by(Country.name)).all()
    codes = [c.code for c in countries]
    next_service: dict[str, Any] = dict(session.execute(  # type: ignore[arg-type]
        select(ServiceEvent.country_code, sa.func.min(ServiceEvent.starts_at))
        .where(ServiceEvent.starts_at >= now, ServiceEvent.status.in_(UPCOMING))  # type: ignore[attr-defined]
        .group_by(ServiceEvent.country_code)
    ).all())
    overdue: dict[str, int] = dict(session.execute(  # type: ignore[arg-type]
        select(CorrectiveAction.country_code, sa.func.count())
        .where(col(CorrectiveAction.status).in_(OPEN_ACTION_STATES), CorrectiveAction.due_on < today)
        .group_by(CorrectiveAction.country_code)
    ).all())
    fleet: dict[str, int] = dict(session.execute(  # type: ignore[arg-type]
        select(Unit.country_code, sa.func.count()).group_by(Unit.country_code)
    ).all())
    figures = satisfaction.by_country(session=session, period_from=first, period_to=last,
                                      countries=codes)
    rows = [
        {"code": c.code, "name": c.name, "timezone": c.timezone, "active": c.active,
         "next_service": next_service.get(c.code),
         "csat": figures[c.code]["csat"], "nps": figures[c.code]["nps"],
         "responses": figures[c.code]["responses"],
         "overdue_actions": int(overdue.get(c.code, 0)), "fleet": int(fleet.get(c.code, 0))}
        for c in countries
    ]
    return sort_rows(rows, sort)


def sort_rows(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Rows ordered by a GLANCE_SORTS key ("-key" descending), missing values last, then by name."""
    key = sort.removeprefix("-")
    if key not in GLANCE_SORTS:
        key, sort = "name", "name"
    descending = sort.startswith("-")
    present = [r for r in rows if r[key] is not None]
    missing = [r for r in rows if r[key] is None]
    present.sort(key=lambda r: r["name"])
    present.sort(key=lambda r: r[key].lower() if isinstance(r[key], str) else r[key],
                 reverse=descending)
    return present + sorted(missing, key=lambda r: r["name"])
