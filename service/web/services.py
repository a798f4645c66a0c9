"""Follow-up services: the list with filters, the month calendar, a service's page, its lifecycle."""

from __future__ import annotations

import calendar as cal
import datetime as dt
from typing import Any, cast

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import Session, col, select

from models import (
    Country,
    EventStatus,
    ServiceEvent,
    ServiceKind,
    ServiceRequest,
    StaffMember,
    Survey,
    WeaponSystem,
)
from service.core.auth import STAFF, access, current_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import periods, registry, services
from service.domain.errors import DomainError
from service.schemas.services import EventQuerySchema, TransitionSchema
from service.web import bp
from service.web.filters import country_options, label
from service.web.forms import (
    Errors,
    flat_errors,
    given,
    list_order,
    page_number,
    paging,
    refused,
    stale_version,
    text_fields,
    whole,
    zone,
)

event_query = EventQuerySchema()
transition_schema = TransitionSchema()
PAGE_SIZE = 25
QUERY_FIELDS = ("country", "kind", "status", "system", "from", "to", "series", "request", "sort")
SORT_LABELS = {"upcoming": _l("upcoming first (the next to start), then past ones (the latest first)"),
               "start": _l("start"), "end": _l("end"), "title": _l("title"), "kind": _l("kind"),
               "status": _l("status"), "country": _l("country")}
CALENDAR_LIMIT = 1000
BUTTONS = {  # the label of the button that moves a service to each status
    "confirmed": _l("Confirm"), "in_progress": _l("Start"), "completed": _l("Complete"),
    "postponed": _l("Postpone"), "planned": _l("Back to planned"), "cancelled": _l("Cancel the service"),
}


def choices(session: Session) -> dict[str, list[tuple[Any, str]]]:
    """Options of the filter and form selects (countries: staff only; a liaison sees only theirs)."""
    principal = current_principal()
    staff_view = principal is not None and not principal.is_liaison
    return {
        "kinds": [(k.value, label(k.value)) for k in ServiceKind],
        "statuses": [(s.value, label(s.value)) for s in EventStatus],
        "systems": [(str(s.id), f"{s.code} — {s.name}")
                    for s in session.exec(select(WeaponSystem).order_by(WeaponSystem.code))],
        "countries": country_options(session.exec(select(Country))) if staff_view else [],
        "staff": [(str(m.id), m.name) for m in session.exec(
            select(StaffMember).where(col(StaffMember.active).is_(True)).order_by(col(StaffMember.name)))]
        if staff_view else [],
    }


def load_query(schema: Any, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str], Errors]:
    """The filters the schema accepts (a bad one is dropped and explained), and the raw values."""
    raw = {n: request.args.get(n, "").strip()[:100] for n in names}
    wanted = given(raw)
    try:
        return schema.load(wanted), raw, {}
    except ValidationError as err:
        errors = flat_errors(err.messages_dict)
        kept = {k: v for k, v in wanted.items() if k not in errors}
        try:
            return schema.load(kept), raw, errors
        except ValidationError:
            return {}, raw, errors


def offered_systems(session: Session) -> list[tuple[Any, Any]]:
    """The systems a request or a new service may name: the country's contracted ones.

    A liaison gets their country's systems; staff get them grouped by country (an optgroup
    each), since the same form picks the country.
    """
    by_country = registry.systems_by_country(session=session)
    options = {code: [(str(i), f"{c} — {n}") for i, c, n in systems] for code, systems in by_country.items()}
    principal = current_principal()
    if principal is not None and principal.is_liaison:
        return options.get(principal.country_code or "", [])
    names = dict(session.exec(select(Country.code, Country.name).order_by(Country.name)).all())
    return [(names[code], options[code]) for code in sorted(options, key=lambda c: names.get(c, c))
            if code in names]


def country_and_system(session: Session, code: str, system: str, *, asked: bool,
                       names: tuple[str, str] = ("country", "system_id"),
                       ) -> tuple[Country | None, WeaponSystem | None, dict[str, list[str]]]:
    """The first step of a form that names a country and one of its contracted systems (a new
    service, a deficiency report): the two, or None, with the errors to show under the fields
    `names` once the form was sent (`asked`)."""
    code = code.strip().upper()[:2]
    country = session.get(Country, code) if code.isalpha() and len(code) == 2 else None
    weapon = session.get(WeaponSystem, system_id) if (system_id := whole(system)) else None
    errors: dict[str, list[str]] = {}
    if asked:
        if country is None:
            errors[names[0]] = [_("Choose a buyer country.")]
        if weapon is None:
            errors[names[1]] = [_("Choose a system.")]
    if country is not None and weapon is not None and not registry.operates(
            session=session, country_code=country.code, system_id=weapon.id or 0):
        errors[names[1]] = [_("%(country)s has no contract for %(system)s: choose one of its systems.",
                              country=country.name, system=weapon.code)]
        weapon = None
    return country, weapon, errors


def time_zones(session: Session) -> dict[str, str]:
    """Each country's time zone by its code (a liaison's session: their own), for the pages
    that show the times of several countries' records, each in its country's zone."""
    return dict(session.exec(select(Country.code, Country.timezone)).all())


def system_codes(session: Session) -> dict[int, str]:
    rows = session.exec(select(col(WeaponSystem.id), col(WeaponSystem.code))).all()
    return cast(dict[int, str], dict(rows))  # stored rows: ids set


@bp.get("/services")
def services_list() -> Any:
    """Services, the next upcoming first (or by a column), filtered by kind, status, system, dates
    (staff: and country)."""
    session = get_session()
    query, raw, errors = load_query(event_query, QUERY_FIELDS)
    order = list_order(query, ("upcoming",), SORT_LABELS)
    page = PaginationParameters(page_number(), PAGE_SIZE)
    events = services.with_assignments(
        session=session,
        events=paginate(session, services.events_query(query, columns=True), page, rows=True))
    return render_template("services.html", events=events, filters=raw, errors=errors,
                           choices=choices(session), systems=system_codes(session), **order,
                           **paging(page, PAGE_SIZE))


def month_grid(month: str) -> list[list[dt.date]]:
    """The weeks (Monday first) that show `month`, padded with the neighbouring days."""
    year, number = periods.parse(month)
    return cal.Calendar(firstweekday=0).monthdatescalendar(year, number)


@bp.get("/services/calendar")
def services_calendar() -> Any:
    """A month of services, each on the days it runs in its own (the country's) time zone."""
    session = get_session()
    month = request.args.get("month", "")
    if not periods.PERIOD_RE.match(month):
        month = periods.current()
    query, raw, errors = load_query(event_query, ("country", "kind", "status", "system"))
    weeks = month_grid(month)
    start = dt.datetime.combine(weeks[0][0], dt.time(), dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime.combine(weeks[-1][-1], dt.time(), dt.UTC) + dt.timedelta(days=2)
    stmt = services.events_query(query).where(ServiceEvent.ends_at > start,
                                              ServiceEvent.starts_at < end).limit(CALENDAR_LIMIT)
    days: dict[dt.date, list[ServiceEvent]] = {}
    found = list(session.exec(stmt))
    for event in found:
        tz = zone(event.timezone)
        first = event.starts_at.astimezone(tz).date()
        last = (event.ends_at - dt.timedelta(seconds=1)).astimezone(tz).date()
        day = max(first, weeks[0][0])
        while day <= min(last, weeks[-1][-1]):
            days.setdefault(day, []).append(event)
            day += dt.timedelta(days=1)
    year, number = periods.parse(month)
    busy = sorted(d for d in days if (d.year, d.month) == (year, number))  # the phone's list
    return render_template("calendar.html", month=month, weeks=weeks, days=days, busy=busy,
                           month_number=number, filters=raw,
                           errors=errors, choices=choices(session), systems=system_codes(session),
                           previous=periods.shift(month, -1), next=periods.shift(month, 1),
                           today=dt.datetime.now(dt.UTC).date(), truncated=len(found) >= CALENDAR_LIMIT)


def render_service(event_id: int, errors: Errors | None = None, form: dict[str, str] | None = None,
                   status: int = 200, opened: str | None = None) -> Any:
    """A service's page (with the lifecycle forms for staff)."""
    session = get_session()
    event = get_or_404(session, ServiceEvent, event_id)
    out = services.with_assignments(session=session, events=[event])[0]
    system = session.get(WeaponSystem, event.system_id)
    country = session.get(Country, event.country_code)
    survey = session.exec(select(Survey).where(Survey.event_id == event.id)).first()
    request_row = session.get(ServiceRequest, event.request_id) if event.request_id else None
    allowed = [str(s) for s in services.ALLOWED[EventStatus(event.status)]]
    now = dt.datetime.now(dt.UTC)  # which moves would go early, so their forms ask for a reason
    early = {status: now < getattr(event, field) for status, (field, _verb) in services.GUARDED.items()}
    return render_template("service.html", e=out, system=system, country=country, survey=survey,
                           service_request=request_row, allowed=allowed, buttons=BUTTONS,
                           early=early, errors=errors or {}, form=form or {}, opened=opened,
                           **training_context(session, event)), status


def training_context(session: Session, event: ServiceEvent) -> dict[str, Any]:
    """A training service's nominees and the trainees who could still take a seat (SPEC §11)."""
    from service.domain.training import nominations

    if event.kind not in nominations.TRAINING_KINDS:
        return {"nominees": None, "candidates": []}
    is_open = event.status in nominations.OPEN_STATES and event.starts_at > dt.datetime.now(dt.UTC)
    return {"nominees": nominations.nominees(session=session, event=event),
            "candidates": nominations.candidates(session=session, event=event) if is_open else [],
            "nominations_open": is_open,
            "results_choices": [(value, str(text)) for value, text in RESULTS]}  # worded now


RESULTS = [("passed", _l("Passed")), ("failed", _l("Failed")), ("attended", _l("Attended")),
           ("absent", _l("Absent"))]


def posted_results() -> list[dict[str, Any]]:
    """The complete form's per-nominee result and score fields as the API's `results`."""
    out: list[dict[str, Any]] = []
    for key, value in request.form.items():
        if key.startswith("result-") and (nid := key.removeprefix("result-")).isdigit():
            item: dict[str, Any] = {"nomination_id": int(nid), "result": value}
            score = request.form.get(f"score-{nid}", "").strip()
            if score:
                item["score"] = score
            out.append(item)
    return out


@bp.get("/services/<int:event_id>")
def service_page(event_id: int) -> Any:
    """One service: when and where, who and what, its state, its request and survey."""
    return render_service(event_id)


@bp.post("/services/<int:event_id>/transition")
@access(*STAFF)
def service_transition(event_id: int) -> Any:
    """Move the service along its lifecycle (cancel needs a reason; complete the participants, outcome)."""
    session = get_session()
    event = get_or_404(session, ServiceEvent, event_id)
    stale = stale_version(event, _("This service"), "web.service_page", event_id=event_id)
    if stale:
        return stale
    form = text_fields("status", "reason", "participants_actual", "outcome", "early")
    try:
        results = posted_results()
        data = transition_schema.load({**given(form), **({"results": results} if results else {})})
        services.transition(session=session, event=event, **data)
    except (ValidationError, DomainError) as err:
        no = refused(err)
        form.update({k: v.strip() for k, v in request.form.items() if k.startswith(("result-", "score-"))})
        return render_service(event_id, no.errors, form, no.status, form["status"])
    flash(_("The service is now %(status)s.", status=label(event.status).lower()), "success")
    return redirect(url_for("web.service_page", event_id=event_id))
