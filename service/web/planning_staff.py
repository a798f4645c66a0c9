"""Staff pages for planning: each staff member's skills and absences (SPEC §10), through the
API's schemas and the planning domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import col, select

from models import StaffMember
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import services
from service.domain.errors import DomainError
from service.domain.planning import unavailability
from service.schemas.planning import UnavailabilitySchema
from service.schemas.services import StaffUpdateSchema
from service.web import bp
from service.web.forms import local_to_iso, page_number, paging, refused, stale_version, text_fields

PAGE_SIZE = 30
staff_update = StaffUpdateSchema()
window_schema = UnavailabilitySchema()


@bp.get("/planning/staff")
@access(*STAFF)
def planning_staff() -> Any:
    """Staff members with their skills; search by name or skill."""
    session = get_session()
    q = request.args.get("q", "").strip()[:80]
    stmt = select(StaffMember).order_by(col(StaffMember.name), col(StaffMember.id))
    if q:
        stmt = stmt.where(col(StaffMember.name).icontains(q, autoescape=True)
                          | sa.cast(StaffMember.skills, sa.String).icontains(q, autoescape=True))
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, stmt, page)
    return render_template("planning_staff.html", rows=rows, q=q, **paging(page, PAGE_SIZE))


def _render(staff: StaffMember, errors: dict[str, list[str]] | None = None,
            form: dict[str, str] | None = None, status: int = 200) -> Any:
    session = get_session()
    windows = unavailability.windows_of(session=session, staff=staff,
                                        after=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    return render_template("planning_staff_member.html", s=staff, windows=windows, errors=errors or {},
                           form=form or {}), status


@bp.get("/planning/staff/<int:staff_id>")
@access(*STAFF)
def planning_staff_member(staff_id: int) -> Any:
    """One staff member: skills (editable) and absences (add, remove)."""
    return _render(get_or_404(get_session(), StaffMember, staff_id))


@bp.post("/planning/staff/<int:staff_id>/skills")
@access(*STAFF)
def planning_staff_skills(staff_id: int) -> Any:
    """Replace the skills (one `kind:subject` a line); a stale form writes nothing."""
    session = get_session()
    staff = get_or_404(session, StaffMember, staff_id)
    stale = stale_version(staff, _("This staff member"), "web.planning_staff_member", staff_id=staff_id)
    if stale:
        return stale
    form = text_fields("skills")
    skills = [s.strip() for s in form["skills"].replace(",", "\n").splitlines() if s.strip()]
    try:
        services.update_staff(session=session, staff=staff, changes=staff_update.load({"skills": skills}))
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(staff, no.errors, form, no.status)
    flash(_("Skills saved."), "success")
    return redirect(url_for("web.planning_staff_member", staff_id=staff_id))


@bp.post("/planning/staff/<int:staff_id>/unavailability")
@access(*STAFF)
def planning_staff_away(staff_id: int) -> Any:
    """Record an absence (local times of the staff member's base: UTC unless a zone is given)."""
    session = get_session()
    staff = get_or_404(session, StaffMember, staff_id)
    form = text_fields("starts_at", "ends_at", "reason", "timezone")
    tz = form["timezone"] or "Asia/Seoul"
    body = {"starts_at": local_to_iso(form["starts_at"], tz), "ends_at": local_to_iso(form["ends_at"], tz),
            "reason": form["reason"]}
    try:
        unavailability.add_window(session=session, staff=staff, data=window_schema.load(body))
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(staff, no.errors, form, no.status)
    flash(_("Absence recorded."), "success")
    return redirect(url_for("web.planning_staff_member", staff_id=staff_id))


@bp.post("/planning/staff/<int:staff_id>/unavailability/<int:unavailability_id>/delete")
@access(*STAFF)
def planning_staff_back(staff_id: int, unavailability_id: int) -> Any:
    """Remove an absence."""
    session = get_session()
    staff = get_or_404(session, StaffMember, staff_id)
    try:
        unavailability.remove_window(session=session, staff=staff, window_id=unavailability_id)
    except DomainError as err:
        no = refused(err)
        return _render(staff, no.errors, status=no.status)
    flash(_("Absence removed."), "success")
    return redirect(url_for("web.planning_staff_member", staff_id=staff_id))
