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


_CODE: sa.BindParameter[str] = sa.bindparam("code")
_NOW: sa.BindParameter[dt.datetime] = sa.bindparam("now")
_TODAY: sa.BindParameter[dt.date] = sa.bindparam("today")
E, R, A, S = ServiceEvent, ServiceRequest, CorrectiveAction, Survey


def _services(name: str, *where: Any, order: Any) -> sa.Select[*tuple[Any, ...]]:
    return (  # the columns shown, not the long texts (objectives, outcome)
        sa.select(sa.literal_column(f"'{name}'", sa.String).label("section"), col(E.id), col(E.title),
                  col(E.kind), col(WeaponSystem.code).label("system_code"), col(E.starts_at), col(E.ends_at),
                  col(E.timezone), col(E.location), col(E.status), col(E.participants_actual))
        .join(WeaponSystem, col(WeaponSystem.id) == E.system_id)
        .where(col(E.country_code) == _CODE, *where)
        .order_by(order, col(E.id)).limit(LIST_LIMIT)
    )


# The statements are built once; each request binds its country and clock. Every one runs
# through the caller's session, so a liaison's scope (service.core.db) applies to each of them.
SERVICES: sa.CompoundSelect[Any] = sa.union_all(  # the next and last completed, in one round trip
    sa.select(_services("next", col(E.starts_at) >= _NOW, col(E.status).in_(UPCOMING),
                        order=col(E.starts_at)).subquery()),
    sa.select(_services("completed", col(E.status) == EventStatus.completed.value,
                        order=col(E.ends_at).desc()).subquery()),
)
# Each list carries its total (and the actions their overdue count) as a window over the
# rows before the limit: an empty list is a total of 0.
REQUESTS: sa.Select[*tuple[Any, ...]] = (
    sa.select(col(R.id), col(R.kind), col(WeaponSystem.code).label("system_code"),
              col(R.wished_from), col(R.wished_to), col(R.status), col(R.created_at),
              sa.func.count().over().label("total"))
    .join(WeaponSystem, col(WeaponSystem.id) == R.system_id)
    .where(col(R.country_code) == _CODE, col(R.status) == RequestStatus.pending.value)
    .order_by(col(R.created_at), col(R.id)).limit(LIST_LIMIT)
)
ACTIONS = (  # never internal_notes: liaisons read this
    sa.select(col(A.id), col(A.title), col(A.status), col(A.due_on),
              (col(A.due_on) < _TODAY).label("overdue"),
              sa.func.count().over().label("total"),
              sa.func.sum(sa.case((col(A.due_on) < _TODAY, 1), else_=0)).over().label("overdue_total"))
    .where(col(A.country_code) == _CODE, col(A.status).in_(OPEN_ACTION_STATES))
    .order_by(col(A.due_on), col(A.id)).limit(LIST_LIMIT)
)
SURVEYS: sa.Select[*tuple[Any, ...]] = (
    sa.select(col(S.id), col(S.event_id), col(E.title).label("event_title"), col(S.kind),
              col(S.sent_at), col(S.expires_at), sa.func.count().over().label("total"))
    .join(E, col(E.id) == S.event_id)
    .where(col(S.country_code) == _CODE, col(S.status) == SurveyStatus.sent.value)
    .order_by(col(S.expires_at), col(S.id)).limit(LIST_LIMIT)
)
REPORTS = (
    sa.select(col(Report.id), col(Report.kind), col(Report.period), col(Report.revision),
              col(Report.generated_at), col(Report.pages), col(Report.size))
    .where(col(Report.country_code) == _CODE, col(Report.status) == ReportStatus.ready.value)
    .order_by(col(Report.period).desc(), col(Report.id).desc()).limit(REPORT_LIMIT)
)


def _with_total(rows: Any, *totals: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    items = [row._asdict() for row in rows]
    counted = {name: int(items[0][name]) if items else 0 for name in totals}
    for item in items:
        for name in totals:
            del item[name]
    return items, counted


def country_overview(*, session: Session, country: Country, now: dt.datetime) -> dict[str, Any]:
    """A country's fleet, satisfaction, services, requests, actions, reports and waiting surveys.

    Eleven statements whatever the data (`country` was read by the caller, who answers 404):
    seven for the sections of issue 13's count, one for the deficiency reports and one for the
    surveys on their handling (SPEC §9), two for qualified people and support packages (SPEC §11).
    """
    code = country.code
    today = now.astimezone(dt.UTC).date()
    first, last = last_twelve_months(now)
    params = {"code": code, "now": now, "today": today}

    services: dict[str, list[dict[str, Any]]] = {"next": [], "completed": []}
    for row in session.execute(SERVICES, params):
        item = row._asdict()
        services[item.pop("section")].append(item)
    services["next"].sort(key=lambda e: (e["starts_at"], e["id"]))
    services["completed"].sort(key=lambda e: (-e["ends_at"].timestamp(), e["id"]))
    requests, requests_total = _with_total(session.execute(REQUESTS, params), "total")
    actions, actions_total = _with_total(session.execute(ACTIONS, params), "total", "overdue_total")
    surveys, surveys_total = _with_total(session.execute(SURVEYS, params), "total")
    for action in actions:
        action["overdue"] = bool(action["overdue"])

    from service.domain.deficiencies.summary import country_summary

    return {
        **_training_sections(session=session, code=code, today=today),
        "deficiencies": country_summary(session=session, country_code=code, now=now),
        "country": {"code": code, "name": country.name, "timezone": country.timezone,
                    "active": country.active},
        "generated_at": now,
        "fleet": registry.fleet(session=session, country_code=code, today=today),
        "satisfaction": satisfaction.with_handling(session=session, country=code,
                                                   period_from=first, period_to=last),
        "next_services": services["next"],
        "completed_services": services["completed"],
        "open_requests": {"total": requests_total["total"], "items": requests},
        "open_actions": {"total": actions_total["total"], "overdue": actions_total["overdue_total"],
                         "items": actions},
        "surveys_waiting": {"total": surveys_total["total"], "items": surveys},
        "reports": [row._asdict() for row in session.execute(REPORTS, params)],
    }


def _training_sections(*, session: Session, code: str, today: dt.date) -> dict[str, Any]:
    """Qualified people per system and the support packages' progress (SPEC §11): one statement
    each."""
    from service.domain.packages.lines import summary
    from service.domain.training.qualified import qualified

    return {"qualified": qualified(session=session, today=today, country=code),
            "packages": summary(session=session, today=today, country=code)}


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
    next_service: dict[str, Any] = dict(session.execute(
        select(ServiceEvent.country_code, sa.func.min(ServiceEvent.starts_at))
        .where(ServiceEvent.starts_at >= now, col(ServiceEvent.status).in_(UPCOMING))
        .group_by(ServiceEvent.country_code)
    ).all())
    overdue: dict[str, int] = dict(session.execute(
        select(CorrectiveAction.country_code, sa.func.count())
        .where(col(CorrectiveAction.status).in_(OPEN_ACTION_STATES), CorrectiveAction.due_on < today)
        .group_by(CorrectiveAction.country_code)
    ).all())
    fleet: dict[str, int] = dict(session.execute(
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
