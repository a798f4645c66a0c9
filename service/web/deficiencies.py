"""Deficiency report pages: staff's queue across countries (by due time, overdue first), a
country's reports and the liaison's filing form (serials of their fleet, photos from a phone),
and the report page for both sides: details, due times and time left, units, conversation,
attachments, the moves as buttons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import select

from models import (
    Country,
    DeficiencyCategory,
    DeficiencyReport,
    DeficiencyStatus,
    Disposition,
    Severity,
    Unit,
    UnitStatus,
    utcnow,
)
from models.deficiencies import OPEN_DEFICIENCY_STATES
from service.core.auth import EVERYONE, access, current_principal, require_principal
from service.core.db import get_session
from service.core.limits import body_limit
from service.core.reads import get_or_404, paginate
from service.domain.deficiencies import attachments, conversation, filing, lifecycle, queries
from service.domain.errors import DomainError
from service.schemas.deficiencies import (
    DeficiencyCreateSchema,
    DeficiencyQuerySchema,
    DeficiencyTransitionSchema,
    MessageSchema,
)
from service.web import bp
from service.web.filters import label, labelled
from service.web.forms import (
    given,
    list_order,
    local_to_iso,
    message,
    page_number,
    paging,
    refused,
    stale_version,
    text_fields,
)
from service.web.services import (
    choices,
    country_and_system,
    load_query,
    offered_systems,
    system_codes,
    time_zones,
)

create_schema = DeficiencyCreateSchema()
transition_schema = DeficiencyTransitionSchema()
message_schema = MessageSchema()
PAGE_SIZE = 25
list_query = DeficiencyQuerySchema()
SORT_LABELS = {"submitted": _l("date submitted"), "number": _l("number"), "severity": _l("severity"),
               "status": _l("state"), "title": _l("title"), "country": _l("country")}
FILTER_FIELDS = ("country", "system", "status", "severity", "category", "overdue")  # DeficiencyQuerySchema's
FORM_FIELDS = ("country", "system_id", "category", "severity", "title", "description", "occurred_at")
PAGE_UPLOAD_LIMIT = attachments.MAX_FILES * attachments.MAX_BYTES + 1024 * 1024


def time_left(due: dt.datetime | None, now: dt.datetime) -> str:
    """`3 d 4 h left`, `overdue by 5 h` (in the page's language), or a dash when the clock does
    not run."""
    if due is None:
        return "—"
    delta = due - now
    hours = int(abs(delta).total_seconds() // 3600)
    days, hours_left = divmod(hours, 24)
    if delta.total_seconds() >= 0:
        return (_("%(days)s d %(hours)s h left", days=days, hours=hours_left) if days
                else _("%(hours)s h left", hours=hours))
    return (_("overdue by %(days)s d %(hours)s h", days=days, hours=hours_left) if days
            else _("overdue by %(hours)s h", hours=hours))


def _filing(session: Any, form: dict[str, Any]) -> dict[str, Any]:
    """The filing form's first step, then its second: the country (a liaison's own; staff choose)
    and one of its contracted systems, so the form offers every unit of that country's system and
    reads the time in the country's zone. From the form being filed, else from the page's query
    (`file_country`, `file_system`)."""
    principal = require_principal()
    code = (principal.country_code or "" if principal.is_liaison
            else form.get("country") or request.args.get("file_country", ""))
    country, system, errors = country_and_system(
        session, code, form.get("system_id") or request.args.get("file_system", ""),
        asked=bool(form) or "file_system" in request.args, names=("file_country", "file_system"))
    fleet = select(Unit).where(Unit.country_code == (country.code if country else ""),
                               Unit.system_id == (system.id if system else 0))
    def named(u: Unit) -> str:  # a unit down says so: it is likely the one reported
        return u.serial if u.status == UnitStatus.operational else f"{u.serial} ({label(u.status)})"

    units = [(u.id or 0, named(u)) for u in session.exec(fleet.order_by(Unit.serial))] if system else []
    return {"country": country if system else None, "system_id": system.id if system else None,
            "units": units, "offered": offered_systems(session), "errors": errors}


def _render_list(form: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    session = get_session()
    principal = require_principal()
    page = PaginationParameters(page_number(), PAGE_SIZE)
    staff_view = not principal.is_liaison and request.args.get("all") != "1"
    query, raw, filter_errors = load_query(list_query, (*FILTER_FIELDS, "sort"))
    order = list_order(query, queries.DEFAULT_SORT, SORT_LABELS)
    now = utcnow()
    stmt = queries.queue_statement(query, now) if staff_view else queries.list_statement(query, now)
    rows = queries.with_units(session=session, reports=paginate(session, stmt, page), now=now)
    zones = time_zones(session)
    systems = system_codes(session)
    return render_template(
        "deficiencies.html", rows=rows, form=form, errors=errors, staff_view=staff_view, now=now,
        zones=zones, systems=systems, choices=choices(session), filing=_filing(session, form),
        categories=labelled(DeficiencyCategory), severities=labelled(Severity),
        statuses=labelled(OPEN_DEFICIENCY_STATES if staff_view else DeficiencyStatus),
        next_due=queries.next_due, time_left=time_left, filters=raw, filter_errors=filter_errors, **order,
        **paging(page, PAGE_SIZE)), status


@bp.route("/deficiencies", methods=["GET", "POST"])
@access(*EVERYONE)
@body_limit(PAGE_UPLOAD_LIMIT)
def deficiencies_list() -> Any:
    """Staff: open reports of every country, by due time; a liaison: their country's reports
    and the form to file one (with photos)."""
    if request.method == "GET":
        return _render_list({}, {})
    form: dict[str, Any] = text_fields(*FORM_FIELDS)
    form["unit_ids"] = [u for u in request.form.getlist("unit_ids") if u]
    session = get_session()
    country = session.get(Country, require_principal().country_code or form["country"].upper()[:2])
    zone = country.timezone if country else None
    body = given({**form, "occurred_at": local_to_iso(form["occurred_at"], zone)})
    try:
        data = create_schema.load(body)
        report = filing.file_report(session=session, data=data, actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_list(form, no.errors, no.status)
    _attach_uploads(report)
    flash(_("Deficiency report %(number)s filed; staff are told.", number=report.number), "success")
    return redirect(url_for("web.deficiency_page", deficiency_id=report.id))


def _attach_uploads(report: DeficiencyReport) -> None:
    """The files sent with the form; one refused is named, the others are kept."""
    for upload in request.files.getlist("files"):
        if not upload or not upload.filename:
            continue
        try:
            attachments.attach(session=get_session(), report=report, actor=require_principal(),
                               filename=upload.filename, data=upload.read())
        except DomainError as err:
            get_session().rollback()
            flash(_("%(file)s was not attached: %(reason)s", file=upload.filename,
                    reason=message(err.message)),
                  "error")


def _render(deficiency_id: int, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    session = get_session()
    report = get_or_404(session, DeficiencyReport, deficiency_id)
    now = utcnow()
    out = queries.with_units(session=session, reports=[report], now=now)[0]
    country = session.get(Country, report.country_code)
    return render_template(
        "deficiency.html", r=out, country=country, now=now, errors=errors or {},
        systems=system_codes(session), time_left=time_left, next_due=queries.next_due(report),
        allowed=lifecycle.allowed(report, current_principal(), now),
        messages=conversation.messages(session=session, report=report),
        files=attachments.listing(session=session, report=report),
        dispositions=labelled(Disposition), unit_statuses=labelled(UnitStatus)), status


@bp.get("/deficiencies/<int:deficiency_id>")
def deficiency_page(deficiency_id: int) -> Any:
    """One report for either side."""
    return _render(deficiency_id)


@bp.post("/deficiencies/<int:deficiency_id>/transition")
@access(*EVERYONE)
def deficiency_transition(deficiency_id: int) -> Any:
    """One move of the lifecycle, from its button."""
    session = get_session()
    report = get_or_404(session, DeficiencyReport, deficiency_id)
    stale = stale_version(report, _("This report"), "web.deficiency_page", deficiency_id=deficiency_id)
    if stale:
        return stale
    try:
        data = transition_schema.load(given(text_fields("status", "reason", "disposition", "resolution",
                                                        "unit_status")))
        lifecycle.transition(session=session, report=report, actor=require_principal(), **data)
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(deficiency_id, no.errors, no.status)
    flash(_("Report %(number)s is now %(state)s.", number=report.number, state=label(report.status).lower()),
          "success")
    return redirect(url_for("web.deficiency_page", deficiency_id=deficiency_id))


@bp.post("/deficiencies/<int:deficiency_id>/messages")
@access(*EVERYONE)
def deficiency_message(deficiency_id: int) -> Any:
    """Write to the other side (staff: or an internal note)."""
    session = get_session()
    report = get_or_404(session, DeficiencyReport, deficiency_id)
    try:
        data = message_schema.load(given({**text_fields("body"),
                                          "internal": request.form.get("internal") == "on" or ""}))
        conversation.post(session=session, report=report, actor=require_principal(), **data)
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(deficiency_id, no.errors, no.status)
    flash(_("Your internal note is added.") if data["internal"] else _("Your message is sent."), "success")
    return redirect(url_for("web.deficiency_page", deficiency_id=deficiency_id) + "#conversation")


@bp.post("/deficiencies/<int:deficiency_id>/attachments")
@access(*EVERYONE)
@body_limit(PAGE_UPLOAD_LIMIT)
def deficiency_upload(deficiency_id: int) -> Any:
    """Attach photos or PDFs."""
    report = get_or_404(get_session(), DeficiencyReport, deficiency_id)
    _attach_uploads(report)
    return redirect(url_for("web.deficiency_page", deficiency_id=deficiency_id) + "#attachments")


@bp.get("/units/<int:unit_id>/history")
def unit_history_page(unit_id: int) -> Any:
    """A unit's whole life: status changes, deficiency reports, services."""
    from service.domain.deficiencies import history

    session = get_session()
    unit = get_or_404(session, Unit, unit_id)
    country = session.get(Country, unit.country_code)
    return render_template("unit_history.html", unit=unit, life=history.unit_life(session=session, unit=unit),
                           systems=system_codes(session), tz=country.timezone if country else None)
