"""Staff schedule and edit services in a form checked by the API's schemas and rules.

A new service takes two steps without any script: first the country and system (so the
form can offer that country's units of that system), then the details. Times are typed as
wall-clock time in the service's time zone (the country's unless another is chosen).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError
from sqlmodel import Session, select

from models import Country, EventStaff, EventUnit, ServiceEvent, WeaponSystem
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404
from service.domain import services
from service.domain.errors import DomainError
from service.domain.planning import pickers as planning_pickers
from service.schemas.services import EventCreateSchema, EventUpdateSchema
from service.web import bp
from service.web.forms import (
    given,
    iso_to_local,
    local_to_iso,
    refused,
    stale_version,
    text_fields,
    whole,
)
from service.web.services import choices, country_and_system, offered_systems

event_create = EventCreateSchema()
event_update = EventUpdateSchema()
DETAILS = ("title", "starts_at", "ends_at", "timezone", "location", "capacity", "participants_planned",
           "objectives")


def posted_event(names: tuple[str, ...], tz: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what was typed, to show again; the JSON body the API would get) of the event form."""
    form: dict[str, Any] = text_fields(*names)
    form["staff"] = [s for s in request.form.getlist("staff") if s]
    form["lead"] = request.form.get("lead", "")
    form["unit_ids"] = [u for u in request.form.getlist("unit_ids") if u]
    body = given({k: form[k] for k in names})
    for key in ("starts_at", "ends_at"):
        if key in body:
            body[key] = local_to_iso(body[key], form.get("timezone") or tz)
    staff = list(form["staff"])
    if form["lead"] and form["lead"] not in staff:
        staff.append(form["lead"])
    body["staff"] = [{"id": s, "is_lead": s == form["lead"]} for s in staff]
    body["unit_ids"] = list(form["unit_ids"])
    return form, body


def _step_one(session: Session) -> tuple[Country | None, WeaponSystem | None, dict[str, list[str]]]:
    return country_and_system(session, request.values.get("country", ""), request.values.get("system_id", ""),
                              asked="country" in request.values or "system_id" in request.values)


@bp.route("/services/new", methods=["GET", "POST"])
@access(*STAFF)
def service_new() -> Any:
    """Schedule a service: pick country and system, then fill in the details."""
    session = get_session()
    country, system, errors = _step_one(session)
    if country is None or system is None:
        return render_template("service_new_step.html", choices=choices(session), errors=errors,
                               offered=offered_systems(session),
                               form={k: request.values.get(k, "") for k in ("country", "system_id", "kind")},
                               ), 422 if errors and request.method == "POST" else 200
    names = ("kind", "recurrence", *DETAILS)
    if request.method == "GET":  # the planning board's proposals arrive with these filled in
        form: dict[str, Any] = {k: request.args.get(k, "").strip()[:200]
                                for k in ("kind", "title", "starts_at", "ends_at", "lead")}
        form.update(timezone=country.timezone, staff=request.args.getlist("staff")[:50],
                    unit_ids=request.args.getlist("unit_ids")[:200])
        return _render_new(session, country, system, form, {})
    form, body = posted_event(names, country.timezone)
    if request.form.get("action"):  # "who is free then", or "the first N operational": no save
        return _render_new(session, country, system, form, {})
    body.update(country=country.code, system_id=system.id)
    try:
        data = event_create.load(body)
        event, ids = services.schedule_event(session=session, data=data)
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_new(session, country, system, form, no.errors, no.status, no.conflicts)
    if len(ids) > 1:
        flash(ngettext("Service “%(title)s” scheduled and %(num)d more in the series.",
                       "Service “%(title)s” scheduled and %(num)d more in the series.",
                       len(ids) - 1, title=event.title), "success")
    else:
        flash(_("Service “%(title)s” scheduled.", title=event.title), "success")
    return redirect(url_for("web.service_page", event_id=event.id))


def _window(form: dict[str, Any], tz: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The window typed in the form, if it is one (the pickers show who is free in it)."""
    try:
        start = dt.datetime.fromisoformat(local_to_iso(form.get("starts_at", ""), tz))
        end = dt.datetime.fromisoformat(local_to_iso(form.get("ends_at", ""), tz))
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        return None
    return start, end


def _ids(values: list[str]) -> list[int]:
    return [i for v in values if (i := whole(v)) is not None]


def pickers(session: Session, country: Country, system: WeaponSystem, form: dict[str, Any],
            event: ServiceEvent | None = None) -> dict[str, Any]:
    """The staff and unit pickers for the window in `form` (and "first N operational")."""
    tz = form.get("timezone") or country.timezone
    window = _window(form, tz)
    exclude = event.id if event is not None else None
    wanted = whole(request.values.get("first_n", "")) if request.form.get("action") == "first_n" else None
    picked = {"staff": _ids(form.get("staff", [])), "units": _ids(form.get("unit_ids", []))}
    if form.get("lead") and (lead := whole(form["lead"])) is not None and lead not in picked["staff"]:
        picked["staff"].append(lead)
    if wanted is not None and window is not None:
        picked["units"] = planning_pickers.first_operational(
            session=session, country_code=country.code, system_id=system.id or 0, window=window,
            count=min(wanted, 200), exclude_event=exclude)
        form["unit_ids"] = [str(u) for u in picked["units"]]
    q = {k: request.values.get(k, "").strip()[:80] for k in ("staff_q", "unit_q", "first_n")}
    staff = planning_pickers.staff_picker(session=session, window=window, q=q["staff_q"],
                                          chosen=picked["staff"], exclude_event=exclude)
    return {
        "window": window, "q": q, "staff_picker": staff,
        "lead_options": [(str(r.id), r.label) for r in staff.rows],
        "unit_picker": planning_pickers.unit_picker(
            session=session, country_code=country.code, system_id=system.id or 0, window=window,
            q=q["unit_q"], chosen=picked["units"], exclude_event=exclude),
    }


def _render_new(session: Session, country: Country, system: WeaponSystem, form: dict[str, Any],
                errors: dict[str, list[str]], status: int = 200, conflicts: list[Any] | None = None) -> Any:
    return render_template("service_form.html", mode="new", country=country, system=system, form=form,
                           errors=errors, conflicts=conflicts or [], choices=choices(session),
                           event=None, **pickers(session, country, system, form)), status


def _current(session: Session, event: ServiceEvent) -> dict[str, Any]:
    staff = list(session.exec(select(EventStaff).where(EventStaff.event_id == event.id)))
    units = session.exec(select(EventUnit.unit_id).where(EventUnit.event_id == event.id)).all()
    form: dict[str, Any] = {k: "" if getattr(event, k) is None else str(getattr(event, k))
                            for k in ("kind", "title", "timezone", "location", "capacity",
                                      "participants_planned", "participants_actual", "objectives", "outcome")}
    form.update(starts_at=iso_to_local(event.starts_at, event.timezone),
                ends_at=iso_to_local(event.ends_at, event.timezone),
                staff=[str(s.staff_id) for s in staff],
                lead=next((str(s.staff_id) for s in staff if s.is_lead), ""),
                unit_ids=[str(u) for u in units])
    return form


def changed(event: ServiceEvent, data: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Only what the form changes: a completed service keeps its unchanged times and people."""
    out = {}
    for key, value in data.items():
        if key == "staff":
            now = {(str(s["id"]), bool(s.get("is_lead"))) for s in value}
            if now != {(s, s == before["lead"]) for s in before["staff"]}:
                out[key] = value
        elif key == "unit_ids":
            if {str(u) for u in value} != set(before["unit_ids"]):
                out[key] = value
        elif getattr(event, key) != value:
            out[key] = value
    return out


@bp.route("/services/<int:event_id>/edit", methods=["GET", "POST"])
@access(*STAFF)
def service_edit(event_id: int) -> Any:
    """Change a service's details, times, people or units (stale forms are refused)."""
    session = get_session()
    event = get_or_404(session, ServiceEvent, event_id)
    before = _current(session, event)
    if request.method == "GET":
        return _render_edit(session, event, before, {})
    stale = stale_version(event, _("This service"), "web.service_edit", event_id=event_id)
    if stale:
        return stale
    form, body = posted_event(("kind", "participants_actual", "outcome", *DETAILS), event.timezone)
    if request.form.get("action"):  # "who is free then", or "the first N operational": no save
        return _render_edit(session, event, form, {})
    for key in ("location", "objectives"):  # these may be emptied on purpose
        body.setdefault(key, form[key])
    if event.status in services.FROZEN:  # the form has no times or people to change
        for key in services.SCHEDULE_FIELDS:
            body.pop(key, None)
    try:
        changes = changed(event, event_update.load(body), before)
        if changes:
            services.update_event(session=session, event=event, changes=changes)
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_edit(session, event, form, no.errors, no.status, no.conflicts)
    flash(_("Changes saved.") if changes else _("Nothing was changed."), "success" if changes else "info")
    return redirect(url_for("web.service_page", event_id=event_id))


def _render_edit(session: Session, event: ServiceEvent, form: dict[str, Any], errors: dict[str, list[str]],
                 status: int = 200, conflicts: list[Any] | None = None) -> Any:
    country = session.get(Country, event.country_code)
    system = session.get(WeaponSystem, event.system_id)
    assert country is not None and system is not None
    return render_template("service_form.html", mode="edit", country=country, system=system, form=form,
                           errors=errors, conflicts=conflicts or [], choices=choices(session), event=event,
                           frozen=event.status in services.FROZEN,
                           **pickers(session, country, system, form, event)), status

