"""Jinja filters and globals of the pages: times in a country's zone, labels, figures."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from flask_babel import get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

from service.core.auth import Principal, current_principal
from service.core.i18n import catalogue, country_name, strftime_zoned
from service.domain import satisfaction
from service.web import bp

# A stored code as the words a page shows (`| label`), in the page's language. Each wording has the
# context "label": a state is not the column of the same English name ("Closed" the state, 종결;
# "Closed" the date column, 종결 일시). Every value of the enums pages show is here (tests check it).
LABELS = {
    # roles
    "liaison": lazy_pgettext("label", "Liaison"),
    "staff": lazy_pgettext("label", "Staff"),
    "admin": lazy_pgettext("label", "Admin"),
    "country_admin": lazy_pgettext("label", "Country administrator"),
    # kinds of service (and of survey, of package line)
    "joint_training": lazy_pgettext("label", "Joint training"),
    "tech_education": lazy_pgettext("label", "Technological education"),
    "trial_run": lazy_pgettext("label", "Trial run"),
    "deficiency_handling": lazy_pgettext("label", "Deficiency handling"),
    "training": lazy_pgettext("label", "Training"),
    "spares": lazy_pgettext("label", "Spares"),
    "publication": lazy_pgettext("label", "Publication"),
    "support_equipment": lazy_pgettext("label", "Support equipment"),
    "technical_assistance": lazy_pgettext("label", "Technical assistance"),
    # states of services, requests, surveys, actions, nominations, deliveries, reports
    "planned": lazy_pgettext("label", "Planned"),
    "confirmed": lazy_pgettext("label", "Confirmed"),
    "in_progress": lazy_pgettext("label", "In progress"),
    "completed": lazy_pgettext("label", "Completed"),
    "postponed": lazy_pgettext("label", "Postponed"),
    "cancelled": lazy_pgettext("label", "Cancelled"),
    "pending": lazy_pgettext("label", "Pending"),
    "accepted": lazy_pgettext("label", "Accepted"),
    "declined": lazy_pgettext("label", "Declined"),
    "withdrawn": lazy_pgettext("label", "Withdrawn"),
    "sent": lazy_pgettext("label", "Sent"),
    "answered": lazy_pgettext("label", "Answered"),
    "expired": lazy_pgettext("label", "Expired"),
    "open": lazy_pgettext("label", "Open"),
    "closed": lazy_pgettext("label", "Closed"),
    "nominated": lazy_pgettext("label", "Nominated"),
    "delivered": lazy_pgettext("label", "Delivered"),
    "overdue": lazy_pgettext("label", "Overdue"),
    "disputed": lazy_pgettext("label", "Disputed"),
    "ready": lazy_pgettext("label", "Ready"),
    "failed": lazy_pgettext("label", "Failed"),
    # training results, certificates
    "passed": lazy_pgettext("label", "Passed"),
    "attended": lazy_pgettext("label", "Attended"),
    "absent": lazy_pgettext("label", "Absent"),
    "valid": lazy_pgettext("label", "Valid"),
    "expiring": lazy_pgettext("label", "Expiring"),
    # systems and units
    "land": lazy_pgettext("label", "Land"),
    "sea": lazy_pgettext("label", "Sea"),
    "air": lazy_pgettext("label", "Air"),
    "missile": lazy_pgettext("label", "Missile"),
    "C4I": lazy_pgettext("label", "C4I"),
    "operational": lazy_pgettext("label", "Operational"),
    "under_repair": lazy_pgettext("label", "Under repair"),
    "non_operational": lazy_pgettext("label", "Not operational"),
    # reports
    "country_monthly": lazy_pgettext("label", "Country monthly"),
    "hq_monthly": lazy_pgettext("label", "HQ monthly"),
    # deficiency reports: categories, severities, states, dispositions
    "quality": lazy_pgettext("label", "Quality"),
    "safety": lazy_pgettext("label", "Safety"),
    "shipping": lazy_pgettext("label", "Shipping"),
    "documentation": lazy_pgettext("label", "Documentation"),
    "critical": lazy_pgettext("label", "Critical"),
    "major": lazy_pgettext("label", "Major"),
    "minor": lazy_pgettext("label", "Minor"),
    "submitted": lazy_pgettext("label", "Submitted"),
    "acknowledged": lazy_pgettext("label", "Acknowledged"),
    "investigating": lazy_pgettext("label", "Investigating"),
    "awaiting_buyer": lazy_pgettext("label", "Awaiting buyer"),
    "resolved": lazy_pgettext("label", "Resolved"),
    "repaired": lazy_pgettext("label", "Repaired"),
    "replaced": lazy_pgettext("label", "Replaced"),
    "credited": lazy_pgettext("label", "Credited"),
    "no_fault_found": lazy_pgettext("label", "No fault found"),
    "rejected": lazy_pgettext("label", "Rejected"),
    # service bulletins: kinds, compliance
    "mandatory": lazy_pgettext("label", "Mandatory"),
    "recommended": lazy_pgettext("label", "Recommended"),
    "information": lazy_pgettext("label", "Information"),
    "done": lazy_pgettext("label", "Done"),
    "not_applicable": lazy_pgettext("label", "Not applicable"),
    # the ratings of a survey answer
    "overall": lazy_pgettext("label", "Overall"),
    "instructors": lazy_pgettext("label", "Instructors"),
    "timeliness": lazy_pgettext("label", "Timeliness"),
    "equipment": lazy_pgettext("label", "Equipment"),
    # kinds of notification
    "action_comment": lazy_pgettext("label", "Comment on an action"),
    "action_overdue": lazy_pgettext("label", "Action overdue"),
    "bulletin_released": lazy_pgettext("label", "Bulletin released"),
    "bulletin_revised": lazy_pgettext("label", "Bulletin revised"),
    "certificate_expiring": lazy_pgettext("label", "Certificate expiring"),
    "deficiency_filed": lazy_pgettext("label", "Deficiency filed"),
    "deficiency_message": lazy_pgettext("label", "Deficiency message"),
    "deficiency_overdue": lazy_pgettext("label", "Deficiency overdue"),
    "deficiency_status": lazy_pgettext("label", "Deficiency state changed"),
    "delivery_answered": lazy_pgettext("label", "Dispute answered"),
    "delivery_disputed": lazy_pgettext("label", "Delivery disputed"),
    "event_completed": lazy_pgettext("label", "Service completed"),
    "package_delivery": lazy_pgettext("label", "Package delivery"),
    "password_reset": lazy_pgettext("label", "Password reset"),
    "survey_invitation": lazy_pgettext("label", "Survey invitation"),
    "survey_reminder": lazy_pgettext("label", "Survey reminder"),
    # what an audit entry records
    "create": lazy_pgettext("label", "Created"),
    "update": lazy_pgettext("label", "Changed"),
    "delete": lazy_pgettext("label", "Deleted"),
    "transition": lazy_pgettext("label", "Moved"),
    "denied": lazy_pgettext("label", "Refused"),
    "seed": lazy_pgettext("label", "Demo data loaded"),
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
        return f"{text} {strftime_zoned(moment, '%H:%M %Z')}" if "%H" in fmt else text
    return strftime_zoned(moment, fmt)


@bp.app_template_filter("language_name")
def language_name(code: str) -> str:
    """A language's name in that language: `en` English, `ko` 한국어, `pl` polski."""
    try:
        return str(Locale.parse(code).get_display_name(code) or code)
    except (ValueError, UnknownLocaleError):
        return code


@bp.app_template_filter("country_label")
def country_label(country: Any) -> str:
    """A country's name in the page's language (`{{ country | country_label }}`, a `Country` or
    a row or a mapping with its `code` and `name`): on an English page the registered name as it is, on
    another page Babel's name of the territory (`PL` 폴란드 on a Korean page), the registered
    name when Babel has none. The API keeps answering with the registered name."""
    get = country.get if isinstance(country, Mapping) else lambda key: getattr(country, key, None)
    locale = get_locale()
    return country_name(str(get("code") or ""), str(get("name") or ""),
                        locale.language if locale is not None else "en")


def country_options(countries: Iterable[Any]) -> list[tuple[str, str]]:
    """A select's options for `countries`: (code, "name (CODE)"), the names in the page's
    language and in their order."""
    return sorted(((c.code, f"{country_label(c)} ({c.code})") for c in countries), key=lambda o: o[1])


@bp.app_template_filter("in_words")
def in_words(text: str | None) -> str | None:
    """A title or reason that the service wrote (`service.domain.actions.in_words`), in the
    page's language."""
    from service.domain.actions import in_words as worded

    if not text:
        return text
    locale = get_locale()
    return worded(text, catalogue(locale.language if locale is not None else "en"))


@bp.app_template_filter("label")
def label(value: str | None) -> str:
    """A stored code (`joint_training`, `under_repair`) as words in the page's language; a code
    with no wording yet reads as English words ("some_state": "Some state")."""
    if not value:
        return "—"
    return str(LABELS.get(value, value.replace("_", " ").capitalize()))


def labelled(values: Iterable[str]) -> list[tuple[str, str]]:
    """Options of a select: each code with its words (call it per request: the words follow the
    page's language)."""
    return [(str(v), label(v)) for v in values]


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
        "country_name": _country_name(principal) if principal else None,
        "current_language": str(get_locale() or "en"),
        "languages": LANGUAGE_NAMES,
    }


def _country_name(principal: Principal) -> str | None:
    """The caller's country in the page's language: its name came with the caller's look-up
    (no statement of its own, so an error page for a failing database renders too)."""
    code = principal.country_code
    if code is None:
        return None
    return country_label({"code": code, "name": principal.country_name or code})


@bp.app_template_filter("brief")
def brief(value: Any, limit: int = 120) -> str:
    """A stored value as JSON text (`null`, `"PL"`, `[1, 2]`), cut at `limit` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@bp.app_template_filter("reject_empty")
def reject_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Query arguments without the empty ones (for links that keep the current filters)."""
    return {k: v for k, v in values.items() if v not in ("", None)}
