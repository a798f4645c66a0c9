"""Jinja filters and globals of the pages: times in a country's zone, labels, figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from service.auth import current_principal
from service.domain import satisfaction
from service.web import bp

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
LABELS = {
    "joint_training": "Joint training",
    "tech_education": "Technological education",
    "trial_run": "Trial run",
    "country_monthly": "Country monthly",
    "hq_monthly": "HQ monthly",
}
NAV = {  # (endpoint, label) per role, in order
    "liaison": [("web.home", "My country")],
    "staff": [("web.countries", "Countries")],
    "admin": [("web.countries", "Countries"), ("web.users", "Users"), ("web.audit_log", "Audit log")],
}
for _items in NAV.values():  # the pages every role shares, after its own
    _items += [("web.services_list", "Services"), ("web.services_calendar", "Calendar"),
               ("web.requests_list", "Requests"), ("web.deficiencies_list", "Deficiencies"),
               ("web.bulletins_list", "Bulletins"), ("web.surveys_list", "Surveys"),
               ("web.actions_list", "Actions"), ("web.reports_list", "Reports")]


def _zone(tz: str | None) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(tz) if tz else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@bp.app_template_filter("local")
def local(value: dt.datetime | str | None, tz: str | None = None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A UTC datetime shown in the IANA zone `tz` (e.g. the country's), with its abbreviation."""
    if value is None:
        return "—"
    if isinstance(value, str):  # an ISO 8601 time from a rule's answer (e.g. a conflict)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is None:  # stored values are always aware; be safe, never guess a zone
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(_zone(tz)).strftime(fmt)


@bp.app_template_filter("label")
def label(value: str | None) -> str:
    """A stored code (`joint_training`, `under_repair`) as words."""
    if not value:
        return "—"
    return LABELS.get(value, value.replace("_", " ").capitalize())


@bp.app_template_filter("period")
def period_label(value: str | None) -> str:
    """`2026-05` as `May 2026`."""
    try:
        year, month = str(value).split("-")
        return f"{MONTHS[int(month) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return str(value or "—")


@bp.app_template_filter("figure")
def figure(value: float | None, kind: str = "pct") -> str:
    """A CSAT or rate as `92.5 %`, an NPS as `+40.0`; no figure as a dash."""
    if value is None:
        return "—"
    if kind == "nps":
        return f"{value:+.1f}"
    return f"{value:.1f} %"


@bp.app_template_test("few_answers")
def _few_answers(responses: int | None) -> bool:
    """`n is few_answers`: a figure from fewer than FEW_ANSWERS answers, marked on the page."""
    return satisfaction.few_answers(responses)


bp.add_app_template_global(satisfaction.FEW_ANSWERS, "FEW_ANSWERS")


@bp.context_processor
def _layout() -> dict[str, Any]:
    principal = current_principal()
    return {
        "principal": principal,
        "nav": NAV.get(principal.role, []) if principal else [],
        "country_name": _country_name(principal.country_code) if principal else None,
    }


def _country_name(code: str | None) -> str | None:
    if code is None:
        return None
    from models import Country
    from service.db import get_session

    try:
        country = get_session().get(Country, code)
    except SQLAlchemyError:  # an error page for a failing database must still render
        return code
    return country.name if country else code



@bp.app_template_filter("reject_empty")
def reject_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Query arguments without the empty ones (for links that keep the current filters)."""
    return {k: v for k, v in values.items() if v not in ("", None)}
