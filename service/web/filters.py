"""Jinja filters and globals of the pages: times in a country's zone, labels, figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from service.core.auth import current_principal
from service.domain import satisfaction
from service.web import bp

LABELS = {
    "joint_training": _l("Joint training"),
    "tech_education": _l("Technological education"),
    "trial_run": _l("Trial run"),
    "country_monthly": _l("Country monthly"),
    "hq_monthly": _l("HQ monthly"),
    "liaison": _l("Liaison"),
    "staff": _l("Staff"),
    "admin": _l("Admin"),
    "country_admin": _l("Country administrator"),
}
NAV = {  # (endpoint, label) per role, in order
    "liaison": [("web.home", _l("My country"))],
    "staff": [("web.countries", _l("Countries")), ("web.planning_board", _l("Planning"))],
    "admin": [("web.countries", _l("Countries")), ("web.planning_board", _l("Planning")),
              ("web.users", _l("Users")), ("web.audit_log", _l("Audit log"))],
    "country_admin": [("web.home", _l("My country")), ("web.users", _l("Liaisons")),
                      ("web.audit_log", _l("Audit log"))],
}
for _items in NAV.values():  # the pages every role shares, after its own
    _items += [("web.services_list", _l("Services")), ("web.services_calendar", _l("Calendar")),
               ("web.requests_list", _l("Requests")), ("web.deficiencies_list", _l("Deficiencies")),
               ("web.bulletins_list", _l("Bulletins")), ("web.surveys_list", _l("Surveys")),
               ("web.trainees_list", _l("Trainees")), ("web.certificates_list", _l("Certificates")),
               ("web.actions_list", _l("Actions")), ("web.reports_list", _l("Reports"))]
LANGUAGE_NAMES = (("en", "English"), ("ko", "한국어"))  # each in its own language


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
    moment = value.astimezone(_zone(tz))
    locale = get_locale()
    if ("%B" in fmt or "%A" in fmt) and locale is not None and locale.language != "en":
        # Month and day names in the page's language (Babel): "2026년 12월 1일 화요일"
        text = format_date(moment.date(), "full" if "%A" in fmt else "long", locale=locale)
        return f"{text} {moment.strftime('%H:%M %Z')}" if "%H" in fmt else text
    return moment.strftime(fmt)


@bp.app_template_filter("language_name")
def language_name(code: str) -> str:
    """A language's name in that language: `en` English, `ko` 한국어, `pl` polski."""
    try:
        return str(Locale.parse(code).get_display_name(code) or code)
    except (ValueError, UnknownLocaleError):
        return code


@bp.app_template_filter("label")
def label(value: str | None) -> str:
    """A stored code (`joint_training`, `under_repair`) as words."""
    if not value:
        return "—"
    return str(LABELS.get(value, value.replace("_", " ").capitalize()))


@bp.app_template_filter("period")
def period_label(value: str | None) -> str:
    """`2026-05` as `May 2026`."""
    try:
        year, month = str(value).split("-")
        return format_skeleton("yMMMM", dt.date(int(year), int(month), 1), locale=get_locale())
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


bp.add_app_template_global(satisfaction.FEW_ANSWERS, "FEW_ANSWERS")  # type: ignore[arg-type]  # a constant, not a function: Jinja globals take any value


@bp.context_processor
def _layout() -> dict[str, Any]:
    principal = current_principal()
    return {
        "principal": principal,
        "nav": NAV.get(principal.role, []) if principal else [],
        "country_name": _country_name(principal.country_code) if principal else None,
        "current_language": str(get_locale() or "en"),
        "languages": LANGUAGE_NAMES,
    }


def _country_name(code: str | None) -> str | None:
    if code is None:
        return None
    from models import Country
    from service.core.db import get_session

    try:
        country = get_session().get(Country, code)
    except SQLAlchemyError:  # an error page for a failing database must still render
        return code
    return country.name if country else code



@bp.app_template_filter("reject_empty")
def reject_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Query arguments without the empty ones (for links that keep the current filters)."""
    return {k: v for k, v in values.items() if v not in ("", None)}
